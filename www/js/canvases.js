// @ts-check
// canvases.js: the picture's canvases (the particles, the layers over them), sized from their
// box and the device pixel ratio, and a fresh particle canvas when a retry needs one.

import { $ } from './dom.js';

/** Largest canvas side in device pixels (the CPU path rasterises every pixel). */
const MAX_CANVAS_PX = 2048;

/**
 * The transparent canvas of the ghosts and arrows, sized like the particle canvas. Its context is
 * rasterised on the CPU (`willReadFrequently`): on a software GPU a GPU-backed layer copied and
 * composited at every frame took a fifth of the run's time (bench/views.mjs), and the recordings
 * read its pixels anyway.
 */
export function layersCanvas() {
  const layers = /** @type {HTMLCanvasElement} */ ($('layers'));
  // The first call fixes the context's attributes; later calls return the same context.
  layers.getContext('2d', { willReadFrequently: true });
  const particles = canvas();
  if (layers.width !== particles.width || layers.height !== particles.height) {
    layers.width = particles.width;
    layers.height = particles.height;
  }
  return layers;
}

/** The canvas element now on the page. */
export function canvas() {
  return /** @type {HTMLCanvasElement} */ ($('canvas'));
}

/**
 * Replaces the canvas with a new one (a canvas keeps the first kind of context it gave out, so a
 * retry on another backend needs a fresh canvas).
 */
export function freshCanvas() {
  const old = canvas();
  const fresh = /** @type {HTMLCanvasElement} */ (old.cloneNode(false));
  old.replaceWith(fresh);
  return fresh;
}

/**
 * A new canvas like the one shown, with its drawing-buffer size, outside the page: a Playground
 * is created on it while the one shown stays up, then `showCanvas` puts it in its place.
 */
export function offstageCanvas() {
  const old = canvas();
  const offstage = /** @type {HTMLCanvasElement} */ (old.cloneNode(false));
  offstage.width = old.width;
  offstage.height = old.height;
  return offstage;
}

/**
 * Puts `offstage` (from `offstageCanvas`) in place of the canvas shown.
 * @param {HTMLCanvasElement} offstage
 */
export function showCanvas(offstage) {
  const old = canvas();
  if (old !== offstage) old.replaceWith(offstage);
}

/**
 * Sets the canvas's drawing-buffer size from its displayed size and the device pixel ratio.
 * @returns {boolean} true when the size changed
 */
export function sizeCanvas(target = canvas()) {
  const box = target.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  const side = Math.max(1, Math.min(MAX_CANVAS_PX, Math.round(Math.min(box.width, box.height) * ratio)));
  if (target.width === side && target.height === side) return false;
  target.width = side;
  target.height = side;
  return true;
}

/**
 * Calls `callback` when the canvas frame changes size or the pixel ratio changes.
 * @param {() => void} callback
 */
export function onResize(callback) {
  new ResizeObserver(() => callback()).observe($('canvas-frame'));
  window.addEventListener('resize', () => callback());
}
