// @ts-check
// view-distance.js: the distance readout. Once a run is done, the sliced Wasserstein distance of
// its first DISTANCE_SAMPLES particles to as many fresh data samples, next to the distance
// between two data samples of that size (the floor a perfect sampler reaches). Cleared while a
// run is under way.

import * as ui from './controls.js';
import { page } from './page.js';
import { runtimeError } from './errors.js';

/** Particles compared with fresh data. */
const DISTANCE_SAMPLES = 4096;

/** Whether the readout already holds this run's measurement (or one is on its way). */
let measured = false;

function update() {
  const pg = page.pg;
  if (!pg) return;
  if (!pg.done) {
    if (measured) ui.setDistance(null);
    measured = false;
    return;
  }
  if (measured) return;
  measured = true;
  const owner = pg;
  owner.read_positions().then(
    (positions) => {
      if (owner !== page.pg || !owner.done) return;
      const n = Math.min(DISTANCE_SAMPLES, positions.length / 2);
      // Fresh points of what the playground samples (the drawing, when one is in use).
      const { distance, floor } = owner.distance_to_data(positions.subarray(0, 2 * n));
      ui.setDistance(distance, floor);
    },
    (error) => {
      if (owner === page.pg) runtimeError('Measuring the distance to the data', error);
    },
  );
}

/** @type {import('./views.js').View} */
export const distanceView = { name: 'distance', update };
