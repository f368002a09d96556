// The CPU path on every core, for bench/browser.mjs: our CPU path on 1, 2, ... Web Workers up to
// the machine's cores (www/js/cpu-workers.js, jobs back to back, no frames in between), each
// checked against the page's own thread bit for bit, and ONNX Runtime Web's wasm provider with as
// many threads on a cross-origin-isolated page (the only kind where its threads run).

/**
 * Steps per worker job: enough that the copies of a job (about 4 ms for 65,536 particles on the
 * 2-core development machine) stay small next to its arithmetic, as the page's adaptive pacing
 * makes them.
 */
export const STEPS_PER_JOB = 4;

/**
 * Our CPU path on 1 .. navigator.hardwareConcurrency workers at `particles`: a row per count with
 * the median run time of `repeats` runs of `steps` steps, and whether the particles are the page
 * thread's exactly.
 * @param {import('playwright-core').Page} page  a tab on bench.html
 */
export async function ourWorkerRows(page, base, particles, steps, repeats) {
  return page.evaluate(async ({ base, particles, steps, repeats, perJob }) => {
    const m = await import(new URL('pkg/diffusion_playground.js', base).href);
    const { compileModule } = await import(new URL('js/wasm-module.js', base).href);
    const workers = await import(new URL('js/cpu-workers.js', base).href);
    const module = await compileModule();
    await m.default({ module_or_path: module });
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    document.body.appendChild(canvas);
    const pg = await m.Playground.create(canvas, { backend: 'cpu', particles, steps, dataset: 'two_moons', score: 'mlp' });
    while (!pg.done) pg.step(10);
    const reference = await pg.read_positions();
    const rows = [];
    const cores = navigator.hardwareConcurrency || 1;
    for (let count = 1; count <= cores; count += 1) {
      pg.reset();
      await workers.runToEndOnWorkers(pg, module, count, perJob);
      const positions = await pg.read_positions();
      const identical = positions.length === reference.length && positions.every((x, i) => Object.is(x, reference[i]));
      const seconds = [];
      for (let r = 0; r < repeats; r += 1) {
        pg.reset();
        const started = performance.now();
        await workers.runToEndOnWorkers(pg, module, count, perJob);
        seconds.push((performance.now() - started) / 1000);
      }
      rows.push({ workers: count, seconds, identical_to_page_thread: identical });
    }
    pg.free();
    canvas.remove();
    return { cores, rows };
  }, { base, particles, steps, repeats, perJob: STEPS_PER_JOB });
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
