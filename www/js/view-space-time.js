// @ts-check
// view-space-time.js: the 1-D space-time view of seed 000 (when open), recomputed when its
// settings change, with the particles' time marked.

import * as ui from './controls.js';
import { page } from './page.js';
import { keyedCache } from './one-at-a-time.js';
import { drawSpaceTime } from './space-time.js';

const pictures = keyedCache((options) => page.wasm.space_time(options));

function update() {
  const { pg, state } = page;
  if (!state.spacetime || !pg) return;
  const options = { dataset: state.dataset, schedule: state.schedule, score: state.score, seed: state.seed };
  drawSpaceTime(ui.panelCanvas('spacetime'), pictures.get(JSON.stringify(options), options), pg.time_fraction);
}

/** @type {import('./views.js').View} */
export const spaceTimeView = { name: 'spacetime', update };
