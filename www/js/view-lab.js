// @ts-check
// view-lab.js: the schedule lab (when open): the schedule's curves with the time grid, marking the
// particles' time; the curves are recomputed when the schedule, grid or steps change.

import * as ui from './controls.js';
import { page } from './page.js';
import { keyedCache } from './one-at-a-time.js';
import { drawScheduleLab } from './schedule-lab.js';

/** Points per curve. */
const LAB_SAMPLES = 400;

const curves = keyedCache((pg) => pg.schedule_curves(LAB_SAMPLES));

function update() {
  const { pg, state } = page;
  if (!state.lab || !pg) return;
  drawScheduleLab(ui.panelCanvas('lab'), curves.get(String(pg.revision), pg), pg.time_fraction);
}

/** @type {import('./views.js').View} */
export const labView = { name: 'lab', update };
