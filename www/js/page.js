// @ts-check
// page.js: what the page's modules share, in one object: the wasm module, the running
// Playground, the state table's values, and the few flags of creation and play. Each field names
// the module that writes it; every other module only reads it. The promises tests await
// (`ready`, `firstFrame`) live here too.

import { defaultState } from './state.js';

/** True on embed.html (index.html?embed=1): minimal chrome, paused while scrolled out of view. */
export const EMBEDDED = new URLSearchParams(location.search).has('embed');
/**
 * Embedded by the <diffusion-playground> element, which sizes its iframe to the content
 * (index.html?embed=1&autosize=1): lay out by width and report the height. Without it an
 * embedded page fits the frame it was given (the iframe snippet's width and height).
 */
export const AUTOSIZE = EMBEDDED && new URLSearchParams(location.search).has('autosize');

/** @typedef {import('../pkg/diffusion_playground.js')} Wasm  the wasm-bindgen module */
/** @typedef {import('../pkg/diffusion_playground.js').Playground} Playground */

/**
 * @typedef {object} Embedder
 * @property {(type: string, detail?: Record<string, unknown>) => void} notify
 * @property {boolean} connected
 */

export const page = {
  /**
   * The wasm-bindgen module namespace (main.js loads it before anything else runs, so it is
   * typed as always there).
   */
  wasm: /** @type {Wasm} */ (/** @type {unknown} */ (null)),
  /**
   * @type {import('./cpu-workers.js').CompiledBuild | null} The compiled module and its glue, for
   * the CPU path's workers (main.js).
   */
  compiled: null,
  /** @type {import('./wasm-module.js').Build} Which build of the module runs (main.js). */
  wasmBuild: 'simd128',
  /**
   * @type {import('./wasm-module.js').ModuleKind} Which module of the build runs: the
   * first-frame one shows the first frame and waits (no steps, no views, controls off) until the
   * page has moved onto the full one (host.js `moveOntoFullModule`).
   */
  module: 'full',
  /** @type {import('../pkg/diffusion_playground.js').Description} What the wasm offers, `describe()`: choices, limits, defaults (main.js). */
  description: /** @type {import('../pkg/diffusion_playground.js').Description} */ (/** @type {unknown} */ (null)),
  /** @type {Playground | null} The running Playground, or null while (re)creating (host.js). */
  pg: null,
  /**
   * @type {import('./state.js').State} The full UI state (the table of state.js): what the hash
   * shows. Changed only through store.js's `applyChanges` and record.js's `record`, which tell
   * `changed`; made whole by main.js (the first link) and host.js (a creation); address-bar.js
   * fills in `net` from the network in use when it writes the link.
   */
  state: defaultState(),
  /** True while the page waits for a Playground (host.js). */
  creating: false,
  /** The reverse run animates (frame-loop.js, through setPlaying). */
  playing: false,
  /** Something changed since the last render (anyone; frame-loop.js clears it). */
  dirty: true,
  /** @type {number | null} A time-slider fraction waiting for the next frame (frame-loop.js applies it). */
  pendingT: null,
  /**
   * Where the current run started, as a fraction of the time range: 1 for the prior noise, below
   * 1 for forward-noised data (a link's `t`, the slider). Reset returns there (host.js sets it in
   * noiseTo, and whatever restarts from the prior sets 1).
   */
  runStart: 1,
  /** The first frame is on screen (frame-loop.js), from either module. */
  firstFrameShown: false,
  /** The page is ready: the full module's first frame is on screen (frame-loop.js). */
  readyDone: false,
  /** The automatic backend is timing both paths; the animation waits (host.js). */
  comparingPaths: false,
  /** @type {false | true | 'was-playing'} Embedded and scrolled out of view (host.js). */
  offscreen: false,
  /** @type {Embedder} The page that embeds this one, or a stand-in that tells nobody (main.js). */
  embedder: { notify() {}, connected: false },
};

/**
 * The running Playground, for code that runs only while there is one (the frame loop, a view,
 * an action past its `page.pg` check); throws if there is none.
 * @returns {Playground}
 */
export function running() {
  if (!page.pg) throw new Error('no playground is running');
  return page.pg;
}

/** @type {(pg: Playground) => void} */
let resolveReady = () => {};
/** @type {(error: Error) => void} */
let rejectReady = () => {};
/** Resolves to the Playground once the first frame is drawn; rejects when the page cannot run. */
export const ready = new Promise((resolve, reject) => {
  resolveReady = resolve;
  rejectReady = reject;
});
// Tests await it; the page itself reports failures through notices, not an unhandled rejection.
ready.catch(() => {});

/** @type {(at: number) => void} */
let resolveFirstFrame = () => {};
/**
 * Resolves to performance.now() when the first frame is on screen: drawn, and on WebGPU the GPU
 * done with it (what the benchmark reports as page-load to first frame).
 */
export const firstFrame = new Promise((resolve) => {
  resolveFirstFrame = resolve;
});

let settled = false;
let firstFrameAnnounced = false;

/**
 * The first frame is drawn (`pg` drew it, with either module): resolve `firstFrame` once the GPU
 * is done.
 * @param {Playground} pg
 */
export function announceFirstFrame(pg) {
  if (firstFrameAnnounced) return;
  firstFrameAnnounced = true;
  const done = () => resolveFirstFrame(performance.now());
  pg.gpu_idle().then(done, done);
}

/**
 * The full module drew its first frame (`pg`): the page is ready, resolve `ready`.
 * @param {Playground} pg
 */
export function announceReady(pg) {
  if (settled) return;
  settled = true;
  resolveReady(pg);
}

/**
 * The page cannot run: reject `ready` (once).
 * @param {string} message
 */
export function announceFailure(message) {
  if (settled) return;
  settled = true;
  rejectReady(new Error(message));
}
