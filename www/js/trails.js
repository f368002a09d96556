// @ts-check
// trails.js: the trajectories layer, the path of each of the first particles since the run
// started, fading with age (the oldest segment at 15% opacity, the newest at 95%), painted into a
// canvas of its own that the layers copy each frame.
//
// Painting every segment at its shade costs a frame a segment per particle and step so far (48 x
// 200 at the end of a 200-step run): the trails are painted in full only when they have grown by
// REPAINT_GROWTH since their last full painting, or when the run rests (paused or done); in
// between, the newest segments are added at the newest shade.

import { projector } from './layers.js';

/** Opacities of a trail, from the oldest segment's to the newest's. */
const SHADES = 17;
/** The trails are painted in full again once they have this many times more segments. */
const REPAINT_GROWTH = 0.125;

/**
 * The shade (0 to SHADES - 1) of segment `k` (1 to `segments`) of a trail.
 * @param {number} k
 * @param {number} segments
 */
function shadeOf(k, segments) {
  return Math.round(((SHADES - 1) * k) / segments);
}

/**
 * The stroke style of `colour` (r, g, b in [0, 1]) at `shade`.
 * @param {Float32Array} colours
 * @param {number} i
 * @param {number} shade
 */
function strokeStyle(colours, i, shade) {
  const [r, g, b] = [0, 1, 2].map((c) => Math.round(255 * colours[3 * i + c]));
  return `rgb(${r} ${g} ${b} / ${(0.15 + (0.8 * shade) / (SHADES - 1)).toFixed(3)})`;
}

/** The trails of one run, painted into `image`. */
export class Trails {
  constructor() {
    /** The painted trails, as large as the layers canvas. */
    this.image = document.createElement('canvas');
    /** Segments on the image, and how many there were at its last full painting. */
    this.painted = 0;
    this.fullyPainted = 0;
    /** The image shows trails of another run or colours: paint in full next time. */
    this.stale = true;
  }

  /** The next painting is in full (a new run, new colours). */
  forget() {
    this.stale = true;
  }

  /**
   * Brings the image up to `snapshots` (the first particles' positions after each drawn frame,
   * Float32Arrays of x, y) with dots of `colours`, for a canvas of `width` x `height`; in full
   * when `resting` (the run does not move) or when due.
   * @param {number} width
   * @param {number} height
   * @param {Float32Array[]} snapshots
   * @param {Float32Array} colours
   * @param {boolean} resting
   * @returns {HTMLCanvasElement}
   */
  paint(width, height, snapshots, colours, resting) {
    const segments = Math.max(0, snapshots.length - 1);
    const resized = this.image.width !== width || this.image.height !== height;
    const full = this.stale || resized || resting || segments < this.painted
      || segments - this.fullyPainted >= Math.max(1, REPAINT_GROWTH * this.fullyPainted);
    if (resized) {
      this.image.width = width;
      this.image.height = height;
    }
    // On the CPU like the layers canvas it is copied onto (canvases.js).
    const ctx = /** @type {CanvasRenderingContext2D} */ (this.image.getContext('2d', { willReadFrequently: true }));
    if (full) {
      ctx.clearRect(0, 0, width, height);
      this.strokeSegments(ctx, snapshots, colours, 1, segments, (k) => shadeOf(k, segments));
      this.fullyPainted = segments;
      this.stale = false;
    } else if (segments > this.painted) {
      this.strokeSegments(ctx, snapshots, colours, this.painted + 1, segments, () => SHADES - 1);
    }
    this.painted = segments;
    return this.image;
  }

  /**
   * Strokes segments `first` to `last` of every trail (segment k joins snapshots k - 1 and k),
   * those of one shade in one stroke.
   * @param {CanvasRenderingContext2D} ctx
   * @param {Float32Array[]} snapshots
   * @param {Float32Array} colours
   * @param {number} first
   * @param {number} last
   * @param {(k: number) => number} shade
   */
  strokeSegments(ctx, snapshots, colours, first, last, shade) {
    if (first > last) return;
    const toPixel = projector(this.image);
    ctx.lineWidth = 1.25 * Math.max(1, this.image.width / 600);
    const count = snapshots[0].length / 2;
    for (let i = 0; i < count; i += 1) {
      let k = first;
      while (k <= last) {
        const current = shade(k);
        ctx.strokeStyle = strokeStyle(colours, i, current);
        ctx.beginPath();
        ctx.moveTo(...toPixel(snapshots[k - 1][2 * i], snapshots[k - 1][2 * i + 1]));
        for (; k <= last && shade(k) === current; k += 1) {
          ctx.lineTo(...toPixel(snapshots[k][2 * i], snapshots[k][2 * i + 1]));
        }
        ctx.stroke();
      }
    }
  }
}
