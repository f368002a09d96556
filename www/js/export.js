// export.js: what leaves the page: share links, embed snippets, PNG images and WebM videos.
// Nothing here touches the wasm; main.js renders before it captures.

/** Size of the iframe the Embed button suggests (CSS pixels): the canvas plus the transport. */
const EMBED_WIDTH = 560;
const EMBED_HEIGHT = 640;
/** Frames per second of WebM recordings. */
const RECORD_FPS = 30;

/** The full-page link of a state hash (also from embed.html and its ?embed form). */
export function shareUrl(hash) {
  return new URL(`index.html${hash}`, location.href).href;
}

/** The iframe and custom-element snippets of a state hash. */
export function embedSnippets(hash) {
  const src = new URL(`embed.html${hash}`, location.href).href;
  const iframe =
    `<iframe src="${escapeAttribute(src)}" width="${EMBED_WIDTH}" height="${EMBED_HEIGHT}" ` +
    'style="border:0;max-width:100%" title="Diffusion Playground" loading="lazy" allow="clipboard-write"></iframe>';
  const attributes = [...new URLSearchParams(hash.replace(/^#/, ''))]
    .filter(([name]) => name !== 'v')
    .map(([name, value]) => `${name}="${escapeAttribute(value)}"`)
    .join(' ');
  const script = new URL('js/element.js', location.href).href;
  const element =
    `<script type="module" src="${escapeAttribute(script)}"></script>\n` +
    `<diffusion-playground ${attributes}></diffusion-playground>`;
  return { iframe, element };
}

/** `text` safe inside a double-quoted HTML attribute. */
function escapeAttribute(text) {
  return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Copies `text` to the clipboard. Resolves true when it worked; false where the browser refuses
 * (no permission, an iframe without clipboard-write), so the caller can show the text instead.
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
 */
export function canvasPng(particles, layers) {
  const composite = document.createElement('canvas');
  composite.width = particles.width;
  composite.height = particles.height;
  const ctx = composite.getContext('2d');
  ctx.drawImage(particles, 0, 0);
  if (layers && !layers.hidden) ctx.drawImage(layers, 0, 0);
  return new Promise((resolve, reject) => {
    composite.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas gave no image'))), 'image/png');
  });
}

/** Offers `blob` as a download called `name`. */
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

/** Records a canvas as WebM (VP9 where the browser has it, else VP8). */
export class WebmRecorder {
  /** Whether this browser can record a canvas at all. */
  static supported() {
    return typeof MediaRecorder !== 'undefined' && typeof HTMLCanvasElement.prototype.captureStream === 'function';
  }

  constructor(canvas) {
    const type = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t));
    if (!type) throw new Error('this browser cannot record WebM video');
    this.chunks = [];
    this.recorder = new MediaRecorder(canvas.captureStream(RECORD_FPS), { mimeType: type });
    this.recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) this.chunks.push(event.data);
    });
    this.done = new Promise((resolve) => {
      this.recorder.addEventListener('stop', () => resolve(new Blob(this.chunks, { type: 'video/webm' })));
    });
    // A chunk every second, so a long recording does not sit in one buffer.
    this.recorder.start(1000);
  }

  /** Stops and resolves to the video. */
  stop() {
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    return this.done;
  }
}
