// @ts-check
// quote.js: hostile values quoted back in notices, shortened (plain text: callers use
// textContent).

/** Longest piece of a hostile value quoted back in a notice. */
export const QUOTE_LIMIT = 40;

/**
 * `value` quoted for a message, shortened. Plain text: the caller uses textContent.
 * @param {unknown} value
 */
export function quote(value) {
  const text = String(value);
  const short = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}...` : text;
  return JSON.stringify(short);
}
