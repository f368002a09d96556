// @ts-check
// link-rules.js: the wasm's rules for the text of a share link, the one definition of each,
// which the page hands this module once the wasm is loaded (`useLinkRules`), before any link is
// read: how text becomes a number (plain decimals of at most `link_number_max_length()`
// characters, read in one pass; `src/app/link_number.rs`), the whitespace values are trimmed of,
// how a measurement's operator and values read and are written (`src/app/measurement.rs`), and
// how the fields that depend on each other settle (`src/app/condition.rs`).

/**
 * The wasm's functions this module calls (their types from the declarations wasm-bindgen writes).
 * @typedef {Pick<import('../pkg/diffusion_playground.js'), 'link_number' | 'link_text' | 'measurement_operator'
 *   | 'measurement_values' | 'measurement_operator_text' | 'measurement_values_text' | 'settle_options'>} LinkRules
 */

/** @type {LinkRules | null} */
let rules = null;

/**
 * Takes the wasm's rules (the loaded module's exports): call it before reading any link.
 * @param {LinkRules} wasm
 */
export function useLinkRules(wasm) {
  rules = wasm;
}

/** The wasm's rules; throws before `useLinkRules`. */
export function wasmRules() {
  if (!rules) throw new Error('link-rules.js: the wasm is not loaded yet (call useLinkRules first)');
  return rules;
}

/**
 * `text` without leading and trailing ASCII whitespace (U+0020, U+0009, U+000A, U+000C, U+000D),
 * as the wasm trims it; Unicode spaces (U+000B, U+00A0, U+FEFF, ...) are kept, so a value
 * carrying them is rejected.
 * @param {string} text
 */
export function trimLinkWhitespace(text) {
  return wasmRules().link_text(text);
}

/**
 * The number a link's text stands for (trimmed, at most the wasm's longest number, a plain
 * decimal number), or null. -0 reads as 0.
 * @param {string} raw
 * @returns {number | null}
 */
export function parseNumber(raw) {
  const value = wasmRules().link_number(raw);
  return value === undefined ? null : value + 0; // + 0 turns -0 into 0
}
