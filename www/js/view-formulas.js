// @ts-check
// view-formulas.js: the formulas of the current schedule, sampler and guidance (when the panel is open),
// typeset again only when they change.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { showFormulas } from './formulas.js';

/** The schedule, sampler and guidance whose formulas are shown. */
let shownKey = '';
/** Formula panels typeset (or shown as TeX) so far (tests wait for it to grow). */
let shown = 0;

/** Formula panels typeset so far. */
export function formulasShown() {
  return shown;
}

function update() {
  const { state } = page;
  // Closed, the panel asks the wasm nothing.
  if (!state.formulas) return;
  const network = state.score === 'mlp' && page.pg ? page.pg.network_coupling() : 'independent';
  /** @type {import('./formulas.js').FormulaChoice} */
  const choice = { schedule: state.schedule, sampler: state.sampler, guidance: state.guidance, posterior: state.posterior, coupling: state.train_coupling, network };
  const key = JSON.stringify(choice);
  if (key === shownKey) return;
  shownKey = key;
  showFormulas(ui.formulasBody(), choice).then(
    () => {
      shown += 1;
    },
    (error) => ui.notice(`The formulas could not be shown: ${messageOf(error)}`, 'error'),
  );
}

/** @type {import('./views.js').View} */
export const formulasView = { name: 'formulas', update };
