// @ts-check
// state.js: all UI state of the playground, described by ONE typed table (link.js reads and
// writes its URL-hash form).
//
// A share link such as `#dataset=spiral&steps=50&seed=7` carries the whole state, so the same
// link replays the same picture. Every field is parsed here, once; a bad field falls back to its
// default and yields a notice that names the field, the value and what is allowed. Nothing read
// from the URL is ever inserted as HTML: notices are plain strings for `textContent`.
//
// The playground fields (every row with `option: true`) are the options of the wasm
// `Playground`, declared once in the options table of `src/app/options.rs` (`OPTIONS`): their
// rows are made from `describe().options` (label, range or list of choices, when each applies)
// and its defaults by `useDescription`, once the wasm is loaded and before any hash is parsed.
// An option added to that table needs no row here, only its control in index.html. The rows
// written here are the page's own fields (layers, panels, theme, ...).
//
// Links are hostile input: every value is capped in length before it is read, numbers are read
// by a one-pass scanner (no regular expression that could backtrack), whitespace is the ASCII
// whitespace the wasm trims too, and the work per link is linear in its length (unknown keys
// are summarised in one notice, not one each).

import { decodeDrawing, decodeStrokeClasses, drawingLimits, encodedLength, useDrawingLimits } from './drawing.js';
import { parseNumber, trimLinkWhitespace } from './link-rules.js';
import { quote } from './quote.js';
import { isKnownClass, useConditionDescription } from './condition.js';
import { byName } from './by-name.js';
import { PAGE_FIELDS, PANELS } from './page-fields.js';

export { PANELS };

export { byName };
/** @typedef {import('./by-name.js').FieldValue} FieldValue */

export { QUOTE_LIMIT, quote } from './quote.js';
import { MAX_NETWORK_LINK_CHARS, NETWORK_LINK_CHARS, isNetworkText } from './network-link.js';
import { measurementAllowed, parseMeasurementField, useMeasurementLimits } from './measurement.js';
export { LINK_SETTLES_WITH, classesFor, classesOf, settleCondition } from './condition.js';

export { parseNumber, trimLinkWhitespace };

/**
 * Version of the link format this page writes (`v=1`). A link without `v` is version 1; a link
 * from a newer version is read as far as this page understands it, with a notice.
 */
export const LINK_VERSION = 1;

/** @typedef {'choice' | 'integer' | 'number' | 'boolean' | 'drawing' | 'stroke_classes' | 'samplers' | 'class' | 'measurement' | 'network'} FieldType */

/**
 * One row of the state table.
 * @typedef {object} Field
 * @property {string} name          key in the hash and in the options object
 * @property {FieldType} type
 * @property {string | number | boolean} default
 * @property {string} label         human name, for controls and notices
 * @property {boolean} option       true when the field is an option of the wasm Playground
 * @property {boolean} [control]    a page-only field with a control in the settings form
 * @property {string} [hides]       for a `<name>_hide` flag: the field whose control it hides
 * @property {Array<[string, string]>} [choices]  [name, label] pairs, for 'choice'
 * @property {string} [from]        for a 'choice' whose pairs come from the wasm: the list of
 *   `describe()` that holds them as `{ name, label }` (set by `useDescription`)
 * @property {Record<string, Array<string | boolean>>} [onlyFor]  the field matters only when each named field has
 *   one of the listed values; elsewhere its control is hidden (the value is kept in the state)
 * @property {number} [min]         inclusive, for 'integer' and 'number'
 * @property {number} [max]         inclusive, for 'integer' and 'number'
 */


/**
 * The kinds of `describe().options` and the type of this table that reads each; a text option
 * is read by the page's reader of its name (TEXT_TYPES).
 * @type {Readonly<Record<string, FieldType>>}
 */
const TYPE_OF_KIND = Object.freeze({ integer: 'integer', number: 'number', choice: 'choice' });

/**
 * The page's readers of the wasm's text options: a class name, and the measurement's operator
 * and values (measurement.js).
 * @type {Readonly<Record<string, FieldType>>}
 */
const TEXT_TYPES = Object.freeze({ class: 'class', observe: 'measurement', observation: 'measurement' });

/** @typedef {import('../pkg/diffusion_playground.js').Description} Description */

/**
 * The [name, label] pairs of the list `name` of `described` (its datasets, samplers, ...), or
 * null when it has no such non-empty list.
 * @param {Description} described
 * @param {string} name
 * @returns {Array<[string, string]> | null}
 */
function choiceList(described, name) {
  const list = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (described))[name];
  if (!Array.isArray(list) || list.length === 0) return null;
  return list.map(({ name, label }) => [String(name), String(label)]);
}

/**
 * The row of an option of the wasm's table (`describe().options`): its label, range or list of
 * choices and when it applies are the wasm's, its default is `defaults`'.
 * @param {import('../pkg/diffusion_playground.js').OptionDescription} spec
 * @param {Description} described
 * @returns {Field}
 */
function optionField(spec, described) {
  const type = spec.kind === 'text' ? TEXT_TYPES[spec.name] : TYPE_OF_KIND[spec.kind];
  if (!type) throw new Error(`state.js: the wasm's option '${spec.name}' is of kind ${spec.kind}, which the page has no reader for`);
  /** @type {Field} */
  const field = { name: spec.name, type, default: byName(described.defaults)[spec.name], label: spec.label, option: true };
  if (type === 'integer' || type === 'number') Object.assign(field, { min: spec.min, max: spec.max });
  if (spec.list) {
    const choices = choiceList(described, spec.list);
    if (!choices) throw new Error(`state.js: describe() has no list '${spec.list}' for the option '${spec.name}'`);
    field.choices = choices;
  }
  if (spec.applies_when) field.onlyFor = { [spec.applies_when.field]: spec.applies_when.values };
  return field;
}

/** @typedef {import('./page-fields.js').State} State */
/** @typedef {import('./page-fields.js').FieldName} FieldName */
/** @typedef {import('./page-fields.js').PanelName} PanelName */

/** What a `<name>_hide` flag can hide besides the controls: the time bar, the readouts, the panels. */
const HIDEABLE_PANELS = ['t', 'readouts', ...PANELS.map((p) => p.name)];

/**
 * The table for the option rows `options`: the options, the page's fields, then one
 * `<name>_hide` flag per hideable control or panel (in the manner of TensorFlow Playground).
 * @param {Field[]} options
 */
function tableOf(options) {
  const base = Object.freeze([...options, ...PAGE_FIELDS]);
  const hideable = base.filter((f) => f.option || f.control).map((f) => f.name).concat(HIDEABLE_PANELS);
  const fields = Object.freeze([
    ...base,
    ...hideable.map((name) => /** @type {Field} */ ({
      name: `${name}_hide`, type: 'boolean', default: false, label: `Hide ${name}`, option: false, hides: name,
    })),
  ]);
  return { base, fields, lookup: Object.freeze(Object.fromEntries(fields.map((f) => [f.name, f]))) };
}

/** The fields a link names (options and page fields, without the hide flags). */
export let BASE_FIELDS = tableOf([]).base;
/** The whole table; its options are there once `useDescription` has run. */
export let FIELDS = tableOf([]).fields;
/** The table as a lookup by name. @type {Readonly<Record<string, Field>>} */
export let FIELD = tableOf([]).lookup;

/**
 * Takes the wasm's description (the result of its `describe()`): the option rows come from its
 * options table (`describe().options`: label, range or list, when each applies) with its
 * defaults, the page fields read its lists (`from`), and the drawing limits and the classes go
 * to drawing.js and condition.js. Call it before parsing; calling it again rebuilds the table.
 * @param {Description} described
 */
export function useDescription(described) {
  const options = described.options.map((spec) => optionField(spec, described));
  const names = new Set(PAGE_FIELDS.map((f) => f.name));
  const clash = options.find((/** @type {Field} */ f) => names.has(f.name));
  if (clash) throw new Error(`state.js: the wasm's option '${clash.name}' has the name of a page field`);
  for (const field of PAGE_FIELDS) {
    if (!field.from) continue;
    const choices = choiceList(described, field.from);
    if (!choices) throw new Error(`state.js: describe() has no list '${field.from}' for the field '${field.name}'`);
    field.choices = choices;
  }
  ({ base: BASE_FIELDS, fields: FIELDS, lookup: FIELD } = tableOf(options));
  useDrawingLimits(described.drawing);
  useConditionDescription(described);
  useMeasurementLimits(described.limits);
}

/**
 * The choices of a 'choice' field; throws while a wasm-owned list is not yet known.
 * @param {Field} field
 */
function choicesOf(field) {
  if (!field.choices) {
    throw new Error(`state.js: the choices of '${field.name}' come from the wasm's describe(); call useDescription first`);
  }
  return field.choices;
}

/**
 * Whether `field` matters in `state` (see `onlyFor`); a field that does not has its control hidden.
 * @param {Field} field
 * @param {State} state
 */
export function applies(field, state) {
  return Object.entries(field.onlyFor ?? {}).every(([name, values]) => values.includes(/** @type {string | boolean} */ (byName(state)[name])));
}

/**
 * Longest value of any field, in characters: that of the longest legal value, a drawing of the
 * most points (2731 characters for 512 points). A longer value is rejected before it is read,
 * here and in the wasm (`MAX_VALUE_LENGTH` in `src/app/options.rs`, its twin).
 */
export function maxValueLength() {
  return encodedLength(drawingLimits().maxPoints);
}

/**
 * Longest text `field` accepts: a network's (network-link.js) for `net`, maxValueLength() for
 * every other field.
 * @param {Field} field
 */
export function maxLengthOf(field) {
  return field.type === 'network' ? MAX_NETWORK_LINK_CHARS : maxValueLength();
}

/**
 * What a field accepts, in words.
 * @param {Field} field
 */
export function allowed(field) {
  switch (field.type) {
    case 'choice': return `one of ${choicesOf(field).map(([name]) => name).join(', ')}`;
    case 'integer': return `an integer from ${field.min} to ${field.max}`;
    case 'number': return `a number from ${field.min} to ${field.max}`;
    case 'boolean': return '1, 0, true or false';
    case 'drawing': return `a drawing: up to ${drawingLimits().maxPoints} points as base64url int16 pairs`;
    case 'stroke_classes': return 'runs of a class letter (a to d) and a count, one class per drawn point';
    case 'samplers': return `sampler names separated by commas, each once, from ${choicesOf(FIELD.sampler).map(([name]) => name).join(', ')}`;
    case 'class': return 'the name of a class of the dataset, or nothing for none';
    case 'measurement': return measurementAllowed(field.name);
    case 'network': return `a network as ${NETWORK_LINK_CHARS} characters of base64url (more with coordinate features or for a class-conditional one), or nothing for the embedded one`;
    default: throw new Error(`state.js: field '${field.name}' has unknown type '${field.type}'`);
  }
}

/**
 * The rejection of a value of `length` characters, longer than any allowed; `shown` is its start.
 * @param {Field} field
 * @param {string} shown
 * @param {number} length
 * @returns {{ ok: false, problem: string }}
 */
export function tooLong(field, shown, length) {
  return {
    ok: false,
    problem: `${field.name} ${quote(shown)} is not allowed: it is ${length} characters long, ` +
      `longer than any allowed value (allowed: ${allowed(field)})`,
  };
}

/**
 * Checks one value (text from the URL, or a number or boolean from a control) against its field.
 * @param {Field} field
 * @param {unknown} raw
 * @returns {{ ok: true, value: FieldValue } | { ok: false, problem: string }}  `problem` names the
 *   field, the value and what is allowed, e.g. `steps "0" is not allowed (allowed: an integer from 1 to 1000)`
 */
export function parseField(field, raw) {
  /** @returns {{ ok: false, problem: string }} */
  const reject = () => ({
    ok: false,
    problem: `${field.name} ${quote(raw)} is not allowed (allowed: ${allowed(field)})`,
  });
  if (typeof raw === 'string' && raw.length > maxLengthOf(field)) return tooLong(field, raw, raw.length);
  switch (field.type) {
    case 'choice': {
      const name = String(raw);
      return choicesOf(field).some(([choice]) => choice === name) ? { ok: true, value: name } : reject();
    }
    case 'integer':
    case 'number': {
      // Number('') is 0 and Number('0x10') is 16: accept plain decimal notation only.
      const value = parseNumber(String(raw));
      // Every 'integer' and 'number' row has its min and max.
      const min = /** @type {number} */ (field.min);
      const max = /** @type {number} */ (field.max);
      if (value === null || !Number.isFinite(value) || value < min || value > max) return reject();
      if (field.type === 'integer' && !Number.isInteger(value)) return reject();
      return { ok: true, value };
    }
    case 'drawing': {
      const text = String(raw);
      return text === '' || decodeDrawing(text).ok ? { ok: true, value: text } : reject();
    }
    case 'stroke_classes': return String(raw) === '' || decodeStrokeClasses(String(raw)).ok ? { ok: true, value: String(raw) } : reject();
    case 'samplers': {
      const text = String(raw);
      if (text === '') return { ok: true, value: '' };
      const names = text.split(',');
      const known = new Set(choicesOf(FIELD.sampler).map(([name]) => name));
      const valid = names.every((name) => known.has(name)) && new Set(names).size === names.length;
      return valid ? { ok: true, value: names.join(',') } : reject();
    }
    case 'class': {
      // Which classes the dataset has is settleCondition's to check; here: a known class name.
      const name = trimLinkWhitespace(String(raw));
      const known = name === '' || isKnownClass(name);
      return known ? { ok: true, value: name } : reject();
    }
    case 'network': {
      const text = String(raw);
      return isNetworkText(text) ? { ok: true, value: text } : reject();
    }
    case 'measurement': {
      const value = parseMeasurementField(field.name, raw);
      return value === null ? reject() : { ok: true, value };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const text = trimLinkWhitespace(String(raw)).toLowerCase();
      if (text === '1' || text === 'true') return { ok: true, value: true };
      if (text === '0' || text === 'false') return { ok: true, value: false };
      return reject();
    }
    default:
      throw new Error(`state.js: field '${field.name}' has unknown type '${field.type}'`);
  }
}

/** The default state: every field at its default. */
export function defaultState() {
  return /** @type {State} */ (/** @type {unknown} */ (Object.fromEntries(FIELDS.map((f) => [f.name, f.default]))));
}

/**
 * The options object for the wasm Playground: the option fields of `state`.
 * @param {State} state
 */
export function toOptions(state) {
  return Object.fromEntries(FIELDS.filter((f) => f.option).map((f) => [f.name, byName(state)[f.name]]));
}
