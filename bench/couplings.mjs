// Benchmark of training a flow in the page on the CPU path, per coupling: what the training-time
// column of docs/straight-paths.md's table costs in the page. The page trains on a drawing or on
// loaded points (at most 512), so each row trains on 512 points drawn from one of the report's
// datasets (`cargo xtask report couplings`), with the report's recipe (velocity on rectified flow,
// batches of 256) and the drawing panel's couplings: independent, minibatch OT in groups of 64 and
// the Schrödinger bridge (sigma 0.5), the Trainer inside the wasm on the page's thread (the page runs
// it on a worker, the same code). The reflow row first makes the panel's 4,096 pairs of the
// independent flow (each a 64-step Heun run of it), timed apart. Each per-step time is the median of
// REPEATS runs of STEPS steps, scaled to the report's 5,000 steps (a step's cost does not change
// along a run).
//
// Run through `cargo xtask bench --quick` (or `cargo xtask bench`), which builds the wasm and serves
// www/ (DP_BASE_URL). Results go to stdout and to DP_BENCH_COUPLINGS_OUT (default
// bench/results/couplings.json).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.DP_BASE_URL;
if (!BASE_URL) throw new Error('DP_BASE_URL is not set: run this through `cargo xtask bench`');
const OUT = process.env.DP_BENCH_COUPLINGS_OUT ?? 'bench/results/couplings.json';
/** Steps of one timed run, and runs per row (the row gives the median). */
const STEPS = Number(process.env.DP_BENCH_COUPLINGS_STEPS ?? 200);
const REPEATS = Number(process.env.DP_BENCH_COUPLINGS_REPEATS ?? 3);
/** The report's recipe (tests/it/couplings_report.rs): steps and batch of every network. */
const REPORT_STEPS = 5000;
const REPORT_BATCH = 256;
/** The drawing panel's reflow pairs (www/js/training.js). */
const REFLOW_PAIRS = 4096;
/** The report's datasets, and the points the page may train on. */
const DATASETS = ['gaussian_mixture', 'two_moons', 'spiral', 'checkerboard'];
const POINTS = 512;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--no-first-run'] });
const page = await browser.newPage();
await page.goto(new URL('bench.html', BASE_URL).href).catch(() => {});
const rows = await page.evaluate(async ({ base, datasets, points, steps, repeats, batch, pairs }) => {
  const m = await import(new URL('pkg/diffusion_playground.js', base).href);
  await m.default();
  const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  /** Median seconds per step of `make()`'s trainer over `repeats` runs of `steps` steps. */
  const perStep = (/** @type {() => any} */ make) => median(Array.from({ length: repeats }, () => {
    const trainer = make();
    const started = performance.now();
    trainer.run(steps);
    const seconds = (performance.now() - started) / 1000 / steps;
    trainer.free();
    return seconds;
  }));
  const canvas = document.createElement('canvas');
  document.body.appendChild(canvas);
  const out = [];
  for (const name of datasets) {
    const drawn = m.dataset_sample(name, 0, points);
    const none = new Uint32Array(0);
    const trainer = (/** @type {string} */ coupling) => () => new m.Trainer(drawn, none, steps, batch, 0, 'velocity', 'rectified_flow', coupling);
    for (const coupling of ['independent', 'ot', 'sb']) {
      out.push({ dataset: name, coupling, seconds_per_step: perStep(trainer(coupling)), pair_seconds: 0 });
    }
    // Reflow: the drawing's independent flow (trained briefly: the pairs cost the same whatever
    // it learned) as the teacher, then the pairs and the training of the next flow.
    const pg = await m.Playground.create(canvas, { backend: 'cpu', particles: 256, score: 'exact' });
    pg.use_drawing(drawn, none);
    const teacher = trainer('independent')();
    teacher.run(steps);
    pg.use_trainer(teacher);
    teacher.free();
    let pairSeconds = [];
    const reflow = () => {
      const started = performance.now();
      const made = pg.reflow_trainer(steps, batch, 0, pairs);
      pairSeconds.push((performance.now() - started) / 1000);
      return made;
    };
    const secondsPerStep = perStep(reflow);
    out.push({ dataset: name, coupling: 'reflow', seconds_per_step: secondsPerStep, pair_seconds: median(pairSeconds) });
    pg.free();
  }
  return out;
}, { base: BASE_URL, datasets: DATASETS, points: POINTS, steps: STEPS, repeats: REPEATS, batch: REPORT_BATCH, pairs: REFLOW_PAIRS });
for (const row of rows) {
  row.report_run_seconds = row.pair_seconds + row.seconds_per_step * REPORT_STEPS;
  const pairs = row.pair_seconds ? ` + ${row.pair_seconds.toFixed(1)} s for ${REFLOW_PAIRS} pairs` : '';
  console.log(`couplings ${row.dataset.padEnd(17)} ${row.coupling.padEnd(12)} ${(1000 * row.seconds_per_step).toFixed(2).padStart(6)} ms/step${pairs}: ${row.report_run_seconds.toFixed(1).padStart(5)} s for ${REPORT_STEPS} steps of ${REPORT_BATCH}`);
}
const version = browser.version();
await browser.close();
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ chromium: version, date: new Date().toISOString(), steps: STEPS, repeats: REPEATS, report_steps: REPORT_STEPS, batch: REPORT_BATCH, rows }, null, 2));
console.log(`wrote ${OUT}`);
