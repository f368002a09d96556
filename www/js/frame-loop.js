// @ts-check
// frame-loop.js: the animation loop. Each frame applies a pending time-slider value; while
// playing takes a few reverse steps (adaptive, so a frame stays under its budget and the GPU
// never runs far behind the page); then renders when anything changed, and lets the views and
// recordings follow. The loop sleeps while paused and unchanged.

import * as ui from './controls.js';
import { announceFirstFrame, announceReady, page, running } from './page.js';
import { divergence, runtimeError } from './errors.js';
import { noiseTo } from './noising.js';
import { updateViews } from './views.js';
import { captureForRecordings } from './export-feature.js';
import { stepOnWorkers, workersInUse } from './cpu-workers.js';

/** A frame that takes longer than this (ms) gets fewer reverse steps next time. */
const FRAME_BUDGET_MS = 30;
/** Bounds of the adaptive number of reverse steps per animation frame. */
export const MIN_STEPS_PER_FRAME = 1;
const MAX_STEPS_PER_FRAME = 20;
/** A run is spread over at least this many frames (about two seconds), so the flow stays visible. */
const MIN_FRAMES_PER_RUN = 120;
/**
 * On WebGPU, step() only queues work, so the time spent in a frame says nothing about the GPU.
 * The loop keeps one fence in flight (`divergence()`, which resolves when the GPU has finished
 * everything submitted before it, with the count of escaped particles: four bytes read back) and stops queueing steps while the
 * unfinished fence is more than this many frames old: the GPU never runs further behind the page
 * than that.
 */
const MAX_FRAMES_AHEAD = 3;

let stepsPerFrame = MIN_STEPS_PER_FRAME;
/** Reverse steps taken since the last frame began (the workers may take several jobs a frame). */
let stepsThisFrame = 0;
let frameRequest = 0;
let frameCount = 0;
/** @type {{ frame: number, stalled: boolean } | null} The fence in flight on WebGPU. */
let fence = null;
/** What the readouts last showed (the watchdog redraws when the run moved without the page). */
let shownSignature = '';
/** The run shown last had reached the data (the embedder has been told 'done'). */
let doneAnnounced = false;

/** Current adaptive steps per frame. */
export function currentStepsPerFrame() {
  return stepsPerFrame;
}

/** A new Playground or a new run: forget the fence and start again from one step per frame. */
export function restartPacing() {
  fence = null;
  stepsPerFrame = MIN_STEPS_PER_FRAME;
}

/** Forget the fence in flight (its run was replaced). */
export function dropFence() {
  fence = null;
}

/** Asks for a frame (one at a time). */
export function requestFrame() {
  if (!frameRequest) frameRequest = requestAnimationFrame(frame);
}

/** Something changed: draw it at the next frame. */
export function redraw() {
  page.dirty = true;
  requestFrame();
}

/** Plays or pauses the animation (the Play button follows). */
/** @param {boolean} on */
export function setPlaying(on) {
  page.playing = on;
  ui.setPlaying(on, Boolean(page.pg && !page.creating && page.pg.done));
  if (on) requestFrame();
}

/** Where the run is: step, steps and time (what the readouts show). */
export function runSignature() {
  const pg = running();
  return `${pg.step_index}/${pg.total_steps}@${pg.time_fraction}`;
}

/** The readouts no longer match the run (moved from the console, or by a test). */
export function readoutsAreStale() {
  return runSignature() !== shownSignature;
}

function frame() {
  frameRequest = 0;
  const pg = page.pg;
  if (!pg || page.creating) return;
  frameCount += 1;
  stepsThisFrame = 0;
  const started = performance.now();
  let stepped = false;
  let what = 'Drawing';
  try {
    if (page.pendingT !== null) {
      what = 'Noising to t';
      noiseTo(page.pendingT);
      page.pendingT = null;
      page.dirty = true;
    }
    // The first frame shows the starting particles at once; steps begin with the next frame
    // (so the first picture does not wait for the sampler's kernels to compile), on the full
    // module (the first-frame module only shows the first frame).
    if (page.playing && page.readyDone && !page.comparingPaths) {
      what = 'A reverse step';
      stepped = stepIfGpuKeepsUp();
      if (pg.done) setPlaying(false);
    }
    if (page.dirty) {
      what = 'Drawing';
      page.dirty = false;
      pg.render();
      captureForRecordings();
      showReadouts();
      if (!page.firstFrameShown) {
        page.firstFrameShown = true;
        announceFirstFrame(pg);
      }
      if (!page.readyDone && page.module === 'full') {
        page.readyDone = true;
        document.body.dataset.state = 'ready';
        announceReady(pg);
        page.embedder.notify('ready', { backend: pg.backend });
      }
    }
  } catch (error) {
    runtimeError(what, error);
  }
  if (stepped && page.pg && page.pg.backend === 'cpu') adaptToFrameTime(performance.now() - started);
  if (page.playing || page.dirty) requestFrame();
}

/** Takes this frame's reverse steps unless the GPU is too far behind; true when it stepped. */
function stepIfGpuKeepsUp() {
  const pg = running();
  const onGpu = pg.backend === 'webgpu';
  if (onGpu && fence && frameCount - fence.frame > MAX_FRAMES_AHEAD) {
    fence.stalled = true;
    return false;
  }
  const steps = Math.min(stepsPerFrame, stepsLeftThisFrame(pg));
  if (!onGpu && stepOnWorkers(pg, page.compiled, page.state.threads, steps, (result) => takeBack(pg, result))) return false;
  const taken = pg.step(steps);
  stepsThisFrame += taken;
  if (taken > 0) page.dirty = true;
  if (onGpu && taken > 0 && !fence) startFence();
  return taken > 0;
}

/**
 * Steps a frame may still take: a run is spread over at least MIN_FRAMES_PER_RUN frames.
 * @param {import('./page.js').Playground} pg
 */
function stepsLeftThisFrame(pg) {
  return Math.max(MIN_STEPS_PER_FRAME, Math.ceil(pg.total_steps / MIN_FRAMES_PER_RUN)) - stepsThisFrame;
}

/**
 * The workers' steps are back: into the run they were taken from, if it is still the one shown,
 * has not moved on and is still playing (a run paused meanwhile stays where it was paused); the
 * next job's size follows from how long this one took, and it starts at once while this frame
 * may take more steps (so the workers do not wait for the next frame).
 * @param {import('./page.js').Playground} owner
 * @param {import('./cpu-workers.js').StepResult | null} result
 */
function takeBack(owner, result) {
  if (result && owner === page.pg && !page.creating && page.playing) {
    try {
      if (owner.accept_cpu_steps(result.key, result.start, result.count, result.state)) {
        stepsThisFrame += result.count;
        adaptToFrameTime(result.ms);
        page.dirty = true;
        if (owner.done) setPlaying(false);
        const more = Math.min(stepsPerFrame, stepsLeftThisFrame(owner));
        if (page.playing && !page.comparingPaths && more > 0) {
          stepOnWorkers(owner, page.compiled, page.state.threads, more, (next) => takeBack(owner, next));
        }
      }
    } catch (error) {
      runtimeError('Taking back the CPU workers\' steps', error);
    }
  }
  requestFrame();
}

/** Queues a fence behind the work queued so far; when it resolves, adapts the steps per frame. */
function startFence() {
  const owner = running();
  const started = performance.now();
  const current = { frame: frameCount, stalled: false };
  fence = current;
  // The fence is the count of particles that left the finite range (read back once the GPU has
  // done everything queued before it): a run that diverged stops here with the reason.
  owner.divergence().then(
    (/** @type {string | null} */ diverged) => {
      if (fence !== current) return;
      fence = null;
      if (diverged !== null && owner === page.pg) {
        // Told like the CPU path's step that diverged: the run stops and says why.
        runtimeError('A reverse step', divergence(diverged));
        return;
      }
      // Additive increase while the GPU keeps up within the budget, multiplicative decrease when
      // the page had to wait for it.
      const framesCovered = Math.max(1, frameCount - current.frame);
      adaptToFrameTime(current.stalled ? Infinity : (performance.now() - started) / framesCovered);
      if (page.playing) requestFrame();
    },
    (/** @type {unknown} */ error) => {
      if (fence !== current) return;
      fence = null;
      if (owner === page.pg) runtimeError('Waiting for the GPU', error);
    },
  );
}

/** Additive increase, multiplicative decrease of the steps per frame from the cost of a frame. */
/** @param {number} costMs */
function adaptToFrameTime(costMs) {
  if (costMs > FRAME_BUDGET_MS) {
    stepsPerFrame = Math.max(MIN_STEPS_PER_FRAME, Math.floor(stepsPerFrame * 0.7));
  } else if (costMs < 0.75 * FRAME_BUDGET_MS) {
    stepsPerFrame = Math.min(MAX_STEPS_PER_FRAME, stepsPerFrame + 1);
  }
}

/** The readouts, the embedder's step and done events, and every open view. */
function showReadouts() {
  const pg = running();
  const signature = runSignature();
  if (signature !== shownSignature && page.readyDone) {
    page.embedder.notify('step', { step: pg.step_index, total: pg.total_steps, t: pg.current_t, done: pg.done });
    if (pg.done && !doneAnnounced) page.embedder.notify('done');
  }
  doneAnnounced = pg.done;
  shownSignature = signature;
  ui.setPlaying(page.playing, pg.done);
  // The slider spans the schedule's time range; the numbers show its own time (sigma for EDM).
  const t = pg.current_t;
  ui.setTime(pg.time_fraction, t);
  ui.setReadouts({
    t,
    step: pg.step_index,
    total: pg.total_steps,
    done: pg.done,
    evaluations: pg.evaluations,
    particles: page.state.particles,
    backend: pg.backend,
    adapter: pg.adapter_name,
    shape: pg.gpu_kernel_shape,
    workers: workersInUse(pg),
    build: page.wasmBuild,
    // On the CPU the banner already carries the note.
    note: pg.backend === 'webgpu' ? pg.backend_note : '',
    ess: pg.smc_ess,
    resamplings: pg.smc_resamplings,
  });
  // The views measure with the full module's bindings (src/web/full.rs).
  if (page.module === 'full') updateViews();
}
