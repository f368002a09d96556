// @ts-check
// link-number.js: how a share link's text becomes a number, defined once and shared with the
// wasm (`src/app/options.rs`: `MAX_NUMBER_LENGTH`, `trim_link_whitespace`,
// `is_decimal_number`, `parse_number` are its twins): ASCII whitespace trimmed, a length cap
// checked before anything is read, and a plain decimal grammar scanned in one pass.

/**
 * Longest text accepted as a number, after trimming: longer texts are rejected before they are
 * read. Every number of the table fits in far fewer characters ("4294967295", "0.123456789e-3").
 * Twin of `MAX_NUMBER_LENGTH` in `src/app/options.rs`.
 */
export const MAX_NUMBER_LENGTH = 32;

/** Code units of the whitespace a link value is trimmed of. */
const LINK_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0c, 0x0d]);

/**
 * `text` without leading and trailing ASCII whitespace (U+0020, U+0009, U+000A, U+000C, U+000D):
 * the one definition of whitespace shared with the wasm (`trim_link_whitespace` in
 * `src/app/options.rs`, Rust's `str::trim_ascii`). Unlike `String.prototype.trim`, it keeps
 * U+000B, U+00A0, U+0085, U+FEFF and the other Unicode spaces, so a value carrying them is
 * rejected here and in the wasm alike.
 */
export function trimLinkWhitespace(/** @type {string} */ text) {
  let start = 0;
  let end = text.length;
  while (start < end && LINK_WHITESPACE.has(text.charCodeAt(start))) start += 1;
  while (end > start && LINK_WHITESPACE.has(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

/** Code units of '0' and '9'. */
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * True when `text` is a plain decimal number: `[+-]? ( digits ( '.' digits? )? | '.' digits )
 * ( [eE] [+-]? digits )?`. One pass, left to right, without backtracking: linear in the length.
 * The grammar is the wasm's (`is_decimal_number` in `src/app/options.rs`); it leaves out what
 * `Number()` would also take: '', '0x10', 'Infinity', '1_000'.
 */
export function isDecimalNumber(/** @type {string} */ text) {
  let i = 0;
  const digits = () => {
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= DIGIT_0 && text.charCodeAt(i) <= DIGIT_9) i += 1;
    return i - start;
  };
  if (text[i] === '+' || text[i] === '-') i += 1;
  const whole = digits();
  let fraction = 0;
  if (text[i] === '.') {
    i += 1;
    fraction = digits();
  }
  if (whole === 0 && fraction === 0) return false;
  if (text[i] === 'e' || text[i] === 'E') {
    i += 1;
    if (text[i] === '+' || text[i] === '-') i += 1;
    if (digits() === 0) return false;
  }
  return i === text.length;
}

/**
 * The number a link's text stands for: trimmed (`trimLinkWhitespace`), at most
 * MAX_NUMBER_LENGTH characters, and a plain decimal number (`isDecimalNumber`); null otherwise.
 * -0 reads as 0. Twin of `parse_number` in `src/app/options.rs`.
 * @param {string} raw
 * @returns {number | null}
 */
export function parseNumber(raw) {
  const text = trimLinkWhitespace(raw);
  if (text.length > MAX_NUMBER_LENGTH || !isDecimalNumber(text)) return null;
  return Number(text) + 0; // + 0 turns -0 into 0
}
