// @ts-check
// view-layers.js: the layers over the particles (layers.js draws them): each particle's denoised
// ghost, the arrows of the chosen lens, the trajectories of a few particles since the run
// started, the contours of the exact p_t at the particles' time (contours.js), and the
// measurement a run conditions on (measurement.js). Predictions
// are read back one update at a time.

import * as ui from './controls.js';
import { page } from './page.js';
import { runtimeError } from './errors.js';
import { oneAtATime } from './one-at-a-time.js';
import { exactProbabilitiesAt } from './exact-density.js';
import { drawContours } from './contours.js';
import { drawMeasurement } from './measurement.js';
import { DENSITY_SIDE } from './density.js';
import { LAYER_PARTICLES, LENSES, PATH_PARTICLES, clearLayers, drawLayers } from './layers.js';
import { Trails } from './trails.js';
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
  /** Their picture. */
  trails: new Trails(),
};
/** Layer pictures drawn so far (tests wait for it to grow). */
let drawn = 0;
/** The layers canvas holds nothing (cleared, and nothing drawn since). */
let blank = false;
/** Milliseconds the pictures drawn since views.js last asked cost besides their requests: their drawing, and on WebGPU the wait for their predictions. */
let drawMs = 0;

/** Layer pictures drawn so far. */
export function layersDrawn() {
  return drawn;
}

const refresh = oneAtATime(() => {
  const { pg, state, wasm } = page;
  const canvas = ui.layersCanvas();
  if (!state.ghosts && !state.arrows && !state.paths && !state.contours) {
    // Cleared once, not at every frame: a canvas that changes is composited again.
    if (!blank || state.posterior !== 'none') clearLayers(canvas);
    blank = state.posterior === 'none';
    if (!blank) drawMeasurement(canvas, state);
    return null;
  }
  blank = false;
  if (!pg || page.creating) return null;
  const owner = pg;
  const wanted = { ghosts: state.ghosts, arrows: state.arrows, paths: state.paths, lens: state.lens };
  // A new run (reset, new options, the time slider) starts new trajectories.
  const [step, fraction] = [owner.step_index, owner.time_fraction];
  if (step < trajectories.lastStep || (step === trajectories.lastStep && fraction !== trajectories.lastFraction) || step === 0) {
    trajectories.snapshots = [];
    trajectories.trails.forget();
  }
  const colourKey = `${state.seed}/${state.palette}`;
  if (trajectories.colourKey !== colourKey) {
    trajectories.colours = wasm.particle_colours(state.seed, PATH_PARTICLES, state.palette);
    trajectories.colourKey = colourKey;
    trajectories.trails.forget();
  }
  const recordStep = step !== trajectories.lastStep || trajectories.snapshots.length === 0;
  [trajectories.lastStep, trajectories.lastFraction] = [step, fraction];
  let requests;
  let exact = null;
  const requested = performance.now();
  // On WebGPU the predictions are kernels that share the (perhaps software) GPU with the run's
  // steps, and the page's thread sees none of their cost: the update is charged from the request
  // to the end of the drawing (which includes waiting for the steps queued before it, so the
  // charge errs on the side of the run). On the CPU path they were computed in the request,
  // which views.js timed: only the drawing is added.
  const chargedFrom = owner.backend === 'webgpu' && (wanted.ghosts || wanted.arrows) ? requested : null;
  try {
    // What is sampled (dataset, drawing, guidance) comes from the playground; its revision changes with it.
    const t = owner.current_t;
    exact = state.contours ? exactProbabilitiesAt(owner, t) : null;
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
      const began = performance.now();
      const now = page.state;
      if (positions) trajectories.snapshots.push(positions);
      const { colours, snapshots } = trajectories;
      const canvas = ui.layersCanvas();
      // In full when the run rests (the picture a lecturer pauses on), else the newest segments.
      const resting = !page.playing || owner.done;
      const trails = now.paths && colours && snapshots.length > 0
        ? trajectories.trails.paint(canvas.width, canvas.height, snapshots, colours, resting)
        : null;
      const arrowsNow = now.arrows && now.lens === wanted.lens ? arrows : null;
      const picture = drawLayers(canvas, now.ghosts ? ghosts : null, arrowsNow, trails, LENSES[wanted.lens]);
      if (now.contours && exact) drawContours(ui.layersCanvas(), exact, DENSITY_SIDE);
      if (now.posterior !== 'none') drawMeasurement(ui.layersCanvas(), now);
      ui.setArrowMagnification(arrowsNow ? picture.arrowMagnification : 1);
      drawn += 1;
      drawMs += performance.now() - (chargedFrom ?? began);
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

/** The drawing cost since the last call, charged once (views.js). */
function takeDrawMs() {
  const ms = drawMs;
  drawMs = 0;
  return ms;
}

/** @type {import('./views.js').View} */
export const layersView = { name: 'layers', update: refresh, takeDrawMs };
