// @ts-check
// panels.js: the folding panels of the page (draw, lab, space-time, density, formulas, race):
// their toggles, their canvases and containers, the race's ticks, Run button and status line.

import { $ } from './dom.js';

/** The folding panels (`<details>` with the id of their state field). */
export const PANELS = ['draw', 'lab', 'spacetime', 'density', 'formulas', 'race'];

/**
 * Calls `callback(name, open)` when a folding panel ('lab', 'spacetime') is opened or closed.
 * @param {(name: string, open: boolean) => void} callback
 */
export function onPanelToggle(callback) {
  for (const name of PANELS) {
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
