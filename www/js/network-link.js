// @ts-check
// network-link.js: a trained network in a share link (`net=`). The wasm gives the network in use
// in the weight format of weights/ (half floats and a header: 11,076 bytes for the plain
// architecture, 14,152 for one with Fourier features of the coordinates, which networks trained
// in the page have) when it is not an embedded one (a drawing's trained network, or one loaded
// from a file); the link carries it as base64url, 14,768 or 18,870 characters (a
// class-conditional network, trained on a drawing of several colours or loaded, one more header
// word and a row of 64 half floats per class and the null class; a network trained with an OT or
// bridge coupling, four more header words). Opening such a link installs it again (the drawing's network
// when the link has a drawing). What the bytes hold is the wasm's to check; here: the length and
// the alphabet.

/** Bytes of a plain network in a link (app::session::NETWORK_LINK_BYTES). */
export const NETWORK_LINK_BYTES = 11_076;
/** Bytes of a network with coordinate features (mlp::Architecture::FOURIER: 7,044 half floats and the header). */
export const FOURIER_NETWORK_LINK_BYTES = 14_152;
/** Characters of its base64url form (no padding: 11,076 is a multiple of 3). */
export const NETWORK_LINK_CHARS = (4 * NETWORK_LINK_BYTES) / 3;

/** Bytes a class-conditional network adds per class (a row of 64 half floats), the most classes, and its extra header word (app::session::network_link_size). */
const CLASS_ROW_BYTES = 128;
const MAX_CLASSES = 16;
const CONDITIONAL_HEADER_BYTES = 4;
/** A network trained with an OT or bridge coupling: four more header words (core::weights, version 4). */
const COUPLED_HEADER_BYTES = 16;
/** Characters of the base64url form (no padding) of `bytes` bytes. */
const charsOf = (/** @type {number} */ bytes) => Math.ceil((4 * bytes) / 3);
/** The class rows a class-conditional network may have: 2 to MAX_CLASSES classes and the null class. */
const CLASS_ROWS = Array.from({ length: MAX_CLASSES - 1 }, (_, k) => (k + 3) * CLASS_ROW_BYTES);
/** Every length a network's text may have, of either architecture: the network, conditional ones, and coupled ones of either kind. */
const NETWORK_TEXT_LENGTHS = new Set(
  [NETWORK_LINK_BYTES, FOURIER_NETWORK_LINK_BYTES].flatMap((network) => [
    charsOf(network),
    ...CLASS_ROWS.map((rows) => charsOf(network + CONDITIONAL_HEADER_BYTES + rows)),
    charsOf(network + COUPLED_HEADER_BYTES),
    ...CLASS_ROWS.map((rows) => charsOf(network + COUPLED_HEADER_BYTES + rows)),
  ]),
);
/** The longest network text: a conditional network of MAX_CLASSES classes. */
export const MAX_NETWORK_LINK_CHARS = Math.max(...NETWORK_TEXT_LENGTHS);

/**
 * `bytes` as base64url without padding.
 * @param {Uint8Array} bytes
 */
export function encodeNetwork(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Whether `text` can be a network of a link: empty (none), or base64url of the length of a
 * network of either architecture (NETWORK_LINK_CHARS for a plain one) or of a class-conditional one.
 * @param {string} text
 */
export function isNetworkText(text) {
  return text === '' || (NETWORK_TEXT_LENGTHS.has(text.length) && /^[A-Za-z0-9_-]*$/.test(text));
}

/**
 * The bytes of a network text (`isNetworkText` and not empty).
 * @param {string} text
 */
export function decodeNetwork(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
