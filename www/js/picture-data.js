// @ts-check
// picture-data.js: a picture file or a typed word as RGBA pixels for the wasm's `picture_data`,
// which draws the data's points from their ink. A picture is decoded by the browser through an
// image element that is never inserted into the page (so an SVG's scripts and external
// references do not run), checked for its size before it is drawn, and scaled down to the wasm's
// side with its aspect kept; a word is set in the page's sans-serif, black on clear.

/** Largest picture file read (bytes): a 50 MB photograph is refused before it is decoded. */
export const MAX_PICTURE_FILE_BYTES = 20 * 2 ** 20;
/** Most pixels a picture may have before it is drawn (a 20,000 x 20,000 PNG is refused). */
export const MAX_PICTURE_PIXELS = 40e6;
/** Longest word set as data (characters). */
export const MAX_WORD_LENGTH = 24;
/** Size of the type a word is set in (CSS pixels), before it is scaled to the wasm's side. */
const WORD_FONT_PX = 120;
/** The type a word is set in: the page's own sans-serif, so it is always there. */
const WORD_FONT = `bold ${WORD_FONT_PX}px system-ui, sans-serif`;

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
 * The pixels of the picture `file`, at most `side` on its longer side; rejects with what is wrong.
 * @param {File} file
 * @param {number} side
 * @returns {Promise<Pixels>}
 */
export async function picturePixels(file, side) {
  if (file.size > MAX_PICTURE_FILE_BYTES) {
    throw new Error(`it is ${(file.size / 1e6).toFixed(1)} MB; pictures of at most ${MAX_PICTURE_FILE_BYTES / 2 ** 20} MB are read`);
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
    if (width * height > MAX_PICTURE_PIXELS) {
      throw new Error(`it is ${width} x ${height} pixels; pictures of at most ${MAX_PICTURE_PIXELS / 1e6} megapixels are read`);
    }
    return rasterise(image, width, height, side);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * The pixels of `text` set in the page's bold sans-serif, black on clear, at most `side` wide.
 * @param {string} text
 * @param {number} side
 * @returns {Pixels}
 */
export function wordPixels(text, side) {
  const measure = /** @type {OffscreenCanvasRenderingContext2D} */ (new OffscreenCanvas(1, 1).getContext('2d'));
  measure.font = WORD_FONT;
  const margin = WORD_FONT_PX / 8;
  const width = Math.ceil(measure.measureText(text).width + 2 * margin);
  const height = Math.ceil(1.4 * WORD_FONT_PX);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.font = WORD_FONT;
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
