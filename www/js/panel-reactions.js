// @ts-check
// panel-reactions.js: what the page does when a person acts on a panel or the picture, outside
// the settings form: a panel opened or closed (kept in the state and the link; an opened panel's
// view drawn at once), the race's Run and the likelihood's Measure buttons, a click on the
// picture (that point's log-density; with a measurement, the point measured), and the race and
// likelihood measured again when their settings change.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { FIELD } from './state.js';
import { record } from './record.js';
import { viewOfPanel } from './views.js';
import { startRace } from './view-race.js';
import { likelihoodAt, startLikelihood } from './view-likelihood.js';
import { handlers } from './actions.js';
import { observationAt } from './measurement.js';

/** Fields whose change runs the race on screen again, and the likelihood panel's measurement. */
const RACE_SETTINGS = Object.freeze(['racers', 'race_eta']);
const LIKELIHOOD_SETTINGS = Object.freeze(['likelihood_solver', 'likelihood_grid', 'likelihood_steps', 'likelihood_points']);

/**
 * A panel was opened or closed: the state and the link keep it, and an opened panel's view is
 * drawn at once (the drawing panel shows its tools through `showDrawing`).
 * @param {import('./state.js').PanelName} name
 * @param {boolean} open
 * @param {(open: boolean) => void} showDrawing
 */
export function panelToggled(name, open, showDrawing) {
  if (name === 'draw') showDrawing(open);
  if (open === page.state[name]) return;
  record({ [name]: open });
  // The race runs when its panel opens however it opens (settingsChanged below).
  if (page.pg && !page.creating && page.module === 'full' && open && name !== 'race') {
    try {
      viewOfPanel(name)?.update();
    } catch (error) {
      ui.notice(`The ${FIELD[name].label.toLowerCase()} could not be drawn: ${messageOf(error)}`, 'error');
    }
  }
}

/** The race's Run button. */
export function raceRun() {
  if (page.pg && !page.creating && page.module === 'full') startRace();
}

/** The likelihood panel's Measure button. */
export function likelihoodRun() {
  if (page.module === 'full') startLikelihood();
}

/**
 * A click on the picture at world point (x, y): that point's ln p in the likelihood panel, and,
 * when the run conditions on a measurement, the point measured (y = A p).
 * @param {number} x
 * @param {number} y
 */
export function pictureClicked(x, y) {
  if (page.module !== 'full') return;
  likelihoodAt(x, y);
  const observation = page.state.posterior === 'none' ? null : observationAt(page.state.observe, x, y);
  if (observation !== null) handlers.change('observation', observation);
}

/**
 * State fields were changed and applied (store.js): the race on screen and the likelihood panel
 * always show their current settings, so they run again when those change; the race also runs
 * when its panel opens, by a click or by a link edited in the address bar.
 * @param {string[]} fields
 */
export function settingsChanged(fields) {
  if (page.state.race && page.pg && !page.creating && fields.some((f) => f === 'race' || RACE_SETTINGS.includes(f))) startRace();
  if (page.state.likelihood && fields.some((f) => LIKELIHOOD_SETTINGS.includes(f))) startLikelihood();
}
