// @ts-check
// view-lab.js: the schedule lab (when open): the schedule's curves with the time grid, marking the
// particles' time; the curves are recomputed when the schedule, grid or steps change.

import * as ui from './controls.js';
import { page } from './page.js';
import { keyedCache } from './one-at-a-time.js';
import { drawScheduleLab } from './schedule-lab.js';

/** Points per curve. */
const LAB_SAMPLES = 400;

const curves = keyedCache((schedule, grid, steps) => page.wasm.schedule_curves(schedule, grid, steps, LAB_SAMPLES));

function update() {
  const { pg, state } = page;
  if (!state.lab || !pg) return;
  const key = `${state.schedule}/${state.time_grid}/${state.steps}`;
  drawScheduleLab(ui.panelCanvas('lab'), curves.get(key, state.schedule, state.time_grid, state.steps), pg.time_fraction);
}

/** @type {import('./views.js').View} */
export const labView = { name: 'lab', update };
