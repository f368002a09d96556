// @ts-check
// condition.js: the class and guidance fields kept consistent, as the wasm requires
// (`settle_condition` in src/app/options.rs): each dataset's classes and the scores each
// guidance works with, from describe(), and the rules that settle a state.

import { quote } from './quote.js';
import { parseOperator, parseValues, resizedValues } from './measurement.js';
import { decodeStrokeClasses } from './drawing.js';

/** @typedef {import('./state.js').State} State */

/** Each dataset's classes as [name, label] pairs, from describe(). @type {Map<string, Array<[string, string]>>} */
let classesByDataset = new Map();
/** The scores each guidance works with, from describe(). @type {Map<string, string[]>} */
let guidanceScores = new Map();
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

/** The samplers whose step is one Gaussian kernel, which SMC weighs (src/core/smc.rs, check_plan). */
const SMC_SAMPLERS = Object.freeze(['euler_maruyama', 'ddim', 'ddpm_ancestral', 'euler_ancestral']);

/** The fields a share link's settings win conflicts with (see `settleCondition`). */
export const LINK_SETTLES_WITH = Object.freeze(['class', 'guidance', 'guidance_high', 'posterior', 'observation']);

/**
 * `state` with its class and guidance fields made consistent, as the wasm requires (see
 * `settle_condition` in src/app/options.rs), and a plain-text notice for each field changed
 * against what was asked. `latest`: the fields just set, which win a conflict. The rules: a
 * class the dataset does not have is dropped (said only when it was just set); guidance steers
 * toward the dataset's first class when none is chosen; a guidance that does not work with the
 * score gives way to one that does when the score was just chosen, else the score gives way;
 * an interval whose ends cross is closed at the end just set.
 * @param {State} state
 * @param {Iterable<string>} latest
 * @returns {{ state: State, notices: string[] }}
 */
export function settleCondition(state, latest) {
  const just = new Set(latest);
  const next = { ...state };
  const notices = [];
  const ofDrawing = Boolean(next.drawn) && !just.has('dataset');
  const classes = classesFor(next, !ofDrawing).map(([name]) => name);
  if (next.class !== '' && !classes.includes(next.class)) {
    if (just.has('class')) {
      notices.push(`class ${quote(next.class)} is not a class of ${ofDrawing ? 'the drawing' : next.dataset} (allowed: ${classes.join(', ')}); using ${next.guidance === 'none' ? 'none' : classes[0]}.`);
    }
    next.class = '';
  }
  if (next.guidance !== 'none' && next.class === '' && classes.length > 0) next.class = classes[0];
  const works = (/** @type {string} */ guidance) => guidanceScores.get(guidance)?.includes(next.score) ?? true;
  if (!works(next.guidance)) {
    const asked = next.guidance;
    if (just.has('score') && !just.has('guidance')) {
      next.guidance = works('classifier') ? 'classifier' : 'none';
      notices.push(`Guidance ${asked} does not work with the score ${next.score}; guidance ${next.guidance} is used instead.`);
    } else {
      const scores = guidanceScores.get(asked) ?? [];
      next.score = scores[0];
      notices.push(`Guidance ${asked} needs the score ${scores.join(' or ')}; the score ${next.score} is used.`);
    }
  }
  // The exact posterior's score is the mixture's: it needs an exact score (src/app/options.rs).
  if (next.posterior === 'exact' && next.score === 'mlp') {
    if (just.has('score') && !just.has('posterior')) {
      next.posterior = 'pigdm';
      notices.push('The exact posterior’s score is the mixture’s, not the network’s: with the network the run conditions with PiGDM.');
    } else {
      next.score = 'exact';
      notices.push('The exact posterior’s score is the mixture’s: the score exact is used.');
    }
  }
  if (next.posterior !== 'none' && next.guidance !== 'none') {
    if (just.has('guidance') && !just.has('posterior')) {
      notices.push(`Guidance toward a class and a measurement do not combine; conditioning on the measurement (${next.posterior}) is switched off.`);
      next.posterior = 'none';
    } else {
      notices.push(`A measurement and guidance toward a class do not combine; guidance ${next.guidance} is switched off.`);
      next.guidance = 'none';
      next.class = '';
    }
  }
  // SMC resamples across particles (the CPU path) and needs a step that is one Gaussian kernel
  // with fresh noise (src/core/smc.rs).
  if (next.posterior === 'smc') {
    if (next.backend !== 'cpu') {
      notices.push('SMC resamples across particles, which the CPU path does: the backend is now CPU.');
      next.backend = 'cpu';
    }
    if (!SMC_SAMPLERS.includes(next.sampler)) {
      notices.push(`SMC needs a sampler whose step is one Gaussian kernel (${SMC_SAMPLERS.join(', ')}); ${next.sampler} gives way to euler_maruyama.`);
      next.sampler = 'euler_maruyama';
    }
    if (next.sampler !== 'ddpm_ancestral' && next.eta === 0) {
      notices.push('SMC needs fresh noise at every step: eta is now 1.');
      next.eta = 1;
    }
  }
  // One measured value per row of A: the values follow the operator unless they were just set.
  const rows = parseOperator(next.observe)?.length ?? 1;
  if ((parseValues(next.observation)?.length ?? 0) !== rows) {
    if (just.has('observation') && !just.has('observe')) {
      notices.push(`The measurement ${quote(next.observation)} needs ${rows} value${rows === 1 ? '' : 's'}, one per row of A; the missing are 0.`);
    }
    next.observation = resizedValues(next.observation, rows);
  }
  if (next.guidance_low > next.guidance_high) {
    if (just.has('guidance_low')) next.guidance_high = next.guidance_low;
    else next.guidance_low = next.guidance_high;
    notices.push(`The guidance interval's ends crossed; it is now ${next.guidance_low} to ${next.guidance_high}.`);
  }
  return { state: next, notices };
}

/**
 * Takes the classes and the guidances' scores from describe() (state.js's `useDescription`).
 * @param {Record<string, any>} described
 */
export function useConditionDescription(described) {
  classesByDataset = new Map(
    described.datasets.map((/** @type {{ name: string, classes?: Array<{ name: string, label: string }> }} */ d) => [
      d.name,
      (d.classes ?? []).map(({ name, label }) => /** @type {[string, string]} */ ([name, label])),
    ]),
  );
  guidanceScores = new Map(
    (described.guidances ?? []).map((/** @type {{ name: string, scores: string[] }} */ g) => [g.name, g.scores]),
  );
  strokeClasses = (described.drawing?.classes ?? []).map((/** @type {{ name: string, label: string }} */ { name, label }) => /** @type {[string, string]} */ ([name, label]));
}
