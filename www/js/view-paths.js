// @ts-check
// view-paths.js: the straight-and-curved-paths panel (`straight=1`, when open): straight conditional paths beside the curved
// marginal trajectories of the exact and the run's flow, drawn again when what is sampled
// changes (the playground's revision).

import * as ui from './controls.js';
import { page } from './page.js';
import { drawPaths } from './paths.js';
import { runtimeError } from './errors.js';

/** Particles whose paths are drawn. */
const PATHS_SHOWN = 16;

/** The revision of the picture on the canvas, or NaN. */
let drawnRevision = NaN;

function update() {
  const { pg, state } = page;
  if (!state.straight || !pg) return;
  if (drawnRevision === pg.revision) return;
  drawnRevision = pg.revision;
  try {
    const picture = pg.path_comparison(PATHS_SHOWN);
    drawPaths(ui.panelCanvas('straight'), picture);
    ui.setPathsStatus(`${picture.paths} paths of ${picture.frames - 1} steps.`);
  } catch (error) {
    if (/** @type {{ field?: string }} */ (error)?.field === 'sampler') {
      ui.setPathsStatus('The sampler draws noise, so its paths are not smooth: pick a deterministic one (Heun, DDIM with η = 0, ...) to see the trajectories.');
    } else if (/** @type {{ field?: string }} */ (error)?.field === 'posterior') {
      ui.setPathsStatus('SMC copies particles, so they have no single path.');
    } else {
      runtimeError('Drawing the paths', error);
    }
  }
}

/** @type {import('./views.js').View} */
export const pathsView = { name: 'straight', update };
