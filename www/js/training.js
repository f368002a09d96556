// @ts-check
// training.js: a network trained in the page on a drawing (denoising score matching, the eps
// objective, VP-linear), on the GPU with the WGSL training kernels when the playground runs on
// WebGPU, else on the CPU inside the wasm; a tick of Adam steps at a time between frames, the
// loss plotted as it goes; then the playground samples with it.

import { page, running } from './page.js';
import { messageOf } from './errors.js';
import { redraw, setPlaying } from './frame-loop.js';
import * as ui from './controls.js';
import * as draw from './drawing.js';
import { applyDrawing, drawStatus } from './drawing-feature.js';

/** Examples per Adam step of in-page training, and the time one training tick may take (ms). */
const TRAIN_BATCH = 128;
const TRAIN_TICK_MS = 25;
/** Adam steps queued on the GPU per tick (then the page waits for that chunk's loss). */
const GPU_STEPS_PER_TICK = 25;
/** Fewest and most steps the panel accepts. */
const MIN_TRAIN_STEPS = 100;
const MAX_TRAIN_STEPS = 20_000;

/** @type {{ points: number[][], started: number, trainer?: any } | null} The run under way. */
let training = null;
let finished = 0;
/** @type {{ first: number, last: number, steps: number, seconds: number, where: string } | null} */
let report = null;

/** Training runs finished so far (tests wait for it to grow). */
export function trainingsFinished() {
  return finished;
}

/** { first, last, steps, seconds, where } of the last finished training run, or null. */
export function trainingReport() {
  return report;
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
 */
function finishTraining(points, useNetwork, losses, every, steps, seconds, where) {
  const mean = (/** @type {number[]} */ a) => a.reduce((x, y) => x + y, 0) / a.length;
  // First: the loss at the start (the first 20 steps on the CPU; the first step on the GPU, which
  // reports one loss per chunk). Last: the last 100 steps.
  const first = every === 1 ? mean(losses.slice(0, 20)) : losses[0];
  report = { first, last: mean(losses.slice(-Math.max(1, Math.round(100 / every)))), steps, seconds: Number(seconds), where };
  if (!applyDrawing(points, useNetwork)) return;
  const pg = running();
  const { state } = page;
  if (state.score !== 'mlp') {
    pg.set_options({ score: 'mlp' });
    state.score = 'mlp';
    ui.setValues(state);
    redraw();
  }
  drawStatus(`Trained ${steps} steps in ${seconds} s on this device (${where}); the learned score now samples your drawing.`);
  finished += 1;
  setPlaying(true);
}

/**
 * Trains on the playground's GPU (the WGSL training kernels), a chunk of steps per tick.
 * @param {number[][]} points
 * @param {number} steps
 * @param {{ points: number[][], started: number }} run
 */
async function trainOnGpu(points, steps, run) {
  const owner = running();
  const gpu = owner.gpu_training(draw.flatten(points), steps, TRAIN_BATCH, page.state.seed);
  /** @type {number[]} */
  const losses = [];
  try {
    while (gpu.step < gpu.steps) {
      if (training !== run || page.pg !== owner) return;
      // One step first, so the curve starts at the untrained loss.
      gpu.run(gpu.step === 0 ? 1 : GPU_STEPS_PER_TICK);
      losses.push(await gpu.loss());
      draw.drawLoss(lossCanvas(), losses, steps, GPU_STEPS_PER_TICK);
      drawStatus(`Training on your ${points.length} points on the GPU: step ${gpu.step} of ${steps}…`);
    }
    const weights = await gpu.weights();
    if (training !== run || page.pg !== owner) return;
    training = null;
    const seconds = ((performance.now() - run.started) / 1000).toFixed(1);
    finishTraining(points, (/** @type {import('./page.js').Playground} */ p) => p.use_weights(draw.flatten(points), weights), losses, GPU_STEPS_PER_TICK, steps, seconds, 'WebGPU');
  } finally {
    gpu.free();
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
  const steps = Number(/** @type {HTMLInputElement} */ (document.getElementById('train-steps')).value);
  if (!Number.isInteger(steps) || steps < MIN_TRAIN_STEPS || steps > MAX_TRAIN_STEPS) {
    drawStatus('Steps must be a whole number from 100 to 20,000.');
    return;
  }
  const { pg } = page;
  if (!pg || page.creating) return;
  if (training?.trainer) training.trainer.free();
  if (pg.backend === 'webgpu') {
    const run = { points, started: performance.now() };
    training = run;
    trainOnGpu(points, steps, run).catch((error) => {
      if (training === run) training = null;
      drawStatus(`Training on the GPU failed: ${messageOf(error)}`);
    });
    return;
  }
  let trainer;
  try {
    trainer = new page.wasm.Trainer(draw.flatten(points), steps, TRAIN_BATCH, page.state.seed);
  } catch (error) {
    drawStatus(`Training could not start: ${messageOf(error)}`);
    return;
  }
  const run = { trainer, points, started: performance.now() };
  training = run;
  const tick = () => {
    if (training !== run) return;
    const began = performance.now();
    while (performance.now() - began < TRAIN_TICK_MS && trainer.step < trainer.steps) trainer.run(10);
    draw.drawLoss(lossCanvas(), trainer.losses(), trainer.steps);
    if (trainer.step < trainer.steps) {
      drawStatus(`Training on your ${points.length} points: step ${trainer.step} of ${trainer.steps}…`);
      setTimeout(tick, 0);
      return;
    }
    const seconds = ((performance.now() - run.started) / 1000).toFixed(1);
    training = null;
    finishTraining(points, (/** @type {import('./page.js').Playground} */ p) => p.use_trainer(trainer), Array.from(trainer.losses()), 1, trainer.steps, seconds, 'CPU');
    trainer.free();
  };
  tick();
}
