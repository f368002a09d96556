// @ts-check
// paths.js: draws the paths panel's picture (the wasm's `path_comparison`): the straight
// conditional paths of flow matching in grey, the exact flow's trajectories in white, the run's
// own in the accent colour, on the picture's square.

import { sizeToBox } from './canvas-size.js';

/** World half-width of the picture: the prior's noise reaches about 3. */
const PATHS_HALF_EXTENT = 3.2;

/**
 * Draws `picture` on `canvas`.
 * @param {HTMLCanvasElement} canvas
 * @param {import('../pkg/diffusion_playground.js').PathComparison} picture
 */
export function drawPaths(canvas, picture) {
  const { ratio } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.fillStyle = '#0b0d14';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const scale = Math.min(canvas.width, canvas.height) / (2 * PATHS_HALF_EXTENT);
  const toX = (/** @type {number} */ x) => canvas.width / 2 + x * scale;
  const toY = (/** @type {number} */ y) => canvas.height / 2 - y * scale;
  const { paths, frames, conditional, exact, learned } = picture;
  ctx.lineWidth = 1.2 * ratio;
  ctx.setLineDash([4 * ratio, 3 * ratio]);
  ctx.strokeStyle = 'rgba(180, 180, 190, 0.7)';
  ctx.beginPath();
  for (let i = 0; i < paths; i += 1) {
    ctx.moveTo(toX(conditional[4 * i]), toY(conditional[4 * i + 1]));
    ctx.lineTo(toX(conditional[4 * i + 2]), toY(conditional[4 * i + 3]));
  }
  ctx.stroke();
  ctx.setLineDash([]);
  const trajectories = (/** @type {ArrayLike<number>} */ flat, /** @type {string} */ colour) => {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    for (let i = 0; i < paths; i += 1) {
      for (let k = 0; k < frames; k += 1) {
        const at = 2 * (k * paths + i);
        if (k === 0) ctx.moveTo(toX(flat[at]), toY(flat[at + 1]));
        else ctx.lineTo(toX(flat[at]), toY(flat[at + 1]));
      }
    }
    ctx.stroke();
  };
  trajectories(exact, 'rgba(255, 255, 255, 0.85)');
  const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#7cc4ff';
  ctx.lineWidth = 1.6 * ratio;
  trajectories(learned, accent);
  ctx.fillStyle = '#f5a524';
  for (let i = 0; i < paths; i += 1) ctx.fillRect(toX(conditional[4 * i + 2]) - 2 * ratio, toY(conditional[4 * i + 3]) - 2 * ratio, 4 * ratio, 4 * ratio);
}
