// @ts-check
// views.js: the registry of views. A view is everything the page shows next to the particles
// (the layers over them, the distance readout, the panels): each has the same small interface,
//   { name, update() }
// where `update()` redraws it from the session when it is shown (and does nothing otherwise).
// The frame loop updates them all after each drawn frame; opening a panel updates its view.

import { densityView } from './view-density.js';
import { distanceView } from './view-distance.js';
import { formulasView } from './view-formulas.js';
import { labView } from './view-lab.js';
import { layersView } from './view-layers.js';
import { likelihoodView } from './view-likelihood.js';
import { modelErrorView } from './view-model-error.js';
import { raceView } from './view-race.js';
import { spaceTimeView } from './view-space-time.js';

/**
 * @typedef {object} View
 * @property {string} name     the state field of its panel, or another name
 * @property {() => void} update
 */

/** Every view, in drawing order. @type {ReadonlyArray<View>} */
const VIEWS = [distanceView, labView, spaceTimeView, formulasView, densityView, layersView, likelihoodView, modelErrorView];

/** Redraws every view that is shown (after a drawn frame). */
export function updateViews() {
  for (const view of VIEWS) view.update();
}

/**
 * The view behind a panel (`lab`, `spacetime`, `formulas`, `density`, `race`, `likelihood`, `errors`), if any.
 * @param {string} name
 */
export function viewOfPanel(name) {
  return [...VIEWS, raceView].find((view) => view.name === name) ?? null;
}
