// main.js: wires the URL state (state.js) and the DOM (controls.js) to the wasm Playground.
//
// Start-up: parse the hash (bad fields fall back to their defaults, with a notice), load the wasm,
// create the Playground on a canvas sized for the device pixel ratio, and start the animation
// loop. When creation fails the page says why and retries: without the field the error names,
// then with the default settings, then on the CPU. It never leaves a blank page without a reason.
//
// Calls into the wasm: keep in sync with `src/web/bindings.rs`.
//
// For tests, `window.dp` exposes the running Playground and the wasm's free functions, and
// `document.body.dataset.state` is "loading", "ready" or "error".

import { FIELD, defaultState, parseField, parseHash, toOptions, writeHash } from './state.js';
import * as ui from './controls.js';

/** The wasm-bindgen module (built by `cargo xtask build-wasm`). */
const PKG_URL = new URL('../pkg/diffusion_playground.js', import.meta.url).href;

/** A frame that takes longer than this (ms) gets fewer reverse steps next time. */
const FRAME_BUDGET_MS = 30;
/** Bounds of the adaptive number of reverse steps per animation frame. */
const MIN_STEPS_PER_FRAME = 1;
const MAX_STEPS_PER_FRAME = 20;
/** A run is spread over at least this many frames (about two seconds), so the flow stays visible. */
const MIN_FRAMES_PER_RUN = 120;
/** rAF gaps longer than this (ms) are a hidden tab, not a slow frame. */
const MAX_MEANINGFUL_GAP_MS = 500;
/** Delay before the address bar follows a burst of changes (ms); browsers throttle replaceState. */
const HASH_WRITE_DELAY_MS = 120;

// --- State of the page ------------------------------------------------------------------------

/** The wasm module namespace once loaded. */
let wasm = null;
/** The running Playground, or null while (re)creating. */
let pg = null;
/** The full UI state (the table of state.js); what the hash shows. */
let state = defaultState();
let playing = false;
/** Something changed since the last render. */
let dirty = true;
let stepsPerFrame = MIN_STEPS_PER_FRAME;
let lastFrameAt = null;
let lastFrameStepped = false;
let frameRequest = 0;
let hashTimer = 0;
/** True while the page is waiting for a Playground (create or recreate). */
let creating = false;
/** Whether the current canvas has handed out a context (then a retry needs a fresh one). */
let canvasUsed = false;

let resolveReady;
let rejectReady;
const ready = new Promise((resolve, reject) => {
  resolveReady = resolve;
  rejectReady = reject;
});
// Tests await it; the page itself reports failures through notices, not an unhandled rejection.
ready.catch(() => {});
let readyDone = false;

/** What tests (and curious people in the console) can reach. */
window.dp = {
  ready,
  playground: null,
  describe: null,
  dataset_sample: null,
  sliced_wasserstein: null,
  /** A copy of the UI state. */
  state: () => ({ ...state }),
  /** Current adaptive steps per frame. */
  stepsPerFrame: () => stepsPerFrame,
};

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
  ui.notice(message, 'error');
  ui.setOverlay(message);
  ui.setEnabled(false);
  document.body.dataset.state = 'error';
  if (!readyDone) {
    readyDone = true;
    rejectReady(new Error(message));
  }
}

/** An error while running (a step, a render): pause and report; a lost device ends the page. */
function runtimeError(what, error) {
  setPlaying(false);
  const lost = pg && typeof pg.device_lost === 'string' ? pg.device_lost : null;
  if (lost) {
    fail(`The GPU device was lost (${lost}). Reload the page, or add backend=cpu to the link.`);
  } else {
    ui.notice(`${what} failed: ${messageOf(error)}`, 'error');
  }
}

// --- The address bar --------------------------------------------------------------------------

function writeHashSoon() {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => writeHash(state), HASH_WRITE_DELAY_MS);
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

/**
 * Creates the Playground for `wanted`, retrying with safer settings when that fails.
 * @returns {Promise<object | null>} the state that worked, or null when nothing did
 */
async function createPlayground(wanted) {
  const defaults = { ...defaultState(), t: wanted.t, playing: wanted.playing };
  const tried = [];
  let candidate = wanted;
  let why = '';
  while (candidate) {
    tried.push(candidate);
    const canvas = canvasUsed ? ui.freshCanvas() : ui.canvas();
    ui.sizeCanvas(canvas);
    canvasUsed = true;
    ui.setOverlay(candidate.backend === 'cpu' ? 'Starting…' : 'Starting… (looking for WebGPU)');
    try {
      pg = await wasm.Playground.create(canvas, toOptions(candidate));
      if (candidate !== wanted) {
        ui.notice(`Started with ${describeFallback(wanted, candidate)} instead.`, 'warn');
      }
      return candidate;
    } catch (error) {
      why = messageOf(error);
      ui.notice(`The playground could not start: ${why}`, 'error');
    }
    // Next: without the field the error names, then the defaults, then the defaults on the CPU.
    const field = fieldNamedIn(why);
    const options = [
      field && { ...candidate, [field]: FIELD[field].default },
      defaults,
      { ...defaults, backend: 'cpu' },
    ];
    candidate = options.find((next) => next && !tried.some((seen) => sameOptions(seen, next))) ?? null;
  }
  return null;
}

/** "steps 100, backend cpu": the fields where `used` differs from `wanted`. */
function describeFallback(wanted, used) {
  const changed = Object.keys(toOptions(used)).filter((k) => wanted[k] !== used[k]);
  return changed.map((k) => `${k} ${used[k]}`).join(', ') || 'the default settings';
}

/** Creates (or re-creates) the Playground for `wanted` and starts showing it. */
async function start(wanted) {
  creating = true;
  ui.setEnabled(false);
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
  if (state.t < 1) {
    try {
      pg.noise_to(state.t);
    } catch (error) {
      ui.notice(`Could not show time t = ${state.t}: ${messageOf(error)}`, 'error');
      state.t = 1;
    }
  }
  ui.setValues(state);
  ui.setEnabled(true);
  ui.setOverlay(null);
  setPlaying(state.playing);
  writeHash(state);
  stepsPerFrame = MIN_STEPS_PER_FRAME;
  dirty = true;
  requestFrame();
}

// --- The animation loop -----------------------------------------------------------------------

function requestFrame() {
  if (!frameRequest) frameRequest = requestAnimationFrame(frame);
}

function setPlaying(on) {
  playing = on;
  ui.setPlaying(on);
  lastFrameAt = null;
  if (on) requestFrame();
}

/**
 * One animation frame: when playing, a few reverse steps (adaptive, so a frame stays under the
 * budget), then a render when anything changed. The loop sleeps while paused and unchanged.
 */
function frame(now) {
  frameRequest = 0;
  if (!pg || creating) return;
  const started = performance.now();
  let stepped = false;
  try {
    if (playing) {
      const cap = Math.max(MIN_STEPS_PER_FRAME, Math.ceil(pg.total_steps / MIN_FRAMES_PER_RUN));
      const taken = pg.step(Math.min(stepsPerFrame, cap));
      stepped = taken > 0;
      dirty ||= stepped;
      if (pg.done) setPlaying(false);
    }
    if (dirty) {
      dirty = false;
      pg.render();
      showReadouts();
      if (!readyDone) {
        readyDone = true;
        document.body.dataset.state = 'ready';
        resolveReady(pg);
      }
    }
  } catch (error) {
    runtimeError(playing ? 'A reverse step' : 'Drawing', error);
  }
  if (stepped) adapt(performance.now() - started, now);
  lastFrameStepped = stepped;
  lastFrameAt = now;
  if (playing || dirty) requestFrame();
}

/**
 * Additive increase, multiplicative decrease of the steps per frame. The cost of a frame is the
 * time spent in it or, when the GPU lags behind, the gap between frames.
 */
function adapt(spentMs, now) {
  let cost = spentMs;
  if (lastFrameStepped && lastFrameAt !== null) {
    const gap = now - lastFrameAt;
    if (gap < MAX_MEANINGFUL_GAP_MS) cost = Math.max(cost, gap);
  }
  if (cost > FRAME_BUDGET_MS) {
    stepsPerFrame = Math.max(MIN_STEPS_PER_FRAME, Math.floor(stepsPerFrame * 0.7));
  } else if (cost < 0.75 * FRAME_BUDGET_MS) {
    stepsPerFrame = Math.min(MAX_STEPS_PER_FRAME, stepsPerFrame + 1);
  }
}

function showReadouts() {
  const t = pg.current_t;
  if (!ui.timeSliderHeld()) ui.setTime(t);
  ui.setReadouts({
    t,
    step: pg.step_index,
    total: pg.total_steps,
    done: pg.done,
    particles: state.particles,
    backend: pg.backend,
    adapter: pg.adapter_name,
  });
}

// --- User actions -----------------------------------------------------------------------------

/** Runs `action` on the Playground; reports a failure as a notice. */
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
  /** The time slider moved: show the forward-noised data at t, paused. */
  time(t) {
    setPlaying(false);
    if (act('Noising to t', (p) => p.noise_to(t))) {
      state.t = t;
      state.playing = false;
      writeHashSoon();
    }
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
    if (act('Reset', (p) => p.reset())) {
      state.t = 1;
      state.playing = false;
      writeHashSoon();
    }
  },
  reseed() {
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    applyChanges({ seed });
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
    // Any option but the dot size restarts the run from the prior.
    if (Object.keys(options).some((name) => name !== 'point_size')) state.t = 1;
  }
  if ('t' in changes && changes.t !== state.t) {
    act('Noising to t', (p) => (changes.t < 1 ? p.noise_to(changes.t) : p.reset()));
    state.t = changes.t;
  }
  if ('playing' in changes) {
    setPlaying(changes.playing);
    state.playing = changes.playing;
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

async function main() {
  ui.build();
  const parsed = parseHash(location.hash);
  for (const text of parsed.notices) ui.notice(text, 'warn');
  state = parsed.state;
  ui.setValues(state);
  ui.setPlaying(false);
  ui.setEnabled(false);
  ui.bind(handlers);
  ui.onResize(() => {
    if (pg && !creating && ui.sizeCanvas()) {
      dirty = true;
      requestFrame();
    }
  });
  window.addEventListener('hashchange', onHashChange);

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
    sliced_wasserstein: wasm.sliced_wasserstein,
  });
  await start(state);
}

main().catch((error) => fail(`Diffusion Playground failed to start: ${messageOf(error)}`));
