// @ts-check
// view-straightness.js: the straightness readout. Once a run with a deterministic sampler is
// done, the straightness of its first STRAIGHTNESS_PATHS paths (Liu, Gong and Liu 2022) next to
// the exact flow's from the same start, both replayed on the CPU by the wasm
// (`Session::straightness`). Cleared while a run is under way; a run that draws noise has none.

import * as ui from './controls.js';
import { page } from './page.js';
import { runtimeError } from './errors.js';

/** Paths measured: within a few percent of the mean over all, at 2 x 256 replayed particles. */
const STRAIGHTNESS_PATHS = 256;

/** The revision of the run the readout holds (`revision` changes with every option and data), or NaN. */
let measuredRevision = NaN;

function update() {
  const pg = page.pg;
  if (!pg) return;
  if (!pg.done) {
    if (!Number.isNaN(measuredRevision)) ui.setStraightness(null);
    measuredRevision = NaN;
    return;
  }
  if (measuredRevision === pg.revision) return;
  measuredRevision = pg.revision;
  try {
    ui.setStraightness(pg.straightness(STRAIGHTNESS_PATHS));
  } catch (error) {
    if (/** @type {{ field?: string }} */ (error)?.field === 'sampler') {
      ui.setStraightness(null, 'none (the sampler draws noise)');
    } else if (/** @type {{ field?: string }} */ (error)?.field === 'steps') {
      ui.setStraightness(null, 'none (one step is a straight chord)');
    } else if (/** @type {{ field?: string }} */ (error)?.field === 'posterior') {
      ui.setStraightness(null, 'none (SMC copies particles)');
    } else {
      runtimeError('Measuring the straightness of the paths', error);
    }
  }
}

/** @type {import('./views.js').View} */
export const straightnessView = { name: 'straightness', update };
