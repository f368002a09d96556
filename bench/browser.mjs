// Browser benchmark of the playground's two paths (WebGPU and the CPU inside the wasm), in
// Debian's Chromium, on whatever WebGPU adapter it offers (SwiftShader on machines without a GPU).
//
// For each path and particle count it creates a Playground on a fresh canvas (backend forced),
// runs a warm-up step, then times full reverse runs (the MLP score, Euler-Maruyama) with a readback
// at the end so the GPU work is really finished, and reports steps per second and MLP evaluations
// per second (medians of the repeats, with min and max). Results go to stdout as a table and to
// the JSON file named by DP_BENCH_OUT (default bench/results/browser.json).
//
// Run through `cargo xtask bench`, which builds the wasm and serves www/ (DP_BASE_URL).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.DP_BASE_URL;
if (!BASE_URL) throw new Error('DP_BASE_URL is not set: run this through `cargo xtask bench`');
const OUT = process.env.DP_BENCH_OUT ?? 'bench/results/browser.json';
const PARTICLES = (process.env.DP_BENCH_PARTICLES ?? '16384,65536').split(',').map(Number);
const STEPS = Number(process.env.DP_BENCH_STEPS ?? 20);
const REPEATS = Number(process.env.DP_BENCH_REPEATS ?? 3);

// WebGPU on SwiftShader, headless, with canvas presentation working (see tests/browser/helpers.mjs).
const ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface', '--use-angle=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
const page = await browser.newPage();
await page.goto(new URL('bench.html', BASE_URL).href).catch(() => {});
const version = browser.version();

const results = [];
for (const backend of ['webgpu', 'cpu']) {
  for (const particles of PARTICLES) {
    const result = await page.evaluate(async ({ backend, particles, steps, repeats, base }) => {
      const m = await import(new URL('pkg/diffusion_playground.js', base).href);
      await m.default();
      const canvas = document.createElement('canvas');
      canvas.width = 512;
      canvas.height = 512;
      document.body.appendChild(canvas);
      const pg = await m.Playground.create(canvas, { backend, particles, steps, dataset: 'two_moons', score: 'mlp' });
      pg.step(1);
      await pg.read_positions();
      const seconds = [];
      for (let r = 0; r < repeats; r++) {
        pg.reset();
        const started = performance.now();
        while (pg.step(steps) > 0) {}
        await pg.read_positions();
        seconds.push((performance.now() - started) / 1000);
      }
      const note = pg.backend_note;
      pg.free();
      canvas.remove();
      return { seconds, note };
    }, { backend, particles, steps: STEPS, repeats: REPEATS, base: BASE_URL });
    const sorted = [...result.seconds].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const row = {
      backend, particles, steps: STEPS, repeats: REPEATS,
      steps_per_second: STEPS / median,
      evaluations_per_second: (particles * STEPS) / median,
      min_seconds: sorted[0], median_seconds: median, max_seconds: sorted[sorted.length - 1],
      note: result.note,
    };
    results.push(row);
    console.log(`${backend.padEnd(7)} N=${String(particles).padStart(7)}  ${row.steps_per_second.toFixed(2).padStart(8)} steps/s  ${(row.evaluations_per_second / 1e6).toFixed(3)} M evals/s  (run ${sorted[0].toFixed(2)}..${sorted[sorted.length - 1].toFixed(2)} s)`);
  }
}
await browser.close();

mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ chromium: version, date: new Date().toISOString(), results }, null, 2));
console.log(`\nChromium ${version}; adapter: ${results[0]?.note}\nwrote ${OUT}`);
