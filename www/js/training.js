// @ts-check
// training.js: a network trained in the page on a drawing (denoising score matching with the
// objective and schedule of the drawing panel), on the GPU with the WGSL training kernels when the playground runs on
// WebGPU, else on the CPU inside the wasm; a tick of Adam steps at a time between frames, the
// loss plotted as it goes; then the playground samples with it, and the trained network's NLL
// (probability-flow ODE) and its distance to the drawing are reported.

import { page, running } from './page.js';
import { messageOf } from './errors.js';
import { setPlaying } from './frame-loop.js';
import { record } from './record.js';
import * as ui from './controls.js';
import * as draw from './drawing.js';
import { applyDrawing, drawStatus } from './drawing-feature.js';

/** The time one training tick may take (ms). */
const TRAIN_TICK_MS = 25;
/** Adam steps queued on the GPU per tick (then the page waits for that chunk's loss). */
const GPU_STEPS_PER_TICK = 25;
/**
 * Examples per Adam step, and the fewest and most steps the panel accepts: the wasm's
 * (`describe().drawing`, from `core::drawing`), set by `useTrainingLimits`.
 */
let limits = { batch: 0, minSteps: 0, maxSteps: 0 };

/**
 * Takes the wasm's training defaults and limits (`describe().drawing`): the panel's steps field
 * starts at the default (`core::drawing::DRAWN_TRAIN_STEPS`) and accepts the page's range.
 * @param {{ train_steps: number, min_train_steps: number, max_train_steps: number, train_batch: number }} drawing
 */
export function useTrainingLimits(drawing) {
  limits = { batch: drawing.train_batch, minSteps: drawing.min_train_steps, maxSteps: drawing.max_train_steps };
  const field = /** @type {HTMLInputElement | null} */ (document.getElementById('train-steps'));
  if (!field) return;
  field.value = String(drawing.train_steps);
  field.min = String(drawing.min_train_steps);
  field.max = String(drawing.max_train_steps);
}

/** @type {{ points: number[][], started: number, objective: string, schedule: string, coupling: string } | null} The run under way (a newer one replaces it). */
let training = null;
let finished = 0;
/**
 * The last finished run: its losses, steps, time and path, what it learned, and the trained
 * network's NLL (bits/dim) next to the drawing's exact NLL and its SW2 to the drawing with the floor.
 * @typedef {{ first: number, last: number, steps: number, seconds: number, where: string, objective: string,
 *   schedule: string, nll?: number, exactNll?: number, distance?: number, floor?: number }} TrainingReport
 */
/** @type {TrainingReport | null} */
let report = null;
/** Points, steps and solver of the NLL reported after training (Heun on the Karras grid). */
const REPORT_POINTS = 512;
const REPORT_STEPS = 64;
/** Particles and evaluations of the distance reported after training. */
const REPORT_PARTICLES = 1024;
const REPORT_BUDGET = 64;

/** Training runs finished so far (tests wait for it to grow). */
export function trainingsFinished() {
  return finished;
}

/** The last finished training run's report (TrainingReport), or null. */
export function trainingReport() {
  return report;
}

/** World half-width of the pairs' picture: the prior's noise reaches about 3. */
const PAIRS_HALF_EXTENT = 3.2;

/**
 * Draws the first training batch's pairs of `points` as the chosen coupling pairs them (the
 * wasm's `training_pairs`, the very examples training starts with).
 * @param {number[][]} points
 */
function showPairs(points) {
  const { state } = page;
  const pairs = page.wasm.training_pairs(draw.flatten(points), draw.labelsOf(points), state.train_objective, state.train_schedule, state.train_coupling, state.seed, limits.batch);
  draw.drawPairs(/** @type {HTMLCanvasElement} */ (document.getElementById('draw-pairs')), pairs, PAIRS_HALF_EXTENT);
}

function lossCanvas() {
  return /** @type {HTMLCanvasElement} */ (document.getElementById('draw-loss'));
}

/**
 * After training: sample with the network, say how it went, keep the report for tests.
 * @param {number[][]} points
 * @param {(pg: import('./page.js').Playground) => void} useNetwork
 * @param {number[]} losses   one per `every` steps
 * @param {number} every
 * @param {number} steps
 * @param {string} seconds
 * @param {string} where
 * @param {{ objective: string, schedule: string, coupling: string }} learned  what the network learned
 */
function finishTraining(points, useNetwork, losses, every, steps, seconds, where, learned) {
  const mean = (/** @type {number[]} */ a) => a.reduce((x, y) => x + y, 0) / a.length;
  // First: the loss at the start (the first 20 steps on the CPU; the first step on the GPU, which
  // reports one loss per chunk). Last: the last 100 steps.
  const first = every === 1 ? mean(losses.slice(0, 20)) : losses[0];
  const { objective, schedule, coupling } = learned;
  report = { first, last: mean(losses.slice(-Math.max(1, Math.round(100 / every)))), steps, seconds: Number(seconds), where, objective, schedule };
  const previous = running();
  // A flow trained with OT or the bridge has a velocity but no score: what needs one gives way
  // before the network is installed (the session refuses it otherwise).
  if (coupling !== 'independent') {
    /** @type {Partial<import('./state.js').State>} */
    const noScore = {};
    // A one-step generator is sampled with one Euler step of its flow (what it was distilled for).
    if (coupling === 'consistency') Object.assign(noScore, { sampler: 'probability_flow_euler', steps: 1 });
    else if (previous.draws_noise()) noScore.sampler = 'heun';
    if (page.state.guidance === 'classifier') noScore.guidance = 'none';
    if (page.state.posterior !== 'none') noScore.posterior = 'none';
    if (Object.keys(noScore).length > 0) {
      previous.set_options(noScore);
      record(noScore);
      const what = coupling === 'consistency' ? 'A one-step generator (consistency distillation) samples with one Euler step and' : `A flow trained with the ${coupling} coupling`;
      ui.notice(`${what} has a velocity but no score: ${Object.entries(noScore).map(([k, v]) => `${k} is now ${v}`).join(', ')}.`, 'info');
    }
  }
  if (!applyDrawing(points, useNetwork)) return;
  const pg = running();
  const { state } = page;
  if (state.score !== 'mlp') {
    pg.set_options({ score: 'mlp' });
    record({ score: 'mlp' });
  }
  const colours = draw.usedClasses(points).length;
  const conditional = colours > 1 ? ` It is class-conditional on your ${colours} stroke colours (label dropout 0.2): guidance cfg with the network steers toward one.` : '';
  const how = coupling === 'independent' ? '' : coupling === 'consistency' ? ', distilled from the flow into a one-step generator' : `, ${coupling} coupling`;
  const trained = `Trained ${steps} steps (${objective} on ${schedule}${how}) in ${seconds} s on this device (${where}); the learned score now samples your drawing.${conditional}`;
  drawStatus(`${trained} Measuring it…`);
  setPlaying(true);
  measureTrained(pg, trained, /** @type {TrainingReport} */ (report));
}

/**
 * Reports the trained network's NLL of fresh points of the drawing (the probability-flow ODE,
 * Heun on the Karras grid) next to their exact NLL, and the sliced Wasserstein distance of its
 * samples to the drawing (Heun, REPORT_BUDGET evaluations) with the data-vs-data floor.
 * @param {import('./page.js').Playground} pg
 * @param {string} trained  the status line so far
 * @param {TrainingReport} into  the report that gets the numbers
 */
function measureTrained(pg, trained, into) {
  const done = (/** @type {string} */ text) => {
    if (page.pg === pg) drawStatus(`${trained} ${text}`);
    finished += 1;
  };
  try {
    const lap = pg.race_lap({ sampler: 'heun' }, REPORT_BUDGET, REPORT_PARTICLES);
    Object.assign(into, { distance: lap.distance, floor: lap.floor });
    pg.likelihood('heun', 'karras', REPORT_STEPS, pg.likelihood_data(REPORT_POINTS)).then(
      (/** @type {import('./likelihood.js').LikelihoodView} */ view) => {
        Object.assign(into, { nll: view.model.bits_per_dimension, exactNll: view.exact.bits_per_dimension });
        done(
          `Its NLL: ${view.model.bits_per_dimension.toFixed(3)} bits/dim (the drawing's exact NLL ${view.exact.bits_per_dimension.toFixed(3)}); ` +
            `SW2 to the drawing ${lap.distance.toFixed(3)} with ${REPORT_BUDGET} evaluations (two samples of the drawing: ${lap.floor.toFixed(3)}).`,
        );
      },
      (/** @type {unknown} */ error) => done(`Its NLL could not be measured: ${messageOf(error)}`),
    );
  } catch (error) {
    done(`It could not be measured: ${messageOf(error)}`);
  }
}

/**
 * One shape for training on either path (both wrap the wasm's one `app::training::Training`):
 * a tick of Adam steps, the losses so far, and the network to sample with once done.
 * @typedef {object} TrainingHandle
 * @property {string} where          'CPU' or 'WebGPU', for the status line
 * @property {number} every          training steps per recorded loss
 * @property {() => number} step     steps done
 * @property {number} steps          steps asked for
 * @property {() => Promise<void>} tick   runs the next steps (a time slice on the CPU, a queued
 *   chunk on the GPU, whose loss it waits for)
 * @property {() => number[]} losses the losses so far
 * @property {() => Promise<(pg: import('./page.js').Playground) => void>} network  what
 *   installs the trained network in the playground
 * @property {() => void} free
 */

/**
 * Training on the CPU inside the wasm (`Trainer`): each tick runs steps for TRAIN_TICK_MS.
 * @param {number[][]} points
 * @param {number} steps
 * @returns {TrainingHandle}
 */
function onTheCpu(points, steps) {
  const { state } = page;
  return cpuHandle(new page.wasm.Trainer(draw.flatten(points), draw.labelsOf(points), steps, limits.batch, state.seed, state.train_objective, state.train_schedule, state.train_coupling));
}

/**
 * The handle of a CPU `trainer`.
 * @param {import('../pkg/diffusion_playground.js').Trainer} trainer
 * @returns {TrainingHandle}
 */
function cpuHandle(trainer) {
  return {
    where: 'CPU',
    every: 1,
    step: () => trainer.step,
    steps: trainer.steps,
    async tick() {
      const began = performance.now();
      while (performance.now() - began < TRAIN_TICK_MS && trainer.step < trainer.steps) trainer.run(10);
    },
    losses: () => Array.from(trainer.losses()),
    network: async () => (p) => p.use_trainer(trainer),
    free: () => trainer.free(),
  };
}

/**
 * Training on the playground's GPU with the WGSL kernels (`GpuTraining`): each tick queues a
 * chunk of GPU_STEPS_PER_TICK steps (the first tick one step, so the curve starts at the
 * untrained loss) and waits for that chunk's loss.
 * @param {import('./page.js').Playground} pg
 * @param {number[][]} points
 * @param {number} steps
 * @returns {TrainingHandle}
 */
function onTheGpu(pg, points, steps) {
  const { state } = page;
  const gpu = pg.gpu_training(draw.flatten(points), draw.labelsOf(points), steps, limits.batch, state.seed, state.train_objective, state.train_schedule, state.train_coupling);
  return gpuHandle(gpu, steps);
}

/**
 * The handle of a GPU training `gpu` of `steps` steps; its network is installed with what its
 * plan learned (`use_gpu_weights`).
 * @param {import('../pkg/diffusion_playground.js').GpuTraining} gpu
 * @param {number} steps
 * @returns {TrainingHandle}
 */
function gpuHandle(gpu, steps) {
  /** @type {number[]} */
  const losses = [];
  return {
    where: 'WebGPU',
    every: GPU_STEPS_PER_TICK,
    step: () => gpu.step,
    steps,
    async tick() {
      gpu.run(gpu.step === 0 ? 1 : GPU_STEPS_PER_TICK);
      losses.push(await gpu.loss());
    },
    losses: () => losses,
    async network() {
      const weights = await gpu.weights();
      return (p) => p.use_gpu_weights(gpu, weights);
    },
    free: () => gpu.free(),
  };
}

/**
 * Runs `handle` to its last step, a tick at a time between frames, drawing the loss as it falls;
 * then samples with the network. Stops when another run or another playground replaces it.
 * @param {TrainingHandle} handle
 * @param {{ points: number[][], started: number, objective: string, schedule: string, coupling: string }} run
 */
async function train(handle, run) {
  const owner = page.pg;
  const { points } = run;
  try {
    while (handle.step() < handle.steps) {
      if (training !== run || page.pg !== owner) return;
      await handle.tick();
      draw.drawLoss(lossCanvas(), handle.losses(), handle.steps, handle.every);
      const where = handle.where === 'WebGPU' ? ' on the GPU' : '';
      drawStatus(`Training on your ${points.length} points${where}: step ${handle.step()} of ${handle.steps}…`);
      // Let the page draw a frame between ticks.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const install = await handle.network();
    if (training !== run || page.pg !== owner) return;
    training = null;
    const seconds = ((performance.now() - run.started) / 1000).toFixed(1);
    finishTraining(points, install, handle.losses(), handle.every, handle.steps, seconds, handle.where, run);
  } finally {
    handle.free();
  }
}

/**
 * Trains a network on `points`, on the GPU where the playground runs on WebGPU (else on the CPU
 * inside the wasm), a tick of Adam steps at a time, then samples with it.
 * @param {number[][]} points
 */
export function startTraining(points) {
  if (points.length === 0) {
    drawStatus('Draw something first (press Draw, then draw on the picture).');
    return;
  }
  const steps = stepsAsked();
  if (steps === null) return;
  const { pg } = page;
  if (!pg || page.creating) return;
  /** @type {TrainingHandle} */
  let handle;
  try {
    handle = pg.backend === 'webgpu' ? onTheGpu(pg, points, steps) : onTheCpu(points, steps);
  } catch (error) {
    drawStatus(`Training could not start: ${messageOf(error)}`);
    return;
  }
  const { train_objective: objective, train_schedule: schedule, train_coupling: coupling } = page.state;
  showPairs(points);
  begin(handle, { points, started: performance.now(), objective, schedule, coupling });
}

/**
 * The training steps of the drawing panel's field, or null (with a status saying why) when they
 * are not a whole number in the page's range (`useTrainingLimits`).
 * @returns {number | null}
 */
function stepsAsked() {
  const steps = Number(/** @type {HTMLInputElement} */ (document.getElementById('train-steps')).value);
  if (!Number.isInteger(steps) || steps < limits.minSteps || steps > limits.maxSteps) {
    drawStatus(`Steps must be a whole number from ${limits.minSteps.toLocaleString('en-US')} to ${limits.maxSteps.toLocaleString('en-US')}.`);
    return null;
  }
  return steps;
}

/** Reflow pairs the page makes: each is a 64-step Heun run of the teacher (about a second on the CPU path). */
const REFLOW_PAIRS = 4096;

/**
 * Reflow (Liu et al. 2022): trains the next rectified flow of the drawing in use on the pairs of
 * its trained flow (each noise with where the flow's ODE carries it), on the GPU where the
 * playground runs on WebGPU; refused with what is missing when there is no trained flow.
 */
export function startReflow() {
  fromTheFlow('Reflow', 'reflow', (pg, steps, seed) => (pg.backend === 'webgpu'
    ? gpuHandle(pg.gpu_reflow_training(steps, limits.batch, seed, REFLOW_PAIRS), steps)
    : cpuHandle(pg.reflow_trainer(steps, limits.batch, seed, REFLOW_PAIRS))));
}

/**
 * Consistency distillation (Song et al. 2023, Alg. 2): distills the drawing's trained flow into
 * a one-step generator, on the CPU inside the wasm whatever the backend (its target network
 * follows the student every step); refused with what is missing when there is no trained flow.
 * The race then runs the student beside its teacher.
 */
export function startDistillation() {
  fromTheFlow('Distill', 'consistency', (pg, steps, seed) => cpuHandle(pg.distillation_trainer(steps, limits.batch, seed)));
}

/**
 * Starts a run that trains from the drawing's trained flow (its teacher): `start` makes its
 * handle with the panel's steps and the seed; `action` names the button in the status lines,
 * `coupling` is what the new network learns.
 * @param {string} action
 * @param {string} coupling
 * @param {(pg: import('./page.js').Playground, steps: number, seed: number) => TrainingHandle} start
 */
function fromTheFlow(action, coupling, start) {
  const steps = stepsAsked();
  if (steps === null) return;
  const { pg } = page;
  if (!pg || page.creating) return;
  const flat = pg.drawing();
  if (!flat) {
    drawStatus(`${action} needs a drawing with a trained flow: draw, pick velocity on rectified_flow, and train first.`);
    return;
  }
  /** @type {TrainingHandle} */
  let handle;
  try {
    handle = start(pg, steps, page.state.seed);
  } catch (error) {
    drawStatus(`${action} could not start: ${messageOf(error)}`);
    return;
  }
  begin(handle, { points: draw.unflatten(flat), started: performance.now(), objective: 'velocity', schedule: 'rectified_flow', coupling });
}

/**
 * Starts `run` with `handle`, replacing any run under way.
 * @param {TrainingHandle} handle
 * @param {{ points: number[][], started: number, objective: string, schedule: string, coupling: string }} run
 */
function begin(handle, run) {
  training = run;
  train(handle, run).catch((error) => {
    if (training === run) training = null;
    drawStatus(`Training on the ${handle.where === 'WebGPU' ? 'GPU' : 'CPU'} failed: ${messageOf(error)}`);
  });
}
