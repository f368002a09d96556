// @ts-check
// space-time.js: the 1-D space-time view (docs/theory.md). The heatmap is the exact density of
// the x coordinate of x_t (each column scaled to its own maximum, so the narrow peaks near the
// data and the wide normal near the prior both show), against the time slider's position; over
// it, 16 sample paths: on the left the forward SDE from data (white) and the reverse SDE from
// noise (amber), on the right the probability-flow ODE from the same noise (blue). The data come
// from the playground's `space_time()`, for what it samples.

import { drawMarkedChart } from './marked-chart.js';

/** Gap between the two panels and room for labels, in CSS pixels (scaled by the pixel ratio). */
const GAP = 12;
const LABEL_HEIGHT = 16;
/**
 * What the wasm's `space_time` returns (`SpaceTime` in src/core/space_time.rs).
 * @typedef {import('../pkg/diffusion_playground.js').SpaceTime} SpaceTime
 */

/**
 * Colour stops of the density (dark to bright; readable with colour-vision deficiencies).
 * @type {Array<[number, number[]]>}
 */
const RAMP = [
  [0.0, [11, 13, 20]],
  [0.35, [59, 15, 112]],
  [0.65, [183, 55, 121]],
  [0.85, [252, 137, 97]],
  [1.0, [252, 253, 191]],
];

/**
 * The colour of `v` in [0, 1], as [r, g, b].
 * @param {number} v
 */
function rampColour(v) {
  for (let k = 1; k < RAMP.length; k += 1) {
    const [p1, c1] = RAMP[k];
    if (v <= p1) {
      const [p0, c0] = RAMP[k - 1];
      const w = (v - p0) / (p1 - p0);
      return c0.map((c, i) => Math.round(c + w * (c1[i] - c)));
    }
  }
  return RAMP[RAMP.length - 1][1];
}

/**
 * The heatmap as a canvas of one pixel per cell.
 * @param {SpaceTime} picture
 */
function heatmapImage(picture) {
  const image = document.createElement('canvas');
  image.width = picture.columns;
  image.height = picture.rows;
  const ctx = /** @type {CanvasRenderingContext2D} */ (image.getContext('2d'));
  const data = ctx.createImageData(picture.columns, picture.rows);
  picture.density.forEach((v, k) => {
    // A square root lifts the tails so the spreading mass stays visible.
    const [r, g, b] = rampColour(Math.sqrt(Math.max(0, Math.min(1, v))));
    data.data.set([r, g, b, 255], 4 * k);
  });
  ctx.putImageData(data, 0, 0);
  return image;
}

/** @type {WeakMap<SpaceTime, HTMLCanvasElement>} */
const cache = new WeakMap();

/**
 * Draws `picture` (the result of `space_time`) on `canvas`, sized here from its CSS box, with a
 * marker at the slider position `currentU` (marked-chart.js: the picture is painted once).
 * @param {HTMLCanvasElement} canvas
 * @param {SpaceTime} picture
 * @param {number} currentU
 */
export function drawSpaceTime(canvas, picture, currentU) {
  drawMarkedChart(canvas, picture, (ctx, size) => paintSpaceTime(ctx, size, picture), currentU);
}

/**
 * Paints `picture` on `ctx` (a buffer of `width` x `height`) and tells where the time marker goes.
 * @param {CanvasRenderingContext2D} ctx
 * @param {{ ratio: number, width: number, height: number }} size
 * @param {SpaceTime} picture
 * @returns {import('./marked-chart.js').Marker}
 */
function paintSpaceTime(ctx, { ratio, width, height }, picture) {
  if (!cache.has(picture)) cache.set(picture, heatmapImage(picture));
  const image = /** @type {HTMLCanvasElement} */ (cache.get(picture));
  ctx.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const colour = (/** @type {string} */ name, /** @type {string} */ fallback) => style.getPropertyValue(name).trim() || fallback;
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  const panelWidth = (width - GAP * ratio) / 2;
  const top = LABEL_HEIGHT * ratio;
  const panelHeight = height - 2 * top;
  const steps = picture.path_u.length - 1;
  /** @type {Array<{ x: number, title: string, paths: Array<[number[], string]> }>} */
  const panels = [
    { x: 0, title: 'forward SDE (white) · reverse SDE (amber)', paths: [[picture.forward, 'rgb(255 255 255 / 0.8)'], [picture.reverse_sde, '#ffb000']] },
    { x: panelWidth + GAP * ratio, title: 'probability-flow ODE (blue), same noise', paths: [[picture.reverse_ode, '#56b4e9']] },
  ];
  const [u0, u1] = [picture.u[0], picture.u[picture.u.length - 1]];
  /** @type {import('./marked-chart.js').Marker['panels']} */
  const markers = [];
  for (const panel of panels) {
    const toX = (/** @type {number} */ u) => panel.x + ((u - u0) / (u1 - u0)) * panelWidth;
    const toY = (/** @type {number} */ x) => top + ((3 - x) / 6) * panelHeight;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(image, panel.x, top, panelWidth, panelHeight);
    ctx.lineWidth = 1.2 * ratio;
    for (const [values, stroke] of panel.paths) {
      ctx.strokeStyle = stroke;
      ctx.beginPath();
      for (let p = 0; p < values.length / (steps + 1); p += 1) {
        for (let k = 0; k <= steps; k += 1) {
          const [x, y] = [toX(picture.path_u[k]), toY(values[p * (steps + 1) + k])];
          if (k === 0) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
        }
      }
      ctx.stroke();
    }
    markers.push({ x: toX, top, bottom: top + panelHeight });
    ctx.fillStyle = colour('--muted', '#999');
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText(panel.title, panel.x, top - 2 * ratio);
    ctx.textBaseline = 'top';
    ctx.fillText('data (t_min)', panel.x, top + panelHeight + 2 * ratio);
    ctx.textAlign = 'right';
    ctx.fillText('noise (t_max)', panel.x + panelWidth, top + panelHeight + 2 * ratio);
  }
  return { colour: colour('--error', '#ff7a85'), lineWidth: ratio, panels: markers };
}
