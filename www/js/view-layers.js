// @ts-check
// view-layers.js: the layers over the particles (layers.js draws them): each particle's denoised
// ghost, the arrows of the chosen lens, the trajectories of a few particles since the run
// started, the contours of the exact p_t at the particles' time (contours.js), and the
// measurement a run conditions on (measurement.js). Predictions
// are read back one update at a time.

import * as ui from './controls.js';
import { page } from './page.js';
import { runtimeError } from './errors.js';
import { keyedCache, oneAtATime } from './one-at-a-time.js';
import { drawContours } from './contours.js';
import { drawMeasurement } from './measurement.js';
import { DENSITY_SIDE } from './density.js';
import { LAYER_PARTICLES, LENSES, PATH_PARTICLES, clearLayers, drawLayers } from './layers.js';
import { captureForRecordings, recordingsRunning } from './export-feature.js';

/** The trajectories layer: positions of the first particles after each drawn frame of this run. */
const trajectories = {
  /** @type {Float32Array[]} */
  snapshots: [],
  /** @type {Float32Array | null} */
  colours: null,
  colourKey: '',
  lastStep: -1,
  lastFraction: -1,
};
/** Layer pictures drawn so far (tests wait for it to grow). */
let drawn = 0;

/** The exact bin probabilities of p_t the contours trace (the density view's grid). */
const exactForContours = keyedCache((pg, t) => pg.exact_probabilities(t, DENSITY_SIDE));

/** Layer pictures drawn so far. */
export function layersDrawn() {
  return drawn;
}

const refresh = oneAtATime(() => {
  const { pg, state, wasm } = page;
  const canvas = ui.layersCanvas();
  if (!state.ghosts && !state.arrows && !state.paths && !state.contours) {
    clearLayers(canvas);
    if (state.posterior !== 'none') drawMeasurement(canvas, state);
    return null;
  }
  if (!pg || page.creating) return null;
  const owner = pg;
  const wanted = { ghosts: state.ghosts, arrows: state.arrows, paths: state.paths, lens: state.lens };
  // A new run (reset, new options, the time slider) starts new trajectories.
  const [step, fraction] = [owner.step_index, owner.time_fraction];
  if (step < trajectories.lastStep || (step === trajectories.lastStep && fraction !== trajectories.lastFraction) || step === 0) {
    trajectories.snapshots = [];
  }
  const colourKey = `${state.seed}/${state.palette}`;
  if (trajectories.colourKey !== colourKey) {
    trajectories.colours = wasm.particle_colours(state.seed, PATH_PARTICLES, state.palette);
    trajectories.colourKey = colourKey;
  }
  const recordStep = step !== trajectories.lastStep || trajectories.snapshots.length === 0;
  [trajectories.lastStep, trajectories.lastFraction] = [step, fraction];
  let requests;
  let exact = null;
  try {
    // What is sampled (dataset, drawing, guidance) comes from the playground; its revision changes with it.
    const t = owner.current_t;
    exact = state.contours ? exactForContours.get(`${owner.revision}@${t}`, owner, t) : null;
    requests = [
      wanted.ghosts ? owner.predict('x0', LAYER_PARTICLES) : null,
      wanted.arrows ? owner.predict(LENSES[state.lens].target, LAYER_PARTICLES) : null,
      wanted.paths && recordStep ? owner.read_positions(PATH_PARTICLES) : null,
    ];
  } catch (error) {
    runtimeError('Drawing the layers', error);
    return null;
  }
  return Promise.all(requests)
    .then(([ghosts, arrows, positions]) => {
      if (owner !== page.pg) return;
      const now = page.state;
      if (positions) trajectories.snapshots.push(positions);
      const colours = trajectories.colours;
      const paths = now.paths && colours ? { snapshots: trajectories.snapshots, colours } : null;
      const arrowsNow = now.arrows && now.lens === wanted.lens ? arrows : null;
      const picture = drawLayers(ui.layersCanvas(), now.ghosts ? ghosts : null, arrowsNow, paths, LENSES[wanted.lens]);
      if (now.contours && exact) drawContours(ui.layersCanvas(), exact, DENSITY_SIDE);
      if (now.posterior !== 'none') drawMeasurement(ui.layersCanvas(), now);
      ui.setArrowMagnification(arrowsNow ? picture.arrowMagnification : 1);
      drawn += 1;
      // A WebGPU canvas holds its picture only in the task that rendered it: render again, then
      // let recordings take the particles with the new layers.
      if (recordingsRunning()) {
        owner.render();
        captureForRecordings();
      }
    })
    .catch((error) => {
      if (owner === page.pg) runtimeError('Drawing the layers', error);
    });
});

/** @type {import('./views.js').View} */
export const layersView = { name: 'layers', update: refresh };
