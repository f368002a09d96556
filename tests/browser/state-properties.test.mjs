// Property tests of the share-link parser (www/js/state.js) over fuzzed hashes, with fast-check:
// a link is hostile input, so whatever it holds, parsing never throws, takes time linear in its
// length, yields a state inside the table with one notice per rejected field, round-trips every
// valid state, leaves the prototypes alone, and reads every option text exactly as the wasm does.
//
// No browser: state.js runs in Node, and the real wasm is loaded from www/pkg (`initSync` from
// the file's bytes), for its describe() (the choice lists) and its validate_options (the Rust
// side of the options table). Each property prints how many cases it ran; the timing property
// prints the slowest parse it measured. Bounded so the file takes a few seconds.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { WWW } from './helpers.mjs';
import { decodeDrawing, decodeStrokeClasses, encodeDrawing, encodeStrokeClasses, drawingLimits } from '../../www/js/drawing.js';
import {
  FIELD, FIELDS, LINK_SETTLES_WITH, classesFor, classesOf, defaultState, maxLengthOf, maxValueLength, parseField, quote,
  settleCondition, useDescription,
} from '../../www/js/state.js';
import { useLinkRules } from '../../www/js/link-rules.js';
import { parseHash, toHash } from '../../www/js/link.js';
import { NETWORK_LINK_BYTES, NETWORK_LINK_CHARS, encodeNetwork, isNetworkText } from '../../www/js/network-link.js';
import { operatorText, parseMeasurementField, parseOperator, parseValues, valuesText } from '../../www/js/measurement.js';

/** Slowest parse allowed, in ms, for any hash with values up to 1 MB. */
const PARSE_LIMIT_MS = 50;
/** Largest value the timing property builds, in characters. */
const LARGEST_VALUE = 1_000_000;
/**
 * A parse over the limit is timed again this many times and its fastest time counts: a shared
 * machine may pause the process (a GC, another job) once, a super-linear parse is slow each time.
 */
const RETIMINGS = 3;

/** Cases per property; together they run in a few seconds. */
const RUNS = {
  anyHash: 3000,
  largeValues: 120,
  notices: 1500,
  roundTrip: 800,
  prototypes: 800,
  agreementPerField: 600,
};

// The table's options come from the wasm's description, as in the page: taken before the
// arbitraries below read the table.
const wasm = await import(new URL('../../www/pkg/diffusion_playground.js', import.meta.url).href);
wasm.initSync({ module: await readFile(path.join(WWW, 'pkg', 'diffusion_playground_bg.wasm')) });
const described = wasm.describe();
useDescription(described);
useLinkRules(wasm);
/** The longest text read as a number (the wasm's rule, `src/app/link_number.rs`). */
const MAX_NUMBER_LENGTH = wasm.link_number_max_length();
/** The measurement's limits (the wasm's, `src/app/measurement.rs`). */
const { max_operator_entry: MAX_OPERATOR_ENTRY, max_observed_value: MAX_OBSERVED_VALUE } = described.limits;

/** Options are fields of the wasm too; page-only fields are state.js's alone. */
const OPTION_FIELDS = FIELDS.filter((f) => f.option);
const NAMES = FIELDS.map((f) => f.name);
/** Keys that would reach a prototype if the state were filled carelessly. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'isPrototypeOf'];


// --- Arbitraries ------------------------------------------------------------------------------

/** Whitespace inside and outside the one definition (ASCII: ' ', \t, \n, \f, \r). */
const WHITESPACE = [' ', '\t', '\n', '\f', '\r', '\v', '\u0085', '\u00a0', '\ufeff', '\u2028', '\u3000', '\u1680'];
const whitespace = fc.string({ unit: fc.constantFrom(...WHITESPACE), maxLength: 3 });
const sign = fc.constantFrom('', '', '+', '-');
const digits = (maxLength) => fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength });

/** Texts that look like numbers, and the near misses of every rule of the grammar. */
const numberish = fc.oneof(
  // [+-]? digits? ('.' digits?)? ([eE] [+-]? digits?)?, each piece present or not.
  fc
    .tuple(sign, digits(12), fc.constantFrom('', '', '.'), digits(8), fc.constantFrom('', '', 'e', 'E'), sign, digits(4))
    .map(([s, whole, dot, fraction, e, expSign, exp]) => `${s}${whole}${dot}${fraction}${e ? `${e}${expSign}${exp}` : ''}`),
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double({ min: 0, max: 1, noNaN: true }).map((v) => v.toExponential()),
  // Around the length cap: '0' * n + '1' is 1 with any number of zeros.
  fc.integer({ min: 0, max: 2 * MAX_NUMBER_LENGTH }).map((n) => `${'0'.repeat(n)}1`),
  fc.integer({ min: 0, max: 2 * MAX_NUMBER_LENGTH }).map((n) => `0.${'0'.repeat(n)}1`),
  fc.constantFrom(
    '', '.', '+', '-', 'e5', '1e', '1e+', '.e1', '1..2', '--1', '+-1', '1.2.3', '0x10', '0b1', '0o7', '1_000', '1,5',
    'inf', 'Infinity', '-infinity', 'NaN', 'nan', '١٢', '１２', '1e400', '-1e400', '1e-400', '5e-324', '-0', '+0', '0.',
    '4294967295', '4294967296', '4294967295.0000001', '1048576', '1048577', '1000', '1001', '1e3', '1.5', '100.0',
  ),
);

/** A numeric-ish text with whitespace of any kind around it. */
const paddedNumberish = fc.tuple(whitespace, numberish, whitespace).map(([a, text, b]) => `${a}${text}${b}`);

/** A valid list of race samplers: distinct names, comma-separated (possibly none). */
const samplerList = fc.constant(null).chain(() =>
  fc.uniqueArray(fc.constantFrom(...FIELD.sampler.choices.map(([name]) => name)), { maxLength: 7 }).map((names) => names.join(',')),
);

/** The link text of a network's bytes (any bytes: what they hold is the wasm's to check). */
const networkText = fc.uint8Array({ minLength: NETWORK_LINK_BYTES, maxLength: NETWORK_LINK_BYTES }).map(encodeNetwork);

/** A class name of some dataset, or none. */
const anyClass = fc.constant(null).chain(() =>
  fc.constantFrom('', ...FIELD.dataset.choices.flatMap(([dataset]) => classesOf(dataset).map(([name]) => name))),
);

/** Values a field might be given: valid ones, near misses and noise. */
function valueFor(field) {
  switch (field.type) {
    case 'choice': {
      const names = field.choices.map(([name]) => name);
      return fc.oneof(
        fc.constantFrom(...names),
        fc.tuple(whitespace, fc.constantFrom(...names), whitespace).map(([a, n, b]) => `${a}${n}${b}`),
        fc.constantFrom(...names).map((n) => n.toUpperCase()),
        fc.string({ unit: 'binary', maxLength: 12 }),
      );
    }
    case 'integer':
    case 'number':
      return paddedNumberish;
    case 'boolean':
      return fc.oneof(
        fc.tuple(whitespace, fc.constantFrom('1', '0', 'true', 'false', 'TRUE', 'False', 'yes', '2', ''), whitespace).map((p) => p.join('')),
        fc.string({ maxLength: 6 }),
      );
    case 'drawing':
      return fc.oneof(fc.constant(''), drawingText, fc.uint8Array({ maxLength: 40 }).map(base64url), fc.string({ maxLength: 16 }));
    case 'stroke_classes':
      return fc.oneof(fc.constant(''), strokeClassesText, fc.stringMatching(/^[a-z][0-9]{1,5}$/), fc.string({ maxLength: 12 }));
    case 'samplers':
      return fc.oneof(samplerList, samplerList.map((list) => `${list},${list}`), fc.string({ maxLength: 24 }));
    case 'class':
      return fc.oneof(
        anyClass,
        fc.tuple(whitespace, anyClass, whitespace).map(([a, n, b]) => `${a}${n}${b}`),
        fc.string({ unit: 'binary', maxLength: 12 }),
      );
    case 'network':
      // A network's bytes, one character too few or too many, or other text.
      return fc.oneof(
        fc.constant(''),
        networkText,
        networkText.map((t) => t.slice(1)),
        networkText.map((t) => `${t}A`),
        fc.string({ maxLength: 16 }),
      );
    case 'measurement':
      // Lists of number-like texts, joined by the separators of A's rows and entries (and near misses).
      return fc.oneof(
        fc.array(paddedNumberish, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(',')),
        fc.array(fc.array(paddedNumberish, { minLength: 1, maxLength: 3 }).map((p) => p.join(',')), { minLength: 1, maxLength: 3 }).map((rows) => rows.join(';')),
        fc.string({ unit: fc.constantFrom(...'0123456789,;.-e '), maxLength: 16 }),
      );
    default:
      throw new Error(`no arbitrary for ${field.type}`);
  }
}

function base64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

/** A point inside the picture. */
const point = () => {
  const { halfExtent } = drawingLimits();
  const coordinate = fc.double({ min: -halfExtent, max: halfExtent, noNaN: true });
  return fc.tuple(coordinate, coordinate);
};
/** The link form of a drawing. */
const drawingText = fc.constant(null).chain(() => fc.array(point(), { minLength: 1, maxLength: drawingLimits().maxPoints }).map(encodeDrawing));
/** The link form of a drawing's classes: the class of up to 512 points, in runs. */
const strokeClassesText = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 512 }).map((classes) => encodeStrokeClasses(classes.map((c) => [0, 0, c])));

/** A key of a link: a field, a prototype name, the version, or anything. */
const anyKey = fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom(...PROTOTYPE_KEYS, 'v'), fc.string({ unit: 'binary', maxLength: 10 }));
const anyValue = fc.oneof(paddedNumberish, fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom(...NAMES), drawingText);

/** `key=value&...`, percent-encoded, or raw (stray '%', '&', '=' and '#' included). */
function hashOf(entries, encode = true) {
  const part = (text) => (encode ? encodeURIComponent(text) : text);
  return `#${entries.map(([key, value]) => `${part(key)}=${part(value)}`).join('&')}`;
}
const anyHash = fc.oneof(
  fc.array(fc.tuple(anyKey, anyValue), { maxLength: 16 }).map((entries) => hashOf(entries)),
  fc.array(fc.tuple(anyKey, anyValue), { maxLength: 16 }).map((entries) => hashOf(entries, false)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom('%', '&', '=', '#', '+', 'a', '2', 'E', '%E2%80', '%zz', 'v=1'), maxLength: 60 }),
);

// --- What every parse must give ---------------------------------------------------------------

/** Fails unless `state` holds exactly the table's fields, each a value its row allows. */
function assertInsideTable(state) {
  assert.equal(Object.getPrototypeOf(state), Object.prototype);
  assert.deepEqual(Object.keys(state).sort(), [...NAMES].sort());
  for (const field of FIELDS) {
    const value = state[field.name];
    const where = `${field.name} = ${JSON.stringify(value)}`;
    switch (field.type) {
      case 'choice':
        assert.ok(field.choices.some(([name]) => name === value), where);
        break;
      case 'integer':
        assert.ok(Number.isInteger(value) && value >= field.min && value <= field.max, where);
        break;
      case 'number':
        assert.ok(Number.isFinite(value) && value >= field.min && value <= field.max && !Object.is(value, -0), where);
        break;
      case 'boolean':
        assert.equal(typeof value, 'boolean', where);
        break;
      case 'samplers': {
        if (value === '') break;
        const names = value.split(',');
        assert.ok(names.every((name) => FIELD.sampler.choices.some(([n]) => n === name)) && new Set(names).size === names.length, where);
        break;
      }
      case 'class':
        // The dataset's classes, or the drawing's colours while a drawing stands in for it.
        assert.ok(value === '' || classesFor(state).some(([name]) => name === value), `${where} for ${state.drawn ? 'the drawing' : state.dataset}`);
        if (state.guidance !== 'none') assert.notEqual(value, '', 'a guided state has a class');
        break;
      case 'network':
        assert.ok(isNetworkText(value), `${field.name}: ${value.length} characters`);
        break;
      case 'measurement':
        assert.equal(parseMeasurementField(field.name, value), value, `${where}: valid and canonical`);
        if (field.name === 'observation') assert.equal(parseValues(value).length, parseOperator(state.observe).length, `${where}: one value per row of ${state.observe}`);
        break;
      case 'stroke_classes': {
        const decoded = decodeStrokeClasses(value);
        assert.ok(decoded.ok && decoded.classes.length <= drawingLimits().maxPoints && decoded.classes.every((c) => c >= 0 && c < 4), where);
        break;
      }
      case 'drawing': {
        if (value === '') break;
        const decoded = decodeDrawing(value);
        const { halfExtent, maxPoints } = drawingLimits();
        assert.ok(decoded.ok && decoded.points.length <= maxPoints, where);
        assert.ok(decoded.points.flat().every((v) => Math.abs(v) <= halfExtent), `${where}: a coordinate outside +-${halfExtent}`);
        break;
      }
      default:
        assert.fail(`unknown type ${field.type}`);
    }
  }
}

/** The own properties of the built-in prototypes, to see that no parse adds or replaces one. */
function prototypeSnapshot() {
  return [Object.prototype, Array.prototype, String.prototype, Function.prototype].map((proto) =>
    Object.getOwnPropertyNames(proto).map((name) => [name, Object.getOwnPropertyDescriptor(proto, name).value]),
  );
}

// --- Properties --------------------------------------------------------------------------------

describe('share links under fuzzing (fast-check)', () => {
  test('any hash: parseHash never throws and gives a state inside the table', (t) => {
    let cases = 0;
    fc.assert(
      fc.property(anyHash, (hash) => {
        cases += 1;
        const { state, notices } = parseHash(hash);
        assertInsideTable(state);
        assert.ok(notices.every((n) => typeof n === 'string' && n.length < 2000), 'notices are short plain text');
      }),
      { numRuns: RUNS.anyHash },
    );
    t.diagnostic(`${cases} hashes parsed`);
  });

  test('a link is read as URLSearchParams reads it: the same settings, first value first', (t) => {
    /** The plain reading: URLSearchParams, then each known field's first value through parseField. */
    const reference = (hash) => {
      const state = defaultState();
      const seen = new Set();
      for (const [key, raw] of new URLSearchParams(hash.replace(/^#/, ''))) {
        if (!Object.hasOwn(FIELD, key) || seen.has(key)) continue;
        seen.add(key);
        const parsed = parseField(FIELD[key], raw);
        if (parsed.ok) state[key] = parsed.value;
      }
      return settleCondition(state, LINK_SETTLES_WITH).state;
    };
    let cases = 0;
    fc.assert(
      fc.property(anyHash, (hash) => {
        cases += 1;
        assert.deepEqual(parseHash(hash).state, reference(hash));
      }),
      { numRuns: RUNS.anyHash },
    );
    t.diagnostic(`${cases} hashes read both ways`);
  });

  test(`values up to 1 MB: no parse takes over ${PARSE_LIMIT_MS} ms (linear time, no backtracking)`, (t) => {
    const unit = fc.oneof(
      fc.constantFrom('9', '0', '.', 'e', '+', '-', ' ', '%20', '%09', 'A', '_', '\ufeff', '9e', '1.', '%', '&', '=', 'a=1&', 'x=&', 'steps=1&'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
    );
    const large = fc.record({
      key: fc.constantFrom(...NAMES, 'unknown', 'v'),
      unit,
      length: fc.integer({ min: 1_000, max: LARGEST_VALUE }),
      tail: fc.constantFrom('', 'x', '!', 'e', '.', '=', '%'),
    });
    const hashOfLarge = ({ key, unit, length, tail }) => `#${key}=${unit.repeat(Math.ceil(length / unit.length)).slice(0, length)}${tail}`;
    let cases = 0;
    let slowest = { ms: 0, what: 'none' };
    const timed = (hash) => {
      let best = Infinity;
      for (let attempt = 0; attempt < RETIMINGS && best > PARSE_LIMIT_MS; attempt += 1) {
        const started = performance.now();
        parseHash(hash);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    fc.assert(
      fc.property(large, (input) => {
        cases += 1;
        const hash = hashOfLarge(input);
        const ms = timed(hash);
        const what = `${input.key}= ${JSON.stringify(input.unit)} x ${input.length} + ${JSON.stringify(input.tail)}`;
        if (ms > slowest.ms) slowest = { ms, what };
        assert.ok(ms <= PARSE_LIMIT_MS, `${what}: ${ms.toFixed(1)} ms`);
      }),
      {
        numRuns: RUNS.largeValues,
        // The known reproducers: 100,000 nines then a non-digit, 400,000 nines, and
        // thousands of unknown keys.
        examples: [
          [{ key: 'steps', unit: '9', length: 100_000, tail: 'x' }],
          [{ key: 'seed', unit: '9', length: 400_000, tail: 'x' }],
          [{ key: 't', unit: '1', length: LARGEST_VALUE, tail: 'e' }],
          [{ key: 'unknown', unit: 'k=1&', length: LARGEST_VALUE, tail: '' }],
        ],
      },
    );
    t.diagnostic(`${cases} hashes with values of 1,000 to ${LARGEST_VALUE.toLocaleString('en')} characters; slowest parse ${slowest.ms.toFixed(2)} ms (${slowest.what})`);
  });

  test('one notice per rejected field, one for repeated fields, one summary for all unknown keys', (t) => {
    const knownEntries = fc.uniqueArray(
      fc.constantFrom(...FIELDS).chain((field) => valueFor(field).map((value) => [field.name, value])),
      { selector: ([name]) => name, maxLength: 12 },
    );
    const unknownKeys = fc.uniqueArray(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((k) => !Object.hasOwn(FIELD, k) && k !== 'v'),
      { maxLength: 12 },
    );
    let cases = 0;
    let rejectedSeen = 0;
    fc.assert(
      fc.property(knownEntries, unknownKeys, fc.boolean(), (entries, unknown, repeatFirst) => {
        cases += 1;
        const repeated = repeatFirst && entries.length > 0 ? [[entries[0][0], 'again']] : [];
        const { state, notices } = parseHash(hashOf([...entries, ...unknown.map((k) => [k, '1']), ...repeated]));
        const outcomes = entries.map(([name, value]) => [name, value, parseField(FIELD[name], value)]);
        const rejected = outcomes.filter(([, , parsed]) => !parsed.ok);
        rejectedSeen += rejected.length;
        // The fields read, then made consistent (class, guidance, score): one notice per change.
        const read = { ...defaultState(), ...Object.fromEntries(outcomes.filter(([, , p]) => p.ok).map(([n, , p]) => [n, p.value])) };
        const settled = settleCondition(read, LINK_SETTLES_WITH);
        const expected = rejected.length + repeated.length + (unknown.length > 0 ? 1 : 0) + settled.notices.length;
        assert.equal(notices.length, expected, JSON.stringify(notices));
        for (const [name, value, parsed] of outcomes) {
          if (parsed.ok) assert.deepEqual(state[name], settled.state[name], name);
          else {
            // Its default, made consistent with the rest (a guided link's class, say).
            assert.equal(read[name], FIELD[name].default);
            assert.equal(state[name], settled.state[name], `${name} falls back to its default`);
            assert.ok(notices.some((n) => n.startsWith(`Link setting ${name} ${quote(value)} is not allowed`)), `a notice names ${name}`);
          }
        }
        if (unknown.length > 0) {
          const summary = notices[notices.length - 1];
          assert.ok(unknown.slice(0, 5).every((k) => summary.includes(quote(k))), `the summary names the first unknown keys: ${summary}`);
          if (unknown.length > 1) assert.ok(summary.startsWith(`${unknown.length} unknown settings`), summary);
        }
        assertInsideTable(state);
      }),
      { numRuns: RUNS.notices },
    );
    t.diagnostic(`${cases} links, ${rejectedSeen} rejected fields among them`);
  });

  test('every valid state survives toHash then parseHash unchanged, without a notice', (t) => {
    const validValue = (field) => {
      switch (field.type) {
        case 'choice': return fc.constantFrom(...field.choices.map(([name]) => name));
        case 'integer': return fc.integer({ min: field.min, max: field.max });
        case 'number': return fc.double({ min: field.min, max: field.max, noNaN: true }).map((v) => v + 0);
        case 'boolean': return fc.boolean();
        case 'drawing': return fc.oneof(fc.constant(''), drawingText);
        case 'stroke_classes': return fc.oneof(fc.constant(''), strokeClassesText);
        case 'samplers': return samplerList;
        case 'class': return anyClass;
        case 'network': return fc.oneof(fc.constant(''), networkText);
        case 'measurement': {
          // Below the measurement's resolution (1e-6, src/app/measurement.rs) a number reads as 0;
          // the canonical text is positional, as the wasm writes it.
          const entry = (max) => fc.double({ min: -max, max, noNaN: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : v + 0));
          const row = fc.tuple(entry(MAX_OPERATOR_ENTRY), entry(MAX_OPERATOR_ENTRY));
          return field.name === 'observe'
            ? fc.array(row, { minLength: 1, maxLength: 2 }).map((rows) => parseMeasurementField('observe', operatorText(rows)))
            : fc.array(entry(MAX_OBSERVED_VALUE), { minLength: 1, maxLength: 2 }).map((values) => parseMeasurementField('observation', valuesText(values)));
        }
        default: throw new Error(field.type);
      }
    };
    // fast-check's records have no prototype; states are plain objects. A valid state is also
    // consistent: its class is its dataset's, its guidance works with its score.
    const validState = fc
      .record(Object.fromEntries(FIELDS.map((f) => [f.name, validValue(f)])))
      .map((s) => settleCondition({ ...s }, []).state);
    let cases = 0;
    fc.assert(
      fc.property(validState, (state) => {
        cases += 1;
        const back = parseHash(toHash(state));
        assert.deepEqual(back.notices, []);
        assert.deepEqual(back.state, state);
      }),
      { numRuns: RUNS.roundTrip },
    );
    t.diagnostic(`${cases} valid states round-tripped`);
  });

  test('__proto__, constructor, prototype and friends reach no prototype and no table row', (t) => {
    const before = prototypeSnapshot();
    const frozenTable = JSON.stringify(FIELDS);
    const hostile = fc.array(fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS, ...PROTOTYPE_KEYS.map((k) => `${k}_hide`)), anyValue), { minLength: 1, maxLength: 8 });
    let cases = 0;
    fc.assert(
      fc.property(hostile, fc.boolean(), (entries, encode) => {
        cases += 1;
        const { state } = parseHash(hashOf(entries, encode));
        assertInsideTable(state);
        assert.equal({}.polluted, undefined);
        for (const key of PROTOTYPE_KEYS) assert.ok(!Object.hasOwn(state, key), key);
      }),
      { numRuns: RUNS.prototypes },
    );
    assert.deepEqual(prototypeSnapshot(), before, 'the built-in prototypes are unchanged');
    assert.equal(JSON.stringify(FIELDS), frozenTable, 'the table is unchanged');
    assert.deepEqual(parseHash('').state, defaultState());
    t.diagnostic(`${cases} links with prototype keys`);
  });

  test("every option text is read as the wasm's validate_options reads it: accepted by both or neither, to the same value", (t) => {
    assert.equal(typeof wasm.validate_options, 'function', 'the wasm checks options on their own');
    let cases = 0;
    let accepted = 0;
    for (const field of OPTION_FIELDS) {
      fc.assert(
        fc.property(valueFor(field), (text) => {
          cases += 1;
          const parsed = parseField(field, text);
          // Which classes there are depends on the dataset (the wasm's default, two moons).
          // The measured values must be one per row of A (the wasm's default: one row); the page
          // resizes them with a notice instead (settleCondition).
          const wrongCount = field.name === 'observation' && parsed.ok && parsed.value.split(',').length !== 1;
          const js = (field.name === 'class' && parsed.ok && parsed.value !== '' && !classesOf('two_moons').some(([n]) => n === parsed.value)) || wrongCount
            ? { ok: false }
            : parsed;
          // The CPU path's particle cap is a limit of the backend, not of the text: WebGPU's.
          // Classifier-free guidance works with the exact score only.
          const options = field.name === 'backend' ? { backend: text } : { backend: 'webgpu', score: 'exact', [field.name]: text };
          let rust;
          try {
            rust = { ok: true, value: wasm.validate_options(options)[field.name] };
          } catch (error) {
            rust = { ok: false, message: String(error?.message ?? error) };
          }
          const shown = `${field.name} ${JSON.stringify(text)}: state.js ${js.ok ? `accepts ${js.value}` : 'rejects'}, the wasm ${rust.ok ? `accepts ${rust.value}` : `rejects (${rust.message})`}`;
          assert.equal(js.ok, rust.ok, shown);
          if (js.ok) {
            accepted += 1;
            assert.ok(Object.is(js.value, rust.value), shown);
          } else {
            assert.match(rust.message, new RegExp(`'${field.name}'`), `the wasm's message names the field: ${rust.message}`);
          }
        }),
        {
          numRuns: RUNS.agreementPerField,
          examples: field.type === 'choice' ? [] : [['\ufeff5'], ['\u00855'], ['5\u0085'], [' \t5\r\n'], ['\u000b5'], ['\u00a05']],
        },
      );
    }
    t.diagnostic(`${cases} option texts over ${OPTION_FIELDS.length} fields, ${accepted} accepted by both, the rest rejected by both`);
  });

  test(`a value longer than the longest legal one (${maxValueLength()} characters, a drawing of the most points; ${NETWORK_LINK_CHARS} for a network) is rejected before it is read`, () => {
    const longest = encodeDrawing(Array.from({ length: drawingLimits().maxPoints }, () => [3, -3]));
    assert.equal(longest.length, maxValueLength());
    assert.equal(parseField(FIELD.drawn, longest).ok, true, 'the longest drawing is allowed');
    assert.equal(parseField(FIELD.net, 'A'.repeat(NETWORK_LINK_CHARS)).ok, true, 'a network is allowed');
    for (const field of FIELDS) {
      const limit = maxLengthOf(field);
      const parsed = parseField(field, ' '.repeat(limit) + '1');
      assert.equal(parsed.ok, false, field.name);
      assert.match(parsed.problem, new RegExp(`^${field.name} ".{40}\\.\\.\\." is not allowed: it is ${limit + 1} characters long`));
    }
  });
});
