// @ts-check
// likelihood.js: the likelihood panel's pictures. Top, the histograms of ln p over a fresh data
// sample under the model (the probability-flow ODE from the sampler's prior, core::likelihood)
// and exactly (the data's Gaussian mixture), with their means; bottom, the variational bound of
// DDPM (Ho et al. 2020, eq. 5) term by term: the prior KL, one KL per step of the discrete chain
// (from the noise end, left, to the data end, right) and the reconstruction term, in nats. A
// point's ln p under both is what a click on the picture asks for.

import { sizeToBox } from './canvas-size.js';

/** The histograms of the wasm's `likelihood`: bins over [low, high] (nats). @typedef {import('../pkg/diffusion_playground.js').LogDensityHistogram} LogDensityHistogram */
/** A mean negative log-likelihood. @typedef {import('../pkg/diffusion_playground.js').NllSummary} NllSummary */
/** What the wasm's `likelihood` resolves to. @typedef {import('../pkg/diffusion_playground.js').LikelihoodView} LikelihoodView */
/** What the wasm's `elbo` returns (nats). @typedef {import('../pkg/diffusion_playground.js').ElboView} ElboView */

/** Colours of the model and of the exact density (Okabe-Ito orange and blue). */
const MODEL_COLOUR = '#e69f00';
const EXACT_COLOUR = '#56b4e9';
/** Colour of the bound's bars. */
const BOUND_COLOUR = '#cc79a7';
const MARGIN = 28;
const LABEL_HEIGHT = 16;

/**
 * The page's muted text colour.
 */
function mutedColour() {
  return getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#999';
}

/**
 * Draws both histograms of `view` on one axis of ln p (nats), with each mean as a vertical line.
 * @param {HTMLCanvasElement} canvas
 * @param {LikelihoodView} view
 */
export function drawLogDensityHistograms(canvas, view) {
  const { ratio, width, height } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, width, height);
  const { low, high, model, exact } = view.histogram;
  const bins = model.length;
  const left = MARGIN * ratio;
  const bottom = height - LABEL_HEIGHT * ratio;
  const top = LABEL_HEIGHT * ratio;
  const plotWidth = width - 2 * left;
  const peak = Math.max(1, ...model, ...exact);
  const x = (/** @type {number} */ v) => left + ((v - low) / (high - low)) * plotWidth;
  const barWidth = plotWidth / bins;
  /** @type {Array<[number[], string, number]>} */ ([
    [exact, EXACT_COLOUR, view.exact.mean_log_p],
    [model, MODEL_COLOUR, view.model.mean_log_p],
  ]).forEach(([counts, colour, mean]) => {
    ctx.globalAlpha = 0.55;
    ctx.fillStyle = colour;
    counts.forEach((c, k) => {
      const h = (c / peak) * (bottom - top);
      ctx.fillRect(left + k * barWidth, bottom - h, Math.max(1, barWidth - ratio), h);
    });
    ctx.globalAlpha = 1;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2 * ratio;
    const at = Math.min(width - left, Math.max(left, x(mean)));
    ctx.beginPath();
    ctx.moveTo(at, top);
    ctx.lineTo(at, bottom);
    ctx.stroke();
  });
  ctx.fillStyle = mutedColour();
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(`${low.toFixed(1)}`, left, bottom + 2 * ratio);
  ctx.textAlign = 'right';
  ctx.fillText(`${high.toFixed(1)} nats`, width - left, bottom + 2 * ratio);
  ctx.textAlign = 'center';
  ctx.fillText('ln p of each data point', width / 2, bottom + 2 * ratio);
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  ctx.fillStyle = MODEL_COLOUR;
  ctx.fillText('under the model (ODE)', left, top - 2 * ratio);
  ctx.fillStyle = EXACT_COLOUR;
  ctx.textAlign = 'right';
  ctx.fillText('exact', width - left, top - 2 * ratio);
}

/**
 * Draws the bound's terms as bars of their cost in nats (what each subtracts from the bound):
 * the prior KL, each transition's KL (noise end first) and -reconstruction, on a square-root
 * scale so the small KLs of the many steps stay visible next to the large ones.
 * @param {HTMLCanvasElement} canvas
 * @param {ElboView} elbo
 */
export function drawElbo(canvas, elbo) {
  const { ratio, width, height } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, width, height);
  const costs = [elbo.prior, ...elbo.transitions, -elbo.reconstruction];
  const left = MARGIN * ratio;
  const bottom = height - LABEL_HEIGHT * ratio;
  const top = LABEL_HEIGHT * ratio;
  const mid = (top + bottom) / 2;
  const peak = Math.max(1e-9, ...costs.map((c) => Math.abs(c)));
  const barWidth = (width - 2 * left) / costs.length;
  ctx.strokeStyle = mutedColour();
  ctx.lineWidth = ratio;
  ctx.beginPath();
  ctx.moveTo(left, mid);
  ctx.lineTo(width - left, mid);
  ctx.stroke();
  costs.forEach((c, k) => {
    const h = Math.sqrt(Math.abs(c) / peak) * (mid - top);
    ctx.fillStyle = k === 0 || k === costs.length - 1 ? mutedColour() : BOUND_COLOUR;
    ctx.fillRect(left + k * barWidth, c >= 0 ? mid - h : mid, Math.max(1, barWidth - ratio), h);
  });
  ctx.fillStyle = mutedColour();
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText('prior KL, then each step from the noise', left, bottom + 2 * ratio);
  ctx.textAlign = 'right';
  ctx.fillText('−reconstruction', width - left, bottom + 2 * ratio);
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  ctx.fillText(`nats each term costs the bound (below the line: what the reconstruction term adds; square-root scale; largest ${peak.toPrecision(3)})`, left, top - 2 * ratio);
}
