// The CPU path on every core, for bench/browser.mjs: our CPU path on 1, 2, ... Web Workers up to
// the machine's cores (www/js/cpu-workers.js, jobs back to back, no frames in between), each
// checked against the page's own thread bit for bit, in each build of the module the browser
// runs (www/js/wasm-module.js: SIMD128, and relaxed SIMD where it validates); and ONNX Runtime
// Web's wasm provider with as many threads on a cross-origin-isolated page (the only kind where
// its threads run).

/**
 * Steps per worker job: enough that the copies of a job (about 4 ms for 65,536 particles on the
 * 2-core development machine) stay small next to its arithmetic, as the page's adaptive pacing
 * makes them.
 */
export const STEPS_PER_JOB = 4;

/**
 * Our CPU path on 1 .. navigator.hardwareConcurrency workers at `particles` in `build`: a row per
 * count with the run times of `repeats` runs of `steps` steps, and whether the particles are the
 * same build's page thread's exactly; `{ error }` when the browser does not run the build.
 * @param {import('playwright-core').Page} page  a tab on bench.html
 * @param {'simd128' | 'relaxed-simd'} build
 */
export async function ourWorkerRows(page, base, build, particles, steps, repeats) {
  return page.evaluate(async ({ base, build, particles, steps, repeats, perJob }) => {
    const modules = await import(new URL('js/wasm-module.js', base).href);
    if (build === 'relaxed-simd' && !modules.relaxedSimdSupported()) return { error: 'this browser has no relaxed SIMD' };
    const glue = modules.glueUrl(build);
    const m = await import(glue);
    const workers = await import(new URL('js/cpu-workers.js', base).href);
    const module = await modules.compileModule(build);
    await m.default({ module_or_path: module });
    const compiled = { module, glue };
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    document.body.appendChild(canvas);
    const pg = await m.Playground.create(canvas, { backend: 'cpu', particles, steps, dataset: 'two_moons', score: 'mlp' });
    while (!pg.done) pg.step(10);
    const reference = await pg.read_positions();
    // The page's thread in this build, timed as the workers are.
    const pageThread = [];
    for (let r = 0; r < repeats; r += 1) {
      pg.reset();
      const started = performance.now();
      while (!pg.done) pg.step(10);
      pageThread.push((performance.now() - started) / 1000);
    }
    const rows = [];
    const cores = navigator.hardwareConcurrency || 1;
    for (let count = 1; count <= cores; count += 1) {
      pg.reset();
      await workers.runToEndOnWorkers(pg, compiled, count, perJob);
      const positions = await pg.read_positions();
      const identical = positions.length === reference.length && positions.every((x, i) => Object.is(x, reference[i]));
      const seconds = [];
      for (let r = 0; r < repeats; r += 1) {
        pg.reset();
        const started = performance.now();
        await workers.runToEndOnWorkers(pg, compiled, count, perJob);
        seconds.push((performance.now() - started) / 1000);
      }
      rows.push({ workers: count, seconds, identical_to_page_thread: identical });
    }
    pg.free();
    canvas.remove();
    return { cores, rows, pageThread };
  }, { base, build, particles, steps, repeats, perJob: STEPS_PER_JOB });
}

/**
 * ONNX Runtime Web's wasm provider with `threads` threads at `particles`, in a tab on the
 * cross-origin-isolated server `isolatedBase`: the median of `repeats` runs, or why it did not
 * run.
 * @param {import('playwright-core').Browser} browser
 */
export async function ortThreadedRow(browser, isolatedBase, particles, steps, repeats, threads) {
  const tab = await browser.newPage();
  try {
    await tab.goto(new URL('bench.html', isolatedBase).href, { waitUntil: 'domcontentloaded', timeout: 45_000 });
    return await tab.evaluate(async ({ base, particles, steps, repeats, threads }) => {
      if (!crossOriginIsolated) return { error: 'the page is not cross-origin isolated' };
      const m = await import(new URL('pkg/diffusion_playground.js', base).href);
      await m.default();
      const peers = await import(new URL('bench/peers.js', base).href);
      const { loadOnnxProto } = await import(new URL('bench/onnx-model.js', base).href);
      const vendor = new URL('vendor/peers/', base).href;
      const onnx = await loadOnnxProto(`${vendor}onnx/`);
      const ort = await import(`${vendor}ort/ort.wasm.min.mjs`);
      ort.env.wasm.wasmPaths = `${vendor}ort/`;
      ort.env.wasm.numThreads = threads;
      const plan = m.peer_plan({ dataset: 'two_moons', steps });
      const data = m.dataset_sample('two_moons', 2002, Math.min(particles, 4096));
      const seconds = [];
      let distance = NaN;
      for (let r = 0; r < repeats; r += 1) {
        const run = await peers.onnxRuntime(ort, onnx, 'wasm', plan, peers.prior(particles));
        seconds.push(run.seconds);
        distance = m.sliced_wasserstein(run.particles.subarray(0, data.length), data);
      }
      return { seconds, sw2_after_steps: distance, version: ort.env.versions.web, threads };
    }, { base: isolatedBase, particles, steps, repeats, threads });
  } catch (error) {
    return { error: String(error?.message ?? error) };
  } finally {
    await tab.close();
  }
}

/** The median of `values`. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Independent accumulator chains of the FMA kernel: more than the FMA latency (4 cycles) times
 * the FMA units (2) of the cores this runs on, so the loop is bound by throughput, not latency.
 */
const FMA_CHAINS = 12;
/** Loop iterations per call of the kernel (about a millisecond). */
const FMA_ITERATIONS = 100_000;
/** Floating-point operations of one iteration: a multiply and an add per lane, 4 lanes a chain. */
const FMA_FLOP_PER_ITERATION = FMA_CHAINS * 4 * 2;

/**
 * The chained-FMA kernel as a module (binaryen, from npm, turns its text into bytes): run(n)
 * repeats `a_k = relaxed_madd(a_k, m, c)` for FMA_CHAINS accumulators n times and returns a lane
 * of their sum (so nothing is dead code).
 */
export async function fmaKernel() {
  const { default: binaryen } = await import('binaryen');
  const chains = Array.from({ length: FMA_CHAINS }, (_, k) => k);
  const wat = `(module (func (export "run") (param $n i32) (result f32)
    ${chains.map((k) => `(local $a${k} v128)`).join(' ')} (local $m v128) (local $c v128)
    (local.set $m (f32x4.splat (f32.const 0.999))) (local.set $c (f32x4.splat (f32.const 0.001)))
    ${chains.map((k) => `(local.set $a${k} (f32x4.splat (f32.const ${1 + k / 100})))`).join(' ')}
    (loop $again
      ${chains.map((k) => `(local.set $a${k} (f32x4.relaxed_madd (local.get $a${k}) (local.get $m) (local.get $c)))`).join(' ')}
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (f32x4.extract_lane 0 ${chains.slice(1).reduce((sum, k) => `(f32x4.add ${sum} (local.get $a${k}))`, '(local.get $a0)')})))`;
  const module = binaryen.parseText(wat);
  module.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
  if (!module.validate()) throw new Error('the FMA kernel does not validate');
  const bytes = module.emitBinary();
  module.dispose();
  return { bytes: Array.from(bytes), flopPerIteration: FMA_FLOP_PER_ITERATION, iterations: FMA_ITERATIONS };
}

/**
 * The browser's FMA peak on `workers` cores (www/bench/fma-peak.js), or `{ error }`.
 * @param {import('playwright-core').Page} page  a tab on bench.html
 */
export async function fmaPeak(page, base, workers, seconds) {
  const kernel = await fmaKernel();
  return page.evaluate(async ({ base, kernel, workers, seconds }) => {
    try {
      const { measureFmaPeak } = await import(new URL('bench/fma-peak.js', base).href);
      return await measureFmaPeak(Uint8Array.from(kernel.bytes), kernel.flopPerIteration, workers, seconds, kernel.iterations);
    } catch (error) {
      return { error: String(error?.message ?? error) };
    }
  }, { base, kernel, workers, seconds });
}
