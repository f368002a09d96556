// @ts-check
// one-at-a-time.js: the page's two small patterns for work that follows the run: an update that
// runs one at a time (a request while one is under way runs once more when it ends, so a
// playing run keeps a view current without piling up readbacks), and a value kept for the
// settings it was computed for.

/**
 * Wraps `work` (which may return a promise) so it runs one at a time.
 * @param {() => unknown} work
 * @returns {() => void} request an update
 */
export function oneAtATime(work) {
  let busy = false;
  let again = false;
  const request = () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    let result;
    try {
      result = work();
    } catch (error) {
      busy = false;
      throw error;
    }
    Promise.resolve(result).finally(() => {
      busy = false;
      if (again) {
        again = false;
        request();
      }
    });
  };
  return request;
}

/** Milliseconds the keyed caches' fills have taken since the last `takeCacheFillMs()`. */
let fillMs = 0;
/** Milliseconds a test adds to every fill (`slowCacheFillsForTest`). */
let extraFillMsForTest = 0;

/**
 * Makes every fill of a keyed cache take at least `ms` (a busy wait): tests check that a costly
 * fill does not hold back a view's next turn.
 * @param {number} ms
 */
export function slowCacheFillsForTest(ms) {
  extraFillMsForTest = ms;
}

/**
 * What filling keyed caches has cost since the last call, in ms (and starts counting afresh).
 * The views' pace (views.js) leaves it out of an update's cost: a fill is paid once for what is
 * sampled, not at every turn.
 */
export function takeCacheFillMs() {
  const ms = fillMs;
  fillMs = 0;
  return ms;
}

/**
 * Keeps the last value of `compute` with the key it was computed for: `get(key, ...args)`
 * recomputes only when the key changed (and keeps the old key when `compute` throws). The time
 * of each computation is counted for `takeCacheFillMs`.
 * @template T
 * @param {(...args: any[]) => T} compute
 */
export function keyedCache(compute) {
  /** @type {string | null} */
  let key = null;
  /** @type {T | null} */
  let value = null;
  return {
    /**
     * @param {string} wanted
     * @param {...any} args
     */
    get(wanted, ...args) {
      if (wanted !== key) {
        const started = performance.now();
        try {
          value = compute(...args);
          while (performance.now() - started < extraFillMsForTest);
        } finally {
          fillMs += performance.now() - started;
        }
        key = wanted;
      }
      return /** @type {T} */ (value);
    },
    clear() {
      key = null;
      value = null;
    },
  };
}
