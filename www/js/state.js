// state.js: all UI state of the playground, described by ONE typed table, and its URL-hash form.
//
// A share link such as `#dataset=spiral&steps=50&seed=7` carries the whole state, so the same
// link replays the same picture. Every field is parsed here, once; a bad field falls back to its
// default and yields a notice that names the field, the value and what is allowed. Nothing read
// from the URL is ever inserted as HTML: notices are plain strings for `textContent`.
//
// The playground fields (every row with `option: true`) are the options of the wasm `Playground`.
// Keep in sync with the options table of `src/web/options.rs`; the browser test
// "the state table ... agrees with the wasm's describe()" in `tests/browser/page.test.mjs` checks it.

/** @typedef {'choice' | 'integer' | 'number' | 'boolean'} FieldType */

/**
 * One row of the state table.
 * @typedef {object} Field
 * @property {string} name          key in the hash and in the options object
 * @property {FieldType} type
 * @property {string | number | boolean} default
 * @property {string} label         human name, for controls and notices
 * @property {boolean} option       true when the field is an option of the wasm Playground
 * @property {Array<[string, string]>} [choices]  [name, label] pairs, for 'choice'
 * @property {number} [min]         inclusive, for 'integer' and 'number'
 * @property {number} [max]         inclusive, for 'integer' and 'number'
 */

/** @type {ReadonlyArray<Field>} */
export const FIELDS = Object.freeze([
  {
    name: 'dataset', type: 'choice', default: 'two_moons', label: 'Dataset', option: true,
    choices: [['gaussian_mixture', '8 Gaussians'], ['two_moons', 'Two moons'], ['spiral', 'Spiral']],
  },
  {
    name: 'schedule', type: 'choice', default: 'vp_linear', label: 'Noise schedule', option: true,
    choices: [['vp_linear', 'VP linear (DDPM)'], ['rectified_flow', 'Rectified flow']],
  },
  {
    name: 'sampler', type: 'choice', default: 'euler_maruyama', label: 'Sampler', option: true,
    choices: [
      ['euler_maruyama', 'Reverse SDE (Euler-Maruyama)'],
      ['probability_flow_euler', 'Probability-flow ODE (Euler)'],
    ],
  },
  {
    name: 'score', type: 'choice', default: 'mlp', label: 'Score', option: true,
    choices: [['mlp', 'Learned (MLP)'], ['exact', 'Exact score']],
  },
  { name: 'steps', type: 'integer', default: 100, min: 1, max: 1000, label: 'Steps', option: true },
  // The GPU limit; the CPU path allows fewer (describe().limits.particles.max_cpu).
  { name: 'particles', type: 'integer', default: 16384, min: 1, max: 1048576, label: 'Particles', option: true },
  { name: 'seed', type: 'integer', default: 1, min: 0, max: 4294967295, label: 'Seed', option: true },
  {
    name: 'backend', type: 'choice', default: 'auto', label: 'Backend', option: true,
    choices: [['auto', 'Automatic'], ['webgpu', 'WebGPU'], ['cpu', 'CPU (WebAssembly)']],
  },
  { name: 'point_size', type: 'number', default: 1.5, min: 0.5, max: 8, label: 'Dot size', option: true },
  // Page-only fields.
  // Where the run starts: 1 is the prior noise; below 1 the link opens on forward-noised data.
  { name: 't', type: 'number', default: 1, min: 0, max: 1, label: 'Time t', option: false },
  { name: 'playing', type: 'boolean', default: true, label: 'Playing', option: false },
]);

/** The table as a lookup by name. */
export const FIELD = Object.freeze(Object.fromEntries(FIELDS.map((f) => [f.name, f])));

/** Longest piece of a hostile value quoted back in a notice. */
const QUOTE_LIMIT = 40;

/** `value` quoted for a message, shortened. Plain text: the caller uses textContent. */
export function quote(value) {
  const text = String(value);
  const short = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}...` : text;
  return JSON.stringify(short);
}

/** What a field accepts, in words. */
export function allowed(field) {
  switch (field.type) {
    case 'choice': return `one of ${field.choices.map(([name]) => name).join(', ')}`;
    case 'integer': return `an integer from ${field.min} to ${field.max}`;
    case 'number': return `a number from ${field.min} to ${field.max}`;
    case 'boolean': return '1, 0, true or false';
    default: throw new Error(`state.js: field '${field.name}' has unknown type '${field.type}'`);
  }
}

/**
 * Checks one value (text from the URL, or a number or boolean from a control) against its field.
 * @returns {{ ok: true, value: any } | { ok: false, problem: string }}  `problem` names the
 *   field, the value and what is allowed, e.g. `steps "0" is not allowed (allowed: an integer from 1 to 1000)`
 */
export function parseField(field, raw) {
  const reject = () => ({
    ok: false,
    problem: `${field.name} ${quote(raw)} is not allowed (allowed: ${allowed(field)})`,
  });
  switch (field.type) {
    case 'choice': {
      const name = String(raw);
      return field.choices.some(([choice]) => choice === name) ? { ok: true, value: name } : reject();
    }
    case 'integer':
    case 'number': {
      const text = String(raw).trim();
      // Number('') is 0 and Number('0x10') is 16: accept plain decimal notation only.
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return reject();
      const value = Number(text) + 0; // + 0 turns -0 into 0
      if (!Number.isFinite(value) || value < field.min || value > field.max) return reject();
      if (field.type === 'integer' && !Number.isInteger(value)) return reject();
      return { ok: true, value };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const text = String(raw).trim().toLowerCase();
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
 * Reads a URL hash such as `#dataset=spiral&steps=50`.
 * @param {string} hash  `location.hash`, with or without the leading '#'
 * @returns {{ state: Record<string, any>, notices: string[] }}  a complete state (bad or missing
 *   fields at their defaults) and one plain-text notice per rejected field
 */
export function parseHash(hash) {
  const state = defaultState();
  const notices = [];
  const params = new URLSearchParams(String(hash).replace(/^#/, ''));
  const seen = new Set();
  for (const [key, raw] of params) {
    const field = Object.hasOwn(FIELD, key) ? FIELD[key] : undefined;
    if (!field) {
      notices.push(`Unknown setting ${quote(key)} in the link was ignored (known: ${FIELDS.map((f) => f.name).join(', ')}).`);
      continue;
    }
    if (seen.has(key)) {
      notices.push(`The setting ${field.name} appears more than once in the link; the first value is used.`);
      continue;
    }
    seen.add(key);
    const parsed = parseField(field, raw);
    if (parsed.ok) state[key] = parsed.value;
    else notices.push(`Link setting ${parsed.problem}; using the default ${field.default}.`);
  }
  return { state, notices };
}

/** The hash form of a state (every field, in table order, so a link survives changed defaults). */
export function toHash(state) {
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = state[field.name];
    params.set(field.name, field.type === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return `#${params.toString()}`;
}

/** The options object for the wasm Playground: the option fields of `state`. */
export function toOptions(state) {
  return Object.fromEntries(FIELDS.filter((f) => f.option).map((f) => [f.name, state[f.name]]));
}

/** Writes `state` into the address bar without adding a history entry. */
export function writeHash(state) {
  const hash = toHash(state);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
