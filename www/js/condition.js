// @ts-check
// condition.js: the class and guidance fields kept consistent: each dataset's classes, from
// describe(), for the class control, and a state settled by the wasm's rules
// (`app::condition::settle`), which the options table accepts.

import { decodeStrokeClasses } from './drawing.js';
import { wasmRules } from './link-rules.js';
import { byName } from './by-name.js';

/** @typedef {import('./state.js').State} State */



/** Each dataset's classes as [name, label] pairs, from describe(). @type {Map<string, Array<[string, string]>>} */
let classesByDataset = new Map();
/** A drawing's classes (stroke colours) as [name, label] pairs, from describe(). @type {Array<[string, string]>} */
let strokeClasses = [];

/**
 * The classes of `dataset` as [name, label] pairs (empty before `useDescription`).
 * @param {string} dataset
 */
export function classesOf(dataset) {
  return classesByDataset.get(dataset) ?? [];
}

/**
 * The classes a run of `state` may be guided toward: those of the drawing in use (the stroke
 * colours it has points of), else the dataset's. `endsDrawing`: the dataset was just chosen,
 * which ends the drawing.
 * @param {State} state
 */
export function classesFor(state, endsDrawing = false) {
  if (!state.drawn || endsDrawing) return classesOf(state.dataset);
  const decoded = decodeStrokeClasses(state.drawn_classes ?? '');
  const used = new Set(decoded.ok && decoded.classes.length > 0 ? decoded.classes : [0]);
  return strokeClasses.filter((_, c) => used.has(c));
}

/**
 * Whether `name` is a class of any dataset, or a drawing's.
 * @param {string} name
 */
export function isKnownClass(name) {
  return [...classesByDataset.values(), strokeClasses].some((list) => list.some(([c]) => c === name));
}

/**
 * The fields a share link's settings win conflicts with, from describe()
 * (`app::condition::LINK_SETTLES_WITH`).
 * @type {ReadonlyArray<string>}
 */
export let LINK_SETTLES_WITH = [];

/** The names of the wasm's options, from describe(): the fields `settleCondition` hands over. @type {string[]} */
let optionNames = [];

/**
 * `state` with the fields that depend on each other (class, guidance and score, measurement,
 * SMC's backend and sampler, the intervals) made consistent by the wasm's rules
 * (`app::condition::settle`, whose result the options table accepts), and a plain-text notice
 * for each field changed against what was asked. `latest`: the fields just set, which win a
 * conflict. A drawing in use offers the classes its points have.
 * @param {State} state
 * @param {Iterable<string>} latest
 * @returns {{ state: State, notices: string[] }}
 */
export function settleCondition(state, latest) {
  const values = byName(state);
  const options = Object.fromEntries(optionNames.map((name) => [name, values[name]]));
  const decoded = state.drawn ? decodeStrokeClasses(state.drawn_classes ?? '') : null;
  const labels = decoded === null ? undefined : Uint32Array.from(decoded.ok ? decoded.classes : []);
  try {
    const settled = wasmRules().settle_options(options, labels, [...latest]);
    return { state: { ...state, ...settled.options }, notices: settled.notices };
  } catch (error) {
    // Each field was read by its row before (a link, a control): a refusal here is a field the
    // page let through, which is said and left as it was for the Playground to refuse.
    return { state, notices: [`The settings could not be checked together: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

/**
 * Takes the classes, the options' names and the link's settling fields from describe()
 * (state.js's `useDescription`).
 * @param {import('../pkg/diffusion_playground.js').Description} described
 */
export function useConditionDescription(described) {
  classesByDataset = new Map(
    described.datasets.map((/** @type {{ name: string, classes?: Array<{ name: string, label: string }> }} */ d) => [
      d.name,
      (d.classes ?? []).map(({ name, label }) => /** @type {[string, string]} */ ([name, label])),
    ]),
  );
  optionNames = described.options.map((option) => option.name);
  LINK_SETTLES_WITH = Object.freeze([...described.link_settles_with]);
  strokeClasses = (described.drawing?.classes ?? []).map((/** @type {{ name: string, label: string }} */ { name, label }) => /** @type {[string, string]} */ ([name, label]));
}
