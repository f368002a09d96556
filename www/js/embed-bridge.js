// @ts-check
// embed-bridge.js: the embedded page's side of the <diffusion-playground> element's API
// (element.js holds the other side). Messages go through window.postMessage:
//
//   page -> element: { channel, type: 'ready', backend }       the page runs (first frame up, full module in)
//                    { channel, type: 'step', step, total, t, done }   after a drawn frame moved
//                    { channel, type: 'done' }                 a run reached the data
//                    { channel, type: 'size', height }         the content's height (CSS px)
//                    { channel, type: 'key', key, code, shiftKey }   a key the page does not use
//   element -> page: { channel, command: 'play' | 'pause' | 'reset' | 'set', settings? }
//
// Commands are taken only from the window that embeds this page (event.source is
// window.parent); `set` goes through the same validation as a share link. The page tells its
// embedder nothing that is not on screen, so it posts to any origin (notes live anywhere).

/** Marks this API's messages among the others a page may receive. */
export const CHANNEL = 'diffusion-playground';
/** The commands an embedding page may send. */
export const COMMANDS = Object.freeze(['play', 'pause', 'reset', 'set']);
/**
 * Keys the embedded page has no use for and hands to its embedder, so that once a reader has
 * clicked into a widget, paging through notes or a slide deck and Escape still work.
 */
export const PASSED_KEYS = Object.freeze(['PageUp', 'PageDown', 'Escape']);

/**
 * @typedef {object} Bridge
 * @property {(type: string, detail?: Record<string, unknown>) => void} notify  posts an event to the embedder
 * @property {boolean} connected  true inside a frame
 */

/**
 * Connects to the embedding window, if there is one: `onCommand(command, settings)` runs for
 * each valid command, and, when `reportSize`, the content's height is posted whenever it changes
 * (so the element can size its iframe to it).
 * @param {{ onCommand: (command: string, settings: Record<string, unknown>) => void, reportSize: boolean }} options
 * @returns {Bridge}
 */
export function connectToEmbedder({ onCommand, reportSize }) {
  const embedder = window.parent !== window ? window.parent : null;
  if (!embedder) return { notify() {}, connected: false };
  /** @type {Bridge['notify']} */
  const notify = (type, detail = {}) => embedder.postMessage({ ...detail, channel: CHANNEL, type }, '*');
  window.addEventListener('message', (event) => {
    if (event.source !== embedder) return;
    const data = event.data;
    if (!data || typeof data !== 'object' || data.channel !== CHANNEL || !COMMANDS.includes(data.command)) return;
    const settings = data.settings && typeof data.settings === 'object' && !Array.isArray(data.settings) ? data.settings : {};
    onCommand(data.command, settings);
  });
  window.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || !PASSED_KEYS.includes(event.key)) return;
    notify('key', { key: event.key, code: event.code, shiftKey: event.shiftKey });
    if (event.key === 'Escape' && document.activeElement instanceof HTMLElement) document.activeElement.blur();
  });
  if (reportSize) {
    let reported = -1;
    const report = () => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== reported) {
        reported = height;
        notify('size', { height });
      }
    };
    new ResizeObserver(report).observe(document.documentElement);
    report();
  }
  return { notify, connected: true };
}
