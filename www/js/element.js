// @ts-check
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
//
// Without a `height` attribute the element sizes its iframe to the embedded page's content (the
// page reports its height), so nothing scrolls inside it. With one, the iframe has that height
// and the embedded page fits it, as the iframe snippet does: the picture takes what is left. Notes can drive a widget from their
// own prose through a small API (embed-bridge.js carries it over postMessage; messages are
// taken only from this element's own frame and origin):
//
//   const widget = document.querySelector('diffusion-playground');
//   widget.addEventListener('ready', () => widget.set({ sampler: 'heun', t: 0.5 }));
//   widget.play(); widget.pause(); widget.reset();
//   widget.addEventListener('step', (e) => console.log(e.detail.step, e.detail.total, e.detail.t));
//   widget.addEventListener('done', () => ...);
//
// Commands given before the widget is ready wait for it.

/**
 * Attributes that are not part of the URL table: the element's own and HTML's global attributes
 * (a `tabindex` the element gives itself to take the focus back must not reload the widget).
 */
const ELEMENT_ONLY = new Set([
  'width', 'height', 'title', 'src',
  'class', 'style', 'id', 'tabindex', 'hidden', 'inert', 'lang', 'dir', 'slot', 'part', 'role', 'draggable',
  'accesskey', 'autofocus', 'contenteditable', 'enterkeyhint', 'inputmode', 'nonce', 'popover', 'spellcheck', 'translate',
]);
/**
 * Attributes that name a setting whose own name is taken by HTML: `class` is the element's CSS
 * classes, so the class a run is guided toward is `guide-class` (`set({ class })` still works).
 */
const ALIASES = new Map([['guide-class', 'class']]);

/** Height of the widget until the embedded page reports its own (or when it never does). */
const DEFAULT_HEIGHT = '480px';

/**
 * The embed page every element shows unless its `src` names another: the one next to this
 * module (www/embed.html), or the one of the site `useSite` names.
 */
let EMBED_URL = new URL('../embed.html', import.meta.url).href;

/**
 * Shows the playground of the site at `base` (where its `embed.html` is, over http(s), relative to
 * the page) in the elements created from now on: for notes built with a bundler, whose bundle is
 * not next to the site's files (`import { useSite } from 'diffusion-playground'; useSite('/dp/')`).
 * Returns the embed page's URL; throws, naming the problem, for anything but an http(s) URL.
 * @param {string | URL} base
 * @returns {string}
 */
export function useSite(base) {
  const url = new URL('embed.html', new URL(String(base), document.baseURI));
  if (!SRC_PROTOCOLS.has(url.protocol)) throw new TypeError(`useSite: only http and https sites are allowed, not ${url.protocol}`);
  EMBED_URL = url.href;
  // Elements already on the page follow (those with a `src` of their own keep it).
  for (const element of document.querySelectorAll('diffusion-playground')) {
    if (element instanceof DiffusionPlaygroundElement && element.isConnected) element.update();
  }
  return EMBED_URL;
}

/**
 * The query parameter that asks the embedded page to lay out by width and report its height
 * (the element then sizes its iframe to it). Without a `height` attribute only: with one, the
 * page fits the given height as the iframe snippet does (the picture takes what is left).
 */
const AUTOSIZE_PARAM = 'autosize';

/** Marks the API's messages (embed-bridge.js's CHANNEL). */
const CHANNEL = 'diffusion-playground';
/** Events the element fires, from the embedded page's messages of the same type. */
const EVENTS = new Set(['ready', 'step', 'done']);
/** Keys the embedded page hands back (embed-bridge.js's PASSED_KEYS): what a page of notes or a deck does with them. */
const PASSED_KEYS = new Set(['PageUp', 'PageDown', 'Escape']);
/** Fraction of the viewport a passed PageUp or PageDown scrolls, as browsers page. */
const PAGE_FRACTION = 0.875;

/** The only schemes a `src` attribute may use. */
const SRC_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * The embed page for a `src` attribute: `src` resolved against the document when it is an
 * http(s) URL (without its hash, which the element sets), else the default EMBED_URL; asked to
 * size itself to its content (`autosize`) unless the element has a height of its own.
 * @param {string | null} src
 * @param {boolean} [autosize]
 * @returns {{ url: string, refused: string | null }}  `refused`: why `src` was not used
 */
export function embedUrlFor(src, autosize = true) {
  const sized = (/** @type {URL} */ url) => {
    if (autosize) url.searchParams.set(AUTOSIZE_PARAM, '1');
    else url.searchParams.delete(AUTOSIZE_PARAM);
    return url.href;
  };
  const fallback = (/** @type {string | null} */ refused) => ({ url: sized(new URL(EMBED_URL)), refused });
  if (src === null || src.trim() === '') return fallback(null);
  let url;
  try {
    url = new URL(src, document.baseURI);
  } catch {
    return fallback('it is not a URL');
  }
  if (!SRC_PROTOCOLS.has(url.protocol)) {
    return fallback(`only http and https URLs are allowed, not ${url.protocol}`);
  }
  url.hash = '';
  return { url: sized(url), refused: null };
}

/**
 * The hash for the element's attributes, in attribute order.
 * @param {Element} element
 */
export function hashFor(element) {
  const params = new URLSearchParams();
  for (const { name, value } of element.attributes) {
    if (!ELEMENT_ONLY.has(name) && !name.startsWith('data-') && !name.startsWith('aria-')) {
      params.set(ALIASES.get(name) ?? name, value);
    }
  }
  return `#${params.toString()}`;
}

export class DiffusionPlaygroundElement extends HTMLElement {
  constructor() {
    super();
    /**
     * Commands waiting for the embedded page to be ready (also those given before the element
     * is on the page).
     * @type {Array<{ channel: string, command: string, settings: Record<string, string | number | boolean> | undefined }>}
     */
    this.queued = [];
    /** The embedded page said it is ready for commands. */
    this.ready = false;
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
    /** @type {ShadowRoot} */ (this.shadowRoot).append(style, this.message, this.frame);
  }

  connectedCallback() {
    this.ready = false;
    this.onMessage = (/** @type {MessageEvent} */ event) => this.receive(event);
    window.addEventListener('message', this.onMessage);
    // After the scripts being evaluated now: a bundle that imports this module and then calls
    // useSite has its site before the first iframe src is set.
    queueMicrotask(() => {
      if (this.isConnected) this.update();
    });
    // Attributes may change after the element is on the page: follow them.
    this.observer = new MutationObserver(() => this.update());
    this.observer.observe(this, { attributes: true });
  }

  disconnectedCallback() {
    this.observer?.disconnect();
    // Set by connectedCallback, which runs before this.
    window.removeEventListener('message', /** @type {(event: MessageEvent) => void} */ (this.onMessage));
  }

  /** Runs the widget's reverse process (from the prior when the last run had finished). */
  play() {
    this.send('play');
  }

  /** Pauses the widget. */
  pause() {
    this.send('pause');
  }

  /** Returns the particles to the prior noise; the run restarts. */
  reset() {
    this.send('reset');
  }

  /**
   * Changes settings, named as in a share link (`{ sampler: 'heun', steps: 30, t: 0.5 }`);
   * they are validated like a link's, and rejected ones are reported in the widget.
   * @param {Record<string, string | number | boolean>} settings
   */
  set(settings) {
    this.send('set', { ...settings });
  }

  /**
   * Posts a command to the embedded page, or queues it until the page is ready.
   * @param {string} command
   * @param {Record<string, string | number | boolean> | undefined} settings
   */
  send(command, settings = undefined) {
    const message = { channel: CHANNEL, command, settings };
    const target = this.frame.contentWindow;
    if (!this.ready || !target) {
      this.queued.push(message);
      return;
    }
    target.postMessage(message, new URL(this.frame.src).origin);
  }

  /**
   * A message from the embedded page: events, and its content height.
   * @param {MessageEvent} event
   */
  receive(event) {
    if (event.source !== this.frame.contentWindow || !this.frame.src) return;
    if (event.origin !== new URL(this.frame.src).origin) return;
    const data = event.data;
    if (!data || typeof data !== 'object' || data.channel !== CHANNEL) return;
    if (data.type === 'size') {
      const height = Number(data.height);
      if (!this.hasAttribute('height') && Number.isFinite(height) && height > 0) {
        this.style.setProperty('--dp-height', `${Math.ceil(height)}px`);
      }
      return;
    }
    if (data.type === 'key') {
      this.passKey(data);
      return;
    }
    if (data.type === 'ready') {
      this.ready = true;
      // `event.source` is this.frame.contentWindow (checked above), a Window.
      for (const message of this.queued.splice(0)) /** @type {Window} */ (event.source).postMessage(message, event.origin);
    }
    if (EVENTS.has(data.type)) {
      const { channel, type, ...detail } = data;
      this.dispatchEvent(new CustomEvent(type, { detail }));
    }
  }

  /**
   * A key the embedded page does not use, handed back: it goes to the host page as a keydown on
   * this element (a slide deck listening on the document gets it); unless a listener takes it,
   * PageUp and PageDown page the host's scrolling, and Escape takes the focus out of the widget.
   * @param {{ key?: unknown, code?: unknown, shiftKey?: unknown }} data
   */
  passKey(data) {
    const key = String(data.key);
    if (!PASSED_KEYS.has(key)) return;
    const event = new KeyboardEvent('keydown', { key, code: String(data.code ?? ''), shiftKey: data.shiftKey === true, bubbles: true, composed: true, cancelable: true });
    if (!this.dispatchEvent(event)) return;
    if (key === 'Escape') {
      this.frame.blur();
      if (!this.hasAttribute('tabindex')) this.tabIndex = -1;
      this.focus();
    } else {
      window.scrollBy({ top: (key === 'PageDown' ? 1 : -1) * PAGE_FRACTION * window.innerHeight });
    }
  }

  /** Points the iframe at the embed page with the current attributes. */
  update() {
    const height = this.getAttribute('height');
    if (height) this.style.setProperty('--dp-height', /^\d+$/.test(height) ? `${height}px` : height);
    this.frame.title = this.getAttribute('title') || 'Diffusion Playground';
    const { url, refused } = embedUrlFor(this.getAttribute('src'), !height);
    const text = refused && `The src attribute was not used (${refused}); showing the playground from ${url}.`;
    if (text && text !== this.message.textContent) console.warn(`<diffusion-playground>: ${text}`);
    this.message.textContent = text || '';
    this.message.hidden = !text;
    const src = `${url}${hashFor(this)}`;
    if (this.frame.src !== src) {
      // embed.html forwards to index.html, so any new src loads a new page, which must say it
      // is ready before commands go to it.
      this.ready = false;
      this.frame.src = src;
    }
  }
}

if (!customElements.get('diffusion-playground')) {
  customElements.define('diffusion-playground', DiffusionPlaygroundElement);
}
