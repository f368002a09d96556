// @ts-check
// noising.js: the data forward-noised to a fraction of the time range (the time slider, a link's
// t), kept at the schedule's smallest meaningful start.

import * as ui from './controls.js';
import { page, running } from './page.js';
import { record } from './record.js';

/**
 * Shows the data forward-noised to the fraction `u` of the time range. A fraction above 0 but
 * below the schedule's smallest meaningful start (noise under `MIN_START_SIGMA` of
 * `src/core/schedule.rs`, which f32 particles cannot hold) starts there instead: say so, and keep
 * the fraction actually used in the state and the link.
 * @param {number} u
 */
export function noiseTo(u) {
  const pg = running();
  const { state, description } = page;
  pg.noise_to(u);
  page.runStart = u;
  const schedule = description.schedules.find((s) => s.name === state.schedule);
  const floor = schedule?.min_start_fraction ?? 0;
  if (u > 0 && u < floor) {
    ui.notice(
      `Time t ${u} is below the smallest meaningful start of the ${schedule?.label} schedule ` +
        `(t = ${floor.toPrecision(3)} of its range, where the noise sigma is ${description.limits.min_start_sigma}); starting there.`,
      'info',
    );
    page.runStart = pg.time_fraction;
    record({ t: pg.time_fraction });
  }
}
