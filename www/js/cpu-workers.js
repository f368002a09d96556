// @ts-check
// cpu-workers.js: the CPU path on every core, without cross-origin isolation. The particles are
// split into contiguous slices, one per Web Worker (cpu-worker.js); each worker has its own
// instance of the module the page compiled once, and steps its slice from the slice's first
// particle index, so a run is the same bit for bit whatever the number of workers (the noise
// is counter-based, keyed by the particle: src/app/cpu_work.rs). Positions and multistep
// history travel in transferable buffers; the Playground takes them back with
// `accept_cpu_steps`, which drops work for a run that has moved on meanwhile.
//
// How many: the link's `threads` (0: automatic, navigator.hardwareConcurrency up to
// MAX_AUTOMATIC_WORKERS). Until the workers are up, for an SMC run (its resampling couples the
// particles) and after a worker fails, the page steps on its own thread as before.

/** Workers the automatic choice starts at most (beyond this the copies cost more than a core gives). */
export const MAX_AUTOMATIC_WORKERS = 8;
/**
 * Slices start at multiples of this many particles: whole batches of the network's vectorised
 * evaluation (src/core/mlp.rs, BATCH), so no slice runs a particle alone that one run batches.
 */
const SLICE_ALIGNMENT = 64;
/** Numbers per particle in `cpu_state()`: x, y, then 6 of multistep history (after all positions). */
const POSITION_FLOATS = 2;
const HISTORY_FLOATS = 6;
/** A worker that has not started by then is taken for broken. */
const START_TIMEOUT_MS = 20_000;
/**
 * A job not back by then is taken for a worker that died without a word (killed for memory, say):
 * a job of 20 steps of 262,144 particles takes about 2 s on the 2-core development machine.
 */
const JOB_TIMEOUT_MS = 60_000;
let jobTimeoutMs = JOB_TIMEOUT_MS;
/** The timer of the job in flight (giveUp when it fires). */
let watchdog = 0;

/** (Re)starts the job in flight's timer. */
function armWatchdog() {
  clearTimeout(watchdog);
  watchdog = window.setTimeout(() => giveUp(`a CPU worker did not answer within ${jobTimeoutMs / 1000} s`), jobTimeoutMs);
}

/** @typedef {import('../pkg/diffusion_playground.js').Playground} Playground */
/**
 * The page's compiled module and the URL of its glue (wasm-module.js): what every worker
 * instantiates.
 * @typedef {{ module: WebAssembly.Module, glue: string }} CompiledBuild
 */

/**
 * @typedef {object} Pool
 * @property {Worker[]} workers
 * @property {CompiledBuild} build    what the workers instantiated
 * @property {boolean} ready          every worker has instantiated the module
 * @property {number} sentKey         the run whose work the workers hold (NaN: none)
 * @property {number} noWorkKey       a run whose steps stay on the page (SMC)
 */

/**
 * Steps the workers took, for `accept_cpu_steps`.
 * @typedef {{ key: number, start: number, count: number, state: Float32Array, ms: number }} StepResult
 */

/** @type {Pool | null} */
let pool = null;
/** A job is in flight (at most one). */
let busy = false;
/** Why the workers were given up, or '' (the page's own thread steps from then on). */
let failure = '';
let nextJobId = 1;
/** @type {Map<number, { resolve: (state: Float32Array) => void, reject: (error: Error) => void }>} */
const pending = new Map();
/** @type {(message: string) => void} */
let reportFailure = () => {};

/**
 * Workers to use for the link's `threads` value (0: automatic).
 * @param {number} threads
 */
export function workersWanted(threads) {
  if (threads > 0) return threads;
  return Math.max(1, Math.min(MAX_AUTOMATIC_WORKERS, navigator.hardwareConcurrency || 1));
}

/**
 * Workers stepping `pg`'s run now (0: the page's own thread), for the readouts.
 * @param {Playground} pg
 */
export function workersInUse(pg) {
  if (!pool || !pool.ready || failure || pg.backend !== 'cpu' || pool.noWorkKey === pg.run_key) return 0;
  return pool.workers.length;
}

/** Why the workers were given up ('' while they work). */
export function workerFailure() {
  return failure;
}

/** @param {(message: string) => void} report  called once when the workers are given up */
export function onWorkerFailure(report) {
  reportFailure = report;
}

/** @param {string} message */
function giveUp(message) {
  if (failure) return;
  failure = message;
  for (const worker of pool?.workers ?? []) worker.terminate();
  pool = null;
  for (const job of pending.values()) job.reject(new Error(message));
  pending.clear();
  reportFailure(message);
}

/**
 * Starts `count` workers on `build` (replacing a pool of another size or build).
 * @param {CompiledBuild} build
 * @param {number} count
 */
function startPool(build, count) {
  for (const worker of pool?.workers ?? []) worker.terminate();
  /** @type {Pool} */
  const next = { workers: [], build, ready: false, sentKey: NaN, noWorkKey: NaN };
  pool = next;
  let started = 0;
  const timer = setTimeout(() => {
    if (pool === next && !next.ready) giveUp(`the CPU workers did not start within ${START_TIMEOUT_MS / 1000} s`);
  }, START_TIMEOUT_MS);
  for (let k = 0; k < count; k += 1) {
    const worker = new Worker(new URL('./cpu-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (event) => {
      const message = event.data;
      if (message.type === 'ready') {
        started += 1;
        if (started === count && pool === next) {
          next.ready = true;
          clearTimeout(timer);
        }
      } else if (message.type === 'stepped') {
        pending.get(message.id)?.resolve(message.state);
        pending.delete(message.id);
      } else if (message.type === 'failed') {
        giveUp(`a CPU worker failed: ${message.message}`);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      giveUp(`a CPU worker stopped: ${event.message || 'it could not be loaded'}`);
    };
    next.workers.push(worker);
    worker.postMessage({ type: 'init', module: build.module, glue: build.glue });
  }
}

/**
 * The slices [first, end) of `particles` for `workers` workers: contiguous, starting at
 * multiples of SLICE_ALIGNMENT, as even as that allows (fewer slices than workers for few
 * particles).
 * @param {number} particles
 * @param {number} workers
 * @returns {Array<[number, number]>}
 */
export function slices(particles, workers) {
  const blocks = Math.ceil(particles / SLICE_ALIGNMENT);
  const perSlice = Math.max(1, Math.ceil(blocks / workers)) * SLICE_ALIGNMENT;
  /** @type {Array<[number, number]>} */
  const result = [];
  for (let first = 0; first < particles; first += perSlice) result.push([first, Math.min(particles, first + perSlice)]);
  return result;
}

/**
 * Posts one slice's steps to `worker`; resolves to its stepped state.
 * @param {Worker} worker
 * @param {{ key: number, start: number, count: number, first: number, state: Float32Array }} job
 * @returns {Promise<Float32Array>}
 */
function postSlice(worker, job) {
  const id = nextJobId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ type: 'steps', id, ...job }, [job.state.buffer]);
  });
}

/**
 * Takes up to `steps` reverse steps of `pg`'s run on the workers, in the background; true when
 * the workers have this frame's steps (a job started, or one is still in flight), false when the
 * page must step on its own thread. `done(result)` follows with the stepped particles for
 * `pg.accept_cpu_steps(key, start, count, state)` (which drops them when the run has moved on
 * meanwhile), and how long the job took; `done(null)` when the workers were given up.
 * @param {Playground} pg
 * @param {CompiledBuild | null} build  the page's compiled module and its glue
 * @param {number} threads   the link's `threads`
 * @param {number} steps
 * @param {(result: StepResult | null) => void} done
 */
export function stepOnWorkers(pg, build, threads, steps, done) {
  if (failure || !build || pg.backend !== 'cpu') return false;
  if (busy) return true;
  const count = workersWanted(threads);
  if (!pool || pool.workers.length !== count || pool.build !== build) {
    try {
      startPool(build, count);
    } catch (error) {
      giveUp(`the CPU workers could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    return false;
  }
  if (!pool.ready) return false;
  const key = pg.run_key;
  if (pool.noWorkKey === key) return false;
  const taken = Math.min(steps, pg.total_steps - pg.step_index);
  if (taken <= 0) return false;
  if (pool.sentKey !== key) {
    const work = pg.cpu_work();
    if (work === undefined) {
      pool.noWorkKey = key;
      return false;
    }
    for (const worker of pool.workers) worker.postMessage({ type: 'work', key, work });
    pool.sentKey = key;
  }
  const state = pg.cpu_state();
  if (!state) return false;
  const particles = state.length / (POSITION_FLOATS + HISTORY_FLOATS);
  const start = pg.step_index;
  const began = performance.now();
  const parts = slices(particles, pool.workers.length);
  const workers = pool.workers;
  busy = true;
  armWatchdog();
  const jobs = parts.map(([first, end], k) => {
    const n = end - first;
    const part = new Float32Array((POSITION_FLOATS + HISTORY_FLOATS) * n);
    part.set(state.subarray(POSITION_FLOATS * first, POSITION_FLOATS * end));
    const history = POSITION_FLOATS * particles;
    part.set(state.subarray(history + HISTORY_FLOATS * first, history + HISTORY_FLOATS * end), POSITION_FLOATS * n);
    return postSlice(workers[k], { key, start, count: taken, first, state: part });
  });
  Promise.all(jobs).then(
    (results) => {
      clearTimeout(watchdog);
      busy = false;
      results.forEach((part, k) => {
        const [first, end] = parts[k];
        const n = end - first;
        state.set(part.subarray(0, POSITION_FLOATS * n), POSITION_FLOATS * first);
        state.set(part.subarray(POSITION_FLOATS * n), POSITION_FLOATS * particles + HISTORY_FLOATS * first);
      });
      done({ key, start, count: taken, state, ms: performance.now() - began });
    },
    () => {
      clearTimeout(watchdog);
      busy = false;
      done(null);
    },
  );
  return true;
}

/** Test hook: sends the workers steps for a run they have no work for (they report a failure). */
export function breakWorkersForTest() {
  pool?.workers[0]?.postMessage({ type: 'steps', id: -1, key: -1, start: 0, count: 1, first: 0, state: new Float32Array(8) });
}

/**
 * Test hook: a worker dies without a word (terminated, as the browser may kill one), and jobs
 * are given `ms` to come back.
 * @param {number} ms
 */
export function silenceWorkerForTest(ms) {
  jobTimeoutMs = ms;
  if (busy) armWatchdog();
  pool?.workers[0]?.terminate();
}

/**
 * For the bench: runs `pg`'s current run to its end on `threads` workers, `stepsPerJob` steps a
 * job and the jobs back to back (no frames in between); resolves to the steps taken. Starts the
 * workers first if needed (not timed by the caller if it calls this once to warm up).
 * @param {Playground} pg
 * @param {CompiledBuild} build
 * @param {number} threads
 * @param {number} stepsPerJob
 */
export async function runToEndOnWorkers(pg, build, threads, stepsPerJob) {
  let taken = 0;
  while (!pg.done) {
    /** @type {StepResult | null | undefined} */
    const result = await new Promise((resolve) => {
      if (!stepOnWorkers(pg, build, threads, stepsPerJob, resolve)) setTimeout(() => resolve(undefined), 10);
    });
    if (failure) throw new Error(failure);
    if (result && pg.accept_cpu_steps(result.key, result.start, result.count, result.state)) taken += result.count;
  }
  return taken;
}
