// @ts-check
// exact-density.js: the exact bin probabilities of p_t on the density view's grid, which the
// density view and the contours both show. They depend on what is sampled (the playground's
// revision) and on t alone, so each time of a run is computed once and kept: a replayed run, a
// scrubbed slider and the second of the two views look them up.

import { DENSITY_SIDE } from './density.js';

/** Times kept per revision: a run of up to this many steps is computed once (64 x 64 floats each, 16 KiB). */
const KEPT_TIMES = 1024;

/** The revision the kept times belong to, and the probabilities by time. */
let keptRevision = -1;
/** @type {Map<number, Float32Array>} */
const byTime = new Map();

/**
 * The exact probability of each bin under p_t at time `t` of what `pg` samples (row-major,
 * DENSITY_SIDE x DENSITY_SIDE; `Playground.exact_probabilities`).
 * @param {import('./page.js').Playground} pg
 * @param {number} t
 * @returns {Float32Array}
 */
export function exactProbabilitiesAt(pg, t) {
  if (pg.revision !== keptRevision) {
    byTime.clear();
    keptRevision = pg.revision;
  }
  let probabilities = byTime.get(t);
  if (!probabilities) {
    probabilities = pg.exact_probabilities(t, DENSITY_SIDE);
    // The oldest time goes first when the map is full (a Map iterates in insertion order).
    if (byTime.size >= KEPT_TIMES) byTime.delete(/** @type {number} */ (byTime.keys().next().value));
    byTime.set(t, probabilities);
  }
  return probabilities;
}
