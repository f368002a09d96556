// @ts-check
// view-density.js: the density view (when open): the particles' histogram, counted where they
// live, next to the exact bin probabilities of p_t (exact-density.js: computed once per time
// of a run), and their total variation distance with the floor that sampling noise leaves.

import * as ui from './controls.js';
import { page } from './page.js';
import { runtimeError } from './errors.js';
import { oneAtATime } from './one-at-a-time.js';
import { exactProbabilitiesAt } from './exact-density.js';
import { DENSITY_SIDE, drawDensity, noiseFloor } from './density.js';

/** Density views drawn so far (tests wait for it to grow). */
let drawn = 0;
/** Milliseconds the pictures drawn since views.js last asked took, once the counts were back. */
let drawMs = 0;

/** Density views drawn so far. */
export function densityDrawn() {
  return drawn;
}

const update = oneAtATime(() => {
  const { pg, state, wasm } = page;
  if (!state.density || !pg || page.creating) return null;
  const owner = pg;
  const t = owner.current_t;
  let exact;
  let counting;
  try {
    // What is sampled (dataset, drawing, network, score) comes from the playground itself.
    exact = exactProbabilitiesAt(owner, t);
    counting = owner.histogram(DENSITY_SIDE);
  } catch (error) {
    runtimeError('Counting the particles', error);
    return null;
  }
  const total = state.particles;
  return counting
    .then((counts) => {
      if (owner !== page.pg) return;
      const began = performance.now();
      drawDensity(ui.panelCanvas('density'), counts, total, exact);
      const tv = wasm.total_variation(counts, total, exact);
      const floor = noiseFloor(total, exact);
      // A guided run's exact side is the density its score is the gradient of at t, the tilted
      // p_t(x | c)^w p_t(x)^(1 - w), which guided samplers do not sample exactly.
      const posterior = state.posterior === 'none'
        ? ''
        : `The exact side is the posterior p(x₀ | y) for the measurement y = ${state.observation} noised to t` +
          (state.posterior === 'exact' ? ', which the exact posterior score follows. ' : `, which ${state.posterior === 'dps' ? 'DPS' : 'PiGDM'} approximates. `);
      const target = state.guidance === 'none'
        ? posterior
        : `The exact side is the guided target p_t(x | ${state.class})^w p_t(x)^(1−w) with w = ${state.guidance_scale} ` +
          '(1 outside the guidance interval), which guided samplers do not sample exactly. ';
      ui.setDensityDistance(
        `${target}Total variation distance between the two: ${tv.toFixed(3)} at t = ${t.toPrecision(3)} ` +
          `(sampling noise alone leaves about ${floor.toFixed(3)} with ${total.toLocaleString('en-US')} particles)`,
      );
      drawn += 1;
      drawMs += performance.now() - began;
    })
    .catch((error) => {
      if (owner === page.pg) runtimeError('Counting the particles', error);
    });
});

/** The drawing cost since the last call, charged once (views.js). */
function takeDrawMs() {
  const ms = drawMs;
  drawMs = 0;
  return ms;
}

/** @type {import('./views.js').View} */
export const densityView = { name: 'density', update, takeDrawMs };
