// @ts-check
// view-model-error.js: "where the network is wrong" (when open): the map of ||eps_theta - eps*||^2
// at the particles' time (recomputed when the time or what is sampled changes) and the denoising
// loss split over noise levels (recomputed when what is sampled changes), with the weighted mean
// error at the particles' time.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { keyedCache } from './one-at-a-time.js';
import { ERROR_SIDE, PROFILE_SAMPLES, PROFILE_TIMES, drawModelError } from './model-error.js';

/** Pictures drawn so far (tests wait for it to grow). */
let drawn = 0;
/** The key of the picture on screen. */
let shownKey = '';
/** When the picture was last drawn (performance.now()). */
let drawnAt = -Infinity;
/** Fewest milliseconds between two pictures while the particles move (each costs a few thousand
 * evaluations of the network and of the exact score). */
const MOVING_INTERVAL_MS = 300;

/** Model-error pictures drawn so far. */
export function modelErrorDrawn() {
  return drawn;
}

const profiles = keyedCache((pg) => pg.loss_profile(PROFILE_SAMPLES, PROFILE_TIMES));

function update() {
  const { pg, state } = page;
  if (!state.errors || !pg || page.creating) return;
  const t = pg.current_t;
  const key = `${pg.revision}@${t}`;
  if (key === shownKey) return;
  if (page.playing && performance.now() - drawnAt < MOVING_INTERVAL_MS) return;
  shownKey = key;
  drawnAt = performance.now();
  if (state.guidance !== 'none') {
    ui.setModelErrorStatus('The network is compared with the unguided exact score: set Guidance to none to see where it is wrong.');
    return;
  }
  try {
    const field = pg.model_error_field(t, ERROR_SIDE);
    /** @type {import('./model-error.js').LossAtTime[]} */
    const profile = profiles.get(String(pg.revision), pg);
    drawModelError(ui.panelCanvas('errors'), field, profile, pg.time_fraction);
    const nearest = profile.reduce((best, p) => (Math.abs(p.t - t) < Math.abs(best.t - t) ? p : best), profile[0]);
    const share = nearest.network_error / Math.max(1e-12, nearest.loss);
    ui.setModelErrorStatus(
      `Near t = ${nearest.t.toPrecision(3)}: the denoising loss E‖ε_θ − ε‖² = ${nearest.loss.toPrecision(3)} is ` +
        `${nearest.network_error.toPrecision(3)} the network's error (weighted by p_t) plus ${nearest.irreducible.toPrecision(3)} ` +
        `that no network can remove: ${(100 * share).toFixed(1)}% of the loss is the network's to lose.`,
    );
    drawn += 1;
  } catch (error) {
    ui.setModelErrorStatus(`The network's error could not be measured: ${messageOf(error)}`);
  }
}

/** @type {import('./views.js').View} */
export const modelErrorView = { name: 'errors', update };
