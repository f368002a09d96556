// @ts-check
// kernel-tuning.js: the measured shape of the MLP kernels on this page's WebGPU adapter. On a
// hardware adapter the page times every workgroup size and weights format once, after its first
// frame (the wasm's tune_gpu_kernels: app::kernel_tuning), and runs every playground it creates
// afterwards in the fastest. A software adapter is not tuned (the CPU path usually runs there)
// unless a test or the console asks (`window.dp.tuneKernels`). The report is kept in
// localStorage under the adapter's name, so later visits and the other embeds of a page of notes
// start in the measured shape without timing again; every shape computes the same particles, so
// a stale entry can only cost speed, and one the device cannot run is dropped and measured anew.

import { page } from './page.js';

/** A kernel shape, as `set_gpu_kernel_shape` takes it. @typedef {import('../pkg/diffusion_playground.js').MlpKernelConfig} KernelShape */
/**
 * The wasm's tuning report, and whether this page read it from storage rather than measured it.
 * @typedef {import('../pkg/diffusion_playground.js').TuningReport & { from_storage?: boolean }} TuningReport
 */

/** The report of this page's tuning, once measured. @type {TuningReport | null} */
let report = null;
/** The tuning in progress. @type {Promise<TuningReport | null> | null} */
let inProgress = null;
/** Why tuning failed, if it did (the default shape is kept). @type {string | null} */
let failure = null;

/** Where the last report is kept, with the adapter it was measured on. */
const STORAGE_KEY = 'diffusion-playground.kernel-shape.v1';

/**
 * The report kept for `adapter`, or null (none, another adapter's, unreadable, or no storage).
 * @param {string} adapter
 * @returns {TuningReport | null}
 */
function keptReport(adapter) {
  try {
    const kept = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (kept && kept.adapter === adapter && kept.report && typeof kept.report.config === 'object') {
      return { ...kept.report, from_storage: true };
    }
  } catch {
    // Storage blocked (a sandboxed embed) or a malformed entry: measure instead.
  }
  return null;
}

/**
 * Keeps `measured` for `adapter` (quietly skipped where storage is blocked).
 * @param {string} adapter
 * @param {TuningReport} measured
 */
function keepReport(adapter, measured) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ adapter, report: measured }));
  } catch {
    // No storage: the next visit measures again.
  }
}

/** Forgets the kept report (one the device could not run). */
function forgetReport() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // No storage.
  }
}

/** The report, or null before (or without) tuning. */
export function kernelTuning() {
  return report;
}

/** Why tuning failed, or null. */
export function kernelTuningFailure() {
  return failure;
}

/**
 * Runs `pg` in the tuned shape when there is one (a playground on WebGPU); false when the device
 * refused it (the report is then dropped).
 * @param {import('./page.js').Playground} pg
 */
export function applyTunedShape(pg) {
  if (!report || pg.backend !== 'webgpu') return true;
  try {
    pg.set_gpu_kernel_shape(report.config);
    return true;
  } catch (error) {
    failure = `the tuned kernel shape could not be applied: ${error instanceof Error ? error.message : String(error)}`;
    if (report.from_storage) forgetReport();
    report = null;
    return false;
  }
}

/**
 * Times the shapes once per page (again only when `force`d) and applies the winner to the
 * running playground; resolves to the report, or null where the adapter is software and the
 * call is not forced, or where tuning failed (`kernelTuningFailure`).
 * @param {{ force?: boolean, particles?: number }} [options]
 * @returns {Promise<TuningReport | null>}
 */
export function tuneKernels({ force = false, particles } = {}) {
  if (inProgress && !force) return inProgress;
  if (report && !force) return Promise.resolve(report);
  const wasm = page.wasm;
  if (!wasm) return Promise.resolve(null);
  const adapter = page.pg?.backend === 'webgpu' ? page.pg.adapter_name : null;
  if (!force && adapter !== null) {
    report = keptReport(adapter);
    if (report && page.pg && applyTunedShape(page.pg)) return Promise.resolve(report);
  }
  // Undefined particles: the wasm's PAGE_TUNING_PARTICLES.
  inProgress = wasm.tune_gpu_kernels(particles, force).then(
    (/** @type {TuningReport | null} */ measured) => {
      if (measured) {
        report = measured;
        failure = null;
        if (adapter !== null) keepReport(adapter, measured);
        if (page.pg) applyTunedShape(page.pg);
      }
      return measured;
    },
    (/** @type {unknown} */ error) => {
      failure = `timing the GPU kernel shapes failed: ${error instanceof Error ? error.message : String(error)}`;
      return null;
    },
  );
  const mine = inProgress;
  mine.finally(() => {
    if (inProgress === mine) inProgress = null;
  });
  return mine;
}
