// Browser benchmark of the playground's two paths (WebGPU and the CPU inside the wasm), in
// Debian's Chromium, on whatever WebGPU adapter it offers (SwiftShader on machines without a GPU),
// then of the whole page (first frame, frames and steps per second) and of its download size.
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
import { STEPS_PER_JOB, fmaPeak, median, ortThreadedRow, ourWorkerRows } from './cpu-scaling.mjs';

const BASE_URL = process.env.DP_BASE_URL;
if (!BASE_URL) throw new Error('DP_BASE_URL is not set: run this through `cargo xtask bench`');
const OUT = process.env.DP_BENCH_OUT ?? 'bench/results/browser.json';
// `cargo xtask bench --quick`: the CPU rows only, at 65,536 particles (ours on the page's thread and
// on workers, ONNX Runtime Web's wasm on one thread and on every core).
const QUICK = process.env.DP_BENCH_QUICK === '1';
const PARTICLES = (process.env.DP_BENCH_PARTICLES ?? (QUICK ? '65536' : '16384,65536,262144')).split(',').map(Number);
// The same www/ from a server that makes pages cross-origin isolated (for ONNX Runtime's threads).
const ISOLATED_URL = process.env.DP_ISOLATED_URL;
const STEPS = Number(process.env.DP_BENCH_STEPS ?? 20);
const REPEATS = Number(process.env.DP_BENCH_REPEATS ?? 3);
// A path (ours or a peer) is measured at a particle count only when one run there is expected to
// take at most this long at the rate it reached at the previous count (software adapters manage
// about 0.1 M evaluations per second: 20 steps of 1,048,576 particles would take minutes a run).
// Skipped rows say so, with the expected time.
const RUN_BUDGET_SECONDS = Number(process.env.DP_BENCH_RUN_BUDGET_S ?? 40);
/** Rate (evaluations per second) each path reached at the largest count measured so far. */
const lastRate = new Map();
/** Why `path` is not measured at `particles`, or null when it is. */
function overBudget(path, particles) {
  const rate = lastRate.get(path);
  if (!rate) return null;
  const expected = (particles * STEPS) / rate;
  return expected > RUN_BUDGET_SECONDS
    ? `skipped: one run would take about ${expected.toFixed(0)} s at the ${(rate / 1e6).toFixed(3)} M evaluations/s measured at the previous N (budget ${RUN_BUDGET_SECONDS} s, DP_BENCH_RUN_BUDGET_S)`
    : null;
}

// WebGPU on SwiftShader, headless, with canvas presentation working (see tests/browser/helpers.mjs).
const ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface', '--use-angle=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

let browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
const page = await browser.newPage();
await page.goto(new URL('bench.html', BASE_URL).href).catch(() => {});
const version = browser.version();

const results = [];
for (const backend of QUICK ? ['cpu'] : ['webgpu', 'cpu']) {
  for (const particles of PARTICLES) {
    const skipped = overBudget(`ours ${backend}`, particles);
    if (skipped) {
      results.push({ backend, particles, steps: STEPS, skipped });
      console.log(`${backend.padEnd(7)} N=${String(particles).padStart(7)}  ${skipped}`);
      continue;
    }
    const result = await page.evaluate(async ({ backend, particles, steps, repeats, base }) => {
      const m = await import(new URL('pkg/diffusion_playground.js', base).href);
      await m.default();
      const canvas = document.createElement('canvas');
      canvas.width = 512;
      canvas.height = 512;
      document.body.appendChild(canvas);
      let pg;
      try {
        pg = await m.Playground.create(canvas, { backend, particles, steps, dataset: 'two_moons', score: 'mlp' });
      } catch (error) {
        canvas.remove();
        return { error: String(error.message ?? error) };
      }
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
    if (result.error) {
      results.push({ backend, particles, steps: STEPS, error: result.error });
      console.log(`${backend.padEnd(7)} N=${String(particles).padStart(7)}  not run: ${result.error}`);
      continue;
    }
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
    lastRate.set(`ours ${backend}`, row.evaluations_per_second);
    console.log(`${backend.padEnd(7)} N=${String(particles).padStart(7)}  ${row.steps_per_second.toFixed(2).padStart(8)} steps/s  ${(row.evaluations_per_second / 1e6).toFixed(3)} M evals/s  (run ${sorted[0].toFixed(2)}..${sorted[sorted.length - 1].toFixed(2)} s)`);
  }
}

// Peers, in the same page: the same network and reverse SDE (`peer_plan`) as a plain JavaScript
// loop, with TensorFlow.js (webgpu and wasm backends) and with ONNX Runtime Web (webgpu and wasm
// execution providers) when `cargo xtask bench` could install them. Evaluations per second are
// compared with our path on the same hardware at each N; the peers' final particles are checked
// against the data (sliced W2) so a wrong peer shows.
const peerRows = [];
const vendor = new URL('vendor/peers/', BASE_URL).href;
let haveTf = false;
if (!QUICK) try {
  for (const file of ['tf.min.js', 'tf-backend-wasm.min.js', 'tf-backend-webgpu.min.js']) await page.addScriptTag({ url: vendor + file });
  haveTf = await page.evaluate(() => typeof window.tf === 'object');
} catch {
  haveTf = false;
}
if (QUICK) console.log('(quick: TensorFlow.js and the WebGPU peers are left out)');
else if (!haveTf) console.log('(TensorFlow.js is not installed in www/vendor/peers: its peers do not run)');
// ONNX Runtime Web: each execution provider from the package's build for it (the exports
// onnxruntime-web/webgpu and onnxruntime-web/wasm), in www/vendor/peers/ort/; the model is
// encoded with onnx-proto from www/vendor/peers/onnx/. The page is not cross-origin isolated, so
// ORT's wasm cannot use threads: numThreads = 1, set explicitly (our CPU path is single-threaded
// too).
const ORT_BUNDLES = QUICK ? { wasm: 'ort.wasm.min.mjs' } : { webgpu: 'ort.webgpu.min.mjs', wasm: 'ort.wasm.min.mjs' };
const ORT_THREADS = 1;
const haveOrt = await page.evaluate((url) => fetch(url).then((r) => r.ok, () => false), `${vendor}ort/${ORT_BUNDLES.wasm}`);
if (!haveOrt) console.log('(ONNX Runtime Web is not installed in www/vendor/peers/ort: its peers do not run)');
// ORT warns on the console when it places nodes on another provider than the one asked for
// ("Some nodes were not assigned to the preferred execution providers"); its warnings are kept.
const ortWarnings = new Set();
page.on('console', (message) => {
  if (/\[W:onnxruntime/.test(message.text())) ortWarnings.add(message.text());
});
let ortVersion = null;
const PEER_NAMES = ['plain JavaScript', 'TensorFlow.js webgpu', 'TensorFlow.js wasm', 'ONNX Runtime Web webgpu', 'ONNX Runtime Web wasm'];
for (const particles of PARTICLES) {
  const skip = Object.fromEntries(PEER_NAMES.map((name) => [name, overBudget(name, particles)]).filter(([, why]) => why));
  const rows = await page.evaluate(async ({ particles, steps, base, vendor, haveTf, haveOrt, ortBundles, ortThreads, skip, quick }) => {
    const m = await import(new URL('pkg/diffusion_playground.js', base).href);
    await m.default();
    const peers = await import(new URL('bench/peers.js', base).href);
    const plan = m.peer_plan({ dataset: 'two_moons', steps });
    const start = peers.prior(particles);
    const data = m.dataset_sample('two_moons', 2002, Math.min(particles, 4096));
    const distance = (points) => m.sliced_wasserstein(points.subarray(0, data.length), data);
    const out = [];
    // Peers expected to overrun the run budget at this N get a row saying so instead.
    const skipped = (peer) => skip[peer] && out.push({ peer, skipped: skip[peer] });
    if (!quick && !skipped('plain JavaScript')) {
      const js = peers.plainJs(plan, start);
      out.push({ peer: 'plain JavaScript', seconds: js.seconds, sw2_after_steps: distance(js.particles) });
    }
    if (haveTf) {
      window.tf.wasm.setWasmPaths(vendor);
      for (const backend of ['webgpu', 'wasm']) {
        if (skipped(`TensorFlow.js ${backend}`)) continue;
        try {
          const r = await peers.tensorflow(window.tf, backend, plan, start);
          out.push({ peer: `TensorFlow.js ${backend}`, seconds: r.seconds, sw2_after_steps: distance(r.particles) });
        } catch (error) {
          out.push({ peer: `TensorFlow.js ${backend}`, error: String(error) });
        }
      }
    }
    if (haveOrt) {
      const { loadOnnxProto } = await import(new URL('bench/onnx-model.js', base).href);
      const onnx = await loadOnnxProto(`${vendor}onnx/`);
      for (const [provider, bundle] of Object.entries(ortBundles)) {
        const peer = `ONNX Runtime Web ${provider}`;
        if (skipped(peer)) continue;
        try {
          const ort = await import(`${vendor}ort/${bundle}`);
          ort.env.wasm.wasmPaths = `${vendor}ort/`;
          ort.env.wasm.numThreads = ortThreads;
          const r = await peers.onnxRuntime(ort, onnx, provider, plan, start);
          out.push({ peer, version: ort.env.versions.web, bundle, wasm_threads: ortThreads, seconds: r.seconds, sw2_after_steps: distance(r.particles) });
        } catch (error) {
          out.push({ peer, error: String(error) });
        }
      }
    }
    return out;
  }, { particles, steps: STEPS, base: BASE_URL, vendor, haveTf, haveOrt, ortBundles: ORT_BUNDLES, ortThreads: ORT_THREADS, skip, quick: QUICK });
  if (!ortVersion) {
    ortVersion = rows.find((row) => row.version)?.version ?? null;
    if (ortVersion) console.log(`(ONNX Runtime Web ${ortVersion}: ${QUICK ? '' : `webgpu from ${ORT_BUNDLES.webgpu}, `}wasm from ${ORT_BUNDLES.wasm} with numThreads = ${ORT_THREADS}, as the page is not cross-origin isolated)`);
  }
  // Each peer is compared with our path on the same hardware: GPU peers with our WebGPU path,
  // CPU peers (wasm, plain JavaScript) with our CPU path inside the wasm.
  const oursOn = (backend) => results.find((r) => r.particles === particles && r.backend === backend)?.evaluations_per_second;
  for (const row of rows) {
    row.particles = particles;
    row.steps = STEPS;
    row.compared_with = /webgpu/.test(row.peer) ? 'webgpu' : 'cpu';
    if (row.seconds) {
      row.evaluations_per_second = (particles * STEPS) / row.seconds;
      lastRate.set(row.peer, row.evaluations_per_second);
      const ours = oursOn(row.compared_with);
      row.ours_over_peer = ours ? ours / row.evaluations_per_second : null;
    }
    peerRows.push(row);
    const ratio = row.ours_over_peer ? `our ${row.compared_with} path / peer ${row.ours_over_peer.toFixed(1)}x` : `our ${row.compared_with} path not measured at this N`;
    console.log(row.skipped
      ? `peer ${row.peer.padEnd(24)} N=${String(particles).padStart(7)}  ${row.skipped}`
      : row.error
      ? `peer ${row.peer} N=${particles}: failed (${row.error.slice(0, 120)})`
      : `peer ${row.peer.padEnd(24)} N=${String(particles).padStart(7)}  ${(row.evaluations_per_second / 1e6).toFixed(3)} M evals/s  ${ratio}  (SW2 to data after ${STEPS} steps ${row.sw2_after_steps.toFixed(3)})`);
  }
}

if (ortWarnings.size) console.log(`ONNX Runtime Web warned:\n  ${[...ortWarnings].join('\n  ')}`);

// Every core: our CPU path on 1, 2, ... workers (scaling against its own single worker and
// against the page's thread), and ONNX Runtime Web's wasm on as many threads on an isolated page.
const workerRows = [];
const ortThreadRows = [];
for (const particles of PARTICLES) {
  const single = results.find((r) => r.particles === particles && r.backend === 'cpu' && r.evaluations_per_second);
  if (!single) continue;
  const rate = (seconds) => (particles * STEPS) / median(seconds);
  const ortOne = peerRows.find((r) => r.particles === particles && r.peer === 'ONNX Runtime Web wasm')?.evaluations_per_second;
  let ortAll = null;
  let cores = 0;
  for (const build of ['simd128', 'relaxed-simd']) {
    const measured = await ourWorkerRows(page, BASE_URL, build, particles, STEPS, REPEATS);
    if (measured.error) {
      console.log(`cpu, ${build}: not measured (${measured.error})`);
      continue;
    }
    if (!cores && haveOrt && ISOLATED_URL) {
      cores = measured.cores;
      const row = await ortThreadedRow(browser, ISOLATED_URL, particles, STEPS, REPEATS, cores);
      ortAll = row.seconds ? rate(row.seconds) : null;
      ortThreadRows.push({ particles, steps: STEPS, ...row, evaluations_per_second: ortAll });
      console.log(row.error
        ? `peer ONNX Runtime Web wasm, ${cores} threads (isolated page) N=${particles}: failed (${row.error.slice(0, 160)})`
        : `peer ${`ONNX Runtime Web wasm ${cores}T`.padEnd(24)} N=${String(particles).padStart(7)}  ${(ortAll / 1e6).toFixed(3)} M evals/s on ${cores} threads, cross-origin-isolated page (SW2 to data after ${STEPS} steps ${row.sw2_after_steps.toFixed(3)})`);
    }
    const pageThread = rate(measured.pageThread);
    const oneWorker = rate(measured.rows[0].seconds);
    console.log(`cpu, ${build}, page thread N=${String(particles).padStart(7)}  ${(pageThread / 1e6).toFixed(3)} M evals/s  ${(pageThread / single.evaluations_per_second).toFixed(2)}x the SIMD128 row above`);
    for (const row of measured.rows) {
      const evaluations = rate(row.seconds);
      const entry = {
        build, particles, steps: STEPS, workers: row.workers, steps_per_job: STEPS_PER_JOB, evaluations_per_second: evaluations,
        over_one_worker: evaluations / oneWorker, scaling_efficiency: evaluations / oneWorker / row.workers,
        over_page_thread: evaluations / pageThread,
        over_simd128_page_thread: evaluations / single.evaluations_per_second,
        over_ort_one_thread: ortOne ? evaluations / ortOne : null,
        over_ort_same_threads: row.workers === measured.cores && ortAll ? evaluations / ortAll : null,
        identical_to_page_thread: row.identical_to_page_thread, seconds: row.seconds, page_thread_seconds: measured.pageThread,
      };
      workerRows.push(entry);
      const versus = [
        `${entry.over_one_worker.toFixed(2)}x one worker (efficiency ${(100 * entry.scaling_efficiency).toFixed(0)}%)`,
        `${entry.over_page_thread.toFixed(2)}x its page thread`,
        entry.over_ort_one_thread ? `${entry.over_ort_one_thread.toFixed(2)}x ORT wasm 1 thread` : null,
        entry.over_ort_same_threads ? `${entry.over_ort_same_threads.toFixed(2)}x ORT wasm ${measured.cores} threads` : null,
      ].filter(Boolean).join(', ');
      console.log(`cpu, ${build}, ${row.workers} worker${row.workers === 1 ? ' ' : 's'} N=${String(particles).padStart(7)}  ${(evaluations / 1e6).toFixed(3)} M evals/s  ${versus}${row.identical_to_page_thread ? '' : '  PARTICLES DIFFER FROM THE PAGE THREAD'}`);
    }
  }
}

// How close to the limit: the browser's FMA peak on one core and on all of them (a chained-FMA
// microkernel, www/bench/fma-peak.js), and our best all-core rate as a fraction of it.
/** Floating-point operations of one network evaluation (src/core/mlp.rs, FLOP_PER_EVALUATION). */
const FLOP_PER_EVALUATION = 10_752;
const FMA_SECONDS = Number(process.env.DP_BENCH_FMA_SECONDS ?? 2);
const peakRows = [];
const allCores = Math.max(0, ...workerRows.map((r) => r.workers));
for (const workers of allCores ? [...new Set([1, allCores])] : []) {
  const peak = await fmaPeak(page, BASE_URL, workers, FMA_SECONDS);
  if (peak.error) {
    console.log(`FMA peak on ${workers} core(s): not measured (${peak.error})`);
    continue;
  }
  const ours = workerRows.filter((r) => r.workers === workers);
  const row = {
    workers, fma_peak_flop_per_second: peak.flop_per_second, per_worker: peak.per_worker,
    ours: ours.map((r) => ({ build: r.build, particles: r.particles, flop_per_second: r.evaluations_per_second * FLOP_PER_EVALUATION, fraction_of_peak: (r.evaluations_per_second * FLOP_PER_EVALUATION) / peak.flop_per_second })),
  };
  peakRows.push(row);
  const fractions = row.ours.map((o) => `${o.build} N=${o.particles} ${(o.flop_per_second / 1e9).toFixed(1)} GFLOP/s = ${(100 * o.fraction_of_peak).toFixed(0)}%`).join(', ');
  console.log(`FMA peak on ${workers} core${workers === 1 ? '' : 's'}: ${(peak.flop_per_second / 1e9).toFixed(1)} GFLOP/s (f32x4.relaxed_madd chains); ours on ${workers} worker${workers === 1 ? '' : 's'}: ${fractions}`);
}

// The whole page: time from navigation to the first frame on screen (window.dp.firstFrame: drawn,
// and on WebGPU the GPU done with it), and, while a long run plays, frames per second and reverse
// steps per second (step + render + the page's own pacing), for each path and particle count, and
// for the automatic choice a visitor gets (which times both paths first on a software adapter).
// Counts where our path could not run above are left out.
const FPS_SECONDS = Number(process.env.DP_BENCH_FPS_SECONDS ?? 3);
const pageRows = [];
for (const backend of QUICK ? [] : ['auto', 'webgpu', 'cpu']) {
  for (const particles of PARTICLES) {
    const ours = results.find((r) => r.particles === particles && r.backend === (backend === 'auto' ? 'cpu' : backend));
    if (!ours || ours.error || ours.skipped) {
      console.log(`page ${backend.padEnd(7)} N=${String(particles).padStart(7)}  not measured (${ours?.error ?? ours?.skipped ?? 'no row'})`);
      continue;
    }
    const loads = [];
    let live = null;
    for (let r = 0; r < REPEATS; r++) {
      const url = new URL(`index.html#backend=${backend}&particles=${particles}&steps=1000&playing=1`, BASE_URL).href;
      const tab = await openTab(url);
      const firstFrame = await tab.evaluate(() => window.dp.firstFrame);
      loads.push(firstFrame);
      if (r === 0) {
        live = await tab.evaluate(async (seconds) => {
          const pg = window.dp.playground;
          const startStep = pg.step_index;
          const started = performance.now();
          let frames = 0;
          await new Promise((resolve) => {
            const tick = () => {
              frames += 1;
              if (performance.now() - started < 1000 * seconds) requestAnimationFrame(tick);
              else resolve();
            };
            requestAnimationFrame(tick);
          });
          const elapsed = (performance.now() - started) / 1000;
          return { fps: frames / elapsed, steps_per_second: (pg.step_index - startStep) / elapsed, backend: pg.backend };
        }, FPS_SECONDS);
      }
      await tab.close();
    }
    const sorted = [...loads].sort((a, b) => a - b);
    const row = {
      backend, particles, running_on: live.backend,
      first_frame_ms_median: sorted[Math.floor(sorted.length / 2)], first_frame_ms_min: sorted[0], first_frame_ms_max: sorted[sorted.length - 1],
      fps: live.fps, page_steps_per_second: live.steps_per_second,
    };
    pageRows.push(row);
    console.log(`page ${backend.padEnd(7)} N=${String(particles).padStart(7)}  first frame ${row.first_frame_ms_median.toFixed(0).padStart(5)} ms  ${row.fps.toFixed(1).padStart(5)} frames/s  ${row.page_steps_per_second.toFixed(1).padStart(6)} steps/s (ran on ${row.running_on})`);
  }
}
// Training in the page, per built-in dataset: the embedded networks' recipe (batch 256, eps, VP
// linear) for TRAIN_STEPS steps on the CPU inside the wasm and with the WGSL kernels on WebGPU,
// timed, and scaled to the 40,000 steps of `cargo xtask train` (per-step cost is constant).
const TRAIN_STEPS = Number(process.env.DP_BENCH_TRAIN_STEPS ?? 100);
const FULL_RUN_STEPS = 40_000;
const trainRows = QUICK ? [] : await page.evaluate(async ({ base, steps }) => {
  const m = await import(new URL('pkg/diffusion_playground.js', base).href);
  await m.default();
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 64;
  document.body.appendChild(canvas);
  const pg = await m.Playground.create(canvas, { backend: 'webgpu', particles: 1024 });
  const rows = [];
  for (const { name } of m.describe().datasets) {
    const cpu = m.Trainer.for_dataset(name, steps, 256, 0);
    let started = performance.now();
    cpu.run(steps);
    const cpuSeconds = (performance.now() - started) / 1000;
    cpu.free();
    const gpu = pg.gpu_training_dataset(name, steps, 256, 0);
    gpu.run(1);
    await gpu.loss();
    started = performance.now();
    while (gpu.step < gpu.steps) {
      gpu.run(25);
      await gpu.loss();
    }
    const gpuSeconds = (performance.now() - started) / 1000;
    const gpuSteps = steps - 1;
    gpu.free();
    rows.push({ dataset: name, cpu_seconds_per_step: cpuSeconds / steps, webgpu_seconds_per_step: gpuSeconds / gpuSteps });
  }
  // The drawing panel's couplings (src/core/coupling.rs) on a drawn circle of 256 points, batch
  // 128 as the page trains: what pairing costs per step next to the independent coupling.
  const circle = new Float32Array(512);
  for (let i = 0; i < 256; i += 1) {
    circle[2 * i] = 1.5 * Math.cos((2 * Math.PI * i) / 256);
    circle[2 * i + 1] = 1.5 * Math.sin((2 * Math.PI * i) / 256);
  }
  for (const coupling of ['independent', 'ot', 'sb']) {
    const cpu = new m.Trainer(circle, new Uint32Array(0), steps, 128, 0, 'velocity', 'rectified_flow', coupling);
    const started = performance.now();
    cpu.run(steps);
    const seconds = (performance.now() - started) / 1000;
    cpu.free();
    rows.push({ dataset: `circle, ${coupling} coupling`, cpu_seconds_per_step: seconds / steps, webgpu_seconds_per_step: NaN });
  }
  pg.free();
  return rows;
}, { base: BASE_URL, steps: TRAIN_STEPS });
for (const row of trainRows) {
  row.cpu_full_run_seconds = row.cpu_seconds_per_step * FULL_RUN_STEPS;
  row.webgpu_full_run_seconds = row.webgpu_seconds_per_step * FULL_RUN_STEPS;
  console.log(`train ${row.dataset.padEnd(17)} CPU (wasm) ${(1000 * row.cpu_seconds_per_step).toFixed(1).padStart(6)} ms/step (${row.cpu_full_run_seconds.toFixed(0)} s for 40k)  WebGPU ${(1000 * row.webgpu_seconds_per_step).toFixed(1).padStart(6)} ms/step (${row.webgpu_full_run_seconds.toFixed(0)} s for 40k)`);
}
await browser.close();

// What a first visit downloads, and the offline copy: bench/first-download.mjs.
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ chromium: version, date: new Date().toISOString(), results, peers: peerRows, workers: workerRows, fma_peak: peakRows, onnxruntime_web_threads: ortThreadRows, onnxruntime_web: ortVersion, onnxruntime_warnings: [...ortWarnings], page: pageRows, training: trainRows }, null, 2));
console.log(`\nChromium ${version}; adapter: ${results[0]?.note}\nwrote ${OUT}`);
