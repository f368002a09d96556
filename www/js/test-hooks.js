// @ts-check
// test-hooks.js: what tests (and curious people in the console) can reach as `window.dp`: the
// running Playground, the wasm's free functions, copies of the state, and counters that grow as
// views are drawn. `document.body.dataset.state` is "loading", "ready" or "error".

import { firstFrame, page, ready } from './page.js';
import { currentStepsPerFrame } from './frame-loop.js';
import { slowViewForTest, viewCosts } from './views.js';
import { slowCacheFillsForTest } from './one-at-a-time.js';
import { measuredPaths } from './host.js';
import { densityDrawn } from './view-density.js';
import { formulasShown } from './view-formulas.js';
import { lastRace, racesFinished } from './view-race.js';
import { lastLikelihood, likelihoodsMeasured } from './view-likelihood.js';
import { modelErrorDrawn } from './view-model-error.js';
import { networksLoaded } from './network-file.js';
import { layersDrawn } from './view-layers.js';
import { trainingReport, trainingsFinished } from './training.js';
import { pngNow, recordFor } from './export-feature.js';
import { breakWorkersForTest, silenceWorkerForTest, workerFailure, workersInUse } from './cpu-workers.js';
import { ensureNetwork } from './networks.js';
import { kernelTuning, kernelTuningFailure, tuneKernels } from './kernel-tuning.js';

/** @param {Blob} blob */
function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** Installs `window.dp`; the wasm's functions join it once the module is loaded. */
export function installTestHooks() {
  const hooks = {
    ready,
    firstFrame,
    /** The running Playground, or null while (re)creating. */
    get playground() {
      return page.pg;
    },
    /** The whole wasm module once loaded (its free functions: schedule_curves, space_time, ...). */
    get wasm() {
      return page.wasm;
    },
    get describe() {
      return page.wasm?.describe ?? null;
    },
    get dataset_sample() {
      return page.wasm?.dataset_sample ?? null;
    },
    get sliced_wasserstein() {
      return page.wasm?.sliced_wasserstein ?? null;
    },
    /** A copy of the UI state. */
    state: () => ({ ...page.state }),
    /** Current adaptive steps per frame. */
    stepsPerFrame: currentStepsPerFrame,
    /** Each view's updates so far and running cost in ms an update (views.js). */
    viewCosts,
    /** Makes each update of a view take at least `ms`: `slowView('density', 40)`. */
    slowView: slowViewForTest,
    /** Makes each fill of a view's cache (kept for what is sampled) take at least `ms`. */
    slowCacheFills: slowCacheFillsForTest,
    /** Web Workers the CPU path steps on now (0: the page's own thread), and why they were given up. */
    workersInUse: () => (page.pg ? workersInUse(page.pg) : 0),
    workerFailure,
    /** The build of the module this page runs ('relaxed-simd' or 'simd128': wasm-module.js). */
    get wasmBuild() {
      return page.wasmBuild;
    },
    /** Which module of the build runs now ('first-frame' until the page moves onto 'full'). */
    get module() {
      return page.module;
    },
    /**
     * Fetches the network a run of (dataset, schedule) needs, as the page does before it creates
     * a Playground (the wasm embeds only the default's): for Playgrounds created from the console.
     */
    ensureNetwork,
    /**
     * Times the MLP kernels' shapes on this page's adapter, even a software one, and runs the
     * playground in the fastest: `tuneKernels({ force: true, particles })`.
     */
    tuneKernels,
    /** The page's tuning report (null before tuning) and why tuning failed (null if it did not). */
    kernelTuning,
    kernelTuningFailure,
    /** Makes a CPU worker fail (it is sent steps of a run it has no work for). */
    breakWorkers: breakWorkersForTest,
    /** Terminates a CPU worker without a word and gives jobs `ms` to come back. */
    silenceWorker: silenceWorkerForTest,
    /** In-page training runs finished so far. */
    trainingsFinished,
    /** { first, last, steps, seconds, where } of the last finished training run, or null. */
    trainingReport,
    /** Density views drawn so far. */
    densityDrawn,
    /** Formula panels typeset (or shown as TeX) so far. */
    formulasShown,
    /** Sampler races finished so far, and the last one's results. */
    racesFinished,
    lastRace,
    /** Likelihood measurements finished so far, and the last one ({ likelihood, elbo }). */
    likelihoodsMeasured,
    lastLikelihood,
    /** Pictures of where the network is wrong drawn so far. */
    modelErrorDrawn,
    /** Network files loaded so far. */
    networksLoaded,
    /** What the automatic backend measured on a software adapter (null before, or elsewhere). */
    pathComparison: measuredPaths,
    /** Layer pictures drawn so far. */
    layersDrawn,
    /** The picture as the PNG button saves it, as a data: URL. */
    exportPng: async () => blobToDataUrl(await pngNow()),
    /**
     * Records `ms` milliseconds of the picture (particles and layers) as the Record button does;
     * resolves to { type, extension, size, frames, seekable, codec, url } (url: an object URL of
     * the file, for a test to load into a <video>).
     */
    recordVideo: recordFor,
  };
  Object.assign(window, { dp: hooks });
}
