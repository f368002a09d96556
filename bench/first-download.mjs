// Benchmark of a first visit: what the page downloads before its first frame (gzipped, level 9,
// file by file, as a server with compression would send it), how long the first frame takes, and
// how long until the page is ready (moved onto the full module: the controls, views and run
// go), for the production build (dist/, xtask/bundle.mjs) and for the sources (www/), each
// opened REPEATS times in a fresh browser context (nothing cached) with the default link. Also
// what the offline copy (the service worker's, after the first frame) costs the visit.
//
// Run through `cargo xtask bench --quick` (or `cargo xtask bench`), which builds the wasm and
// serves www/ (DP_BASE_URL) and dist/ (DP_DIST_URL, as `cargo xtask serve --dist` does). Results
// go to stdout and to DP_BENCH_DOWNLOAD_OUT (default bench/results/first-download.json).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const SITES = [
  ['production build (dist/)', process.env.DP_DIST_URL, 'dist'],
  ['sources (www/)', process.env.DP_BASE_URL, 'www'],
];
if (SITES.some(([, url]) => !url)) throw new Error('DP_BASE_URL and DP_DIST_URL must be set: run this through `cargo xtask bench`');
const OUT = process.env.DP_BENCH_DOWNLOAD_OUT ?? 'bench/results/first-download.json';
/** Fresh visits per site; the row gives the median times. */
const REPEATS = Number(process.env.DP_BENCH_DOWNLOAD_REPEATS ?? 5);
/** Issue 33's budget for the first download, gzipped. */
const BUDGET_BYTES = 400_000;

const ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface', '--use-angle=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** The gzipped size of the site's file at the URL path `p`. */
function gzippedSize(folder, p) {
  const file = path.join(folder, p.endsWith('/') ? `${p}index.html` : p);
  return gzipSync(readFileSync(file), { level: 9 }).length;
}

/** The median of `values`. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * One fresh visit of `url`: the files fetched before the first frame, the first frame's time and
 * the time the page was ready (ms from the start of navigation).
 */
async function visit(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await page.waitForFunction(() => window.dp?.firstFrame !== undefined, null, { timeout: 120_000 });
    const firstFrameMs = await page.evaluate(() => window.dp.firstFrame);
    const readyMs = await page.evaluate(async () => {
      await window.dp.ready;
      return performance.now();
    });
    const fetched = await page.evaluate((shown) => [
      new URL(location.href).pathname,
      ...performance.getEntriesByType('resource').filter((e) => e.startTime <= shown).map((e) => new URL(e.name).pathname),
    ], firstFrameMs);
    return { fetched, firstFrameMs, readyMs };
  } finally {
    await context.close();
  }
}

const browser = await chromium.launch({ executablePath: process.env.DP_CHROMIUM || '/usr/bin/chromium', args: ARGS });
const rows = [];
try {
  for (const [label, base, folder] of SITES) {
    const visits = [];
    for (let i = 0; i < REPEATS; i += 1) visits.push(await visit(browser, `${base}index.html`));
    const files = Object.fromEntries(visits[0].fetched.map((p) => [p, gzippedSize(folder, p)]));
    const bytes = Object.values(files).reduce((sum, n) => sum + n, 0);
    const row = {
      site: label,
      first_download_gzip_bytes: bytes,
      files,
      first_frame_ms: median(visits.map((v) => v.firstFrameMs)),
      ready_ms: median(visits.map((v) => v.readyMs)),
      visits: visits.map(({ firstFrameMs, readyMs }) => ({ first_frame_ms: firstFrameMs, ready_ms: readyMs })),
    };
    rows.push(row);
    console.log(`${label}: ${(bytes / 1000).toFixed(1)} KB (${(bytes / 1024).toFixed(1)} KiB) gzipped before the first frame, in ${Object.keys(files).length} files` +
      `${folder === 'dist' ? ` (budget ${BUDGET_BYTES / 1000} KB: ${bytes <= BUDGET_BYTES ? 'within' : 'OVER'})` : ''}; ` +
      `first frame ${row.first_frame_ms.toFixed(0)} ms, ready ${row.ready_ms.toFixed(0)} ms (medians of ${REPEATS} fresh visits)`);
    for (const [p, n] of Object.entries(files)) console.log(`    ${p.padEnd(72)} ${(n / 1024).toFixed(1).padStart(7)} KiB`);
  }
} finally {
  await browser.close();
}

// After the first frame the service worker keeps the whole site for offline use (sw.js): what
// that copy costs a first visit, gzipped, from the production build's list.
const offlineList = JSON.parse(readFileSync('dist/offline-files.json', 'utf8'));
const offlineBytes = offlineList.files.filter((f) => f !== './').reduce((sum, f) => sum + gzipSync(readFileSync(`dist/${f}`), { level: 9 }).length, 0);
console.log(`kept for offline use after the first frame (production build), gzipped: ${(offlineBytes / 1024).toFixed(1)} KiB in ${offlineList.files.length - 1} files (build ${offlineList.build})`);

mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ date: new Date().toISOString(), budget_gzip_bytes: BUDGET_BYTES, rows, offline_copy_gzip_bytes: offlineBytes }, null, 2));
console.log(`wrote ${OUT}`);
