// @ts-check
// export.js: what leaves the page: share links, embed snippets and PNG images (videos:
// recorder.js). Nothing here touches the wasm; main.js renders before it captures.

import { composite } from './recorder.js';

/** Size of the iframe the Embed button suggests (CSS pixels): the canvas plus the transport. */
const EMBED_WIDTH = 560;
const EMBED_HEIGHT = 640;

/**
 * The full-page link of a state hash (also from embed.html and its ?embed form).
 * @param {string} hash
 */
export function shareUrl(hash) {
  return new URL(`index.html${hash}`, location.href).href;
}

/**
 * The iframe and custom-element snippets of a state hash. The iframe has a fixed size, so it
 * shows the minimal interface (`ui=min`: picture and transport), which fits EMBED_WIDTH x
 * EMBED_HEIGHT with nothing to scroll; the element sizes its frame to the content, so it keeps
 * the interface of the view.
 * @param {string} hash
 */
export function embedSnippets(hash) {
  const minimal = new URLSearchParams(hash.replace(/^#/, ''));
  minimal.set('ui', 'min');
  const src = new URL(`embed.html#${minimal}`, location.href).href;
  const iframe =
    `<iframe src="${escapeAttribute(src)}" width="${EMBED_WIDTH}" height="${EMBED_HEIGHT}" ` +
    'style="border:0;max-width:100%" title="Diffusion Playground" loading="lazy" allow="clipboard-write"></iframe>';
  const attributes = [...new URLSearchParams(hash.replace(/^#/, ''))]
    .filter(([name]) => name !== 'v')
    // HTML's `class` is the element's CSS classes: the guided class is its `guide-class` (element.js).
    .map(([name, value]) => `${name === 'class' ? 'guide-class' : name}="${escapeAttribute(value)}"`)
    .join(' ');
  const script = new URL('js/element.js', location.href).href;
  const element =
    `<script type="module" src="${escapeAttribute(script)}"></script>\n` +
    `<diffusion-playground ${attributes}></diffusion-playground>`;
  return { iframe, element };
}

/**
 * `text` safe inside a double-quoted HTML attribute.
 * @param {string} text
 */
function escapeAttribute(text) {
  return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Copies `text` to the clipboard. Resolves true when it worked; false where the browser refuses
 * (no permission, an iframe without clipboard-write), so the caller can show the text instead.
 * @param {string} text
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The particle canvas with the layers over it, as a PNG blob. Call right after a render, in the
 * same task: a WebGPU canvas only keeps its picture until the browser presents it.
 * @param {HTMLCanvasElement} particles
 * @param {HTMLCanvasElement | null} layers
 * @returns {Promise<Blob>}
 */
export function canvasPng(particles, layers) {
  const picture = document.createElement('canvas');
  composite(picture, particles, layers);
  return new Promise((resolve, reject) => {
    picture.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas gave no image'))), 'image/png');
  });
}

/**
 * Offers `blob` as a download called `name`.
 * @param {Blob} blob
 * @param {string} name
 */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
