// Shared helpers of the browser tests: where the site is, how Chromium is launched, and how a
// test opens the playground and waits for it.
//
// The harness (`cargo xtask test`) serves www/ itself and passes the URL in DP_BASE_URL; without
// it these helpers serve www/ from a tiny static server on a free port, so
// `node --test tests/browser/` also works on its own (after `cargo xtask build-wasm`). Both
// servers send STRICT_CSP with every response, so every page is tested under that policy.

import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WWW = path.join(REPO_ROOT, 'www');
/** The production build (`cargo xtask build-wasm` writes it with xtask/bundle.mjs). */
export const DIST = path.join(REPO_ROOT, 'dist');

/** Chromium from Debian's package unless DP_CHROMIUM names another. */
export const CHROMIUM = process.env.DP_CHROMIUM || '/usr/bin/chromium';

/** Generous limits: the first load compiles the shaders on SwiftShader, a software GPU. */
export const LOAD_TIMEOUT_MS = 120_000;
export const TEST_TIMEOUT_MS = 300_000;

/**
 * How tests navigate: wait for the document, not for the load event (a headed Chromium starting
 * its GPU process under Xvfb was seen to hold the load event past Playwright's default 30 s; the
 * page's own readiness is what `waitReady` waits for), with the load limit.
 */
export const NAVIGATION = { waitUntil: 'domcontentloaded', timeout: LOAD_TIMEOUT_MS };

const QUIET_FLAGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * WebGPU on SwiftShader through Vulkan. With `--enable-unsafe-webgpu` alone, headless Chromium 156
 * on a machine without a GPU hands out a device that is lost about 100 ms later ("A valid external
 * Instance reference no longer exists" or "Device was destroyed"), even for plain JavaScript that
 * only clears a canvas; with this whole set the device stays alive. Dropping any one flag brings
 * the loss back.
 */
const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-vulkan-surface',
  '--use-angle=swiftshader',
];

/**
 * The Content-Security-Policy every test page is served with: scripts only from the site's own
 * files (no inline script, no eval), WebAssembly allowed to compile. Keep in sync with
 * `STRICT_CSP` in `xtask/src/serve.rs` (`cargo xtask serve --csp`).
 */
export const STRICT_CSP = "script-src 'self' 'wasm-unsafe-eval'";

/** A production build's content-hashed file name (xtask/bundle.mjs; xtask/src/serve.rs tells them the same way). */
export const CONTENT_HASHED = /^.+-[0-9a-f]{10}\.[a-z0-9]+$/;
/** What `cargo xtask serve --dist` lets a browser do with a content-hashed file. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves `root` on 127.0.0.1 at `port` (0: a free one; GET and HEAD only, no path outside
 * `root`), under the policy `csp` (STRICT_CSP unless told otherwise); `replaced` maps paths
 * (without the leading '/') to bodies served in place of the files; with `hashedImmutable`,
 * content-hashed names are sent as browsers may keep them (as `cargo xtask serve --dist` does);
 * `requests` collects the path of every request. The server does not keep the test process
 * alive.
 * @param {string} [root]
 * @param {{ csp?: string, port?: number, replaced?: Record<string, string>, hashedImmutable?: boolean, requests?: string[] | null }} [options]
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function serveStatic(root = WWW, { csp = STRICT_CSP, port = 0, replaced = {}, hashedImmutable = false, requests = null } = {}) {
  const server = http.createServer(async (request, response) => {
    response.setHeader('Content-Security-Policy', csp);
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const pathname = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
      requests?.push(pathname);
      let file = path.resolve(root, `.${pathname}`);
      if (file !== root && !file.startsWith(root + path.sep)) {
        response.writeHead(403).end();
        return;
      }
      if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
      const replacement = replaced[pathname.slice(1)];
      const body = replacement === undefined ? await readFile(file).catch(() => null) : Buffer.from(replacement);
      if (body === null) {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${pathname}`);
        return;
      }
      response.writeHead(200, {
        'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': body.length,
        // As `cargo xtask serve --dist`: a content-hashed name (xtask/bundle.mjs) may be kept.
        'Cache-Control': hashedImmutable && CONTENT_HASHED.test(path.basename(file)) ? IMMUTABLE : 'no-cache',
        // As xtask's server: notes on another origin load js/element.js with CORS.
        'Access-Control-Allow-Origin': '*',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  server.unref();
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}/`,
    // Open connections are cut too: a closed server is a network that is gone.
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

let ownServer = null;

/** The site's base URL, ending in '/': DP_BASE_URL, or a server of our own. */
export async function baseUrl() {
  if (process.env.DP_BASE_URL) {
    const url = process.env.DP_BASE_URL;
    return url.endsWith('/') ? url : `${url}/`;
  }
  if (!existsSync(path.join(WWW, 'pkg', 'diffusion_playground.js'))) {
    throw new Error('www/pkg/diffusion_playground.js is missing: build the wasm first with `cargo xtask build-wasm`');
  }
  ownServer ??= serveStatic(WWW);
  return (await ownServer).url;
}

/**
 * Headless Chromium for compute tests.
 * @param {{ webgpu?: boolean }} options  webgpu: false launches without WebGPU (the CPU fallback)
 */
export function launchHeadless({ webgpu = true } = {}) {
  const args = ['--no-sandbox', ...(webgpu ? WEBGPU_FLAGS : []), ...QUIET_FLAGS];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/**
 * Headed Chromium whose WebGPU canvas really presents pixels (SwiftShader through Vulkan). Needs
 * an X display: the harness runs node under `xvfb-run -a`. Without DISPLAY this throws, so the
 * test fails, unless DP_ALLOW_NO_DISPLAY=1, when it returns null and the caller skips.
 */
export function launchHeaded() {
  if (!process.env.DISPLAY) {
    if (process.env.DP_ALLOW_NO_DISPLAY === '1') return null;
    throw new Error(
      'DISPLAY is not set: the canvas-pixel test needs a headed browser on an X display. ' +
        'Run the tests under Xvfb (`xvfb-run -a node --test tests/browser/`, as `cargo xtask test` does), ' +
        'or set DP_ALLOW_NO_DISPLAY=1 to skip this test.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: false,
    args: ['--no-sandbox', ...WEBGPU_FLAGS, ...QUIET_FLAGS],
  });
}

/** A navigation that has not reached the document in this long is abandoned and tried again. */
const NAVIGATION_ATTEMPT_MS = 45_000;
/** Navigations per `openPlayground` before it gives up. */
const NAVIGATION_ATTEMPTS = 3;

/**
 * Opens the playground with `hash` (without '#') in a new page of `browser`, collecting console
 * errors, page errors and dialogs (a dialog is dismissed and recorded); `query` (without '?') goes
 * before the hash (`wasm=simd128`).
 *
 * Chromium on SwiftShader was seen, now and then, never to commit a navigation (not even
 * DOMContentLoaded within minutes). Such a navigation is abandoned after NAVIGATION_ATTEMPT_MS
 * (or `navigationTimeout`, when shorter) and tried again in a fresh browser context, so one
 * stuck navigation does not fail a test about something else; a page that never loads still
 * fails after NAVIGATION_ATTEMPTS tries.
 * @returns {Promise<{ page: import('playwright-core').Page, errors: string[], dialogs: string[], close: () => Promise<void> }>}
 */
export async function openPlayground(browser, hash = '', { viewport = { width: 1100, height: 900 }, deviceScaleFactor = 1, hasTouch = false, navigationTimeout = LOAD_TIMEOUT_MS, query = '', beforeLoad = async (/** @type {any} */ _context) => {}, serviceWorkers = 'block', base = null } = {}) {
  const url = `${base ?? await baseUrl()}index.html${query ? `?${query}` : ''}${hash ? `#${hash}` : ''}`;
  for (let attempt = 1; ; attempt += 1) {
    // The offline copy's service worker is blocked unless a test asks for it: requests a worker
    // makes pass by page.route and context.route (Playwright), which several tests use, and the
    // copy would be downloaded again in every test's fresh context. offline.test.mjs tests it.
    const context = await browser.newContext({ viewport, deviceScaleFactor, hasTouch, serviceWorkers });
    await beforeLoad(context);
    const page = await context.newPage();
    const errors = [];
    const dialogs = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('dialog', async (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      await dialog.dismiss().catch(() => {});
    });
    try {
      await page.goto(url, { ...NAVIGATION, timeout: Math.min(navigationTimeout, NAVIGATION_ATTEMPT_MS) });
      return { page, errors, dialogs, close: () => context.close() };
    } catch (error) {
      await context.close().catch(() => {});
      if (attempt >= NAVIGATION_ATTEMPTS || error?.name !== 'TimeoutError') throw error;
      console.error(`navigation ${attempt} to ${url.slice(0, 120)} timed out; trying again in a fresh context`);
    }
  }
}

/** Plain text of every notice on the page. */
export function noticeTexts(page) {
  return page.$$eval('#notices .notice', (items) => items.map((item) => item.textContent.replace(/×$/, '').trim()));
}

/**
 * Waits until the page has drawn its first frame (`window.dp.ready`). Fails with the page's own
 * notices when it reports an error instead.
 */
export async function waitReady(page, timeout = LOAD_TIMEOUT_MS) {
  try {
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout });
  } catch (error) {
    const notices = await noticeTexts(page).catch(() => []);
    throw new Error(`the page did not become ready within ${timeout} ms; notices: ${JSON.stringify(notices)}\n${error.message}`);
  }
  const pageState = await page.evaluate(() => document.body.dataset.state);
  if (pageState !== 'ready') {
    throw new Error(`the page reported state "${pageState}"; notices: ${JSON.stringify(await noticeTexts(page))}`);
  }
  await page.evaluate(() => window.dp.ready.then(() => true));
}

/**
 * Runs the current reverse process to the end from the page (in chunks, so no single evaluate
 * blocks for long) and returns the number of steps taken.
 */
export async function runToEnd(page, chunk = 10) {
  return page.evaluate(async (chunk) => {
    const pg = window.dp.playground;
    let taken = 0;
    for (let guard = 0; !pg.done && guard < 100_000; guard += 1) {
      taken += pg.step(chunk);
      // Let the browser breathe (and the GPU drain) between chunks.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return taken;
  }, chunk);
}

/** Short text for an assertion message: the page's notices and collected errors. */
export async function pageReport(session) {
  const notices = await noticeTexts(session.page).catch(() => []);
  return `notices: ${JSON.stringify(notices)}; errors: ${JSON.stringify(session.errors)}`;
}

/**
 * Draws a circle of `fraction` of the picture's width about its centre with the mouse (in
 * world units a circle of radius 6 * fraction, the picture showing [-3, 3]).
 */
export async function drawCircle(page, fraction = 0.25) {
  await page.click('#draw-mode');
  const box = await page.$eval('#canvas-frame', (e) => {
    const b = e.getBoundingClientRect();
    return { x: b.x, y: b.y, w: b.width, h: b.height };
  });
  const [cx, cy, r] = [box.x + box.w / 2, box.y + box.h / 2, box.w * fraction];
  await page.mouse.move(cx + r, cy);
  await page.mouse.down();
  for (let i = 1; i <= 90; i += 1) {
    const a = (2 * Math.PI * i) / 90;
    await page.mouse.move(cx + r * Math.cos(a), cy + r * Math.sin(a));
  }
  await page.mouse.up();
}

/** The orange bar of `drawTwoColours`: x = 2.1 (0.35 of the picture's width right of centre), |y| <= 0.9. */
export const STROKE_BAR_X = 2.1;

/**
 * Draws a blue circle of radius 0.9, then picks orange and draws the vertical bar at BAR_X.
 * @param {import('playwright-core').Page} page
 */
export async function drawTwoColours(page) {
  await drawCircle(page, 0.15);
  await page.check('input[name="draw-class"][value="1"]');
  const box = await page.$eval('#canvas-frame', (e) => {
    const b = e.getBoundingClientRect();
    return { x: b.x, y: b.y, w: b.width, h: b.height };
  });
  const side = Math.min(box.w, box.h);
  const [x, top] = [box.x + box.w / 2 + (STROKE_BAR_X / 6) * side, box.y + box.h / 2 - 0.15 * side];
  await page.mouse.move(x, top);
  await page.mouse.down();
  for (let i = 1; i <= 40; i += 1) await page.mouse.move(x, top + (0.3 * side * i) / 40);
  await page.mouse.up();
}
