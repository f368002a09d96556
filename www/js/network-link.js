// @ts-check
// network-link.js: a trained network in a share link (`net=`). The wasm gives the network in use
// in the weight format of weights/ (half floats and a header: 11,076 bytes) when it is not an
// embedded one (a drawing's trained network, or one loaded from a file); the link carries it as
// base64url, 14,768 characters. Opening such a link installs it again (the drawing's network
// when the link has a drawing). What the bytes hold is the wasm's to check; here: the length and
// the alphabet.

/** Bytes of a network in a link (app::session::NETWORK_LINK_BYTES). */
export const NETWORK_LINK_BYTES = 11_076;
/** Characters of its base64url form (no padding: 11,076 is a multiple of 3). */
export const NETWORK_LINK_CHARS = (4 * NETWORK_LINK_BYTES) / 3;

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
 * Whether `text` can be a network of a link: empty (none) or NETWORK_LINK_CHARS characters of
 * base64url.
 * @param {string} text
 */
export function isNetworkText(text) {
  return text === '' || (text.length === NETWORK_LINK_CHARS && /^[A-Za-z0-9_-]*$/.test(text));
}

/**
 * The bytes of a network text (`isNetworkText` and not empty).
 * @param {string} text
 */
export function decodeNetwork(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
