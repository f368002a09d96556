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

/**
 * Keeps the last value of `compute` with the key it was computed for: `get(key, ...args)`
 * recomputes only when the key changed (and keeps the old key when `compute` throws).
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
        value = compute(...args);
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
