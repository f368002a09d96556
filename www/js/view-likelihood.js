// @ts-check
// view-likelihood.js: the likelihood panel (when open). It measures the mean negative
// log-likelihood of a fresh data sample under the model by the probability-flow ODE (on the GPU
// when the particles live there) next to the exact one, and the variational bound of the
// discrete chain, term by term; it measures again whenever what is sampled or the panel's
// settings change, and on Measure. A click on the picture gives that point's ln p.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { drawElbo, drawLogDensityHistograms } from './likelihood.js';

/** Monte Carlo draws of each latent of the bound. */
const ELBO_DRAWS = 4;
/**
 * Bits per dimension to nats for a point of `dimensions` coordinates: nats = bits x D ln 2 (D = 2;
 * 1-D data is measured on its line, D = 1).
 * @param {number} dimensions
 */
function natsPerBitPerDimension(dimensions) {
  return dimensions * Math.LN2;
}

/** Measurements finished so far (tests wait for it to grow), and the last one. */
let finished = 0;
/** @type {{ likelihood: import('./likelihood.js').LikelihoodView, elbo: import('./likelihood.js').ElboView | null } | null} */
let last = null;
/** The settings and revision of the measurement on screen or under way. */
let measuredKey = '';
/** Measurements started (a newer one makes an older one's result stale). */
let started = 0;

/** Likelihood measurements finished so far. */
export function likelihoodsMeasured() {
  return finished;
}

/** The last measurement: `{ likelihood, elbo }` as the wasm returned them, or null. */
export function lastLikelihood() {
  return last;
}

/** The key of what a measurement depends on. */
function keyOf() {
  const { pg, state } = page;
  return `${pg?.revision}|${state.likelihood_solver}|${state.likelihood_grid}|${state.likelihood_steps}|${state.likelihood_points}`;
}

/** Measures now (cancelling the result of one under way). */
export function startLikelihood() {
  const { pg, state } = page;
  if (!pg || page.creating) return;
  const owner = pg;
  const generation = (started += 1);
  measuredKey = keyOf();
  if (state.guidance !== 'none') {
    ui.setLikelihoodStatus('The likelihood is that of the unguided model: set Guidance to none to measure it.');
    return;
  }
  ui.setLikelihoodStatus('Measuring…');
  const solver = state.likelihood_solver;
  const grid = state.likelihood_grid;
  const steps = state.likelihood_steps;
  let points;
  let pending;
  try {
    points = owner.likelihood_data(state.likelihood_points);
    pending = owner.likelihood(solver, grid, steps, points);
  } catch (error) {
    ui.setLikelihoodStatus(`The likelihood could not be measured: ${messageOf(error)}`);
    return;
  }
  const stale = () => generation !== started || owner !== page.pg || !page.state.likelihood;
  pending.then(
    (/** @type {import('./likelihood.js').LikelihoodView} */ view) => {
      if (stale()) return;
      drawLogDensityHistograms(ui.panelCanvas('likelihood'), view);
      /** @type {import('./likelihood.js').ElboView | null} */
      let elbo = null;
      let elboText = '';
      try {
        elbo = owner.elbo(grid, steps, points, ELBO_DRAWS);
        drawElbo(ui.panelCanvas('elbo'), /** @type {import('./likelihood.js').ElboView} */ (elbo));
        const e = /** @type {import('./likelihood.js').ElboView} */ (elbo);
        elboText =
          ` The DDPM bound (Ho et al. 2020, eq. 5) for the ${e.latent_times.length}-latent chain of this schedule on the same grid: ` +
          `ELBO = ${e.bits_per_dimension.toFixed(3)} bits/dim (${e.elbo.toFixed(3)} nats; ${ELBO_DRAWS} draws per latent), ` +
          `${(e.bits_per_dimension - view.model.bits_per_dimension).toFixed(3)} bits/dim above the ODE's NLL.`;
      } catch (error) {
        elboText = ` The bound could not be computed: ${messageOf(error)}.`;
      }
      const model = view.model;
      const exact = view.exact;
      const score = state.score === 'mlp' ? 'the network' : `the ${state.score} score`;
      const onLine = view.dimensions === 1 ? ' (1-D data: densities of x on its line, one dimension)' : '';
      ui.setLikelihoodStatus(
        `NLL of ${view.log_p.length.toLocaleString('en-US')} fresh data points under ${score} by the ` +
          `probability-flow ODE (${solver}, ${steps} steps on the ${grid} grid, ${view.evaluations} evaluations with their exact Jacobian trace)${onLine}: ` +
          `${model.bits_per_dimension.toFixed(3)} ± ${model.standard_error.toFixed(3)} bits/dim; ` +
          `exact: ${exact.bits_per_dimension.toFixed(3)} ± ${exact.standard_error.toFixed(3)} bits/dim ` +
          `(the model is ${((model.bits_per_dimension - exact.bits_per_dimension) * natsPerBitPerDimension(view.dimensions)).toFixed(3)} nats per point worse).` +
          elboText,
      );
      last = { likelihood: view, elbo };
      finished += 1;
    },
    (/** @type {unknown} */ error) => {
      if (!stale()) ui.setLikelihoodStatus(`The likelihood could not be measured: ${messageOf(error)}`);
    },
  );
}

/**
 * ln p of the point (x, y) in world units under the model and exactly, shown under the panel.
 * @param {number} x
 * @param {number} y
 */
export function likelihoodAt(x, y) {
  const { pg, state } = page;
  if (!pg || page.creating || !state.likelihood || state.guidance !== 'none') return;
  const owner = pg;
  let pending;
  try {
    pending = owner.likelihood(state.likelihood_solver, state.likelihood_grid, state.likelihood_steps, new Float32Array([x, y]));
  } catch (error) {
    ui.setLikelihoodPoint(`ln p at (${x.toFixed(2)}, ${y.toFixed(2)}) could not be measured: ${messageOf(error)}`);
    return;
  }
  pending.then(
    (/** @type {import('./likelihood.js').LikelihoodView} */ view) => {
      if (owner !== page.pg) return;
      ui.setLikelihoodPoint(
        `At (${x.toFixed(2)}, ${y.toFixed(2)}): ln p = ${view.log_p[0].toFixed(3)} nats under the model, ` +
          `${view.exact_log_p[0].toFixed(3)} exactly.`,
      );
    },
    (/** @type {unknown} */ error) => ui.setLikelihoodPoint(`ln p could not be measured: ${messageOf(error)}`),
  );
}

/** @type {import('./views.js').View} */
export const likelihoodView = {
  name: 'likelihood',
  // Measures when the panel is open and what it depends on changed (a new dataset, drawing,
  // network or schedule changes the revision); otherwise the measurement on screen stands.
  update() {
    if (page.state.likelihood && page.pg && !page.creating && keyOf() !== measuredKey) startLikelihood();
  },
};
