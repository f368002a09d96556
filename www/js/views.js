// @ts-check
// views.js: the registry of views and their pace. A view is everything the page shows next to
// the particles (the layers over them, the distance readout, the panels): each has the same
// small interface,
//   { name, update() }
// where `update()` redraws it from the session when it is shown (and does nothing otherwise).
// The frame loop asks for them all after each drawn frame; opening a panel updates its view.
//
// The run's pace is set by the sampler, never by a view: each view's update is timed, and a view
// whose update costs c ms is redrawn at most every c x (costly views) / VIEW_TIME_SHARE ms, so
// the open views together take at most VIEW_TIME_SHARE of the page's time. A view asked for
// before its turn keeps its last finished picture and is redrawn when its turn comes (a timer),
// so the picture of the run's last step is always drawn. An update's cost leaves out what it spent
// filling a cache kept for what is sampled (one-at-a-time.js's keyedCache: a panel's curves, the
// loss profile): paid once, it would otherwise hold the view's next turn back by ten times that
// (on a busy machine the errors panel's first update, its loss profile, set the map's next turn
// a minute away, and a step showed no new map).

import { densityView } from './view-density.js';
import { distanceView } from './view-distance.js';
import { formulasView } from './view-formulas.js';
import { labView } from './view-lab.js';
import { layersView } from './view-layers.js';
import { likelihoodView } from './view-likelihood.js';
import { modelErrorView } from './view-model-error.js';
import { pathsView } from './view-paths.js';
import { raceView } from './view-race.js';
import { spaceTimeView } from './view-space-time.js';
import { straightnessView } from './view-straightness.js';
import { takeCacheFillMs } from './one-at-a-time.js';

/**
 * @typedef {object} View
 * @property {string} name     the state field of its panel, or another name
 * @property {() => void} update
 * @property {() => number} [takeDrawMs]  for a view that draws once a readback is back: what
 *   its drawings since the last call took (its update's cost is the call plus this, each
 *   drawing charged once, so a closed view is not charged for its last picture)
 */

/** Every view, in drawing order. @type {ReadonlyArray<View>} */
const VIEWS = [distanceView, straightnessView, labView, pathsView, spaceTimeView, formulasView, densityView, layersView, likelihoodView, modelErrorView];

/** Share of the page's time the open views may take together (the run keeps the rest). */
const VIEW_TIME_SHARE = 0.1;
/** An update faster than this (ms) is free: the view follows every frame. */
const FREE_UPDATE_MS = 0.5;
/** Weight of the newest measurement in a view's running cost (an exponential average). */
const COST_SMOOTHING = 0.3;

/**
 * A view's running cost (ms an update), the earliest time of its next update, whether it was
 * asked for before then, and its updates so far.
 * @typedef {{ cost: number, due: number, waiting: boolean, updates: number }} Pace
 */

/** @type {Map<View, Pace>} */
const pace = new Map(VIEWS.map((view) => [view, { cost: 0, due: 0, waiting: false, updates: 0 }]));

/** @param {View} view */
function paceOf(view) {
  return /** @type {Pace} */ (pace.get(view));
}
/** The timer that redraws waiting views when their turn comes (0: none). */
let catchUpTimer = 0;

/** Redraws every view that is shown and whose turn it is (after a drawn frame). */
export function updateViews() {
  const now = performance.now();
  for (const view of VIEWS) {
    const entry = paceOf(view);
    if (now < entry.due) entry.waiting = true;
    else timedUpdate(view);
  }
  scheduleCatchUp();
}

/**
 * Updates `view` now and sets its next turn from its running cost.
 * @param {View} view
 */
function timedUpdate(view) {
  const entry = paceOf(view);
  // Fills before this update are not its own.
  takeCacheFillMs();
  const started = performance.now();
  try {
    view.update();
    const extra = extraCostForTest.get(view.name) ?? 0;
    while (performance.now() - started < extra);
  } finally {
    const recurring = Math.max(0, performance.now() - started - takeCacheFillMs());
    const cost = recurring + (view.takeDrawMs?.() ?? 0);
    entry.cost = entry.updates === 0 ? cost : entry.cost + COST_SMOOTHING * (cost - entry.cost);
    entry.updates += 1;
    entry.waiting = false;
    // The turn follows from this update's cost, not the average: a view whose update became
    // cheap is redrawn soon.
    const costly = Math.max(1, [...pace.values()].filter((e) => e.cost > FREE_UPDATE_MS).length);
    entry.due = cost > FREE_UPDATE_MS ? started + (cost * costly) / VIEW_TIME_SHARE : 0;
  }
}

/** Sets the timer for the earliest waiting view's turn. */
function scheduleCatchUp() {
  if (catchUpTimer) clearTimeout(catchUpTimer);
  catchUpTimer = 0;
  const waiting = [...pace.values()].filter((e) => e.waiting);
  if (waiting.length === 0) return;
  const next = Math.min(...waiting.map((e) => e.due));
  catchUpTimer = window.setTimeout(catchUp, Math.max(0, next - performance.now()));
}

/** Redraws the waiting views whose turn has come. */
function catchUp() {
  catchUpTimer = 0;
  const now = performance.now();
  for (const view of VIEWS) {
    const entry = paceOf(view);
    if (entry.waiting && now >= entry.due) timedUpdate(view);
  }
  scheduleCatchUp();
}

/**
 * What each view has cost: its name, updates so far and running cost in ms an update (for the
 * benchmark's profile and the console).
 */
export function viewCosts() {
  return VIEWS.map((view) => {
    const entry = paceOf(view);
    return { name: view.name, updates: entry.updates, ms: entry.cost };
  });
}

/** Milliseconds a test adds to a view's every update (`slowViewForTest`). @type {Map<string, number>} */
const extraCostForTest = new Map();

/**
 * Makes every update of the view `name` take at least `ms` (a busy wait): tests check that a
 * slow view does not hold back the run.
 * @param {string} name
 * @param {number} ms
 */
export function slowViewForTest(name, ms) {
  extraCostForTest.set(name, ms);
}

/**
 * The view behind a panel (`lab`, `spacetime`, `formulas`, `density`, `race`, `likelihood`, `errors`), if any.
 * @param {string} name
 */
export function viewOfPanel(name) {
  return [...VIEWS, raceView].find((view) => view.name === name) ?? null;
}
