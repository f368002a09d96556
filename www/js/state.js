// @ts-check
// state.js: all UI state of the playground, described by ONE typed table (link.js reads and
// writes its URL-hash form).
//
// A share link such as `#dataset=spiral&steps=50&seed=7` carries the whole state, so the same
// link replays the same picture. Every field is parsed here, once; a bad field falls back to its
// default and yields a notice that names the field, the value and what is allowed. Nothing read
// from the URL is ever inserted as HTML: notices are plain strings for `textContent`.
//
// The playground fields (every row with `option: true`, written `option(name, type)`) are the
// options of the wasm `Playground`, declared once in the options table of `src/app/options.rs`
// (`OPTIONS`): their labels, defaults and ranges come from `describe()`, and so do the lists of
// datasets, schedules, samplers, time grids and scores (a row names its list: `from`).
// `useDescription` fills them in once the wasm is loaded, before any hash is parsed, and refuses
// a table that does not match the wasm's (an option of one missing in the other, another kind).
// Here only what the page adds: the type its control reads, and when a control shows (`onlyFor`).
//
// Links are hostile input: every value is capped in length before it is read, numbers are read
// by a one-pass scanner (no regular expression that could backtrack), whitespace is the ASCII
// whitespace the wasm trims too, and the work per link is linear in its length (unknown keys
// are summarised in one notice, not one each).

import { decodeDrawing, decodeStrokeClasses, drawingLimits, encodedLength, useDrawingLimits } from './drawing.js';
import { MAX_NUMBER_LENGTH, isDecimalNumber, parseNumber, trimLinkWhitespace } from './link-number.js';
import { quote } from './quote.js';
import { isKnownClass, useConditionDescription } from './condition.js';

export { QUOTE_LIMIT, quote } from './quote.js';
import { MAX_NETWORK_LINK_CHARS, NETWORK_LINK_CHARS, isNetworkText } from './network-link.js';
import { measurementAllowed, parseMeasurementField } from './measurement.js';
export { LINK_SETTLES_WITH, classesFor, classesOf, settleCondition } from './condition.js';

export { MAX_NUMBER_LENGTH, isDecimalNumber, parseNumber, trimLinkWhitespace };

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

/** A state of the page: a value for every field of the table, by field name. @typedef {Record<string, any>} State */

/**
 * The rows are checked against Field (`@satisfies`), then typed as Field[] (the literal's own
 * inferred type, a union of its rows' shapes, is not assignable to it).
 * @type {ReadonlyArray<Field>}
 */
/** The sampler knobs and the flag of describe()'s samplers that says which read each. */
export const SAMPLER_KNOBS = /** @type {const} */ ([
  ['eta', 'uses_eta'], ['churn', 'uses_churn'], ['s_tmin', 'uses_churn'], ['s_tmax', 'uses_churn'],
  ['s_noise', 'uses_s_noise'], ['order', 'uses_order'],
]);

/**
 * The row of an option of the wasm's table: its label, default and range are filled in by
 * `useDescription` from `describe()`; until then it has none.
 * @param {string} name
 * @param {FieldType} type
 * @param {Partial<Field>} [page]  what the page adds: `from` or `choices`, `onlyFor`
 * @returns {Field}
 */
function option(name, type, page = {}) {
  return { name, type, default: '', label: name, option: true, ...page };
}

/** The kinds of `describe().options` and the types of this table that read them. */
const TYPES_OF_KIND = Object.freeze({ integer: ['integer'], number: ['number'], choice: ['choice'], text: ['class', 'measurement'] });

export const BASE_FIELDS = Object.freeze(/** @type {Field[]} */ (/** @satisfies {Field[]} */ ([
  option('dataset', 'choice', { from: 'datasets' }),
  option('schedule', 'choice', { from: 'schedules' }),
  option('sampler', 'choice', { from: 'samplers' }),
  option('score', 'choice', { from: 'scores' }),
  option('steps', 'integer'),
  option('time_grid', 'choice', { from: 'time_grids' }),
  // The flow-matching time shift of the grid (src/core/timesteps.rs, shift_time; 1: none).
  option('shift', 'number'),
  // rho of the Karras and polyexponential grids (which ones: describe()).
  option('rho', 'number', { onlyFor: { time_grid: ['karras', 'polyexponential'] } }),
  // Stochasticity of Euler-Maruyama (1 the reverse SDE, 0 the probability-flow ODE), DDIM's eta
  // and the ancestral samplers' eta; which samplers read it comes from describe().
  option('eta', 'number', { onlyFor: { sampler: ['euler_maruyama', 'ddim'] } }),
  // EDM's S_churn; the wasm applies it only on schedules with alpha = 1 (ve, edm), and only for
  // the samplers describe() says read it.
  option('churn', 'number', { onlyFor: { sampler: ['heun'] } }),
  // EDM's S_tmin and S_tmax: churn acts on steps starting at sigma / alpha in [s_tmin, s_tmax]
  // (1000: no upper end).
  option('s_tmin', 'number', { onlyFor: { sampler: ['heun'] } }),
  option('s_tmax', 'number', { onlyFor: { sampler: ['heun'] } }),
  // k-diffusion's s_noise, the factor on the fresh noise of the ancestral and SDE solvers (which
  // ones: describe()).
  option('s_noise', 'number', { onlyFor: { sampler: ['euler_ancestral'] } }),
  // The solver order of DEIS and UniPC (which ones: describe()).
  option('order', 'integer', { onlyFor: { sampler: ['deis', 'unipc', 'unipc_bh1'] } }),
  option('particles', 'integer'),
  option('seed', 'integer'),
  option('backend', 'choice', { choices: [['auto', 'Automatic'], ['webgpu', 'WebGPU'], ['cpu', 'CPU (WebAssembly)']] }),
  option('point_size', 'number'),
  // How the dots are coloured (by the angle of each particle's initial noise).
  option('palette', 'choice', { from: 'palettes' }),
  // Guidance toward a class of the dataset (src/core/guidance.rs): the class (a name of the
  // dataset's classes in describe(), or '' for none), how the run is steered, the scale w
  // (diffusers' guidance_scale: 1 the class conditional, 0 unconditional) and the interval of
  // noise levels sigma/alpha where it applies (Kynkaanniemi et al. 2024; 1000: no upper end).
  option('class', 'class', { onlyFor: { guidance: ['cfg', 'classifier'] } }),
  option('guidance', 'choice', { from: 'guidances' }),
  option('guidance_scale', 'number', { onlyFor: { guidance: ['cfg', 'classifier'] } }),
  option('guidance_low', 'number', { onlyFor: { guidance: ['cfg', 'classifier'] } }),
  option('guidance_high', 'number', { onlyFor: { guidance: ['cfg', 'classifier'] } }),
  // Conditioning on a measurement y = A x0 + n, n ~ N(0, s^2 I) (src/core/posterior.rs,
  // src/core/posterior_guidance.rs): the method (the exact posterior's score, DPS or PiGDM), the
  // rows of A, the measured y (a click on the picture measures the point clicked:
  // measurement.js), the noise s and the weight of DPS's and PiGDM's likelihood term.
  option('posterior', 'choice', { from: 'posteriors' }),
  option('observe', 'measurement', { onlyFor: { posterior: ['exact', 'dps', 'pigdm', 'smc'] } }),
  option('observation', 'measurement', { onlyFor: { posterior: ['exact', 'dps', 'pigdm', 'smc'] } }),
  option('observation_noise', 'number', { onlyFor: { posterior: ['exact', 'dps', 'pigdm', 'smc'] } }),
  option('posterior_scale', 'number', { onlyFor: { posterior: ['dps', 'pigdm', 'smc'] } }),
  // Page-only fields.
  // Layers drawn over the particles (for up to LAYER_PARTICLES of them): each particle's
  // denoised ghost x0_hat = E[x0 | x_t] (Tweedie), and the score direction -eps_hat / sigma.
  { name: 'ghosts', type: 'boolean', default: false, label: 'Denoised ghosts', option: false, control: true },
  { name: 'arrows', type: 'boolean', default: false, label: 'Arrows', option: false, control: true },
  // What the arrows show: the score, the noise eps_hat or the velocity of the same prediction.
  {
    name: 'lens', type: 'choice', default: 'score', label: 'Arrows show', option: false, control: true,
    choices: [['score', 'Score ∇log p'], ['eps', 'Noise ε̂'], ['velocity', 'Velocity v (drawn as −v)']],
    onlyFor: { arrows: [true] },
  },
  // The exact p_t (the density the particles should follow at their time) as contour lines of its
  // highest-density regions (contours.js).
  { name: 'contours', type: 'boolean', default: false, label: 'Exact p_t contours', option: false, control: true },
  // The whole trajectory of a few particles, from where the run started.
  { name: 'paths', type: 'boolean', default: false, label: 'Trajectories', option: false, control: true },
  {
    name: 'theme', type: 'choice', default: 'dark', label: 'Theme', option: false, control: true,
    choices: [['dark', 'Dark'], ['light', 'Light (projectors)']],
  },
  // A drawing that replaces the dataset (int16 pairs, base64url), its points' colours ("a40b12").
  { name: 'drawn', type: 'drawing', default: '', label: 'Drawing', option: false },
  { name: 'drawn_classes', type: 'stroke_classes', default: '', label: 'Drawing classes', option: false },
  // A network trained in the page or loaded from a file (network-link.js): its half floats as
  // base64url; written by the page from the wasm's network in use.
  { name: 'net', type: 'network', default: '', label: 'Network', option: false },
  // Web Workers the CPU path steps on (cpu-workers.js; 0: one per core, up to 8).
  { name: 'threads', type: 'integer', default: 0, min: 0, max: 16, label: 'CPU workers', option: false, control: true },
  // The drawing panel is open.
  { name: 'draw', type: 'boolean', default: false, label: 'Drawing panel', option: false },
  // The schedule lab (curves of the schedule with the time grid) is open.
  { name: 'lab', type: 'boolean', default: false, label: 'Schedule lab', option: false },
  // The 1-D space-time view (docs/theory.md) is open.
  { name: 'spacetime', type: 'boolean', default: false, label: 'Space-time view', option: false },
  // The density view (particles' histogram next to the exact p_t) is open.
  { name: 'density', type: 'boolean', default: false, label: 'Density view', option: false },
  // The formulas of the schedule and sampler are shown.
  { name: 'formulas', type: 'boolean', default: false, label: 'Formulas', option: false },
  // The sampler race is open (it runs when opened).
  { name: 'race', type: 'boolean', default: false, label: 'Sampler race', option: false },
  // The samplers ticked in the race, in the order they run (comma-separated names).
  {
    name: 'racers', type: 'samplers', default: 'probability_flow_euler,heun,dpm_solver_2m,euler_maruyama',
    label: 'Race samplers', option: false,
  },
  // DDIM's eta in the race (0: deterministic; 1 would be DDPM ancestral, which races on its own).
  // The race never reads the main eta or churn, whose controls may be hidden: Euler-Maruyama
  // races as the reverse SDE (eta = 1) and Heun without churn.
  { name: 'race_eta', type: 'number', default: 0, min: 0, max: 1, label: 'DDIM eta in the race', option: false, control: true },
  // What a network trained in the drawing panel learns (src/app/training.rs, Learning): its
  // objective, one of describe()'s objectives, and its schedule.
  { name: 'train_objective', type: 'choice', from: 'objectives', default: 'eps', label: 'Training objective', option: false, control: true },
  { name: 'train_schedule', type: 'choice', from: 'training_schedules', default: 'vp_linear', label: 'Training schedule', option: false, control: true },
  // The likelihood panel is open (src/app/likelihood.rs): the NLL of fresh data under the model by
  // the probability-flow ODE with one of describe()'s likelihood solvers, its time grid (Karras by
  // default: the run's uniform grid is far less accurate for a likelihood) and steps, on the run's
  // schedule, next to the exact NLL, and DDPM's ELBO (Ho et al. 2020, eq. 5) on the same grid.
  { name: 'likelihood', type: 'boolean', default: false, label: 'Likelihood panel', option: false },
  // The panel "where the network is wrong" is open (src/app/model_error.rs).
  { name: 'errors', type: 'boolean', default: false, label: 'Network error panel', option: false },
  {
    name: 'likelihood_solver', type: 'choice', from: 'likelihood_samplers', default: 'heun', label: 'Likelihood solver',
    option: false, control: true,
  },
  { name: 'likelihood_grid', type: 'choice', from: 'time_grids', default: 'karras', label: 'Likelihood time grid', option: false, control: true },
  { name: 'likelihood_steps', type: 'integer', default: 64, min: 1, max: 1000, label: 'Likelihood steps', option: false, control: true },
  { name: 'likelihood_points', type: 'integer', default: 1024, min: 2, max: 16384, label: 'Likelihood points', option: false, control: true },
  // `min` shows the canvas and the transport only (classroom mode); embed.html starts from it.
  {
    name: 'ui', type: 'choice', default: 'full', label: 'Interface', option: false,
    choices: [['full', 'Full'], ['min', 'Minimal']],
  },
  // Where the run starts, as a fraction of the schedule's time range (the time slider's position):
  // 1 is the prior noise; below 1 the link opens on forward-noised data.
  { name: 't', type: 'number', default: 1, min: 0, max: 1, label: 'Time t', option: false },
  { name: 'playing', type: 'boolean', default: true, label: 'Playing', option: false },
])));

/** Fields whose control a `<name>_hide` flag can hide (in the manner of TensorFlow Playground). */
const HIDEABLE = BASE_FIELDS.filter((f) => f.option || f.control).map((f) => f.name).concat(['t', 'readouts', 'draw', 'lab', 'spacetime', 'density', 'formulas', 'race', 'likelihood', 'errors']);

/**
 * The whole table: the fields above, then one `<name>_hide` flag per hideable control.
 * @type {ReadonlyArray<Field>}
 */
export const FIELDS = Object.freeze([
  ...BASE_FIELDS,
  ...HIDEABLE.map((name) => /** @type {Field} */ ({
    name: `${name}_hide`, type: 'boolean', default: false, label: `Hide ${name}`, option: false, hides: name,
  })),
]);

/** The table as a lookup by name. */
export const FIELD = Object.freeze(Object.fromEntries(FIELDS.map((f) => [f.name, f])));

/**
 * Takes the choice lists of the wasm: every row with `from` gets the `[name, label]` pairs of
 * that list of `described` (the result of the wasm's `describe()`), and the drawing limits
 * (`described.drawing`, when the build has them) go to drawing.js. Call it once, before parsing.
 * @param {Record<string, any>} described
 */
export function useDescription(described) {
  // The options: label, default and range from the wasm's table, which must be this one's.
  const declared = new Map((described.options ?? []).map((/** @type {{ name: string }} */ o) => [o.name, o]));
  for (const field of FIELDS.filter((f) => f.option)) {
    const spec = declared.get(field.name);
    if (!spec) throw new Error(`state.js: the wasm's options table (describe().options) has no option '${field.name}'`);
    if (!/** @type {Record<string, string[]>} */ (TYPES_OF_KIND)[spec.kind]?.includes(field.type)) {
      throw new Error(`state.js: option '${field.name}' is of kind ${spec.kind} in the wasm's table; its row here reads ${field.type}`);
    }
    Object.assign(field, { label: spec.label, default: described.defaults[field.name] });
    if (spec.kind === 'integer' || spec.kind === 'number') Object.assign(field, { min: spec.min, max: spec.max });
  }
  for (const name of declared.keys()) {
    if (!FIELD[name]?.option) throw new Error(`state.js: the wasm's option '${name}' has no row here`);
  }
  for (const field of FIELDS) {
    if (!field.from) continue;
    const list = described[field.from];
    if (!Array.isArray(list) || list.length === 0) {
      throw new Error(`state.js: describe() has no list '${field.from}' for the field '${field.name}'`);
    }
    field.choices = list.map(({ name, label }) => [name, label]);
  }
  // The samplers that read each knob are the wasm's to say (a new sampler needs no edit here).
  const samplers = described.samplers;
  for (const [knob, flag] of SAMPLER_KNOBS) {
    if (samplers.every((/** @type {Record<string, unknown>} */ s) => typeof s[flag] === 'boolean')) {
      FIELD[knob].onlyFor = { sampler: samplers.filter((/** @type {Record<string, unknown>} */ s) => s[flag]).map((/** @type {{ name: string }} */ s) => s.name) };
    }
  }
  const grids = described.time_grids;
  if (grids.every((/** @type {Record<string, unknown>} */ g) => typeof g.uses_rho === 'boolean')) {
    FIELD.rho.onlyFor = { time_grid: grids.filter((/** @type {{ uses_rho: boolean }} */ g) => g.uses_rho).map((/** @type {{ name: string }} */ g) => g.name) };
  }
  useDrawingLimits(described.drawing);
  useConditionDescription(described);
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
  return Object.entries(field.onlyFor ?? {}).every(([name, values]) => values.includes(state[name]));
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
    case 'network': return `a network as ${NETWORK_LINK_CHARS} characters of base64url (more for a class-conditional one), or nothing for the embedded one`;
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
 * @returns {{ ok: true, value: any } | { ok: false, problem: string }}  `problem` names the
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
  return Object.fromEntries(FIELDS.map((f) => [f.name, f.default]));
}

/**
 * The options object for the wasm Playground: the option fields of `state`.
 * @param {State} state
 */
export function toOptions(state) {
  return Object.fromEntries(FIELDS.filter((f) => f.option).map((f) => [f.name, state[f.name]]));
}
