// @ts-check
// measurement.js: the measurement y = A x0 + n a run conditions on (src/core/posterior.rs,
// src/core/posterior_guidance.rs). Its operator A travels as `observe` ("a11,a12" or
// "a11,a12;a21,a22") and its values as `observation` ("y1" or "y1,y2"), read and written by the
// wasm's rules (src/app/measurement.rs, through link-rules.js); a click on the picture measures the clicked point,
// y = A p; and the layers show what was measured: the line a . x = y of each row, and the point
// A^-1 y where two rows pin one down.

import { wasmRules } from './link-rules.js';
import { projector } from './layers.js';

/**
 * Largest |entry| of A and largest |y|: the wasm's (describe().limits), set by `useMeasurementLimits`.
 * @type {{ maxOperatorEntry: number, maxObservedValue: number }}
 */
let limits = { maxOperatorEntry: NaN, maxObservedValue: NaN };
/** Digits of a measured value set by a click (a thousandth of a world unit). */
const CLICK_DIGITS = 3;

/**
 * Takes the measurement's limits from the wasm's description (`describe().limits`).
 * @param {{ max_operator_entry: number, max_observed_value: number }} described
 */
export function useMeasurementLimits(described) {
  limits = { maxOperatorEntry: described.max_operator_entry, maxObservedValue: described.max_observed_value };
}

/**
 * The rows of A in `text` (the wasm's `measurement_operator`), or null: one or two rows of two
 * numbers.
 * @param {string} text
 * @returns {number[][] | null}
 */
export function parseOperator(text) {
  const flat = wasmRules().measurement_operator(String(text));
  if (!flat) return null;
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
}

/**
 * The measured values in `text` (the wasm's `measurement_values`), or null: one or two numbers.
 * @param {string} text
 * @returns {number[] | null}
 */
export function parseValues(text) {
  const values = wasmRules().measurement_values(String(text));
  return values ? Array.from(values) : null;
}

/**
 * The canonical text of the operator (the wasm's `measurement_operator_text`).
 * @param {number[][]} rows
 */
export const operatorText = (rows) => wasmRules().measurement_operator_text(Float64Array.from(rows.flat()));
/**
 * The canonical text of measured values (the wasm's `measurement_values_text`).
 * @param {number[]} values
 */
export const valuesText = (values) => wasmRules().measurement_values_text(Float64Array.from(values));

/**
 * What a field of type 'measurement' accepts, in words.
 * @param {string} name  `observe` or `observation`
 */
export function measurementAllowed(name) {
  return name === 'observe'
    ? `one or two rows of A as "a11,a12" or "a11,a12;a21,a22", entries from -${limits.maxOperatorEntry} to ${limits.maxOperatorEntry}`
    : `one or two numbers separated by commas (one per row of observe), from -${limits.maxObservedValue} to ${limits.maxObservedValue}`;
}

/**
 * Checks a value of `observe` or `observation`, giving its canonical text.
 * @param {string} name
 * @param {unknown} raw
 * @returns {string | null}
 */
export function parseMeasurementField(name, raw) {
  const text = String(raw);
  if (name === 'observe') {
    const rows = parseOperator(text);
    return rows ? operatorText(rows) : null;
  }
  const values = parseValues(text);
  return values ? valuesText(values) : null;
}

/**
 * The observation text of a click at world point (x, y) under operator text `observe`: y = A p,
 * rounded to CLICK_DIGITS decimals (and to the allowed range), or null for a bad operator.
 * @param {string} observe
 * @param {number} x
 * @param {number} y
 */
export function observationAt(observe, x, y) {
  const rows = parseOperator(observe);
  if (!rows) return null;
  const round = (/** @type {number} */ v) => Number(Math.max(-limits.maxObservedValue, Math.min(limits.maxObservedValue, v)).toFixed(CLICK_DIGITS)) + 0;
  return valuesText(rows.map(([a, b]) => round(a * x + b * y)));
}


/**
 * Draws the measurement of `state` on the layers canvas: the line a . x = y of each row of A
 * (dashed), and, where two rows are independent, the point A^-1 y they pin down.
 * @param {HTMLCanvasElement} canvas
 * @param {import('./state.js').State} state  the page state (its `observe` and `observation`)
 */
export function drawMeasurement(canvas, state) {
  const rows = parseOperator(state.observe);
  const values = parseValues(state.observation);
  if (!rows || !values || values.length !== rows.length) return;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const toPixel = projector(canvas);
  const px = Math.max(1, canvas.width / 600);
  const style = getComputedStyle(document.documentElement);
  ctx.save();
  ctx.strokeStyle = style.getPropertyValue('--measurement').trim() || '#7fd4ff';
  ctx.fillStyle = ctx.strokeStyle;
  ctx.lineWidth = 1.5 * px;
  ctx.setLineDash([6 * px, 4 * px]);
  // Far enough past the picture's corners (it shows +-3 across its shorter side).
  const reach = 20;
  rows.forEach(([a, b], i) => {
    const norm = Math.hypot(a, b);
    if (norm === 0) return;
    // The point of the line nearest the origin, and the line's direction.
    const [cx, cy] = [(a * values[i]) / (norm * norm), (b * values[i]) / (norm * norm)];
    const [dx, dy] = [-b / norm, a / norm];
    ctx.beginPath();
    ctx.moveTo(...toPixel(cx - reach * dx, cy - reach * dy));
    ctx.lineTo(...toPixel(cx + reach * dx, cy + reach * dy));
    ctx.stroke();
  });
  if (rows.length === 2) {
    const [[a, b], [c, d]] = rows;
    const det = a * d - b * c;
    if (Math.abs(det) > 1e-9) {
      const point = [(d * values[0] - b * values[1]) / det, (a * values[1] - c * values[0]) / det];
      const [u, v] = toPixel(point[0], point[1]);
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.arc(u, v, 4 * px, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  ctx.restore();
}
