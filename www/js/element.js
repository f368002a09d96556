// element.js: the <diffusion-playground> custom element, for pages that prefer a tag to an
// iframe snippet. Its attributes mirror the URL table of state.js (dataset, schedule, sampler,
// steps, particles, seed, t, playing, ui, theme, layers, any `<name>_hide` flag, ...):
//
//   <script type="module" src="/js/element.js"></script>
//   <diffusion-playground dataset="spiral" sampler="heun" steps="30" ui="min"></diffusion-playground>
//
// Each element hosts the embeddable page (embed.html) in a sandbox-free, lazily loaded iframe, so
// several on one page are independent: one element's bad attribute, lost GPU device or CPU
// fallback never disturbs another, and widgets scrolled out of view do not start until they are
// near the viewport (then pause while off screen), so a page of many widgets does not exhaust the
// GPU. Attribute values go into the URL hash only (encoded), never into HTML; the embedded page
// validates them like any share link and says what it rejected. A `src` attribute may point the
// element at another copy of embed.html, over http(s) only: anything else (`javascript:`,
// `data:`, ...) would run in or beside the host page, so it is refused, with a message.

/** Attributes that are not part of the URL table. */
const ELEMENT_ONLY = new Set(['width', 'height', 'title', 'class', 'style', 'id', 'src']);

/** Height of the widget when the page gives none: the canvas plus the transport bar. */
const DEFAULT_HEIGHT = '480px';

/** The embed page next to this module (www/embed.html), unless the element's `src` names another. */
const EMBED_URL = new URL('../embed.html', import.meta.url).href;

/** The only schemes a `src` attribute may use. */
const SRC_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * The embed page for a `src` attribute: `src` resolved against the document when it is an
 * http(s) URL (without its hash, which the element sets), else the default EMBED_URL.
 * @param {string | null} src
 * @returns {{ url: string, refused: string | null }}  `refused`: why `src` was not used
 */
export function embedUrlFor(src) {
  if (src === null || src.trim() === '') return { url: EMBED_URL, refused: null };
  let url;
  try {
    url = new URL(src, document.baseURI);
  } catch {
    return { url: EMBED_URL, refused: 'it is not a URL' };
  }
  if (!SRC_PROTOCOLS.has(url.protocol)) {
    return { url: EMBED_URL, refused: `only http and https URLs are allowed, not ${url.protocol}` };
  }
  url.hash = '';
  return { url: url.href, refused: null };
}

/** The hash for the element's attributes, in attribute order. */
export function hashFor(element) {
  const params = new URLSearchParams();
  for (const { name, value } of element.attributes) {
    if (!ELEMENT_ONLY.has(name) && !name.startsWith('data-') && !name.startsWith('aria-')) {
      params.set(name, value);
    }
  }
  return `#${params.toString()}`;
}

export class DiffusionPlaygroundElement extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.frame = document.createElement('iframe');
    this.frame.loading = 'lazy';
    this.frame.allow = 'clipboard-write';
    this.frame.setAttribute('part', 'frame');
    const style = document.createElement('style');
    style.textContent = `:host { display: block; min-width: 240px; }
      iframe { display: block; width: 100%; height: var(--dp-height, ${DEFAULT_HEIGHT}); border: 0; border-radius: 8px; }
      .refused { margin: 0 0 4px; font: 0.85em system-ui, sans-serif; color: #b3261e; }`;
    /** Says why a `src` attribute was refused (plain text). */
    this.message = document.createElement('p');
    this.message.className = 'refused';
    this.message.setAttribute('part', 'message');
    this.message.setAttribute('role', 'status');
    this.message.hidden = true;
    this.shadowRoot.append(style, this.message, this.frame);
  }

  connectedCallback() {
    this.update();
    // Attributes may change after the element is on the page: follow them.
    this.observer = new MutationObserver(() => this.update());
    this.observer.observe(this, { attributes: true });
  }

  disconnectedCallback() {
    this.observer?.disconnect();
  }

  /** Points the iframe at the embed page with the current attributes. */
  update() {
    const height = this.getAttribute('height');
    if (height) this.style.setProperty('--dp-height', /^\d+$/.test(height) ? `${height}px` : height);
    this.frame.title = this.getAttribute('title') || 'Diffusion Playground';
    const { url, refused } = embedUrlFor(this.getAttribute('src'));
    const text = refused && `The src attribute was not used (${refused}); showing the playground from ${url}.`;
    if (text && text !== this.message.textContent) console.warn(`<diffusion-playground>: ${text}`);
    this.message.textContent = text || '';
    this.message.hidden = !text;
    const src = `${url}${hashFor(this)}`;
    if (this.frame.src !== src) this.frame.src = src;
  }
}

if (!customElements.get('diffusion-playground')) {
  customElements.define('diffusion-playground', DiffusionPlaygroundElement);
}
