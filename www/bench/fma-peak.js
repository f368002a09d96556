// fma-peak.js: the browser's fused multiply-add peak on `workers` cores at once, for the bench
// (bench/cpu-scaling.mjs builds the kernel): each worker runs a loop of independent chains of
// f32x4.relaxed_madd, enough of them to hide the instruction's latency, so the loop is bound by
// the FMA units' throughput. Our CPU path's achieved FLOP/s is reported as a fraction of it.

/** Calls of the kernel before timing, so that the engine has optimised it (ms). */
const WARMUP_MS = 800;

/**
 * Floating-point operations per second of `kernel` (a module exporting run(iterations)) on
 * `workers` workers at once, each timed for `seconds`; `flopPerIteration` is what one iteration
 * of its loop computes (chains x 4 lanes x 2).
 * @param {Uint8Array} kernel
 * @param {number} flopPerIteration
 * @param {number} workers
 * @param {number} seconds
 * @param {number} iterations  per call (about a millisecond's worth)
 */
export async function measureFmaPeak(kernel, flopPerIteration, workers, seconds, iterations) {
  const module = await WebAssembly.compile(kernel);
  const pool = Array.from({ length: workers }, () => new Worker(new URL('./fma-peak-worker.js', import.meta.url)));
  const next = (worker) => new Promise((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  try {
    const ready = pool.map(next);
    for (const worker of pool) worker.postMessage({ type: 'init', module, seconds, warmupMs: WARMUP_MS, iterations });
    await Promise.all(ready);
    const measured = pool.map(next);
    for (const worker of pool) worker.postMessage({ type: 'go', iterations, flopPerIteration });
    const rates = (await Promise.all(measured)).map((m) => m.flopPerSecond);
    return { flop_per_second: rates.reduce((a, b) => a + b, 0), per_worker: rates };
  } finally {
    for (const worker of pool) worker.terminate();
  }
}
