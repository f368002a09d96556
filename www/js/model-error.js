// @ts-check
// model-error.js: the pictures of "where the network is wrong". Left, ||eps_theta - eps*||^2 over
// the picture at the particles' time (the network in use against the exact noise of the data's
// mixture), on a square-root colour scale; right, the denoising loss at each position of the time
// slider split into what the network gets wrong (weighted by p_t) and the part no network can
// remove, on a logarithmic axis, with the particles' time marked.

import { sizeToBox } from './canvas-size.js';
import { heat } from './density.js';

/** Bins per axis of the error map. */
export const ERROR_SIDE = 48;
/** Positions of the time slider where the loss is split. */
export const PROFILE_TIMES = 40;
/** Draws of the forward process per position. */
export const PROFILE_SAMPLES = 1024;
const GAP = 16;
const LABEL_HEIGHT = 16;
const NETWORK_COLOUR = '#e69f00';
const IRREDUCIBLE_COLOUR = '#56b4e9';

/** One position of the loss profile. @typedef {import('../pkg/diffusion_playground.js').LossAtTime} LossAtTime */

/**
 * Draws the error map `field` (ERROR_SIDE x ERROR_SIDE, row 0 at the top) and the loss profile.
 * @param {HTMLCanvasElement} canvas
 * @param {Float32Array | number[]} field
 * @param {LossAtTime[]} profile
 * @param {number} fraction  the particles' position on the time slider (0 to 1)
 */
export function drawModelError(canvas, field, profile, fraction) {
  const { ratio, width, height } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, width, height);
  const muted = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#999';
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  const top = LABEL_HEIGHT * ratio;
  const side = Math.min((width - GAP * ratio) / 2, height - 2 * LABEL_HEIGHT * ratio);

  // The map.
  const peak = Math.max(1e-12, ...Array.from(field).filter(Number.isFinite));
  const image = document.createElement('canvas');
  image.width = ERROR_SIDE;
  image.height = ERROR_SIDE;
  const ictx = /** @type {CanvasRenderingContext2D} */ (image.getContext('2d'));
  const data = ictx.createImageData(ERROR_SIDE, ERROR_SIDE);
  Array.from(field).forEach((v, k) => data.data.set([...heat(Math.sqrt(Math.min(1, Math.max(0, v) / peak))), 255], 4 * k));
  ictx.putImageData(data, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image, 0, top, side, side);
  ctx.fillStyle = muted;
  ctx.textBaseline = 'bottom';
  ctx.fillText(`‖ε_θ − ε*‖² at the particles' time (largest ${peak.toPrecision(3)})`, 0, top - 2 * ratio);

  // The profile.
  const left = side + GAP * ratio;
  const plotWidth = width - left;
  const values = profile.flatMap((p) => [p.network_error, p.irreducible]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.max(1e-8, Math.min(...values)));
  const hi = Math.log10(Math.max(...values));
  const span = Math.max(1e-6, hi - lo);
  const x = (/** @type {number} */ k) => left + ((k + 1) / profile.length) * plotWidth;
  const y = (/** @type {number} */ v) => top + (1 - (Math.log10(Math.max(v, 1e-8)) - lo) / span) * side;
  /** @type {Array<['network_error' | 'irreducible', string, string]>} */ ([
    ['irreducible', IRREDUCIBLE_COLOUR, 'irreducible E‖ε* − ε‖²'],
    ['network_error', NETWORK_COLOUR, 'network E‖ε_θ − ε*‖²'],
  ]).forEach(([key, colour, label], line) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2 * ratio;
    ctx.beginPath();
    profile.forEach((p, k) => (k === 0 ? ctx.moveTo(x(k), y(p[key])) : ctx.lineTo(x(k), y(p[key]))));
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, left + line * plotWidth * 0.5, top - 2 * ratio);
  });
  ctx.strokeStyle = '#e0533a';
  ctx.lineWidth = ratio;
  const marker = left + Math.min(1, Math.max(0, fraction)) * plotWidth;
  ctx.beginPath();
  ctx.moveTo(marker, top);
  ctx.lineTo(marker, top + side);
  ctx.stroke();
  ctx.fillStyle = muted;
  ctx.textBaseline = 'top';
  ctx.fillText(`time slider 0 → 1; log scale ${(10 ** lo).toPrecision(2)} to ${(10 ** hi).toPrecision(2)}`, left, top + side + 2 * ratio);
}
