// @ts-check
// layers.js: what the score source predicts at the particles, drawn over them on a transparent
// 2-D canvas. The wasm's `predict(target, limit)` gives, for the first `limit` particles, the
// position x_t and the prediction (4 numbers per particle):
//
// - ghosts: x0_hat = E[x0 | x_t] = (x_t - sigma_t eps_hat) / alpha_t (Tweedie's formula, Efron
//   2011), a white dot where the particle "thinks" its clean data point is; early in a
//   reverse run all ghosts sit near the data mean, and they spread onto the data as t falls;
// - arrows, through the "lens" of one parametrization of the same prediction (docs/theory.md):
//   the score grad log p_t = -eps_hat / sigma_t (drawn along -eps_hat with a length proportional
//   to |eps_hat|, the score scaled by sigma_t, so arrows keep a readable size at every noise
//   level), the noise eps_hat itself, or the velocity v = alpha'_t x0_hat + sigma'_t eps_hat of
//   the probability-flow ODE (drawn as -v, the way particles move as t decreases);
// - trails: the whole path of a few particles since the run started, fading with age
//   (painted by trails.js).

/** Particles whose whole trajectory is drawn (the trajectories layer). */
export const PATH_PARTICLES = 48;
/**
 * A lens: what `predict` is asked for, the sign of the drawn direction, and world units of
 * arrow per unit of the vector.
 * @typedef {{ target: string, sign: number, lengthPerUnit: number }} Lens
 */

/**
 * What each lens asks the wasm for and how its vectors are drawn: the prediction's target, the
 * sign of the drawn direction, and world units of arrow per unit of the vector.
 * @type {Record<string, Lens>}
 */
export const LENSES = {
  score: { target: 'eps', sign: -1, lengthPerUnit: 0.12 },
  eps: { target: 'eps', sign: 1, lengthPerUnit: 0.12 },
  velocity: { target: 'velocity', sign: -1, lengthPerUnit: 0.06 },
};

/** Particles that get a ghost or an arrow (the first ones; each has a random colour anyway). */
export const LAYER_PARTICLES = 1500;
/** Opacities of a trail, from the oldest segment's to the newest's. */
const TRAIL_SHADES = 17;

/**
 * The shade (0 to TRAIL_SHADES - 1) of segment `k` (1 to `segments`) of a trail.
 * @param {number} k
 * @param {number} segments
 */
function trailShade(k, segments) {
  return Math.round(((TRAIL_SHADES - 1) * k) / segments);
}

/** Ghosts that also get a faint line back to their particle. */
const GHOST_LINES = 200;
/** World units shown from the centre to the nearer edge: render::DEFAULT_HALF_EXTENT. */
const HALF_EXTENT = 3.0;
/** Particles that get an arrow (fewer than ghosts: arrows cover more of the picture). */
const ARROW_PARTICLES = 400;
/** Longest arrow, in world units (|eps_hat| is about 1.4 on average, rarely above 4). */
const MAX_ARROW_LENGTH = 0.4;
/**
 * Shortest median arrow, in world units: where a lens's vectors are small (the velocity of a VP
 * schedule at t = 0.5 is about 0.3, which `lengthPerUnit` would draw 3 px long, all arrowhead)
 * every arrow is drawn longer by the same factor, so relative lengths stay true; the legend
 * gives the factor.
 */
const MIN_MEDIAN_ARROW_LENGTH = 0.1;
/** Arrowhead length in device pixels, and at most this fraction of its arrow. */
const ARROWHEAD_PX = 4;
const ARROWHEAD_FRACTION = 0.4;

/**
 * World units of arrow per unit of vector for `norms` (the drawn vectors' lengths) under `lens`:
 * the lens's own `lengthPerUnit`, raised so that the median arrow is at least
 * MIN_MEDIAN_ARROW_LENGTH long.
 * @param {number[]} norms
 * @param {Lens} lens
 */
export function arrowScale(norms, lens) {
  const finite = norms.filter((n) => Number.isFinite(n) && n > 0).sort((a, b) => a - b);
  if (finite.length === 0) return lens.lengthPerUnit;
  const median = finite[Math.floor(finite.length / 2)];
  return Math.max(lens.lengthPerUnit, MIN_MEDIAN_ARROW_LENGTH / median);
}

/**
 * World point (x, y) to canvas pixels (x right, y down), as View::to_pixel in Rust.
 * @param {HTMLCanvasElement} canvas
 * @returns {(x: number, y: number) => [number, number]}
 */
export function projector(canvas) {
  const scale = (0.5 * Math.min(canvas.width, canvas.height)) / HALF_EXTENT;
  return (x, y) => [0.5 * canvas.width + scale * x, 0.5 * canvas.height - scale * y];
}

/**
 * Clears the layers canvas.
 * @param {HTMLCanvasElement} canvas
 */
export function clearLayers(canvas) {
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')).clearRect(0, 0, canvas.width, canvas.height);
}

/**
 * Draws the layers. `ghosts` and `arrows` are the Float32Arrays of `predict('x0', n)` and
 * `predict('eps', n)`, or null for a layer that is off; `trails` is null or the trails of the
 * first PATH_PARTICLES particles painted as large as the canvas (trails.js). Non-finite predictions (x0
 * where alpha = 0) are skipped. Returns `{ arrowMagnification }`: how many times longer than
 * the lens's `lengthPerUnit` the arrows were drawn (1 unless the vectors were small).
 * @param {HTMLCanvasElement} canvas
 * @param {Float32Array | null} ghosts
 * @param {Float32Array | null} arrows
 * @param {HTMLCanvasElement | null} trails
 * @param {Lens} lens
 */
export function drawLayers(canvas, ghosts, arrows, trails = null, lens = LENSES.score) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  let scale = lens.lengthPerUnit;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const style = getComputedStyle(document.documentElement);
  const toPixel = projector(canvas);
  const px = Math.max(1, canvas.width / 600);
  if (trails) ctx.drawImage(trails, 0, 0);
  if (ghosts) {
    ctx.strokeStyle = 'rgb(255 255 255 / 0.18)';
    ctx.lineWidth = px;
    ctx.beginPath();
    for (let i = 0; i < Math.min(GHOST_LINES, ghosts.length / 4); i += 1) {
      const [x, y, gx, gy] = ghosts.subarray(4 * i, 4 * i + 4);
      if (!Number.isFinite(gx) || !Number.isFinite(gy)) continue;
      ctx.moveTo(...toPixel(x, y));
      ctx.lineTo(...toPixel(gx, gy));
    }
    ctx.stroke();
    ctx.fillStyle = style.getPropertyValue('--ghost').trim() || '#ffffff';
    ctx.globalAlpha = 0.85;
    for (let i = 0; i < ghosts.length / 4; i += 1) {
      const gx = ghosts[4 * i + 2];
      const gy = ghosts[4 * i + 3];
      if (!Number.isFinite(gx) || !Number.isFinite(gy)) continue;
      const [u, v] = toPixel(gx, gy);
      ctx.fillRect(u - px, v - px, 2 * px, 2 * px);
    }
    ctx.globalAlpha = 1;
  }
  if (arrows) {
    ctx.strokeStyle = style.getPropertyValue('--arrow').trim() || '#ffb000';
    ctx.lineWidth = px;
    ctx.beginPath();
    const count = Math.min(ARROW_PARTICLES, arrows.length / 4);
    const norms = Array.from({ length: count }, (_, i) => Math.hypot(arrows[4 * i + 2], arrows[4 * i + 3]));
    scale = arrowScale(norms, lens);
    for (let i = 0; i < count; i += 1) {
      const [x, y, ex, ey] = arrows.subarray(4 * i, 4 * i + 4);
      const norm = norms[i];
      if (!Number.isFinite(norm) || norm === 0) continue;
      const length = Math.min(MAX_ARROW_LENGTH, scale * norm);
      const [dx, dy] = [((lens.sign * ex) / norm) * length, ((lens.sign * ey) / norm) * length];
      const [u0, v0] = toPixel(x, y);
      const [u1, v1] = toPixel(x + dx, y + dy);
      ctx.moveTo(u0, v0);
      ctx.lineTo(u1, v1);
      // Arrowhead: two short strokes back from the tip at +-25 degrees.
      const angle = Math.atan2(v1 - v0, u1 - u0);
      const head = Math.min(ARROWHEAD_PX * px, ARROWHEAD_FRACTION * Math.hypot(u1 - u0, v1 - v0));
      for (const side of [-0.44, 0.44]) {
        ctx.moveTo(u1, v1);
        ctx.lineTo(u1 - head * Math.cos(angle + side), v1 - head * Math.sin(angle + side));
      }
    }
    ctx.stroke();
  }
  return { arrowMagnification: scale / lens.lengthPerUnit };
}
