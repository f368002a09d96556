// @ts-check
// host.js: where the Playground comes from and what happens to it. Creation with a ladder of
// safer settings when it fails (without the field the error names, then the automatic backend,
// then the defaults, then the defaults on the CPU); a lost GPU device (restart once on WebGPU,
// then on the CPU), watched for even while paused; the automatic backend's timing of both paths
// on a software adapter; and, embedded, pausing while scrolled out of view.

import * as ui from './controls.js';
import { firstFrame, page, running } from './page.js';
import { applyTunedShape, kernelTuning, tuneKernels } from './kernel-tuning.js';
import { fail, isDivergence, messageOf } from './errors.js';
import { noiseTo } from './noising.js';
import { FIELD, byName, defaultState, toOptions } from './state.js';
import { readoutsAreStale, redraw, requestFrame, restartPacing, setPlaying } from './frame-loop.js';
import { applyHash, takeQueuedHash } from './store.js';
import { record } from './record.js';
import { publishState, writeHashSoon } from './address-bar.js';
import { useLinkCondition, useLinkDrawing } from './drawing-feature.js';
import { useLinkNetwork } from './network-file.js';
import { ensureConditionalNetwork, needsConditionalNetwork } from './conditional-networks.js';
import { ensureNetwork } from './networks.js';
import { startRace } from './view-race.js';
import { runWaitingCommands } from './actions.js';
import { loadModule } from './wasm-module.js';

/** How often a lost GPU device is looked for while the page is idle (ms). */
const WATCHDOG_MS = 1000;

/** Whether the current canvas has handed out a context (then a retry needs a fresh one). */
let canvasUsed = false;
/** GPU devices lost so far; the first loss restarts on WebGPU, the next one on the CPU. */
let devicesLost = 0;
/**
 * The automatic backend on a software WebGPU adapter starts on the CPU, then times both paths
 * (`compare_paths`) while the first frame is up: the result, kept for later restarts, or null.
 * @type {import('../pkg/diffusion_playground.js').PathComparison | null}
 */
let pathComparison = null;

/** What the automatic backend measured on a software adapter (null before, or elsewhere). */
export function measuredPaths() {
  return pathComparison;
}

/** Why the GPU device was lost, or null while it is fine (or on the CPU). */
export function deviceLost() {
  const { pg } = page;
  return pg && typeof pg.device_lost === 'string' ? pg.device_lost : null;
}

/**
 * A step, a render or a view failed (the `run-failed` event): pause and say what failed, or say
 * why the run was stopped (particles that left the finite range: src/core/runaway.rs); a lost
 * GPU device restarts instead.
 * @param {{ what: string, error: unknown }} failure
 */
export function handleRunFailure({ what, error }) {
  setPlaying(false);
  record({ playing: false });
  const message = messageOf(error);
  if (deviceLost()) recoverFromLostDevice();
  else if (isDivergence(error)) ui.notice(`The run was stopped: ${message}.`, 'error');
  else ui.notice(`${what} failed: ${message}`, 'error');
}

/** Restarts after a lost GPU device: once more on WebGPU, after that on the CPU. */
export function recoverFromLostDevice() {
  const reason = deviceLost();
  if (!reason || page.creating) return;
  devicesLost += 1;
  /** @type {import('./state.js').State} */
  const next = devicesLost === 1 ? { ...page.state } : { ...page.state, backend: 'cpu' };
  ui.notice(
    `The GPU device was lost (${reason.replace(/\.$/, '')}). ` +
      `Restarting the playground${next.backend === 'cpu' ? ' on the CPU' : ''}.`,
    'error',
  );
  start({ ...next, t: 1 }).catch((e) => fail(`The playground could not restart: ${messageOf(e)}`));
}

/**
 * Watchdog: a lost device is noticed even while paused, and a run moved from the console (or a
 * test) through window.dp.playground is drawn and shown in the readouts.
 */
export function watchTheDevice() {
  setInterval(() => {
    if (!page.pg || page.creating) return;
    if (deviceLost()) recoverFromLostDevice();
    else if (!page.playing && !page.dirty && readoutsAreStale()) redraw();
  }, WATCHDOG_MS);
}

/**
 * Options objects equal field by field.
 * @param {import('./state.js').State} a
 * @param {import('./state.js').State} b
 */
function sameOptions(a, b) {
  const x = toOptions(a);
  const y = toOptions(b);
  return Object.keys(x).every((k) => x[k] === y[k]);
}

/**
 * The option a failure was about: the `field` of the wasm's refusal (an Error carrying `field`,
 * `value` and `allowed`) or of the page's own (a network file that could not be fetched), if it
 * is an option of the table.
 * @param {unknown} error
 */
function fieldOf(error) {
  const field = error instanceof Error ? /** @type {{ field?: unknown }} */ (error).field : undefined;
  return typeof field === 'string' && Object.hasOwn(FIELD, field) && FIELD[field].option ? field : null;
}

/**
 * An Error about the option `field` (what `fieldOf` reads).
 * @param {string} field
 * @param {string} message
 */
function optionFailure(field, message) {
  return Object.assign(new Error(message), { field });
}

/**
 * "steps 100, backend cpu": the fields where `used` differs from `wanted`.
 * @param {import('./state.js').State} wanted
 * @param {import('./state.js').State} used
 */
function describeFallback(wanted, used) {
  const changed = Object.keys(toOptions(used)).filter((k) => byName(wanted)[k] !== byName(used)[k]);
  return changed.map((k) => `${k} ${byName(used)[k]}`).join(', ') || 'the default settings';
}

/**
 * Creates the Playground for `wanted`, retrying with safer settings when that fails. With
 * `offstage`, the first try is made on a canvas outside the page, which replaces the one shown
 * only once the Playground exists (the move onto the full module keeps the first frame up
 * meanwhile).
 * @param {import('./state.js').State} wanted
 * @param {boolean} offstage
 * @returns {Promise<import('./state.js').State | null>} the state that worked, or null when nothing did
 */
async function createPlayground(wanted, offstage) {
  const defaults = { ...defaultState(), t: wanted.t, playing: wanted.playing };
  /** @type {import('./state.js').State[]} */
  const tried = [];
  /** @type {import('./state.js').State | null} */
  let candidate = wanted;
  while (candidate) {
    tried.push(candidate);
    const behindTheScenes = offstage && tried.length === 1;
    const canvas = behindTheScenes ? ui.offstageCanvas() : canvasUsed ? ui.freshCanvas() : ui.canvas();
    if (!behindTheScenes) {
      ui.sizeCanvas(canvas);
      ui.setOverlay(candidate.backend === 'cpu' ? 'Starting…' : 'Starting… (looking for WebGPU)');
    }
    canvasUsed = true;
    /** @type {string | null} The option the failure was about. */
    let field = null;
    try {
      const options = toOptions(candidate);
      // A drawing's classes exist once the drawing is in use: its guidance comes after it.
      if (candidate.drawn) Object.assign(options, { guidance: 'none', class: '' });
      // The automatic choice already timed WebGPU faster on this software adapter: use it.
      if (candidate.backend === 'auto' && pathComparison?.winner === 'webgpu') options.backend = 'webgpu';
      // The dataset's network for the schedule (the wasm embeds only the default's). A file that
      // cannot be fetched names the field to fall back on: the dataset, or for the default
      // dataset the schedule.
      const { dataset, schedule } = candidate;
      await ensureNetwork(dataset, schedule).catch((error) => {
        const failing = dataset === FIELD.dataset.default ? 'schedule' : 'dataset';
        throw optionFailure(failing, `invalid option '${failing}': the network of ${dataset} with ${schedule} could not be fetched (${messageOf(error)})`);
      });
      // Classifier-free guidance with the network needs the dataset's class-conditional network.
      if (needsConditionalNetwork(candidate)) {
        await ensureConditionalNetwork(dataset).catch((error) => {
          throw optionFailure('guidance', `invalid option 'guidance': "cfg" with the network needs the class-conditional network of ${dataset}, which could not be fetched (${messageOf(error)})`);
        });
      }
      const created = await page.wasm.Playground.create(canvas, options);
      if (behindTheScenes) ui.showCanvas(canvas);
      page.pg?.free();
      page.pg = created;
      if (candidate !== wanted) ui.notice(`Started with ${describeFallback(wanted, candidate)} instead.`, 'warn');
      return candidate;
    } catch (error) {
      ui.notice(`The playground could not start: ${messageOf(error)}`, 'error');
      field = fieldOf(error);
    }
    // Next: without the field the failure was about, then with the automatic backend instead of
    // a forced WebGPU, then the defaults, then the defaults on the CPU.
    /** @type {import('./state.js').State} */
    const current = candidate;
    /** @type {Array<import('./state.js').State | null | false>} */
    const fallbacks = [
      field ? { ...current, [field]: FIELD[field].default } : null,
      current.backend === 'webgpu' && { ...current, backend: 'auto' },
      defaults,
      { ...defaults, backend: 'cpu' },
    ];
    candidate = fallbacks.find((next) => next && !tried.some((seen) => sameOptions(seen, next))) || null;
  }
  return null;
}

/**
 * Creates (or re-creates) the Playground for `wanted` and starts showing it. With `offstage`, the
 * Playground shown stays up until the new one exists (`createPlayground`).
 * @param {import('./state.js').State} wanted
 * @param {{ offstage?: boolean }} [how]
 */
export async function start(wanted, { offstage = false } = {}) {
  page.creating = true;
  setPlaying(false);
  ui.setEnabled(false);
  restartPacing();
  page.pendingT = null;
  if (page.pg && !offstage) {
    page.pg.free();
    page.pg = null;
  }
  const used = await createPlayground(wanted, offstage);
  if (!used && page.pg) {
    page.pg.free();
    page.pg = null;
  }
  page.creating = false;
  if (!used) {
    fail('Diffusion Playground could not start, not even on the CPU with the default settings (see the messages above).');
    return;
  }
  page.state = { ...used };
  page.runStart = 1;
  const pg = running();
  const { state } = page;
  ui.setBackendBanner(pg.backend === 'cpu', pg.backend_note);
  // The first-frame module only shows the first frame (at the link's time): the rest waits for
  // the full module (`moveOntoFullModule`), which a link with a drawing, a network or a race
  // starts on (main.js).
  if (page.module !== 'full') {
    ui.setValues(state);
    ui.setOverlay(null);
    showLinkTime(state.t);
    redraw();
    return;
  }
  if (pg.paths_to_compare) {
    if (pathComparison) ui.setBackendBanner(true, comparisonNote(pathComparison));
    else firstFrame.then(() => comparePaths(pg));
  }
  // On a hardware WebGPU adapter: the measured fastest shape of the MLP kernels.
  if (pg.backend === 'webgpu') {
    if (kernelTuning()) applyTunedShape(pg);
    else firstFrame.then(() => tuneKernels());
  }
  ui.setValues(state);
  ui.setEnabled(true);
  ui.setOverlay(null);
  // A link's drawing, then its network (the drawing's, or in place of the embedded one), then
  // the guidance toward one of the drawing's classes, then its time: in this order, all before
  // the first frame (each of the first three restarts the run, so the time comes last).
  const linkTime = state.t;
  const condition = { guidance: state.guidance, class: state.class };
  if (state.drawn) {
    record({ guidance: 'none', class: '' });
    useLinkDrawing();
    if (!state.drawn && condition.guidance !== 'none') {
      ui.notice(`The link's guidance (${condition.guidance} toward ${condition.class || 'a class'} of its drawing) was not used, since its drawing was not: the run is unguided.`, 'warn');
    }
  }
  if (state.net) useLinkNetwork();
  if (state.drawn) useLinkCondition(condition);
  showLinkTime(linkTime);
  // A widget whose link says play, created while scrolled out of view, starts once it is seen.
  if (state.playing && page.offscreen) page.offscreen = 'was-playing';
  setPlaying(state.playing && !page.offscreen);
  redraw();
  // A hash asked for while this one was being created is newer than `wanted`: apply it, then
  // publish (or leave that to the re-creation it started).
  const queued = takeQueuedHash();
  if (queued !== null) {
    applyHash(queued, wanted.backend);
    if (page.creating) return;
  }
  publishState();
  if (page.state.race) startRace();
  runWaitingCommands();
}

/**
 * Shows the data noised to the link's time `linkTime` (a fraction of the time range; 1, the prior
 * noise, needs nothing).
 * @param {number} linkTime
 */
function showLinkTime(linkTime) {
  if (linkTime >= 1) return;
  try {
    record({ t: linkTime });
    noiseTo(linkTime);
  } catch (error) {
    ui.notice(`Could not show the data noised to ${linkTime} of the time range: ${messageOf(error)}`, 'error');
    record({ t: 1 });
  }
}

/**
 * Moves the page from the first-frame module onto the full one (wasm-module.js): loads it, then,
 * with `restart`, creates the Playground again on it behind the first frame, which stays up
 * meanwhile (the same settings draw the same particles), and lets the run, the views and the
 * controls go. A full module that cannot be loaded leaves the first frame up and says why.
 * @param {boolean} restart
 */
export async function moveOntoFullModule(restart) {
  // Nothing else is downloaded before the first frame is on screen.
  if (restart) await firstFrame;
  try {
    const loaded = await loadModule('full');
    page.wasm = loaded.wasm;
    page.compiled = loaded.compiled;
  } catch (error) {
    fail(`The rest of the playground could not be loaded (${messageOf(error)}); reload the page to try again.`);
    return;
  }
  page.module = 'full';
  if (restart) await start({ ...page.state }, { offstage: true });
}

/**
 * The banner's text for a comparison that kept the CPU (written by the wasm's backend policy).
 * @param {{ note: string }} c
 */
function comparisonNote(c) {
  return c.note;
}

/**
 * Times WebGPU against the CPU for the playground `started` (the automatic choice on a software
 * adapter started it on the CPU), then keeps the CPU or restarts on WebGPU, saying which and why.
 */
/** @param {import('./page.js').Playground} started */
async function comparePaths(started) {
  page.comparingPaths = true;
  let measured = null;
  try {
    measured = await page.wasm.compare_paths();
  } catch (error) {
    if (page.pg === started) ui.setBackendBanner(true, `${started.backend_note} Timing WebGPU failed (${messageOf(error)}); the playground stays on the CPU.`);
  }
  page.comparingPaths = false;
  if (!measured) return;
  pathComparison = measured;
  if (page.pg !== started || page.state.backend !== 'auto') return;
  if (measured.winner === 'webgpu') {
    ui.notice(measured.note, 'info');
    start({ ...page.state });
  } else {
    ui.setBackendBanner(true, comparisonNote(pathComparison));
    requestFrame();
  }
}

/**
 * Embedded widgets pause while scrolled out of view and resume when back (a page of course notes
 * with many widgets then animates only the ones being read).
 */
export function pauseWhileOffscreen() {
  const observer = new IntersectionObserver((entries) => {
    const visible = entries.some((entry) => entry.isIntersecting);
    if (!visible && !page.offscreen) {
      page.offscreen = true;
      if (page.playing) {
        setPlaying(false);
        page.offscreen = 'was-playing';
      }
    } else if (visible && page.offscreen) {
      const resume = page.offscreen === 'was-playing';
      page.offscreen = false;
      if (resume && page.pg && !page.creating) setPlaying(true);
    }
  });
  observer.observe(/** @type {Element} */ (document.getElementById('canvas-frame')));
}
