// @ts-check
// drawing.js: draw your own data. In draw mode, strokes on the picture become points (one every
// DRAW_SPACING world units along a stroke, at most `drawingLimits().maxPoints`); the drawing
// becomes the dataset, first with its exact score, then, once a network has been trained on it
// (on the CPU inside the wasm, a chunk of Adam steps between frames), with the learned one.
// Drawings travel in share links (compressed) and as JSON files. Every point carries a class, its
// stroke colour (`[x, y, c]`, c an index of `describe().drawing.classes`: pick a colour, then
// draw), so guidance works on drawings as on the built-in datasets.

import { sizeToBox } from './canvas-size.js';

/** World units between consecutive points of a stroke (about the drawn knots' std, 0.06). */
export const DRAW_SPACING = 0.07;
/**
 * The drawing limits of `core::drawing` until the wasm's `describe().drawing` gives them
 * (`useDrawingLimits`): the most points a drawing holds (`MAX_DRAWN_POINTS`), and the picture's
 * half extent in world units (`render::DEFAULT_HALF_EXTENT`), which bounds every coordinate:
 * |x|, |y| <= halfExtent, in a link and in the wasm alike.
 */
export const DEFAULT_DRAWING_LIMITS = Object.freeze({ halfExtent: 3, maxPoints: 512 });
/**
 * Largest |int16| a link stores. -32768 is left out so that the one range holds: int16 steps of
 * halfExtent / LINK_INT16_MAX, and |v| <= halfExtent for every value a link can carry.
 */
export const LINK_INT16_MAX = 32767;

/** The colour strokes of each class are drawn in (the classes of `core::drawing::DRAWING_CLASSES`). */
export const STROKE_COLOURS = Object.freeze(['#4ea8ff', '#ff9d3b', '#5fd35f', '#ff6fb5']);

/**
 * The limits in force: the defaults, or what the wasm described.
 * @type {Readonly<{ halfExtent: number, maxPoints: number }>}
 */
let limits = DEFAULT_DRAWING_LIMITS;

/**
 * Takes the drawing limits of the wasm (`describe().drawing`: `{ half_extent, max_points }`);
 * without them (an older build) the defaults stay.
 * @param {{ half_extent: number, max_points: number } | undefined} described
 */
export function useDrawingLimits(described) {
  if (described === undefined || described === null) return;
  const { half_extent: halfExtent, max_points: maxPoints } = described;
  if (!(Number.isFinite(halfExtent) && halfExtent > 0 && Number.isInteger(maxPoints) && maxPoints > 0)) {
    throw new Error(`drawing.js: describe().drawing is not { half_extent, max_points }: ${JSON.stringify(described)}`);
  }
  limits = Object.freeze({ halfExtent, maxPoints });
}

/** The drawing limits in force: `{ halfExtent, maxPoints }`. */
export function drawingLimits() {
  return limits;
}

/**
 * Characters of the link form of a drawing of `points` points (base64url without padding).
 * @param {number} points
 */
export function encodedLength(points) {
  return Math.ceil((4 * points * 4) / 3);
}

/**
 * World point of a pointer event over `element` (the canvas frame), or null outside.
 * @param {Element} element
 * @param {{ clientX: number, clientY: number }} event
 * @returns {number[] | null}
 */
export function worldPoint(element, event) {
  const { halfExtent } = limits;
  const box = element.getBoundingClientRect();
  const side = Math.min(box.width, box.height);
  const ppu = (0.5 * side) / halfExtent;
  const x = (event.clientX - box.left - 0.5 * box.width) / ppu;
  const y = (0.5 * box.height - (event.clientY - box.top)) / ppu;
  return Math.abs(x) <= halfExtent && Math.abs(y) <= halfExtent ? [x, y] : null;
}

/**
 * Turns pointer strokes on `surface` into points `[x, y, class]`, calling `onChange(points)` as
 * they grow; new strokes take the class last given to `setClass`. Returns
 * `{ points, clear(), set(points), setClass(c) }`.
 * @param {HTMLElement} surface
 * @param {(points: number[][]) => void} onChange
 */
export function strokeRecorder(surface, onChange) {
  /** @type {number[][]} */
  const points = [];
  let strokeClass = 0;
  let drawing = false;
  /** @type {number[] | null} */
  let last = null;
  /** @param {PointerEvent} event */
  const add = (event) => {
    const p = worldPoint(surface, event);
    if (!p || points.length >= limits.maxPoints) return;
    if (last && Math.hypot(p[0] - last[0], p[1] - last[1]) < DRAW_SPACING) return;
    points.push([p[0], p[1], strokeClass]);
    last = p;
    onChange(points);
  };
  surface.addEventListener('pointerdown', (event) => {
    drawing = true;
    last = null;
    surface.setPointerCapture?.(event.pointerId);
    add(event);
  });
  surface.addEventListener('pointermove', (event) => {
    if (drawing) add(event);
  });
  for (const type of ['pointerup', 'pointercancel']) surface.addEventListener(type, () => { drawing = false; });
  return {
    points,
    clear() {
      points.length = 0;
      onChange(points);
    },
    /** @param {number[][]} next */
    set(next) {
      points.length = 0;
      points.push(...next.slice(0, limits.maxPoints));
      onChange(points);
    },
    /** @param {number} c the class of the strokes drawn next */
    setClass(c) {
      strokeClass = c;
    },
  };
}

/**
 * Draws the points (and the strokes between neighbours) on the transparent `canvas`.
 * @param {HTMLCanvasElement} canvas
 * @param {number[][]} points
 */
export function drawStrokes(canvas, points) {
  const { ratio } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const ppu = (0.5 * Math.min(canvas.width, canvas.height)) / limits.halfExtent;
  // A drawing of one class keeps the plain white dots; with more, each stroke shows its colour.
  const coloured = points.some((p) => (p[2] ?? 0) !== 0);
  for (const [x, y, c = 0] of points) {
    ctx.fillStyle = coloured ? STROKE_COLOURS[c] ?? '#ffffff' : '#ffffff';
    ctx.beginPath();
    ctx.arc(0.5 * canvas.width + ppu * x, 0.5 * canvas.height - ppu * y, 2.5 * ratio, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/**
 * Flat x, y numbers of `points`, for the wasm.
 * @param {number[][]} points
 */
export function flatten(points) {
  return Float32Array.from(points.flatMap((p) => [p[0], p[1]]));
}

/**
 * The class of each point (0 where a point has none), for the wasm.
 * @param {number[][]} points
 */
export function labelsOf(points) {
  return Uint32Array.from(points, (p) => p[2] ?? 0);
}

/** Letters of the classes in the link form of a drawing's classes ('a' is class 0). */
const CLASS_LETTERS = 'abcd';

/**
 * The link form of the points' classes (`drawn_classes`): runs of one letter per class and a
 * count, in point order ("a40b12"); empty when every point is in the first class (the links of
 * before classes mean just that).
 * @param {number[][]} points
 */
export function encodeStrokeClasses(points) {
  if (points.every((p) => (p[2] ?? 0) === 0)) return '';
  let text = '';
  for (let i = 0; i < points.length;) {
    const c = points[i][2] ?? 0;
    let j = i;
    while (j < points.length && (points[j][2] ?? 0) === c) j += 1;
    text += `${CLASS_LETTERS[c]}${j - i}`;
    i = j;
  }
  return text;
}

/**
 * Reads the link form of a drawing's classes: the class of each point, at most `maxPoints`.
 * @param {string} text
 * @returns {{ ok: true, classes: number[] } | { ok: false, problem: string }}
 */
export function decodeStrokeClasses(text) {
  if (text.length > encodedLength(limits.maxPoints)) return { ok: false, problem: 'it is too long' };
  if (!/^([a-d][1-9][0-9]{0,3})*$/.test(text)) return { ok: false, problem: `it is not runs of a class letter (${CLASS_LETTERS}) and a count` };
  /** @type {number[]} */
  const classes = [];
  for (const [, letter, count] of text.matchAll(/([a-d])([0-9]+)/g)) {
    if (classes.length + Number(count) > limits.maxPoints) return { ok: false, problem: `it has more than ${limits.maxPoints} points` };
    for (let k = 0; k < Number(count); k += 1) classes.push(CLASS_LETTERS.indexOf(letter));
  }
  return { ok: true, classes };
}

/**
 * `points` with the classes of the link form `text` (empty: all the first class).
 * @param {number[][]} points
 * @param {string} text
 * @returns {{ ok: true, points: number[][] } | { ok: false, problem: string }}
 */
export function withStrokeClasses(points, text) {
  const decoded = decodeStrokeClasses(text);
  if (!decoded.ok) return decoded;
  const { classes } = decoded;
  if (text !== '' && classes.length !== points.length) {
    return { ok: false, problem: `its classes are for ${classes.length} points, the drawing has ${points.length}` };
  }
  return { ok: true, points: points.map(([x, y], i) => [x, y, classes[i] ?? 0]) };
}

/**
 * The stroke classes `points` have, ascending.
 * @param {number[][]} points
 */
export function usedClasses(points) {
  return [...new Set(points.map((p) => p[2] ?? 0))].sort((a, b) => a - b);
}

/**
 * The inverse of `flatten`.
 * @param {ArrayLike<number>} flat
 */
export function unflatten(flat) {
  /** @type {number[][]} */
  const points = [];
  for (let i = 0; i + 1 < flat.length; i += 2) points.push([flat[i], flat[i + 1]]);
  return points;
}

/**
 * The link form of a drawing: int16 coordinates (steps of halfExtent / LINK_INT16_MAX, clamped to
 * +-LINK_INT16_MAX), little-endian, base64url without padding.
 * @param {number[][]} points
 */
export function encodeDrawing(points) {
  const scale = LINK_INT16_MAX / limits.halfExtent;
  const toInt16 = (/** @type {number} */ v) => Math.max(-LINK_INT16_MAX, Math.min(LINK_INT16_MAX, Math.round(v * scale)));
  const bytes = new Uint8Array(4 * points.length);
  const view = new DataView(bytes.buffer);
  points.forEach(([x, y], i) => {
    view.setInt16(4 * i, toInt16(x), true);
    view.setInt16(4 * i + 2, toInt16(y), true);
  });
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Reads the link form of a drawing: at most `maxPoints` points, every int16 within
 * +-LINK_INT16_MAX (so every coordinate within +-halfExtent, as the wasm requires).
 * @param {string} text
 * @returns {{ ok: true, points: number[][] } | { ok: false, problem: string }}
 */
export function decodeDrawing(text) {
  const { halfExtent, maxPoints } = limits;
  // Checked before anything else reads it: a hostile link may carry megabytes.
  if (text.length > encodedLength(maxPoints)) return { ok: false, problem: `it has more than ${maxPoints} points` };
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return { ok: false, problem: 'it is not base64url text' };
  let binary;
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return { ok: false, problem: 'it is not base64url text' };
  }
  if (binary.length === 0 || binary.length % 4 !== 0) return { ok: false, problem: 'its length is not a whole number of points' };
  if (binary.length / 4 > maxPoints) return { ok: false, problem: `it has more than ${maxPoints} points` };
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const points = [];
  for (let i = 0; i < bytes.length; i += 4) {
    const x = view.getInt16(i, true);
    const y = view.getInt16(i + 2, true);
    if (x < -LINK_INT16_MAX || y < -LINK_INT16_MAX) {
      return { ok: false, problem: `point ${i / 4} is outside [-${halfExtent}, ${halfExtent}] (int16 -32768)` };
    }
    // Multiplied first, so that +-LINK_INT16_MAX reads as exactly +-halfExtent.
    points.push([(x * halfExtent) / LINK_INT16_MAX, (y * halfExtent) / LINK_INT16_MAX]);
  }
  return { ok: true, points };
}

/**
 * The JSON form of a drawing (what Export writes and Import reads).
 * @param {number[][]} points
 */
export function drawingToJson(points) {
  const classes = points.map((p) => p[2] ?? 0);
  return JSON.stringify({
    format: 'diffusion-playground-drawing',
    version: 2,
    points: points.map(([x, y]) => [+x.toFixed(4), +y.toFixed(4)]),
    ...(classes.some((c) => c !== 0) && { classes }),
  });
}

/**
 * Reads a JSON drawing: `{ "points": [[x, y], ...], "classes": [c, ...] }` (classes optional:
 * all the first), or a bare array of pairs.
 * @param {string} text
 * @returns {{ ok: true, points: number[][] } | { ok: false, problem: string }}
 */
export function drawingFromJson(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `it is not JSON (${/** @type {Error} */ (error).message})` };
  }
  const list = Array.isArray(value) ? value : value?.points;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, problem: 'it has no "points" list' };
  const { halfExtent, maxPoints } = limits;
  if (list.length > maxPoints) return { ok: false, problem: `it has ${list.length} points, more than ${maxPoints}` };
  const points = [];
  for (const [i, p] of list.entries()) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= halfExtent)) {
      return { ok: false, problem: `point ${i} is not a pair of numbers inside [-${halfExtent}, ${halfExtent}]` };
    }
    points.push([p[0], p[1]]);
  }
  const classes = Array.isArray(value) ? undefined : value?.classes;
  if (classes === undefined) return { ok: true, points: points.map(([x, y]) => [x, y, 0]) };
  const count = STROKE_COLOURS.length;
  if (!Array.isArray(classes) || classes.length !== points.length || !classes.every((c) => Number.isInteger(c) && c >= 0 && c < count)) {
    return { ok: false, problem: `its "classes" are not one class from 0 to ${count - 1} per point` };
  }
  return { ok: true, points: points.map(([x, y], i) => [x, y, classes[i]]) };
}

/**
 * Plots the training loss on `canvas`, log-scaled and smoothed: `losses` holds one value per
 * `every` steps (1 on the CPU, where every step's loss is known; a chunk's last on the GPU).
 * @param {HTMLCanvasElement} canvas
 * @param {number[] | Float32Array} losses
 * @param {number} steps
 */
export function drawLoss(canvas, losses, steps, every = 1) {
  const { ratio } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length === 0) return;
  const smoothed = [];
  const keep = 0.95 ** every;
  let average = losses[0];
  for (const l of losses) {
    average = keep * average + (1 - keep) * l;
    smoothed.push(average);
  }
  const logs = smoothed.map((v) => Math.log10(Math.max(v, 1e-6)));
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of logs) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const pad = 14 * ratio;
  const toX = (/** @type {number} */ i) => pad + ((i * every) / Math.max(1, steps - 1)) * (canvas.width - 2 * pad);
  const toY = (/** @type {number} */ v) => canvas.height - pad - ((v - lo) / Math.max(1e-9, hi - lo)) * (canvas.height - 2 * pad);
  const style = getComputedStyle(document.documentElement);
  ctx.strokeStyle = style.getPropertyValue('--accent').trim() || '#7cc4ff';
  ctx.lineWidth = 1.5 * ratio;
  // About one point per pixel column: the curve of every step (24,000 by default) stroked at each
  // tick of the training made each tick slower than the last, and the page's training three times
  // slower by its end.
  const stride = Math.max(1, Math.ceil(logs.length / Math.max(1, canvas.width)));
  ctx.beginPath();
  ctx.moveTo(toX(0), toY(logs[0]));
  for (let i = stride; i < logs.length; i += stride) ctx.lineTo(toX(i), toY(logs[i]));
  const last = logs.length - 1;
  if (last > 0 && last % stride !== 0) ctx.lineTo(toX(last), toY(logs[last]));
  ctx.stroke();
  ctx.fillStyle = style.getPropertyValue('--muted').trim() || '#999';
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.fillText(`loss ${smoothed[smoothed.length - 1].toFixed(3)} (step ${Math.min(steps, losses.length * every)} of ${steps})`, pad, pad);
}

/**
 * Draws training pairs on `canvas`: a line from each noise (grey) to the data point it is paired
 * with (the accent colour), in world coordinates within +-`halfExtent`, aspect kept.
 * @param {HTMLCanvasElement} canvas
 * @param {Float32Array | number[]} pairs  interleaved x0.x, x0.y, eps.x, eps.y
 * @param {number} halfExtent
 */
export function drawPairs(canvas, pairs, halfExtent) {
  const { ratio } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const scale = Math.min(canvas.width, canvas.height) / (2 * halfExtent);
  const toX = (/** @type {number} */ x) => canvas.width / 2 + x * scale;
  const toY = (/** @type {number} */ y) => canvas.height / 2 - y * scale;
  const style = getComputedStyle(document.documentElement);
  const accent = style.getPropertyValue('--accent').trim() || '#7cc4ff';
  const muted = style.getPropertyValue('--muted').trim() || '#999';
  ctx.lineWidth = ratio;
  ctx.globalAlpha = 0.45;
  ctx.strokeStyle = muted;
  ctx.beginPath();
  for (let i = 0; i + 3 < pairs.length; i += 4) {
    ctx.moveTo(toX(pairs[i + 2]), toY(pairs[i + 3]));
    ctx.lineTo(toX(pairs[i]), toY(pairs[i + 1]));
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
  for (let i = 0; i + 3 < pairs.length; i += 4) {
    ctx.fillStyle = muted;
    ctx.fillRect(toX(pairs[i + 2]) - ratio, toY(pairs[i + 3]) - ratio, 2 * ratio, 2 * ratio);
    ctx.fillStyle = accent;
    ctx.fillRect(toX(pairs[i]) - 1.5 * ratio, toY(pairs[i + 1]) - 1.5 * ratio, 3 * ratio, 3 * ratio);
  }
}
