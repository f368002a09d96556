// @ts-check
// density.js: the density view. Left, the particles binned on a 64 x 64 grid over the picture
// (counted on the GPU by `histogram.wgsl` when the particles live there); right, the exact
// probability of each bin under p_t at the particles' time (the data's Gaussian mixture noised
// to t). Both share one colour scale, and the total variation distance between them is printed:
// a perfect sampler leaves only sampling noise.

import { sizeToBox } from './canvas-size.js';

/** Bins per axis. */
export const DENSITY_SIDE = 64;
const GAP = 12;
const LABEL_HEIGHT = 16;

/**
 * The colour of `v` in [0, 1], as [r, g, b].
 * @param {number} v
 * @returns {number[]}
 */
export function heat(v) {
  // Dark blue to yellow through teal (viridis-like stops; readable with colour-vision deficiencies).
  /** @type {Array<[number, number[]]>} */
  const stops = [[0, [11, 13, 20]], [0.25, [59, 82, 139]], [0.5, [33, 145, 140]], [0.75, [94, 201, 98]], [1, [253, 231, 37]]];
  for (let k = 1; k < stops.length; k += 1) {
    if (v <= stops[k][0]) {
      const [p0, c0] = stops[k - 1];
      const [p1, c1] = stops[k];
      const w = (v - p0) / (p1 - p0);
      return c0.map((c, i) => Math.round(c + w * (c1[i] - c)));
    }
  }
  return stops[stops.length - 1][1];
}

/**
 * A DENSITY_SIDE x DENSITY_SIDE canvas of `values` (row by row) on the colour scale up to `scale`.
 * @param {number[] | Float32Array} values
 * @param {number} scale
 */
function image(values, scale) {
  const canvas = document.createElement('canvas');
  canvas.width = DENSITY_SIDE;
  canvas.height = DENSITY_SIDE;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const data = ctx.createImageData(DENSITY_SIDE, DENSITY_SIDE);
  values.forEach((/** @type {number} */ v, /** @type {number} */ k) => data.data.set([...heat(Math.sqrt(Math.min(1, v / scale))), 255], 4 * k));
  ctx.putImageData(data, 0, 0);
  return canvas;
}

/**
 * The total variation distance that sampling noise alone leaves between `total` exact samples and
 * `probabilities`: half the sum over cells of E|c/N - p| with c ~ Binomial(N, p), taken as
 * sqrt(2 p (1 - p) / (pi N)) (normal approximation) capped by 2 p (1 - p), its value when N p is
 * small.
 * @param {number} total
 * @param {Float32Array | number[]} probabilities
 */
export function noiseFloor(total, probabilities) {
  let sum = 0;
  for (const p of probabilities) {
    const v = p * (1 - p);
    sum += Math.min(Math.sqrt((2 * v) / (Math.PI * Math.max(1, total))), 2 * v);
  }
  return 0.5 * sum;
}

/**
 * Draws the particles' frequencies (`counts` of `total` particles) next to the exact bin
 * probabilities, on one colour scale.
 * @param {HTMLCanvasElement} canvas
 * @param {Uint32Array | number[]} counts
 * @param {number} total
 * @param {Float32Array | number[]} probabilities
 */
export function drawDensity(canvas, counts, total, probabilities) {
  const { ratio, width, height } = sizeToBox(canvas);
  const frequencies = Array.from(counts, (c) => c / Math.max(1, total));
  const scale = Math.max(1e-12, ...frequencies, ...probabilities);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, width, height);
  const side = Math.min((width - GAP * ratio) / 2, height - LABEL_HEIGHT * ratio);
  const top = LABEL_HEIGHT * ratio;
  const muted = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#999';
  ctx.imageSmoothingEnabled = false;
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.fillStyle = muted;
  ctx.textBaseline = 'bottom';
  /** @type {Array<[number[] | Float32Array, string]>} */ ([
    [frequencies, 'particles (histogram)'],
    [probabilities, 'exact p_t on the same bins'],
  ]).forEach(([values, title], k) => {
    const x = k * (side + GAP * ratio);
    ctx.drawImage(image(values, scale), x, top, side, side);
    ctx.fillText(title, x, top - 2 * ratio);
  });
}
