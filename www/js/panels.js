// @ts-check
// panels.js: the folding panels of the page (draw, lab, space-time, density, formulas, race,
// likelihood, errors): their toggles, their canvases and containers, the race's ticks, Run button and
// status line, the likelihood panel's Measure button and lines.

import { $ } from './dom.js';
import { PANELS } from './state.js';

/**
 * Calls `callback(name, open)` when a folding panel ('lab', 'spacetime') is opened or closed.
 * @param {(name: import('./state.js').PanelName, open: boolean) => void} callback
 */
export function onPanelToggle(callback) {
  for (const { name } of PANELS) {
    const panel = /** @type {HTMLDetailsElement} */ ($(name));
    panel.addEventListener('toggle', () => callback(name, panel.open));
  }
}

/**
 * The samplers ticked for the race, as [name, label] pairs.
 * @returns {Array<[string, string]>}
 */
export function chosenRacers() {
  return [...$('race-racers').querySelectorAll('input:checked')].map((box) => [
    /** @type {HTMLInputElement} */ (box).value,
    /** @type {string} */ (/** @type {HTMLElement} */ (box.parentElement).textContent),
  ]);
}

/**
 * Calls `callback()` when the race's Run button is pressed.
 * @param {() => void} callback
 */
export function onRaceRun(callback) {
  $('race-run').addEventListener('click', () => callback());
}

/**
 * Shows the race's progress or result.
 * @param {string} text
 */
export function setRaceStatus(text) {
  $('race-status').textContent = text;
}

/**
 * Calls `callback()` when the likelihood panel's Measure button is pressed.
 * @param {() => void} callback
 */
export function onLikelihoodRun(callback) {
  $('likelihood-run').addEventListener('click', () => callback());
}

/**
 * Shows the likelihood panel's measurement or progress.
 * @param {string} text
 */
export function setLikelihoodStatus(text) {
  $('likelihood-status').textContent = text;
}

/**
 * Shows the log-density of the point last clicked.
 * @param {string} text
 */
export function setLikelihoodPoint(text) {
  $('likelihood-point').textContent = text;
}

/**
 * Shows the line under the model-error pictures.
 * @param {string} text
 */
export function setModelErrorStatus(text) {
  $('errors-status').textContent = text;
}

/**
 * Calls `callback(x, y)` with the world coordinates of a click on the picture (not while drawing).
 * @param {(x: number, y: number) => void} callback
 */
export function onPictureClick(callback) {
  $('canvas-frame').addEventListener('click', (event) => {
    // While drawing, a click is a stroke.
    if ($('draw-surface').classList.contains('drawing')) return;
    const box = $('canvas').getBoundingClientRect();
    // The picture spans +-PICTURE_HALF_EXTENT world units across its shorter side (layers.js).
    const scale = (0.5 * Math.min(box.width, box.height)) / PICTURE_HALF_EXTENT;
    if (!(scale > 0)) return;
    callback((event.clientX - box.left - 0.5 * box.width) / scale, (0.5 * box.height - (event.clientY - box.top)) / scale);
  });
}

/** World units from the centre of the picture to its nearer edge: render::DEFAULT_HALF_EXTENT. */
const PICTURE_HALF_EXTENT = 3;

/**
 * Shows the density view's distance line.
 * @param {string} text
 */
export function setDensityDistance(text) {
  $('density-distance').textContent = text;
}

/** The container of the typeset formulas. */
export function formulasBody() {
  return $('formulas-body');
}

/**
 * Shows the status of the paths panel.
 * @param {string} text
 */
export function setPathsStatus(text) {
  $('straight-status').textContent = text;
}

/** The container of the race's small pictures. */
export function raceSnapshots() {
  return $('race-snapshots');
}

/**
 * The canvas of a folding panel.
 * @param {string} name
 */
export function panelCanvas(name) {
  return /** @type {HTMLCanvasElement} */ ($(`${name}-canvas`));
}
