// @ts-check
// schedule-lab.js: the schedule lab, three small charts of the current noise schedule against
// the time slider's position u (docs/theory.md):
//
//   1. the signal and noise scales alpha_t and sigma_t;
//   2. the log signal-to-noise ratio log(alpha_t^2 / sigma_t^2), which every schedule makes
//      decreasing, with the chosen time grid's points on it (where the sampler evaluates);
//   3. the drift f(t) = d log alpha_t / dt and the squared diffusion
//      g(t)^2 = sigma_t^2 d/dt log(sigma_t^2 / alpha_t^2) of the forward SDE dx = f x dt + g dW.
//
// A vertical line marks the particles' current time. The curves come from the wasm's
// `schedule_curves`, the same f64 code the samplers use.

import { drawMarkedChart } from './marked-chart.js';

/**
 * What the wasm's `schedule_curves` returns (`app::views::ScheduleCurves`): each curve at the
 * slider positions `u` (times `t`), and the time grid's points.
 * @typedef {import('../pkg/diffusion_playground.js').ScheduleCurves} ScheduleCurves
 */

/**
 * The three charts: a title, and for each curve its key in ScheduleCurves, label and colour.
 * @type {Array<{ title: string, series: Array<[keyof ScheduleCurves, string, string]>, grid?: boolean }>}
 */
const PANELS = [
  { title: 'α (signal) and σ (noise)', series: [['alpha', 'α', '--lab-a'], ['sigma', 'σ', '--lab-b']] },
  { title: 'log-SNR = log(α² / σ²), with the time grid', series: [['log_snr', 'log-SNR', '--lab-a']], grid: true },
  { title: 'forward SDE: drift f and diffusion g²', series: [['drift', 'f', '--lab-a'], ['diffusion_squared', 'g²', '--lab-b']] },
];

/** Space around each chart, in CSS pixels scaled by the device pixel ratio. */
const MARGIN = { left: 46, right: 10, top: 18, bottom: 16 };

/**
 * The smallest and largest finite value of `values` (widened when they are equal).
 * @param {number[]} values
 * @returns {[number, number]}
 */
function finiteRange(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi - lo < 1e-9) return [lo - 1, hi + 1];
  return [lo, hi];
}

/**
 * A number for an axis label: short, with exponent for large or tiny magnitudes.
 * @param {number} v
 */
function short(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(0);
  return Number(v.toPrecision(3)).toString();
}

/**
 * The value of `ys` at `u` by linear interpolation over the increasing `us`.
 * @param {number[]} us
 * @param {number[]} ys
 * @param {number} u
 */
function interpolate(us, ys, u) {
  let i = 1;
  while (i < us.length - 1 && us[i] < u) i += 1;
  const w = (u - us[i - 1]) / (us[i] - us[i - 1] || 1);
  return ys[i - 1] + Math.min(1, Math.max(0, w)) * (ys[i] - ys[i - 1]);
}

/**
 * Draws the lab for `curves` (the result of `schedule_curves`) with a marker at `currentU`.
 * The canvas's drawing buffer is sized here from its CSS box and the pixel ratio; the charts are
 * painted once (marked-chart.js) and the marker drawn over them.
 * @param {HTMLCanvasElement} canvas
 * @param {ScheduleCurves} curves
 * @param {number} currentU
 */
export function drawScheduleLab(canvas, curves, currentU) {
  drawMarkedChart(canvas, curves, (ctx, size) => paintScheduleLab(ctx, size, curves), currentU);
}

/**
 * Paints the lab's charts of `curves` on `ctx` (a buffer of `width` x `height`) and tells where
 * the time marker goes.
 * @param {CanvasRenderingContext2D} ctx
 * @param {{ ratio: number, width: number, height: number }} size
 * @param {ScheduleCurves} curves
 * @returns {import('./marked-chart.js').Marker}
 */
function paintScheduleLab(ctx, { ratio, width, height }, curves) {
  /** @type {import('./marked-chart.js').Marker['panels']} */
  const markers = [];
  const style = getComputedStyle(document.documentElement);
  const colour = (/** @type {string} */ name, /** @type {string} */ fallback) => style.getPropertyValue(name).trim() || fallback;
  ctx.clearRect(0, 0, width, height);
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  const panelHeight = height / PANELS.length;
  PANELS.forEach((panel, p) => {
    const x0 = MARGIN.left * ratio;
    const x1 = width - MARGIN.right * ratio;
    const y0 = p * panelHeight + MARGIN.top * ratio;
    const y1 = (p + 1) * panelHeight - MARGIN.bottom * ratio;
    const [lo, hi] = finiteRange(panel.series.flatMap(([key]) => curves[key]));
    const toX = (/** @type {number} */ u) => x0 + u * (x1 - x0);
    const toY = (/** @type {number} */ v) => y1 - ((v - lo) / (hi - lo)) * (y1 - y0);
    ctx.strokeStyle = colour('--border', '#444');
    ctx.lineWidth = ratio;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    ctx.fillStyle = colour('--muted', '#999');
    ctx.textBaseline = 'bottom';
    ctx.fillText(panel.title, x0, y0 - 3 * ratio);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ctx.fillText(short(hi), x0 - 4 * ratio, y0);
    ctx.fillText(short(lo), x0 - 4 * ratio, y1);
    if (lo < 0 && hi > 0) {
      ctx.fillText('0', x0 - 4 * ratio, toY(0));
      ctx.setLineDash([3 * ratio, 3 * ratio]);
      ctx.beginPath();
      ctx.moveTo(x0, toY(0));
      ctx.lineTo(x1, toY(0));
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.textAlign = 'left';
    panel.series.forEach(([key, label, cssColour], k) => {
      ctx.strokeStyle = colour(cssColour, k === 0 ? '#7cc4ff' : '#ffb000');
      ctx.lineWidth = 1.5 * ratio;
      ctx.beginPath();
      let pen = false;
      curves[key].forEach((v, i) => {
        if (!Number.isFinite(v)) {
          pen = false;
          return;
        }
        const [x, y] = [toX(curves.u[i]), toY(v)];
        if (pen) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        pen = true;
      });
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(label, x1 - 40 * ratio * (panel.series.length - k), y0 + 8 * ratio);
    });
    if (panel.grid) {
      ctx.fillStyle = colour('--text', '#fff');
      for (const u of curves.grid_u) {
        const v = interpolate(curves.u, curves.log_snr, u);
        if (!Number.isFinite(v)) continue;
        ctx.beginPath();
        ctx.arc(toX(u), toY(Math.min(hi, Math.max(lo, v))), 2 * ratio, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    markers.push({ x: toX, top: y0, bottom: y1 });
  });
  // The time axis: the slider's 0 and 1 and the schedule's own times there.
  ctx.fillStyle = colour('--muted', '#999');
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  const t = curves.t;
  ctx.fillText(`t = ${short(t[0])}`, MARGIN.left * ratio, height);
  ctx.textAlign = 'right';
  ctx.fillText(`t = ${short(t[t.length - 1])}`, width - MARGIN.right * ratio, height);
  return { colour: colour('--error', '#ff7a85'), lineWidth: ratio, panels: markers };
}
