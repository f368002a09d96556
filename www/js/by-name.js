// @ts-check
// by-name.js: a page state read and written by field name, for the code that walks the state
// table (a link's settings, the controls, the store's changes, the settling of a state).

/** A field's value: text, a number or a flag. @typedef {string | number | boolean} FieldValue */

/**
 * `state` as a lookup by field name: what is read or written through it is checked against the
 * field's row (`parseField` in state.js, the wasm's options table), not by the type of a name
 * known only at run time.
 * @param {import('./state.js').State | Partial<import('./state.js').State> | import('../pkg/diffusion_playground.js').Options} state
 * @returns {Record<string, FieldValue>}
 */
export function byName(state) {
  return /** @type {Record<string, FieldValue>} */ (/** @type {unknown} */ (state));
}
