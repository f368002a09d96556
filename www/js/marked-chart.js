// @ts-check
// marked-chart.js: a chart that stays the same for a whole run with a marker that moves at every
// step (the schedule lab and the space-time view mark the particles' time). The chart is painted
// once into an offscreen canvas, again only when its data, the canvas's size or the theme
// change; each frame copies it and draws the marker over it.

import { sizeToBox } from './canvas-size.js';

/**
 * Where a chart's time marker goes: for each of its panels, the x of a slider position and the
 * panel's top and bottom, in buffer pixels.
 * @typedef {{ colour: string, lineWidth: number, panels: Array<{ x: (u: number) => number, top: number, bottom: number }> }} Marker
 */

/**
 * Paints a chart on a context of the given buffer size and tells where its marker goes.
 * @typedef {(ctx: CanvasRenderingContext2D, size: { ratio: number, width: number, height: number }) => Marker} Painter
 */

/** @type {WeakMap<HTMLCanvasElement, { data: object, width: number, height: number, theme: string, image: HTMLCanvasElement, marker: Marker }>} */
const painted = new WeakMap();

/**
 * Draws `data`'s chart (painted by `paint` when not kept) on `canvas`, sized to its CSS box, with
 * the marker at slider position `u` (none when not finite).
 * @param {HTMLCanvasElement} canvas
 * @param {object} data     the chart's data: a new object means a new chart
 * @param {Painter} paint
 * @param {number} u
 */
export function drawMarkedChart(canvas, data, paint, u) {
  const size = sizeToBox(canvas);
  const theme = document.documentElement.dataset.theme ?? '';
  let kept = painted.get(canvas);
  if (!kept || kept.data !== data || kept.width !== size.width || kept.height !== size.height || kept.theme !== theme) {
    const image = document.createElement('canvas');
    image.width = size.width;
    image.height = size.height;
    const marker = paint(/** @type {CanvasRenderingContext2D} */ (image.getContext('2d')), size);
    kept = { data, width: size.width, height: size.height, theme, image, marker };
    painted.set(canvas, kept);
  }
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, size.width, size.height);
  ctx.drawImage(kept.image, 0, 0);
  if (!Number.isFinite(u)) return;
  const { colour, lineWidth, panels } = kept.marker;
  ctx.strokeStyle = colour;
  ctx.lineWidth = lineWidth;
  ctx.beginPath();
  for (const panel of panels) {
    ctx.moveTo(panel.x(u), panel.top);
    ctx.lineTo(panel.x(u), panel.bottom);
  }
  ctx.stroke();
}
