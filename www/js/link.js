// @ts-check
// link.js: the URL-hash form of the state (state.js holds the table). A share link such as
// `#dataset=spiral&steps=50&seed=7` carries the whole state; it is read here in time linear in
// its length (values capped before they are decoded, at most MAX_LINK_SETTINGS settings, one
// notice for all unknown keys), and written back in table order with its format version.

import {
  BASE_FIELDS, FIELD, FIELDS, LINK_SETTLES_WITH, LINK_VERSION, QUOTE_LIMIT, byName, defaultState, maxLengthOf, maxValueLength, parseField, quote, settleCondition,
  tooLong,
} from './state.js';

/** @typedef {import('./state.js').State} State */

/** Unknown keys of a link that its notice names; the rest are counted. */
const UNKNOWN_KEYS_NAMED = 5;

/**
 * Settings ('&'-separated parts) of a link that are read. A link this page writes has fewer than
 * a hundred; the cap bounds the work a hostile link can ask for (each setting read costs a
 * little, and a megabyte of '&' is a million settings). The rest is reported, not read.
 */
export const MAX_LINK_SETTINGS = 10_000;

/**
 * Most characters one value or key may take in the link, percent-encoded: three per character of
 * the longest legal value (`%XX`). A longer one is rejected without being decoded.
 */
function maxEncodedLength() {
  return 3 * maxValueLength();
}

/** Encoded characters of an over-long key or value decoded to quote it (enough for QUOTE_LIMIT). */
const QUOTED_PREFIX = 12 * (QUOTE_LIMIT + 1);

/**
 * `text` decoded as `application/x-www-form-urlencoded` ('+' is a space, `%XX` a UTF-8 byte), as
 * URLSearchParams reads it, malformed escapes included.
 * @param {string} text
 */
function formDecode(text) {
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    // A malformed escape or invalid UTF-8: the URL standard keeps the one and replaces the other.
    return new URLSearchParams(`x=${text}`).get('x') ?? '';
  }
}

/**
 * One setting of a link (`key=value`), decoded. A key or value longer than maxEncodedLength() is
 * not decoded whole: only its start, to quote it.
 * @typedef {object} Setting
 * @property {string} key
 * @property {boolean} keyWhole     false when `key` is only the start of an over-long key
 * @property {string} value
 * @property {number} valueLength   encoded characters of the value
 * @property {boolean} valueWhole   false when `value` is only the start of an over-long value
 */

/**
 * The settings of `text` (a hash without '#'), in order, at most MAX_LINK_SETTINGS of them,
 * without empty ones; linear in the length of what is read.
 * @param {string} text
 * @returns {{ settings: Setting[], ignored: number }}  `ignored`: characters past the last setting read
 */
function linkSettings(text) {
  const settings = [];
  const limit = maxEncodedLength();
  let start = 0;
  for (let n = 0; n < MAX_LINK_SETTINGS && start <= text.length; n += 1) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    const part = text.slice(start, end);
    start = end + 1;
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = equals === -1 ? part : part.slice(0, equals);
    const value = equals === -1 ? '' : part.slice(equals + 1);
    const keyWhole = key.length <= limit;
    // A network (`net`) is the one value longer than a drawing.
    const field = keyWhole && Object.hasOwn(FIELD, key) ? FIELD[key] : undefined;
    const valueWhole = value.length <= (field ? 3 * maxLengthOf(field) : limit);
    settings.push({
      key: formDecode(keyWhole ? key : key.slice(0, QUOTED_PREFIX)),
      keyWhole,
      value: formDecode(valueWhole ? value : value.slice(0, QUOTED_PREFIX)),
      valueLength: value.length,
      valueWhole,
    });
  }
  return { settings, ignored: Math.max(0, text.length - start) };
}

/**
 * The one notice for the unknown keys of a link (`keys` in link order, not empty).
 * @param {string[]} keys
 */
function unknownKeysNotice(keys) {
  const known = `known: ${BASE_FIELDS.map((f) => f.name).join(', ')}, and <name>_hide flags`;
  if (keys.length === 1) return `Unknown setting ${quote(keys[0])} in the link was ignored (${known}).`;
  const named = keys.slice(0, UNKNOWN_KEYS_NAMED).map(quote).join(', ');
  const more = keys.length > UNKNOWN_KEYS_NAMED ? ` and ${keys.length - UNKNOWN_KEYS_NAMED} more` : '';
  return `${keys.length} unknown settings in the link were ignored: ${named}${more} (${known}).`;
}

/**
 * Reads a URL hash such as `#dataset=spiral&steps=50`, as URLSearchParams would, in time linear
 * in the length of the hash: values are capped in length before they are decoded or read.
 * @param {string} hash  `location.hash`, with or without the leading '#'
 * @returns {{ state: State, notices: string[], given: Set<string> }}  a complete
 *   state (bad or missing fields at their defaults); one plain-text notice per rejected field, one
 *   per field that appears more than once, one for all unknown keys, and one when the link has
 *   more than MAX_LINK_SETTINGS settings; and the names of the fields the link gives (valid or not)
 */
export function parseHash(hash) {
  const state = defaultState();
  const notices = [];
  const { settings, ignored } = linkSettings(String(hash).replace(/^#/, ''));
  /** Fields the link gives. */
  const seen = new Set();
  /** Fields given more than once, in the order of their second appearance. */
  const repeated = new Set();
  const unknown = [];
  const version = settings.find(({ key, keyWhole }) => keyWhole && key === 'v');
  if (version && !(version.valueWhole && /^\d{1,6}$/.test(version.value))) {
    notices.push(`The link format version ${quote(version.value)} is not a version number; the link is read as version ${LINK_VERSION}.`);
  } else if (version && Number(version.value) > LINK_VERSION) {
    notices.push(
      `This link was made by a newer version of Diffusion Playground (link format ${Number(version.value)}; ` +
        `this page reads ${LINK_VERSION}): the settings it understands are used, the others are reported below.`,
    );
  }
  for (const { key, keyWhole, value, valueLength, valueWhole } of settings) {
    if (keyWhole && key === 'v') continue;
    const field = keyWhole && Object.hasOwn(FIELD, key) ? FIELD[key] : undefined;
    if (!field) {
      unknown.push(key);
      continue;
    }
    if (seen.has(key)) {
      repeated.add(key);
      continue;
    }
    seen.add(key);
    const parsed = valueWhole ? parseField(field, value) : tooLong(field, value, valueLength);
    if (parsed.ok) byName(state)[key] = parsed.value;
    else notices.push(`Link setting ${parsed.problem}; using the default ${field.default}.`);
  }
  // The class and guidance fields depend on each other and on the dataset and score; in a
  // link the guidance asked for wins.
  const settled = settleCondition(state, LINK_SETTLES_WITH);
  Object.assign(state, settled.state);
  for (const text of settled.notices) notices.push(text.startsWith('class') ? `Link setting ${text}` : text);
  for (const name of repeated) {
    notices.push(`The setting ${name} appears more than once in the link; the first value is used.`);
  }
  if (unknown.length > 0) notices.push(unknownKeysNotice(unknown));
  if (ignored > 0) {
    notices.push(`The link has more than ${MAX_LINK_SETTINGS} settings: only the first ${MAX_LINK_SETTINGS} were read, the remaining ${ignored} characters were ignored.`);
  }
  return { state, notices, given: seen };
}

/**
 * The hash form of a state: the format version, then every field in table order (so a link
 * survives changed defaults), except `_hide` flags that are off.
 * @param {State} state
 */
export function toHash(state) {
  const params = new URLSearchParams();
  params.set('v', String(LINK_VERSION));
  for (const field of FIELDS) {
    const value = byName(state)[field.name];
    if ((field.hides || field.type === 'drawing' || field.type === 'stroke_classes') && !value) continue;
    params.set(field.name, field.type === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return `#${params.toString()}`;
}

/**
 * Writes `state` into the address bar without adding a history entry.
 * @param {State} state
 */
export function writeHash(state) {
  const hash = toHash(state);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
