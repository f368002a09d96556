// Benchmark of what an open view costs the run: the page as a visitor opens it (the spiral, the
// learned network, the reverse SDE, 200 steps), timed from Play to the last step with nothing open,
// with each view open alone, and with every view open, on the CPU path (the wasm on its workers)
// and on WebGPU. The figure is the run's speed with the view open as a ratio to its speed with
// nothing open, from pairs of runs taken one right after the other (machines here are noisy:
// ratios of pairs, not seconds, are compared; the row gives the median of its pairs). Views may draw less often than the particles move (views.js); the run's pace must not
// follow them.
//
// Run through `cargo xtask bench --quick` (or `cargo xtask bench`), which builds the wasm and serves
// www/ (DP_BASE_URL). Results go to stdout and to DP_BENCH_VIEWS_OUT (default
// bench/results/views.json).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.DP_BASE_URL;
if (!BASE_URL) throw new Error('DP_BASE_URL is not set: run this through `cargo xtask bench`');
const OUT = process.env.DP_BENCH_VIEWS_OUT ?? 'bench/results/views.json';
/** Particles on each path: a software WebGPU adapter is about ten times slower than the CPU path. */
const PARTICLES = {
  cpu: Number(process.env.DP_BENCH_VIEWS_CPU_PARTICLES ?? 16384),
  webgpu: Number(process.env.DP_BENCH_VIEWS_GPU_PARTICLES ?? 4096),
};
/** Steps of a run on each path (DP_BENCH_VIEWS_STEPS sets both). */
const STEPS = {
  cpu: Number(process.env.DP_BENCH_VIEWS_STEPS ?? 200),
  webgpu: Number(process.env.DP_BENCH_VIEWS_STEPS ?? 100),
};
/** Pairs of runs per row (nothing open, then the row's views); the row reports the median ratio. */
const REPEATS = Number(process.env.DP_BENCH_VIEWS_REPEATS ?? 2);
const BACKENDS = (process.env.DP_BENCH_VIEWS_BACKENDS ?? 'cpu,webgpu').split(',');
/** Rows to measure (their first words, comma-separated; default all): 'nothing' is always measured. */
const ONLY = process.env.DP_BENCH_VIEWS_ONLY?.split(',') ?? null;

/** What is open in each row: fields of the link (state.js) set to 1. */
const ROWS = [
  ['nothing', []],
  ['sampler race', ['race']],
  ['likelihood', ['likelihood']],
  ['where the network is wrong', ['errors']],
  ['ghosts and arrows', ['ghosts', 'arrows']],
  ['trajectories', ['paths']],
  ['schedule lab and space-time', ['lab', 'spacetime']],
  ['formulas', ['formulas']],
  ['density (particles vs exact p_t)', ['density']],
  ['exact p_t contours', ['contours']],
  ['everything', ['race', 'likelihood', 'errors', 'ghosts', 'arrows', 'paths', 'lab', 'spacetime', 'formulas', 'density', 'contours']],
];

const ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface', '--use-angle=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

/**
 * Seconds from Play to the run's last step, with `open` shown, on `backend`.
 * @param {import('playwright-core').Browser} browser
 */
async function timeRun(browser, backend, open) {
  const views = open.map((name) => `&${name}=1`).join('');
  const hash = `dataset=spiral&backend=${backend}&particles=${PARTICLES[backend]}&steps=${STEPS[backend]}&playing=0${views}`;
  const tab = await browser.newPage({ viewport: { width: 1280, height: 1024 } });
  try {
    await tab.goto(new URL(`index.html#${hash}`, BASE_URL).href, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await tab.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', null, { timeout: 120_000 });
    await tab.evaluate(() => window.dp.firstFrame);
    // Let the panels opened by the link draw their first pictures before the clock starts.
    await tab.waitForTimeout(1500);
    return await tab.evaluate(async () => {
      const pg = window.dp.playground;
      if (!pg) throw new Error('no playground');
      const backendUsed = pg.backend;
      const started = performance.now();
      /** @type {HTMLButtonElement} */ (document.getElementById('play')).click();
      await new Promise((resolve) => {
        const tick = () => (window.dp.playground?.done ? resolve(undefined) : requestAnimationFrame(tick));
        requestAnimationFrame(tick);
      });
      const seconds = (performance.now() - started) / 1000;
      // Each view's running cost per update (views.js), for the profile.
      const costs = (window.dp.viewCosts?.() ?? []).filter((view) => view.ms > 0.05);
      return { seconds, backend: backendUsed, costs };
    });
  } finally {
    await tab.close();
  }
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
const rows = [];
/** The median of `values` (the mean of the middle two for an even count). */
const median = (/** @type {number[]} */ values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
for (const backend of BACKENDS) {
  /** Every run with nothing open on this path (each row's runs are paired with one). */
  const nothingSeconds = [];
  for (const [label, open] of ROWS) {
    if (open.length === 0) continue;
    if (ONLY && !ONLY.some((word) => label.startsWith(word))) continue;
    // Each run with the view open right after one with nothing open: the ratio of the pair does
    // not drift with the machine's load the way two separate medians do.
    const seconds = [];
    const ratios = [];
    let ranOn = backend;
    let costs = [];
    for (let r = 0; r < REPEATS; r++) {
      const reference = await timeRun(browser, backend, []);
      const run = await timeRun(browser, backend, open);
      nothingSeconds.push(reference.seconds);
      seconds.push(run.seconds);
      ratios.push(reference.seconds / run.seconds);
      ranOn = run.backend;
      costs = run.costs;
    }
    const row = { backend, ran_on: ranOn, particles: PARTICLES[backend], steps: STEPS[backend], open: label, seconds: median(seconds), steps_per_second: STEPS[backend] / median(seconds), ratio_to_nothing_open: median(ratios), ratios, view_costs: costs };
    rows.push(row);
    console.log(`views ${backend.padEnd(6)} N=${PARTICLES[backend]} ${label.padEnd(34)} ${row.seconds.toFixed(2).padStart(6)} s  ${row.steps_per_second.toFixed(1).padStart(6)} steps/s  ${row.ratio_to_nothing_open.toFixed(2)} of nothing open (pairs: ${ratios.map((q) => q.toFixed(2)).join(', ')})${ranOn === backend ? '' : ` (ran on ${ranOn})`}`);
    const profile = costs.map((view) => `${view.name} ${view.ms.toFixed(1)} ms x ${view.updates}`).join(', ');
    if (profile) console.log(`      per update (last run): ${profile}`);
  }
  const nothing = median(nothingSeconds);
  rows.unshift({ backend, particles: PARTICLES[backend], steps: STEPS[backend], open: 'nothing', seconds: nothing, steps_per_second: STEPS[backend] / nothing, ratio_to_nothing_open: 1, runs: nothingSeconds.length });
  console.log(`views ${backend.padEnd(6)} N=${PARTICLES[backend]} ${'nothing'.padEnd(34)} ${nothing.toFixed(2).padStart(6)} s  ${(STEPS[backend] / nothing).toFixed(1).padStart(6)} steps/s  (median of ${nothingSeconds.length} runs)`);
}
const version = browser.version();
await browser.close();
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ chromium: version, date: new Date().toISOString(), rows }, null, 2));
console.log(`wrote ${OUT}`);
