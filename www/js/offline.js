// @ts-check
// offline.js: keeps the site for offline use (the service worker, ../sw.js) and says when the
// page runs without a network. The worker is registered under the build of the site's offline
// list (../offline-files.json, written by `cargo xtask build-wasm`), so a new build replaces the
// copy a browser kept. Nothing happens on another origin (course notes that load the element
// from here: a page may only register a worker of its own origin), outside a secure context, or
// where the list is missing (a checkout served without a build).

/** The offline list and the worker, next to the page's modules' folder. */
const LIST = new URL('../offline-files.json', import.meta.url);
const WORKER = new URL('../sw.js', import.meta.url);

/**
 * Registers the service worker for the build on the server, when the page may; resolves to that
 * build, or null when nothing was registered (and why is no error: the page runs as before).
 * @returns {Promise<string | null>}
 */
export async function keepForOffline() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext || WORKER.origin !== location.origin) return null;
  const response = await fetch(LIST, { cache: 'no-cache' }).catch(() => null);
  if (!response?.ok) return null;
  const { build } = /** @type {{ build: string }} */ (await response.json());
  const worker = new URL(WORKER);
  worker.searchParams.set('build', build);
  await navigator.serviceWorker.register(worker, { scope: new URL('./', WORKER).pathname });
  return build;
}

/** What the page says while the browser has no network. */
export const OFFLINE_NOTICE = 'You are offline: the page runs from the copy your browser kept on an earlier visit (everything it computes runs here).';

/**
 * Calls `say(text)` now and whenever the browser loses its network, and `clear()` when it comes
 * back.
 * @param {(text: string) => void} say
 * @param {() => void} clear
 */
export function sayWhenOffline(say, clear) {
  if (!navigator.onLine) say(OFFLINE_NOTICE);
  window.addEventListener('offline', () => say(OFFLINE_NOTICE));
  window.addEventListener('online', clear);
}
