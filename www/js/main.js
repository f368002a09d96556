// main.js: wires the URL state (state.js) and the DOM (controls.js) to the wasm Playground.
//
// Start-up: load the wasm and take its lists of choices (datasets, samplers, ...), parse the hash
// (bad fields fall back to their defaults, with a notice), create the Playground on a canvas
// sized for the device pixel ratio, and start the animation loop. When creation fails the page
// says why and retries: without the field the error names, then with the default settings, then
// on the CPU. It never leaves a blank page without a reason.
//
// Calls into the wasm: keep in sync with `src/web/bindings.rs`.
//
// For tests, `window.dp` exposes the running Playground and the wasm's free functions, and
// `document.body.dataset.state` is "loading", "ready" or "error".

import { FIELD, defaultState, parseField, parseHash, toHash, toOptions, useDescription, writeHash } from './state.js';
import * as ui from './controls.js';
import { LAYER_PARTICLES, LENSES, PATH_PARTICLES, clearLayers, drawLayers } from './layers.js';
import { drawScheduleLab } from './schedule-lab.js';
import { drawSpaceTime } from './space-time.js';
import { showFormulas } from './formulas.js';
import { DENSITY_SIDE, drawDensity, noiseFloor } from './density.js';
import * as draw from './drawing.js';
import { DEFAULT_RACERS, RACE_BUDGETS, drawRaceChart, drawSnapshots, runRace } from './race.js';
import { WebmRecorder, canvasPng, copyText, download, embedSnippets, shareUrl } from './export.js';

/** True on embed.html (index.html?embed=1): minimal chrome, paused while scrolled out of view. */
const EMBEDDED = new URLSearchParams(location.search).has('embed');

/** The wasm-bindgen module (built by `cargo xtask build-wasm`). */
const PKG_URL = new URL('../pkg/diffusion_playground.js', import.meta.url).href;

/** A frame that takes longer than this (ms) gets fewer reverse steps next time. */
const FRAME_BUDGET_MS = 30;
/** Bounds of the adaptive number of reverse steps per animation frame. */
const MIN_STEPS_PER_FRAME = 1;
const MAX_STEPS_PER_FRAME = 20;
/** A run is spread over at least this many frames (about two seconds), so the flow stays visible. */
const MIN_FRAMES_PER_RUN = 120;
/**
 * On WebGPU, step() only queues work, so the time spent in a frame says nothing about the GPU.
 * The loop keeps one fence in flight (`gpu_idle()`, which resolves when the GPU has finished
 * everything submitted before it; nothing is read back) and stops queueing steps while the
 * unfinished fence is more than this many frames old: the GPU never runs further behind the page
 * than that.
 */
const MAX_FRAMES_AHEAD = 3;
/** How often a lost GPU device is looked for while the page is idle (ms). */
const WATCHDOG_MS = 1000;
/** Delay before the address bar follows a burst of changes (ms); browsers throttle replaceState. */
const HASH_WRITE_DELAY_MS = 120;

// --- State of the page ------------------------------------------------------------------------

/** The wasm module namespace once loaded. */
let wasm = null;
/** What the wasm offers (`describe()`: choices, limits, defaults), once loaded. */
let description = null;
/** The running Playground, or null while (re)creating. */
let pg = null;
/** The full UI state (the table of state.js); what the hash shows. */
let state = defaultState();
let playing = false;
/** Something changed since the last render. */
let dirty = true;
let stepsPerFrame = MIN_STEPS_PER_FRAME;
let frameRequest = 0;
let frameCount = 0;
/** The fence in flight on WebGPU: `{ frame, stalled }`, or null. */
let fence = null;
/** A time-slider fraction waiting for the next frame (input events come faster than frames). */
let pendingT = null;
let hashTimer = 0;
/** True while the page is waiting for a Playground (create or recreate). */
let creating = false;
/** Whether the current canvas has handed out a context (then a retry needs a fresh one). */
let canvasUsed = false;
/** GPU devices lost so far; the first loss restarts on WebGPU, the next one on the CPU. */
let devicesLost = 0;
/** A layers update (ghosts, arrows) is being computed; another was asked for meanwhile. */
let layersBusy = false;
let layersAgain = false;
/** The trajectories layer: positions of the first particles after each frame of this run. */
const trajectories = { snapshots: [], colours: null, colourKey: '', lastStep: -1, lastFraction: -1 };
/** Layer pictures drawn so far (tests wait for it to grow). */
let layersDrawn = 0;
/** Whether the distance readout already holds this run's measurement (or one is on its way). */
let distanceMeasured = false;
/** Particles compared with fresh data by the distance readout (the data come from the playground). */
const DISTANCE_SAMPLES = 4096;
/** The schedule lab's curves and the settings they are for. */
let labCurves = null;
let labKey = '';
/** The space-time picture and the settings it is for. */
let spaceTimePicture = null;
let spaceTimeKey = '';
/** The density view: an update in flight, the exact probabilities and what they are for. */
let densityBusy = false;
let densityAgain = false;
let densityExact = null;
let densityKey = '';
let densityDrawn = 0;
/** The strokes of the drawing panel (set up in main()), the training run, runs finished. */
let strokes = null;
let training = null;
let trainingsFinished = 0;
/** The mean loss of the first and last 100 steps of the last finished training run. */
let trainingReport = null;
/** Examples per Adam step of in-page training, and the time one training tick may take (ms). */
const TRAIN_BATCH = 128;
const TRAIN_TICK_MS = 25;
/** The schedule and sampler whose formulas are shown; formula panels typeset so far. */
let formulasKey = '';
let formulasShown = 0;
/** Races started so far (a newer race cancels an older one) and races finished. */
let racesStarted = 0;
let racesFinished = 0;
/** Points per schedule-lab curve. */
const LAB_SAMPLES = 400;
/** The WebM recording in progress, or null. */
let recording = null;
/** Embedded and scrolled out of view: the animation waits (and resumes when visible again). */
let offscreen = false;

let resolveReady;
let rejectReady;
const ready = new Promise((resolve, reject) => {
  resolveReady = resolve;
  rejectReady = reject;
});
// Tests await it; the page itself reports failures through notices, not an unhandled rejection.
ready.catch(() => {});
let readyDone = false;
/**
 * The automatic backend on a software WebGPU adapter starts on the CPU, then times both paths
 * (`compare_paths`) while the first frame is up: the result, kept for later restarts, or null.
 */
let pathComparison = null;
/** True while that timing runs (the animation waits, so it does not skew the measurement). */
let comparingPaths = false;
/**
 * Resolves to performance.now() when the first frame is on screen: drawn, and on WebGPU the GPU
 * done with it (what the benchmark reports as page-load to first frame).
 */
let resolveFirstFrame;
const firstFrame = new Promise((resolve) => {
  resolveFirstFrame = resolve;
});

/** What tests (and curious people in the console) can reach. */
window.dp = {
  ready,
  firstFrame,
  playground: null,
  describe: null,
  dataset_sample: null,
  sliced_wasserstein: null,
  /** A copy of the UI state. */
  state: () => ({ ...state }),
  /** Current adaptive steps per frame. */
  stepsPerFrame: () => stepsPerFrame,
  /** In-page training runs finished so far. */
  trainingsFinished: () => trainingsFinished,
  /** { first, last, steps, seconds } of the last finished training run, or null. */
  trainingReport: () => trainingReport,
  /** Density views drawn so far. */
  densityDrawn: () => densityDrawn,
  /** Formula panels typeset (or shown as TeX) so far. */
  formulasShown: () => formulasShown,
  /** Sampler races finished so far. */
  racesFinished: () => racesFinished,
  /** What the automatic backend measured on a software adapter (null before, or elsewhere). */
  pathComparison: () => pathComparison,
  /** Layer pictures drawn so far. */
  layersDrawn: () => layersDrawn,
  /** The picture as the PNG button saves it, as a data: URL. */
  exportPng: async () => blobToDataUrl(await pngNow()),
  /** Records `ms` milliseconds of the canvas as WebM; resolves to { type, size }. */
  recordWebm: async (ms) => {
    const recorder = new WebmRecorder(ui.canvas());
    await new Promise((resolve) => setTimeout(resolve, ms));
    const blob = await recorder.stop();
    return { type: blob.type, size: blob.size };
  },
};

function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

// --- Errors -----------------------------------------------------------------------------------

function messageOf(error) {
  if (error instanceof Error) return error.message || String(error);
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

window.addEventListener('error', (event) => {
  // Chrome reports this benign condition as an error event; it is not one.
  if (/ResizeObserver loop/.test(event.message ?? '')) return;
  ui.notice(`Unexpected error: ${event.message || messageOf(event.error)}`, 'error');
});
window.addEventListener('unhandledrejection', (event) => {
  ui.notice(`Unexpected error: ${messageOf(event.reason)}`, 'error');
});

/** The page cannot run: say why, everywhere a person would look. */
function fail(message) {
  setPlaying(false);
  ui.notice(message, 'error');
  ui.setOverlay(message);
  ui.setEnabled(false);
  document.body.dataset.state = 'error';
  if (!readyDone) {
    readyDone = true;
    rejectReady(new Error(message));
  }
}

/** Why the GPU device was lost, or null while it is fine (or on the CPU). */
function deviceLost() {
  return pg && typeof pg.device_lost === 'string' ? pg.device_lost : null;
}

/** An error while running (a step, a render): pause and report; a lost device restarts. */
function runtimeError(what, error) {
  setPlaying(false);
  if (deviceLost()) recoverFromLostDevice();
  else ui.notice(`${what} failed: ${messageOf(error)}`, 'error');
}

/** Restarts after a lost GPU device: once more on WebGPU, after that on the CPU. */
function recoverFromLostDevice() {
  const reason = deviceLost();
  if (!reason || creating) return;
  devicesLost += 1;
  const next = devicesLost === 1 ? { ...state } : { ...state, backend: 'cpu' };
  ui.notice(
    `The GPU device was lost (${reason.replace(/\.$/, '')}). ` +
      `Restarting the playground${next.backend === 'cpu' ? ' on the CPU' : ''}.`,
    'error',
  );
  start({ ...next, t: 1 }).catch((e) => fail(`The playground could not restart: ${messageOf(e)}`));
}

/** What the readouts last showed; the watchdog redraws when the run moved without the page. */
let shownSignature = '';

function runSignature() {
  return `${pg.step_index}/${pg.total_steps}@${pg.time_fraction}`;
}

// Watchdog: a lost device is noticed even while paused, and a run moved from the console (or a
// test) through window.dp.playground is drawn and shown in the readouts.
setInterval(() => {
  if (!pg || creating) return;
  if (deviceLost()) {
    recoverFromLostDevice();
  } else if (!playing && !dirty && runSignature() !== shownSignature) {
    dirty = true;
    requestFrame();
  }
}, WATCHDOG_MS);

// --- The address bar --------------------------------------------------------------------------

/** Writes the state into the address bar (and the embedded page's "open full page" link). */
function publishState() {
  writeHash(state);
  ui.setFullPageLink(shareUrl(toHash(state)));
}

function writeHashSoon() {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(publishState, HASH_WRITE_DELAY_MS);
}

// --- Creating the Playground ------------------------------------------------------------------

/** Options objects equal field by field. */
function sameOptions(a, b) {
  const x = toOptions(a);
  const y = toOptions(b);
  return Object.keys(x).every((k) => x[k] === y[k]);
}

/** The option a wasm error message names ("invalid option 'steps': ..."), if any. */
function fieldNamedIn(message) {
  const match = /option '([a-z_]+)'/.exec(message);
  return match && Object.hasOwn(FIELD, match[1]) && FIELD[match[1]].option ? match[1] : null;
}

/** "steps 100, backend cpu": the fields where `used` differs from `wanted`. */
function describeFallback(wanted, used) {
  const changed = Object.keys(toOptions(used)).filter((k) => wanted[k] !== used[k]);
  return changed.map((k) => `${k} ${used[k]}`).join(', ') || 'the default settings';
}

/**
 * Creates the Playground for `wanted`, retrying with safer settings when that fails.
 * @returns {Promise<object | null>} the state that worked, or null when nothing did
 */
async function createPlayground(wanted) {
  const defaults = { ...defaultState(), t: wanted.t, playing: wanted.playing };
  const tried = [];
  let candidate = wanted;
  while (candidate) {
    tried.push(candidate);
    const canvas = canvasUsed ? ui.freshCanvas() : ui.canvas();
    ui.sizeCanvas(canvas);
    canvasUsed = true;
    ui.setOverlay(candidate.backend === 'cpu' ? 'Starting…' : 'Starting… (looking for WebGPU)');
    let why;
    try {
      const options = toOptions(candidate);
      // The automatic choice already timed WebGPU faster on this software adapter: use it.
      if (candidate.backend === 'auto' && pathComparison?.winner === 'webgpu') options.backend = 'webgpu';
      pg = await wasm.Playground.create(canvas, options);
      if (candidate !== wanted) ui.notice(`Started with ${describeFallback(wanted, candidate)} instead.`, 'warn');
      return candidate;
    } catch (error) {
      why = messageOf(error);
      ui.notice(`The playground could not start: ${why}`, 'error');
    }
    // Next: without the field the error names, then with the automatic backend instead of a
    // forced WebGPU, then the defaults, then the defaults on the CPU.
    const field = fieldNamedIn(why);
    const fallbacks = [
      field && { ...candidate, [field]: FIELD[field].default },
      candidate.backend === 'webgpu' && { ...candidate, backend: 'auto' },
      defaults,
      { ...defaults, backend: 'cpu' },
    ];
    candidate = fallbacks.find((next) => next && !tried.some((seen) => sameOptions(seen, next))) ?? null;
  }
  return null;
}

/** Creates (or re-creates) the Playground for `wanted` and starts showing it. */
async function start(wanted) {
  creating = true;
  setPlaying(false);
  ui.setEnabled(false);
  fence = null;
  pendingT = null;
  if (pg) {
    pg.free();
    pg = null;
    window.dp.playground = null;
  }
  const used = await createPlayground(wanted);
  creating = false;
  if (!used) {
    fail('Diffusion Playground could not start, not even on the CPU with the default settings (see the messages above).');
    return;
  }
  state = { ...used };
  window.dp.playground = pg;
  ui.setBackendBanner(pg.backend === 'cpu', pg.backend_note);
  if (pg.paths_to_compare) {
    if (pathComparison) ui.setBackendBanner(true, comparisonNote(pathComparison));
    else firstFrame.then(() => comparePaths(pg));
  }
  if (state.t < 1) {
    try {
      noiseTo(state.t);
    } catch (error) {
      ui.notice(`Could not show the data noised to ${state.t} of the time range: ${messageOf(error)}`, 'error');
      state.t = 1;
    }
  }
  ui.setValues(state);
  ui.setEnabled(true);
  ui.setOverlay(null);
  stepsPerFrame = MIN_STEPS_PER_FRAME;
  if (state.drawn) {
    const decoded = draw.decodeDrawing(state.drawn);
    strokes.set(decoded.points);
    const hadNetwork = state.score === 'mlp';
    if (applyDrawing(decoded.points) && hadNetwork) {
      ui.notice('A link carries the drawing but not a network trained on it: showing its exact score; press Train in "Draw your own data" to learn one.', 'info');
    }
  }
  setPlaying(state.playing && !offscreen);
  publishState();
  dirty = true;
  requestFrame();
  if (state.race) startRace();
}

/**
 * Shows the data forward-noised to the fraction `u` of the time range. A fraction above 0 but
 * below the schedule's smallest meaningful start (noise under `MIN_START_SIGMA` of
 * `src/core/schedule.rs`, which f32 particles cannot hold) starts there instead: say so, and keep
 * the fraction actually used in the state and the link.
 */
function noiseTo(u) {
  pg.noise_to(u);
  const schedule = description.schedules.find((s) => s.name === state.schedule);
  const floor = schedule?.min_start_fraction ?? 0;
  if (u > 0 && u < floor) {
    ui.notice(
      `Time t ${u} is below the smallest meaningful start of the ${schedule.label} schedule ` +
        `(t = ${floor.toPrecision(3)} of its range, where the noise sigma is ${description.limits.min_start_sigma}); starting there.`,
      'info',
    );
    state.t = pg.time_fraction;
    ui.setValues(state);
    writeHashSoon();
  }
}

/** The banner's text for a comparison that kept the CPU (written by the wasm's backend policy). */
function comparisonNote(c) {
  return c.note;
}

/**
 * Times WebGPU against the CPU for the playground `started` (the automatic choice on a software
 * adapter started it on the CPU), then keeps the CPU or restarts on WebGPU, saying which and why.
 */
async function comparePaths(started) {
  comparingPaths = true;
  let measured = null;
  try {
    measured = await wasm.compare_paths();
  } catch (error) {
    if (pg === started) ui.setBackendBanner(true, `${pg.backend_note} Timing WebGPU failed (${messageOf(error)}); the playground stays on the CPU.`);
  }
  comparingPaths = false;
  if (!measured) return;
  pathComparison = measured;
  if (pg !== started || state.backend !== 'auto') return;
  if (measured.winner === 'webgpu') {
    ui.notice(measured.note, 'info');
    start(state);
  } else {
    ui.setBackendBanner(true, comparisonNote(pathComparison));
    requestFrame();
  }
}

// --- The animation loop -----------------------------------------------------------------------

function requestFrame() {
  if (!frameRequest) frameRequest = requestAnimationFrame(frame);
}

function setPlaying(on) {
  playing = on;
  ui.setPlaying(on, Boolean(pg && !creating && pg.done));
  if (on) requestFrame();
}

/**
 * One animation frame: apply a pending time-slider value; when playing, a few reverse steps
 * (adaptive, so a frame stays under the budget and the GPU does not fall behind); then a render
 * when anything changed. The loop sleeps while paused and unchanged.
 */
function frame() {
  frameRequest = 0;
  if (!pg || creating) return;
  frameCount += 1;
  const started = performance.now();
  let stepped = false;
  let what = 'Drawing';
  try {
    if (pendingT !== null) {
      what = 'Noising to t';
      noiseTo(pendingT);
      pendingT = null;
      dirty = true;
    }
    // The first frame shows the starting particles at once; steps begin with the next frame
    // (so the first picture does not wait for the sampler's kernels to compile).
    if (playing && readyDone && !comparingPaths) {
      what = 'A reverse step';
      stepped = stepIfGpuKeepsUp();
      if (pg.done) setPlaying(false);
    }
    if (dirty) {
      what = 'Drawing';
      dirty = false;
      pg.render();
      showReadouts();
      refreshLayers();
      if (!readyDone) {
        readyDone = true;
        document.body.dataset.state = 'ready';
        resolveReady(pg);
        const shown = pg;
        shown.gpu_idle().then(() => resolveFirstFrame(performance.now()), () => resolveFirstFrame(performance.now()));
      }
    }
  } catch (error) {
    runtimeError(what, error);
  }
  if (stepped && pg && pg.backend === 'cpu') adaptToFrameTime(performance.now() - started);
  if (playing || dirty) requestFrame();
}

/** Takes this frame's reverse steps unless the GPU is too far behind; true when it stepped. */
function stepIfGpuKeepsUp() {
  const onGpu = pg.backend === 'webgpu';
  if (onGpu && fence && frameCount - fence.frame > MAX_FRAMES_AHEAD) {
    fence.stalled = true;
    return false;
  }
  const cap = Math.max(MIN_STEPS_PER_FRAME, Math.ceil(pg.total_steps / MIN_FRAMES_PER_RUN));
  const taken = pg.step(Math.min(stepsPerFrame, cap));
  if (taken > 0) dirty = true;
  if (onGpu && taken > 0 && !fence) startFence();
  return taken > 0;
}

/** Queues a fence behind the work queued so far; when it resolves, adapts the steps per frame. */
function startFence() {
  const owner = pg;
  const started = performance.now();
  const current = { frame: frameCount, stalled: false };
  fence = current;
  owner.gpu_idle().then(
    () => {
      if (fence !== current) return;
      fence = null;
      // Additive increase while the GPU keeps up within the budget, multiplicative decrease when
      // the page had to wait for it.
      const framesCovered = Math.max(1, frameCount - current.frame);
      adaptToFrameTime(current.stalled ? Infinity : (performance.now() - started) / framesCovered);
      if (playing) requestFrame();
    },
    (error) => {
      if (fence !== current) return;
      fence = null;
      if (owner === pg) runtimeError('Waiting for the GPU', error);
    },
  );
}

/** Additive increase, multiplicative decrease of the steps per frame from the cost of a frame. */
function adaptToFrameTime(costMs) {
  if (costMs > FRAME_BUDGET_MS) {
    stepsPerFrame = Math.max(MIN_STEPS_PER_FRAME, Math.floor(stepsPerFrame * 0.7));
  } else if (costMs < 0.75 * FRAME_BUDGET_MS) {
    stepsPerFrame = Math.min(MAX_STEPS_PER_FRAME, stepsPerFrame + 1);
  }
}

function showReadouts() {
  shownSignature = runSignature();
  ui.setPlaying(playing, pg.done);
  // The slider spans the schedule's time range; the numbers show its own time (sigma for EDM).
  const t = pg.current_t;
  ui.setTime(pg.time_fraction, t);
  ui.setReadouts({
    t,
    step: pg.step_index,
    total: pg.total_steps,
    done: pg.done,
    evaluations: pg.evaluations,
    particles: state.particles,
    backend: pg.backend,
    adapter: pg.adapter_name,
    // On the CPU the banner already carries the note.
    note: pg.backend === 'webgpu' ? pg.backend_note : '',
  });
  measureDistance();
  drawLab();
  drawSpaceTimeView();
  updateFormulas();
  updateDensity();
}

/**
 * Redraws the density view (when open): the particles' histogram, counted where they live, next
 * to the exact bin probabilities of p_t (recomputed when the time or the data change). One
 * update at a time, like the layers.
 */
function updateDensity() {
  if (!state.density || !pg || creating) return;
  if (densityBusy) {
    densityAgain = true;
    return;
  }
  densityBusy = true;
  const owner = pg;
  const t = owner.current_t;
  // What is sampled (dataset, drawing, network, score) comes from the playground itself.
  const key = `${owner.revision}@${t}`;
  let counting;
  try {
    if (key !== densityKey) {
      densityExact = owner.exact_probabilities(t, DENSITY_SIDE);
      densityKey = key;
    }
    counting = owner.histogram(DENSITY_SIDE);
  } catch (error) {
    densityBusy = false;
    runtimeError('Counting the particles', error);
    return;
  }
  const exact = densityExact;
  const total = state.particles;
  counting
    .then((counts) => {
      if (owner !== pg) return;
      drawDensity(ui.panelCanvas('density'), counts, total, exact);
      const tv = wasm.total_variation(counts, total, exact);
      const floor = noiseFloor(total, exact);
      ui.setDensityDistance(
        `Total variation distance between the two: ${tv.toFixed(3)} at t = ${t.toPrecision(3)} ` +
          `(sampling noise alone leaves about ${floor.toFixed(3)} with ${total.toLocaleString('en-US')} particles)`,
      );
      densityDrawn += 1;
    })
    .catch((error) => {
      if (owner === pg) runtimeError('Counting the particles', error);
    })
    .finally(() => {
      densityBusy = false;
      if (densityAgain) {
        densityAgain = false;
        updateDensity();
      }
    });
}

/** Shows the formulas of the current schedule and sampler (when the panel is open). */
function updateFormulas() {
  const key = `${state.schedule}/${state.sampler}`;
  if (!state.formulas || key === formulasKey) return;
  formulasKey = key;
  showFormulas(ui.formulasBody(), state.schedule, state.sampler).then(
    () => {
      formulasShown += 1;
    },
    (error) => ui.notice(`The formulas could not be shown: ${messageOf(error)}`, 'error'),
  );
}

/** Redraws the schedule lab (when open) for the current settings, marking the particles' time. */
function drawLab() {
  if (!state.lab || !pg) return;
  const key = String(pg.revision);
  if (key !== labKey) {
    labCurves = pg.schedule_curves(LAB_SAMPLES);
    labKey = key;
  }
  drawScheduleLab(ui.panelCanvas('lab'), labCurves, pg.time_fraction);
}

/** Runs the sampler race for the current settings (cancelling one under way). */
function startRace() {
  const racers = ui.chosenRacers();
  if (racers.length === 0) {
    ui.setRaceStatus('Tick at least one sampler.');
    return;
  }
  const generation = (racesStarted += 1);
  // The laps race on what the playground samples; a change of it (or a new playground) stops the race.
  const owner = pg;
  const revision = owner.revision;
  const seed = state.seed;
  ui.setRaceStatus('Running…');
  const draw = (results) => {
    drawRaceChart(ui.panelCanvas('race'), results);
    drawSnapshots(ui.raceSnapshots(), results);
  };
  const cancelled = () => generation !== racesStarted || !state.race || pg !== owner || owner.revision !== revision;
  runRace(owner, racers, draw, cancelled).then(
    (results) => {
      if (!results) {
        if (generation === racesStarted && state.race) ui.setRaceStatus('The settings changed during the race: press Run to race again.');
        return;
      }
      racesFinished += 1;
      ui.setRaceStatus(
        `${racers.length} samplers × ${RACE_BUDGETS.length} budgets, 1,024 particles each, from the same noise (seed ${seed}).`,
      );
    },
    (error) => ui.setRaceStatus(`The race failed: ${messageOf(error)}`),
  );
}

/** Redraws the space-time view (when open), recomputing it when its settings changed. */
function drawSpaceTimeView() {
  if (!state.spacetime || !pg) return;
  const key = String(pg.revision);
  if (key !== spaceTimeKey) {
    spaceTimePicture = pg.space_time();
    spaceTimeKey = key;
  }
  drawSpaceTime(ui.panelCanvas('spacetime'), spaceTimePicture, pg.time_fraction);
}

/**
 * The distance readout: once a run is done, the sliced Wasserstein distance of its first
 * DISTANCE_SAMPLES particles to as many fresh data samples, next to the distance between two data
 * samples of that size (the floor a perfect sampler reaches). Cleared while a run is under way.
 */
function measureDistance() {
  if (!pg.done) {
    if (distanceMeasured) ui.setDistance(null);
    distanceMeasured = false;
    return;
  }
  if (distanceMeasured) return;
  distanceMeasured = true;
  const owner = pg;
  owner.read_positions().then(
    (positions) => {
      if (owner !== pg || !pg.done) return;
      const n = Math.min(DISTANCE_SAMPLES, positions.length / 2);
      // Fresh points of what the playground samples (the drawing, when one is in use).
      const { distance, floor } = owner.distance_to_data(positions.subarray(0, 2 * n));
      ui.setDistance(distance, floor);
    },
    (error) => {
      if (owner === pg) runtimeError('Measuring the distance to the data', error);
    },
  );
}

// --- Layers: ghosts and arrows ------------------------------------------------------------------

/**
 * Recomputes the layers that are on (one update at a time; a request during an update runs once
 * it ends, so a playing run keeps its layers current without piling up readbacks).
 */
function refreshLayers() {
  const canvas = ui.layersCanvas();
  if (!state.ghosts && !state.arrows && !state.paths) {
    clearLayers(canvas);
    return;
  }
  if (!pg || creating) return;
  if (layersBusy) {
    layersAgain = true;
    return;
  }
  layersBusy = true;
  const owner = pg;
  const wanted = { ghosts: state.ghosts, arrows: state.arrows, paths: state.paths, lens: state.lens };
  // A new run (reset, new options, the time slider) starts new trajectories.
  const [step, fraction] = [owner.step_index, owner.time_fraction];
  if (step < trajectories.lastStep || (step === trajectories.lastStep && fraction !== trajectories.lastFraction) || step === 0) {
    trajectories.snapshots = [];
  }
  const colourKey = `${state.seed}/${state.palette}`;
  if (trajectories.colourKey !== colourKey) {
    trajectories.colours = wasm.particle_colours(state.seed, PATH_PARTICLES, state.palette);
    trajectories.colourKey = colourKey;
  }
  const recordStep = step !== trajectories.lastStep || trajectories.snapshots.length === 0;
  [trajectories.lastStep, trajectories.lastFraction] = [step, fraction];
  let requests;
  try {
    requests = [
      wanted.ghosts ? owner.predict('x0', LAYER_PARTICLES) : null,
      wanted.arrows ? owner.predict(LENSES[state.lens].target, LAYER_PARTICLES) : null,
      wanted.paths && recordStep ? owner.read_positions(PATH_PARTICLES) : null,
    ];
  } catch (error) {
    layersBusy = false;
    runtimeError('Drawing the layers', error);
    return;
  }
  Promise.all(requests)
    .then(([ghosts, arrows, positions]) => {
      if (owner !== pg) return;
      if (positions) trajectories.snapshots.push(positions);
      const paths = state.paths ? { snapshots: trajectories.snapshots, colours: trajectories.colours } : null;
      const arrowsNow = state.arrows && state.lens === wanted.lens ? arrows : null;
      drawLayers(ui.layersCanvas(), state.ghosts ? ghosts : null, arrowsNow, paths, LENSES[wanted.lens]);
      layersDrawn += 1;
    })
    .catch((error) => {
      if (owner === pg) runtimeError('Drawing the layers', error);
    })
    .finally(() => {
      layersBusy = false;
      if (layersAgain) {
        layersAgain = false;
        refreshLayers();
      }
    });
}

// --- Drawing your own data ------------------------------------------------------------------------

function drawStatus(text) {
  document.getElementById('draw-status').textContent = text;
}

/**
 * Makes `points` the data: with a trained network when `useNetwork(pg)` installs one, else with
 * the exact score (the learned score needs a network trained on the drawing, so `mlp` switches
 * to `exact`).
 * @returns {boolean} whether it worked
 */
function applyDrawing(points, useNetwork = null) {
  if (!pg || creating) return false;
  try {
    if (useNetwork) {
      useNetwork(pg);
    } else {
      if (state.score === 'mlp') {
        pg.set_options({ score: 'exact' });
        state.score = 'exact';
      }
      pg.use_drawing(draw.flatten(points));
    }
  } catch (error) {
    ui.notice(`The drawing was not used: ${messageOf(error)}`, 'error');
    return false;
  }
  state.drawn = draw.encodeDrawing(points);
  state.t = 1;
  pendingT = null;
  ui.setValues(state);
  dirty = true;
  requestFrame();
  writeHashSoon();
  return true;
}

/** Adam steps queued on the GPU per tick (then the page waits for that chunk's loss). */
const GPU_STEPS_PER_TICK = 25;

/** After training: sample with the network, say how it went, keep the report for tests. */
function finishTraining(points, useNetwork, losses, every, steps, seconds, where) {
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  // First: the loss at the start (the first 20 steps on the CPU; the first step on the GPU, which
  // reports one loss per chunk). Last: the last 100 steps.
  const first = every === 1 ? mean(losses.slice(0, 20)) : losses[0];
  trainingReport = { first, last: mean(losses.slice(-Math.max(1, Math.round(100 / every)))), steps, seconds: Number(seconds), where };
  if (!applyDrawing(points, useNetwork)) return;
  if (state.score !== 'mlp') {
    pg.set_options({ score: 'mlp' });
    state.score = 'mlp';
    ui.setValues(state);
  }
  drawStatus(`Trained ${steps} steps in ${seconds} s on this device (${where}); the learned score now samples your drawing.`);
  trainingsFinished += 1;
  setPlaying(true);
}

/** Trains on the playground's GPU (the WGSL training kernels), a chunk of steps per tick. */
async function trainOnGpu(points, steps, run) {
  const owner = pg;
  const gpu = owner.gpu_training(draw.flatten(points), steps, TRAIN_BATCH, state.seed);
  const losses = [];
  try {
    while (gpu.step < gpu.steps) {
      if (training !== run || pg !== owner) return;
      // One step first, so the curve starts at the untrained loss.
      gpu.run(gpu.step === 0 ? 1 : GPU_STEPS_PER_TICK);
      losses.push(await gpu.loss());
      draw.drawLoss(document.getElementById('draw-loss'), losses, steps, GPU_STEPS_PER_TICK);
      drawStatus(`Training on your ${points.length} points on the GPU: step ${gpu.step} of ${steps}…`);
    }
    const weights = await gpu.weights();
    if (training !== run || pg !== owner) return;
    training = null;
    const seconds = ((performance.now() - run.started) / 1000).toFixed(1);
    finishTraining(points, (p) => p.use_weights(draw.flatten(points), weights), losses, GPU_STEPS_PER_TICK, steps, seconds, 'WebGPU');
  } finally {
    gpu.free();
  }
}

/**
 * Trains a network on the drawing, on the GPU where the playground runs on WebGPU (else on the
 * CPU inside the wasm), a tick of Adam steps at a time, then samples with it.
 */
function startTraining() {
  const points = [...strokes.points];
  if (points.length === 0) {
    drawStatus('Draw something first (press Draw, then draw on the picture).');
    return;
  }
  const steps = Number(document.getElementById('train-steps').value);
  if (!Number.isInteger(steps) || steps < 100 || steps > 20000) {
    drawStatus('Steps must be a whole number from 100 to 20,000.');
    return;
  }
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
    trainer = new wasm.Trainer(draw.flatten(points), steps, TRAIN_BATCH, state.seed);
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
    draw.drawLoss(document.getElementById('draw-loss'), trainer.losses(), trainer.steps);
    if (trainer.step < trainer.steps) {
      drawStatus(`Training on your ${points.length} points: step ${trainer.step} of ${trainer.steps}…`);
      setTimeout(tick, 0);
      return;
    }
    const seconds = ((performance.now() - run.started) / 1000).toFixed(1);
    training = null;
    finishTraining(points, (p) => p.use_trainer(trainer), Array.from(trainer.losses()), 1, trainer.steps, seconds, 'CPU');
    trainer.free();
  };
  tick();
}

/** Wires the drawing panel: draw mode, clear, use, train, JSON export and import. */
function setUpDrawing() {
  const surface = document.getElementById('draw-surface');
  strokes = draw.strokeRecorder(surface, (points) => {
    draw.drawStrokes(surface, points);
    drawStatus(`${points.length} point${points.length === 1 ? '' : 's'} drawn${points.length >= draw.MAX_POINTS ? ' (the most a drawing holds)' : ''}.`);
  });
  const mode = document.getElementById('draw-mode');
  const setMode = (on) => {
    mode.setAttribute('aria-pressed', String(on));
    surface.classList.toggle('drawing', on);
    if (on) {
      setPlaying(false);
      // The panel sits below the picture: bring the picture into view to draw on it.
      surface.scrollIntoView({ block: 'nearest', behavior: 'instant' });
    }
  };
  mode.addEventListener('click', () => setMode(mode.getAttribute('aria-pressed') !== 'true'));
  document.getElementById('draw-clear').addEventListener('click', () => strokes.clear());
  document.getElementById('draw-use').addEventListener('click', () => {
    if (strokes.points.length === 0) drawStatus('Draw something first.');
    else if (applyDrawing([...strokes.points])) setPlaying(true);
  });
  document.getElementById('draw-train').addEventListener('click', () => startTraining());
  const json = /** @type {HTMLTextAreaElement} */ (document.getElementById('draw-json'));
  document.getElementById('draw-export').addEventListener('click', () => {
    json.value = draw.drawingToJson(strokes.points);
    download(new Blob([json.value], { type: 'application/json' }), 'drawing.json');
  });
  const importText = (text) => {
    const parsed = draw.drawingFromJson(text);
    if (!parsed.ok) {
      ui.notice(`That drawing was not imported: ${parsed.problem}.`, 'error');
      return;
    }
    strokes.set(parsed.points);
    applyDrawing(parsed.points);
  };
  document.getElementById('draw-import').addEventListener('click', () => importText(json.value));
  document.getElementById('draw-file').addEventListener('change', async (event) => {
    const file = event.target.files?.[0];
    if (file) importText(await file.text());
  });
  return (open) => {
    surface.hidden = !open;
    if (!open) setMode(false);
    else draw.drawStrokes(surface, strokes.points);
  };
}

// --- Share and export ---------------------------------------------------------------------------

/** The picture now (particles and layers) as a PNG blob: rendered and captured in one task. */
function pngNow() {
  if (!pg || creating) return Promise.reject(new Error('the playground is not running'));
  pg.render();
  return canvasPng(ui.canvas(), ui.layersCanvas());
}

async function copyWithFallback(text, what) {
  if (await copyText(text)) ui.notice(`${what} is on the clipboard.`, 'info');
  else ui.notice(`${what} (copy it from here): ${text}`, 'info');
}

// --- User actions -----------------------------------------------------------------------------

/** Runs `action` on the Playground now; reports a failure as a notice. */
function act(what, action) {
  if (!pg || creating) return false;
  try {
    action(pg);
    dirty = true;
    requestFrame();
    return true;
  } catch (error) {
    runtimeError(what, error);
    return false;
  }
}

const handlers = {
  /** A settings control changed to the raw value `raw`. */
  change(name, raw) {
    const field = FIELD[name];
    const parsed = parseField(field, raw);
    if (!parsed.ok) {
      ui.notice(`${field.label}: ${parsed.problem}.`, 'warn');
      ui.setValue(name, state[name]);
      return;
    }
    applyChanges({ [name]: parsed.value });
  },
  /**
   * The time slider moved to `u`, a fraction of the schedule's time range: show the
   * forward-noised data there (at the next frame), paused.
   */
  time(u) {
    if (!pg || creating) return;
    setPlaying(false);
    pendingT = u;
    state.t = u;
    state.playing = false;
    requestFrame();
    writeHashSoon();
  },
  play() {
    if (!pg || creating) return;
    if (!playing && pg.done) {
      // Play after the end starts a new run from the prior.
      if (!act('Reset', (p) => p.reset())) return;
      state.t = 1;
    }
    setPlaying(!playing);
    state.playing = playing;
    writeHashSoon();
  },
  step() {
    setPlaying(false);
    act('A reverse step', (p) => p.step(1));
  },
  reset() {
    setPlaying(false);
    pendingT = null;
    if (act('Reset', (p) => p.reset())) {
      state.t = 1;
      state.playing = false;
      writeHashSoon();
    }
  },
  reseed() {
    applyChanges({ seed: crypto.getRandomValues(new Uint32Array(1))[0] });
  },
  share() {
    publishState();
    copyWithFallback(shareUrl(toHash(state)), 'The link to this view');
  },
  embed() {
    publishState();
    const { iframe, element } = embedSnippets(toHash(state));
    ui.showEmbedDialog(iframe, element);
  },
  copy(text, what) {
    copyWithFallback(text, what);
  },
  png() {
    pngNow().then(
      (blob) => download(blob, `diffusion-playground-${state.dataset}-${state.sampler}.png`),
      (error) => ui.notice(`The PNG could not be made: ${messageOf(error)}`, 'error'),
    );
  },
  record() {
    if (recording) {
      const current = recording;
      recording = null;
      ui.setRecording(false);
      current.stop().then((blob) => download(blob, `diffusion-playground-${state.dataset}-${state.sampler}.webm`));
      return;
    }
    if (!WebmRecorder.supported()) {
      ui.notice('This browser cannot record the canvas as a video (no MediaRecorder or captureStream).', 'error');
      return;
    }
    try {
      recording = new WebmRecorder(ui.canvas());
      ui.setRecording(true);
      if (!playing) handlers.play();
    } catch (error) {
      ui.notice(`Recording could not start: ${messageOf(error)}`, 'error');
    }
  },
};

/**
 * Applies validated changes of state fields: options go to the Playground (a backend change
 * re-creates it), then t and playing. A rejected option is reported and its control restored.
 */
function applyChanges(changes) {
  if (!pg || creating) return;
  const next = { ...state, ...changes };
  if (next.backend !== state.backend) {
    start(next).catch((error) => fail(`The playground could not restart: ${messageOf(error)}`));
    return;
  }
  const options = {};
  for (const [name, v] of Object.entries(changes)) {
    if (FIELD[name].option && state[name] !== v) options[name] = v;
  }
  if (Object.keys(options).length > 0) {
    try {
      pg.set_options(options);
    } catch (error) {
      ui.notice(`That setting was not applied: ${messageOf(error)}`, 'error');
      ui.setValues(state);
      return;
    }
    Object.assign(state, options);
    // Any option but the look of the dots restarts the run from the prior.
    if (Object.keys(options).some((name) => name !== 'point_size' && name !== 'palette')) {
      state.t = 1;
      pendingT = null;
      fence = null;
    }
  }
  if ('t' in changes && changes.t !== state.t) {
    if (changes.t < 1) pendingT = changes.t;
    else act('Reset', (p) => p.reset());
    state.t = changes.t;
  }
  if ('playing' in changes) {
    setPlaying(changes.playing);
    state.playing = changes.playing;
  }
  // Choosing a dataset ends a drawing (the wasm has dropped it).
  if ('dataset' in options) state.drawn = '';
  // Page-only fields (layers, theme, interface, hide flags) only change the look.
  for (const [name, v] of Object.entries(changes)) {
    if (!FIELD[name].option && name !== 't' && name !== 'playing') state[name] = v;
  }
  ui.setValues(state);
  dirty = true;
  requestFrame();
  writeHashSoon();
}

/** The user edited the address bar: apply the new hash like a set of control changes. */
function onHashChange() {
  const { state: wanted, notices } = parseHash(location.hash);
  for (const text of notices) ui.notice(text, 'warn');
  const changes = {};
  for (const name of Object.keys(wanted)) {
    if (wanted[name] !== state[name]) changes[name] = wanted[name];
  }
  if (Object.keys(changes).length > 0) applyChanges(changes);
}

// --- Start-up ---------------------------------------------------------------------------------

/**
 * Embedded widgets pause while scrolled out of view and resume when back (a page of course notes
 * with many widgets then animates only the ones being read).
 */
function pauseWhileOffscreen() {
  const observer = new IntersectionObserver((entries) => {
    const visible = entries.some((entry) => entry.isIntersecting);
    if (!visible && !offscreen) {
      offscreen = true;
      if (playing) {
        setPlaying(false);
        offscreen = 'was-playing';
      }
    } else if (visible && offscreen) {
      const resume = offscreen === 'was-playing';
      offscreen = false;
      if (resume && pg && !creating) setPlaying(true);
    }
  });
  observer.observe(document.getElementById('canvas-frame'));
}

async function main() {
  if (EMBEDDED) document.body.classList.add('embed');
  ui.setPlaying(false);
  ui.setEnabled(false);
  ui.setOverlay('Loading the WebAssembly module…');
  try {
    wasm = await import(PKG_URL);
    await wasm.default();
  } catch (error) {
    fail(
      `The WebAssembly module could not be loaded (${messageOf(error)}). ` +
        'If you are serving a checkout, build it first with: cargo xtask build-wasm',
    );
    return;
  }
  Object.assign(window.dp, {
    describe: wasm.describe,
    dataset_sample: wasm.dataset_sample,
    /** The whole wasm module (its free functions: describe, dataset_sample, compare_paths, ...). */
    wasm,
    sliced_wasserstein: wasm.sliced_wasserstein,
  });
  // The wasm owns the lists of datasets, schedules, samplers, ...: the table needs them to parse.
  description = wasm.describe();
  useDescription(description);

  ui.build(DEFAULT_RACERS);
  ui.onRaceRun(() => {
    if (pg && !creating) startRace();
  });
  const parsed = parseHash(location.hash);
  for (const text of parsed.notices) ui.notice(text, 'warn');
  state = parsed.state;
  const linkSaysPlaying = new URLSearchParams(location.hash.replace(/^#/, '')).has('playing');
  if (!linkSaysPlaying && state.playing && matchMedia('(prefers-reduced-motion: reduce)').matches) {
    state.playing = false;
    ui.notice('Paused at the start because your system asks for reduced motion: press Play to run.', 'info');
  }
  if (EMBEDDED) pauseWhileOffscreen();
  ui.setValues(state);
  ui.bind(handlers);
  const showDrawing = setUpDrawing();
  showDrawing(state.draw);
  ui.onPanelToggle((name, open) => {
    if (name === 'draw') showDrawing(open);
    if (open === state[name]) return;
    state[name] = open;
    writeHashSoon();
    if (pg && !creating) {
      try {
        if (name === 'lab') drawLab();
        else if (name === 'spacetime') drawSpaceTimeView();
        else if (name === 'formulas') updateFormulas();
        else if (name === 'density') updateDensity();
        else if (open) startRace();
      } catch (error) {
        ui.notice(`The ${FIELD[name].label.toLowerCase()} could not be drawn: ${messageOf(error)}`, 'error');
      }
    }
  });
  ui.onResize(() => {
    if (pg && !creating && ui.sizeCanvas()) {
      dirty = true;
      requestFrame();
    }
  });
  window.addEventListener('hashchange', onHashChange);
  await start(state);
}

main().catch((error) => fail(`Diffusion Playground failed to start: ${messageOf(error)}`));
