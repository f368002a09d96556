// @ts-check
// status.js: what the page tells the reader: the readouts, the distance line, the backend
// banner, the overlay on the picture, the notices (plain text only), the embed dialog, the
// legend's note, the Record button's state and the embedded page's "open full page" link.

import { $ } from './dom.js';

/**
 * A time for a readout: three decimals, fewer for large sigmas so it keeps its width.
 * @param {number} t
 */
export function formatTime(t) {
  const value = Number(t);
  return value.toFixed(value >= 10 ? 2 : 3);
}

/**
 * Updates the readouts.
 * @param {{ t: number, step: number, total: number, done: boolean, evaluations: number,
 *           particles: number, backend: string, adapter: string, shape: string, workers: number, build: string, note: string,
 *           ess: number, resamplings: number }} r
 *   `t` is the schedule's own time; `workers` the Web Workers the CPU path steps on (0: the page's thread); `build` the
 *   module's build (wasm-module.js: 'relaxed-simd' is named on the CPU path); `evaluations` the network evaluations per particle so far;
 *   `ess` the SMC weights' effective sample size as a share of the particles (NaN: no SMC run)
 */
export function setReadouts(r) {
  $('readout-ess-row').hidden = !Number.isFinite(r.ess);
  $('readout-ess').textContent = Number.isFinite(r.ess) ? `${(100 * r.ess).toFixed(1)}% · ${r.resamplings} resampling${r.resamplings === 1 ? '' : 's'}` : '–';
  $('readout-t').textContent = formatTime(r.t);
  $('readout-step').textContent = `${r.step} / ${r.total}${r.done ? ' · done' : ''}`;
  $('readout-nfe').textContent = String(r.evaluations);
  $('readout-particles').textContent = r.particles.toLocaleString('en-US');
  const backend = r.backend === 'webgpu' ? 'WebGPU' : 'CPU (WebAssembly)';
  const workers = r.workers > 0 ? `${r.workers} worker${r.workers === 1 ? '' : 's'}` : '';
  const fused = r.backend !== 'webgpu' && r.build === 'relaxed-simd' ? 'relaxed SIMD' : '';
  // On WebGPU, the MLP kernels' shape (workgroup size x weights format: kernel-tuning.js).
  const shape = r.backend === 'webgpu' ? r.shape : '';
  $('readout-backend-name').textContent = [backend, r.adapter || workers, fused, shape].filter(Boolean).join(' · ');
  $('readout-backend-note').textContent = r.note;
  document.body.dataset.done = String(r.done);
}

/**
 * Shows the distance of the particles to fresh data and the data-vs-data floor, or a dash while
 * the run is not done (`distance` null).
 * @param {number | null} distance
 * @param {number} [floor]
 */
export function setDistance(distance, floor) {
  $('readout-distance').textContent = distance === null || floor === undefined ? '–' : `${distance.toFixed(3)} (floor ${floor.toFixed(3)})`;
}

/**
 * Shows the straightness of the run's paths next to the exact flow's (`view`), a dash while the
 * run is not done (`null`), or why a run has none (`why`).
 * @param {import('../pkg/diffusion_playground.js').StraightnessView | null} view
 * @param {string} [why]
 */
export function setStraightness(view, why) {
  const cell = $('readout-straightness');
  if (view === null) {
    cell.textContent = why ?? '–';
    return;
  }
  const { run, exact } = view;
  cell.textContent = `${run.straightness.toPrecision(3)} (exact ${exact.straightness.toPrecision(3)})`;
  cell.title = `S = ${run.straightness.toPrecision(4)} over ${run.paths} paths, ${(100 * run.relative).toFixed(1)}% of their mean squared displacement; mean curvature ${run.mean_curvature.toPrecision(3)} per unit (exact flow: S = ${exact.straightness.toPrecision(4)}, curvature ${exact.mean_curvature.toPrecision(3)})`;
}

/**
 * Shows the banner with `note` when running on the CPU; hides it otherwise.
 * @param {boolean} onCpu
 * @param {string} note
 */
export function setBackendBanner(onCpu, note) {
  $('backend-note').textContent = note;
  $('backend-banner').hidden = !onCpu;
}

/**
 * Shows `text` over the canvas (loading, errors); `null` hides it.
 * @param {string | null} text
 */
export function setOverlay(text) {
  const overlay = $('overlay');
  overlay.hidden = text === null;
  if (text !== null) overlay.textContent = text;
}

/**
 * The notices on the page by their text, so that a repeated text is found in O(1).
 * @type {Map<string, HTMLElement>}
 */
const noticesByText = new Map();

/**
 * Adds a notice. `kind` is 'error', 'warn' or 'info'. The same text is shown once (until its
 * notice is dismissed).
 * @param {string} text
 * @returns {HTMLElement} the notice
 */
export function notice(text, kind = 'warn') {
  const existing = noticesByText.get(text);
  if (existing?.isConnected) return existing;
  const item = document.createElement('p');
  item.className = `notice notice--${kind}`;
  item.dataset.kind = kind;
  const body = document.createElement('span');
  body.className = 'notice-text';
  body.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'notice-close';
  close.setAttribute('aria-label', 'Dismiss');
  close.textContent = '×';
  close.addEventListener('click', () => {
    item.remove();
    if (noticesByText.get(text) === item) noticesByText.delete(text);
  });
  item.append(body, close);
  $('notices').append(item);
  noticesByText.set(text, item);
  return item;
}

/**
 * Shows the embed dialog with the iframe and custom-element snippets.
 * @param {string} iframeCode
 * @param {string} elementCode
 */
export function showEmbedDialog(iframeCode, elementCode) {
  const iframeBox = /** @type {HTMLTextAreaElement} */ ($('embed-code'));
  iframeBox.value = iframeCode;
  /** @type {HTMLTextAreaElement} */ ($('element-code')).value = elementCode;
  const dialog = /** @type {HTMLDialogElement} */ ($('embed-dialog'));
  if (!dialog.open) dialog.showModal();
  iframeBox.select();
}

/**
 * The legend's note on arrows drawn longer than their lens's scale (`factor` 1: no note).
 * @param {number} factor
 */
export function setArrowMagnification(factor) {
  const note = $('arrow-magnification');
  note.hidden = !(factor > 1.01);
  note.textContent = note.hidden ? '' : ` (small here: drawn ${factor.toFixed(factor < 10 ? 1 : 0)}× longer)`;
}

/**
 * Shows whether a video recording is running.
 * @param {boolean} on
 */
export function setRecording(on) {
  const button = $('record');
  button.setAttribute('aria-pressed', String(on));
  button.textContent = on ? 'Stop recording' : 'Record video';
}

/**
 * Points the "open full playground" link (embedded pages) at `href`.
 * @param {string} href
 */
export function setFullPageLink(href) {
  /** @type {HTMLAnchorElement} */ ($('full-page')).href = href;
}
