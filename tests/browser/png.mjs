// A tiny PNG decoder for the screenshots of the browser tests: 8-bit greyscale, RGB, grey+alpha
// or RGBA, not interlaced (what Chromium writes). Returns RGBA bytes.

import { inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * @param {Buffer} png
 * @returns {{ width: number, height: number, rgba: Uint8Array }}
 */
export function decodePng(png) {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let offset = 8;
  let header = null;
  const data = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8],
        colourType: body[9],
        interlace: body[12],
      };
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
  }
  if (!header) throw new Error('PNG without IHDR');
  const { width, height, depth, colourType, interlace } = header;
  const channels = CHANNELS[colourType];
  if (depth !== 8 || !channels || interlace !== 0) {
    throw new Error(`unsupported PNG: bit depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error('PNG image data is truncated');
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    const previous = y * stride - stride;
    for (let x = 0; x < stride; x += 1) {
      const a = x >= channels ? pixels[out + x - channels] : 0;
      const b = y > 0 ? pixels[previous + x] : 0;
      const c = y > 0 && x >= channels ? pixels[previous + x - channels] : 0;
      let predictor;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`unknown PNG filter ${filter} on row ${y}`);
      }
      pixels[out + x] = (line[x] + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i += 1) {
    const p = pixels.subarray(i * channels, (i + 1) * channels);
    const [r, g, b] = channels >= 3 ? [p[0], p[1], p[2]] : [p[0], p[0], p[0]];
    const alpha = channels === 4 ? p[3] : channels === 2 ? p[1] : 255;
    rgba.set([r, g, b, alpha], i * 4);
  }
  return { width, height, rgba };
}

/**
 * Statistics of a picture against its background (its most common colour).
 * @returns {{ background: number[], differing: number, fraction: number, distinctColours: number }}
 *   differing: pixels farther than `tolerance` (per channel) from the background;
 *   distinctColours: distinct colours among them, quantised to 4 bits per channel
 */
export function pixelStats({ width, height, rgba }, tolerance = 12) {
  const counts = new Map();
  for (let i = 0; i < width * height; i += 1) {
    const key = (rgba[i * 4] << 16) | (rgba[i * 4 + 1] << 8) | rgba[i * 4 + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let backgroundKey = 0;
  let best = -1;
  for (const [key, count] of counts) {
    if (count > best) [backgroundKey, best] = [key, count];
  }
  const background = [(backgroundKey >> 16) & 255, (backgroundKey >> 8) & 255, backgroundKey & 255];
  let differing = 0;
  const colours = new Set();
  for (let i = 0; i < width * height; i += 1) {
    const r = rgba[i * 4];
    const g = rgba[i * 4 + 1];
    const b = rgba[i * 4 + 2];
    const far = Math.max(Math.abs(r - background[0]), Math.abs(g - background[1]), Math.abs(b - background[2]));
    if (far > tolerance) {
      differing += 1;
      colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
    }
  }
  return { background, differing, fraction: differing / (width * height), distinctColours: colours.size };
}
