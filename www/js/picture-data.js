// @ts-check
// picture-data.js: a picture file or a typed word as RGBA pixels for the wasm's `picture_data`,
// which draws the data's points from their ink. A picture is decoded by the browser through an
// image element that is never inserted into the page (so an SVG's scripts and external
// references do not run), checked for its size (the wasm's limits, `describe().drawing`) before
// it is drawn, and scaled down to the wasm's side with its aspect kept; a word is set in the font
// the reader names (the page's sans-serif when that font is not installed), black on clear.

/** Longest word set as data (characters). */
export const MAX_WORD_LENGTH = 24;
/** Size of the type a word is set in (CSS pixels), before it is scaled to the wasm's side. */
const WORD_FONT_PX = 120;
/** The font a word falls back on: the page's own sans-serif, always there. */
export const FALLBACK_FONT = 'system-ui, sans-serif';
/** The CSS generic families: always available, whatever is installed. */
const GENERIC_FAMILIES = ['serif', 'sans-serif', 'monospace', 'cursive', 'fantasy', 'system-ui'];
/** Text measured to tell whether a font is installed (wide and narrow letters differ by font). */
const FONT_PROBE = 'mmmmmmmmmwwwwwiiiiil10O@';

/** The file extensions (and image types) read as pictures. */
const PICTURE_NAME = /\.(png|jpe?g|webp|gif|svg)$/i;

/**
 * Whether `file` is read as a picture (else as points).
 * @param {File} file
 */
export function isPicture(file) {
  return file.type.startsWith('image/') || PICTURE_NAME.test(file.name);
}

/**
 * @typedef {{ pixels: Uint8Array, width: number, height: number }} Pixels
 */

/**
 * @typedef {{ max_picture_side: number, max_picture_file_bytes: number, max_picture_pixels: number }} PictureLimits
 */

/**
 * The pixels of the picture `file`, at most `limits.max_picture_side` on its longer side; rejects
 * with what is wrong.
 * @param {File} file
 * @param {PictureLimits} limits
 * @returns {Promise<Pixels>}
 */
export async function picturePixels(file, limits) {
  const { max_picture_side: side, max_picture_file_bytes: maxBytes, max_picture_pixels: maxPixels } = limits;
  if (file.size > maxBytes) {
    throw new Error(`it is ${(file.size / 1e6).toFixed(1)} MB; pictures of at most ${maxBytes / 2 ** 20} MB are read`);
  }
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    const loaded = new Promise((resolve, reject) => {
      image.onload = resolve;
      image.onerror = () => reject(new Error('the browser could not read it as a picture'));
    });
    image.src = url;
    await loaded;
    const { naturalWidth: width, naturalHeight: height } = image;
    if (!width || !height) throw new Error('it has no size (an SVG needs a width and height, or a viewBox)');
    if (width * height > maxPixels) {
      throw new Error(`it is ${width} x ${height} pixels; pictures of at most ${maxPixels / 1e6} megapixels are read`);
    }
    return rasterise(image, width, height, side);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * Whether the font family `family` is installed here: text set in it measures differently from
 * the generic family it would otherwise fall back on (checked against two, since a font may match
 * one of them).
 * @param {string} family
 */
export function fontAvailable(family) {
  if (GENERIC_FAMILIES.includes(family.trim().toLowerCase())) return true;
  const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (new OffscreenCanvas(1, 1).getContext('2d'));
  return ['monospace', 'serif'].some((generic) => {
    ctx.font = `${WORD_FONT_PX}px ${generic}`;
    const fallback = ctx.measureText(FONT_PROBE).width;
    ctx.font = `${WORD_FONT_PX}px ${JSON.stringify(family.trim())}, ${generic}`;
    return ctx.measureText(FONT_PROBE).width !== fallback;
  });
}

/**
 * The CSS font list a word is set in for the family the reader named: that family when it is
 * installed (or generic), else the page's sans-serif.
 * @param {string} family
 * @returns {{ font: string, available: boolean }}
 */
export function wordFont(family) {
  const named = family.trim();
  if (named === '') return { font: FALLBACK_FONT, available: true };
  if (!fontAvailable(named)) return { font: FALLBACK_FONT, available: false };
  const generic = GENERIC_FAMILIES.includes(named.toLowerCase());
  return { font: generic ? named.toLowerCase() : `${JSON.stringify(named)}, ${FALLBACK_FONT}`, available: true };
}

/**
 * The pixels of `text` set in bold `font` (a CSS font list), black on clear, at most `side` wide.
 * @param {string} text
 * @param {string} font
 * @param {number} side
 * @returns {Pixels}
 */
export function wordPixels(text, font, side) {
  const css = `bold ${WORD_FONT_PX}px ${font}`;
  const measure = /** @type {OffscreenCanvasRenderingContext2D} */ (new OffscreenCanvas(1, 1).getContext('2d'));
  measure.font = css;
  const margin = WORD_FONT_PX / 8;
  const width = Math.ceil(measure.measureText(text).width + 2 * margin);
  const height = Math.ceil(1.4 * WORD_FONT_PX);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.font = css;
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#000';
  ctx.fillText(text, margin, height / 2);
  return rasterise(canvas, width, height, side);
}

/**
 * `source` drawn at most `side` on its longer side (aspect kept), as RGBA pixels.
 * @param {CanvasImageSource} source
 * @param {number} sourceWidth
 * @param {number} sourceHeight
 * @param {number} side
 * @returns {Pixels}
 */
function rasterise(source, sourceWidth, sourceHeight, side) {
  const scale = Math.min(1, side / Math.max(sourceWidth, sourceHeight));
  const width = Math.max(1, Math.round(sourceWidth * scale));
  const height = Math.max(1, Math.round(sourceHeight * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
  ctx.drawImage(source, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}
