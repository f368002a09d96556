// @ts-check
// view-space-time.js: the 1-D space-time view (docs/theory.md) when open, recomputed when its
// settings change, with the particles' time marked.

import * as ui from './controls.js';
import { page } from './page.js';
import { keyedCache } from './one-at-a-time.js';
import { drawSpaceTime } from './space-time.js';

const pictures = keyedCache((pg) => pg.space_time());

function update() {
  const { pg, state } = page;
  if (!state.spacetime || !pg) return;
  // For what the playground samples (a drawing too); its revision changes with it.
  drawSpaceTime(ui.panelCanvas('spacetime'), pictures.get(String(pg.revision), pg), pg.time_fraction);
}

/** @type {import('./views.js').View} */
export const spaceTimeView = { name: 'spacetime', update };
