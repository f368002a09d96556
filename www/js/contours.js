// @ts-check
// contours.js: the exact p_t as contour lines over the particles. The lines bound the smallest
// regions that hold 25%, 50%, 75% and 95% of p_t's mass (highest-density regions, Hyndman 1996),
// traced by marching squares over the exact bin probabilities of the picture (the density
// view's grid, `exact_probabilities`), so a line means the same thing on every dataset and time.

/** Probability masses whose highest-density regions are outlined. */
export const CONTOUR_MASSES = [0.25, 0.5, 0.75, 0.95];
/** World units from the centre of the picture to its nearer edge (render::DEFAULT_HALF_EXTENT). */
const HALF_EXTENT = 3.0;

/**
 * The density thresholds of the highest-density regions holding `masses` of `probabilities`
 * (bin probabilities summing to at most 1): for each mass m, the largest value c such that the
 * bins with p >= c hold at least m of the total.
 * @param {ArrayLike<number>} probabilities
 * @param {number[]} masses
 * @returns {number[]}
 */
export function hdrLevels(probabilities, masses) {
  const sorted = Array.from(probabilities).filter((p) => p > 0).sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0);
  return masses.map((m) => {
    let sum = 0;
    for (const p of sorted) {
      sum += p;
      if (sum >= m * total) return p;
    }
    return sorted.length > 0 ? sorted[sorted.length - 1] : 0;
  });
}

/**
 * Draws the contour lines of `probabilities` (a `side` x `side` grid over the picture, row 0 at
 * the top) at the highest-density levels of CONTOUR_MASSES, the outermost faintest.
 * @param {HTMLCanvasElement} canvas
 * @param {ArrayLike<number>} probabilities
 * @param {number} side
 */
export function drawContours(canvas, probabilities, side) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const scale = (0.5 * Math.min(canvas.width, canvas.height)) / HALF_EXTENT;
  const cell = (2 * HALF_EXTENT) / side;
  // Bin centres in canvas pixels: column c at x = -3 + (c + 0.5) cell, row r at y = 3 - (r + 0.5) cell.
  const px = (/** @type {number} */ c) => 0.5 * canvas.width + scale * (-HALF_EXTENT + (c + 0.5) * cell);
  const py = (/** @type {number} */ r) => 0.5 * canvas.height - scale * (HALF_EXTENT - (r + 0.5) * cell);
  const at = (/** @type {number} */ r, /** @type {number} */ c) => probabilities[r * side + c];
  const colour = getComputedStyle(document.documentElement).getPropertyValue('--text').trim() || '#fff';
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.lineWidth = Math.max(1, canvas.width / 700);
  hdrLevels(probabilities, CONTOUR_MASSES).forEach((level, k) => {
    ctx.globalAlpha = 0.85 - 0.17 * k;
    ctx.beginPath();
    for (let r = 0; r + 1 < side; r += 1) {
      for (let c = 0; c + 1 < side; c += 1) {
        // Corners clockwise from the top left; where the level crosses an edge, by linear interpolation.
        const v = [at(r, c), at(r, c + 1), at(r + 1, c + 1), at(r + 1, c)];
        const corners = [[r, c], [r, c + 1], [r + 1, c + 1], [r + 1, c]];
        /** @type {Array<[number, number]>} */
        const crossings = [];
        for (let e = 0; e < 4; e += 1) {
          const [a, b] = [v[e], v[(e + 1) % 4]];
          if ((a >= level) === (b >= level)) continue;
          const w = (level - a) / (b - a);
          const [ra, ca] = corners[e];
          const [rb, cb] = corners[(e + 1) % 4];
          crossings.push([px(ca + w * (cb - ca)), py(ra + w * (rb - ra))]);
        }
        // Two crossings: one segment; four (a saddle): two, pairing neighbouring edges.
        for (let s = 0; s + 1 < crossings.length; s += 2) {
          ctx.moveTo(crossings[s][0], crossings[s][1]);
          ctx.lineTo(crossings[s + 1][0], crossings[s + 1][1]);
        }
      }
    }
    ctx.stroke();
  });
  ctx.restore();
}
