// sw.js: the service worker that lets the playground, the embed page, the examples and the
// lessons run offline after a first visit (a lecture hall with bad Wi-Fi). The page registers it
// as `sw.js?build=B` (js/offline.js), B the build of `offline-files.json` (written by
// `cargo xtask build-wasm`), so a new build is a new worker.
//
// Install: every file of the list goes into the cache of build B, in one go (a file missing
// fails the install, and the previous build's cache stays). Activate: the caches of other builds
// are deleted. Fetch: the network first, so an online visitor always gets the files the server
// has; the cache of build B only when the network fails. The worker does not claim pages that
// are already open: it serves the visits after the one that installed it.

/** The build this worker keeps, from its own URL. */
const BUILD = new URL(self.location.href).searchParams.get('build') ?? 'unversioned';
/** Every cache of this site's workers starts with this. */
const PREFIX = 'diffusion-playground-';
/** The cache of this build. */
const CACHE = `${PREFIX}${BUILD}`;
/** The list of files, next to this worker. */
const LIST = new URL('offline-files.json', self.location.href);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const response = await fetch(LIST, { cache: 'no-cache' });
    if (!response.ok) throw new Error(`${LIST.pathname}: ${response.status}`);
    const cache = await caches.open(CACHE);
    // The list too: offline, the page reads this build from it and keeps this worker.
    await cache.put(LIST, response.clone());
    const { files } = await response.json();
    await cache.addAll(files.map((/** @type {string} */ file) => new Request(new URL(file, self.location.href), { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
  })());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    try {
      return await fetch(request);
    } catch (networkError) {
      // Offline: this build's copy. The query (embed options, the module build) does not change
      // the file; the link's settings are after '#', which never reaches the network.
      const kept = await caches.open(CACHE).then((cache) => cache.match(request, { ignoreSearch: true }));
      if (kept) return kept;
      throw networkError;
    }
  })());
});
