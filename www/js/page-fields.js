// @ts-check
// page-fields.js: the page's own fields of the state table (layers, panels, theme, the race's
// and the likelihood panel's settings, the drawing and network of a link, t and playing), each
// declared once as a row, and the type of a whole page state derived from these rows and from
// the wasm's options (whose rows state.js makes from `describe()`).

/** @typedef {import('./state.js').Field} Field */
/** @typedef {import('./state.js').FieldType} FieldType */

/**
 * The folding panels of the page, each a `<details>` with the id of its state field (true: open),
 * with that field's label. panels.js, the hide flags and the controls take them from here.
 */
export const PANELS = Object.freeze(/** @type {const} */ ([
  // Draw your own data (drawing-feature.js).
  { name: 'draw', label: 'Drawing panel' },
  // The schedule's curves with the time grid.
  { name: 'lab', label: 'Schedule lab' },
  // Straight conditional paths beside the curved marginal ones (src/app/straightness.rs).
  { name: 'straight', label: 'Straight and curved paths panel' },
  // The 1-D space-time view (docs/theory.md).
  { name: 'spacetime', label: 'Space-time view' },
  // The particles' histogram next to the exact p_t.
  { name: 'density', label: 'Density view' },
  // The formulas of the schedule and sampler.
  { name: 'formulas', label: 'Formulas' },
  // The sampler race (it runs when opened).
  { name: 'race', label: 'Sampler race' },
  // The likelihood of fresh data under the model (src/app/likelihood.rs).
  { name: 'likelihood', label: 'Likelihood panel' },
  // Where the network is wrong (src/app/model_error.rs).
  { name: 'errors', label: 'Network error panel' },
]));

/**
 * The page's own fields (their value types, `PageFields`, are read from these rows). The
 * playground's options come first in the table, one row each from the wasm's table
 * (`useDescription`).
 */
const PAGE_FIELD_ROWS = /** @type {const} */ ([
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
  // The folding panels are open (PANELS).
  ...PANELS.map(({ name, label }) => /** @type {const} */ ({ name, type: 'boolean', default: false, label, option: false })),
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
  // How its batches pair noise with data (src/core/coupling.rs): independent, minibatch OT, or
  // the Schrödinger bridge (velocity on rectified_flow only).
  { name: 'train_coupling', type: 'choice', from: 'couplings', default: 'independent', label: 'Training coupling', option: false, control: true },
  // The likelihood panel's settings (src/app/likelihood.rs): the NLL of fresh data under the model by
  // the probability-flow ODE with one of describe()'s likelihood solvers, its time grid (Karras by
  // default: the run's uniform grid is far less accurate for a likelihood) and steps, on the run's
  // schedule, next to the exact NLL, and DDPM's ELBO (Ho et al. 2020, eq. 5) on the same grid.
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
]);
export const PAGE_FIELDS = Object.freeze(/** @type {Field[]} */ (/** @type {unknown} */ (PAGE_FIELD_ROWS)));

/**
 * The value a field of type `T` holds: a number for a number, a flag for a boolean, else text.
 * @template {FieldType} T
 * @typedef {T extends 'boolean' ? boolean : T extends 'integer' | 'number' ? number : string} ValueOf
 */
/**
 * The page's own fields by name, each with the value its row's type holds.
 * @typedef {{ -readonly [Row in typeof PAGE_FIELD_ROWS[number] as Row['name']]: ValueOf<Row['type']> }} PageFields
 */
/** The `<name>_hide` flags. @typedef {{ [hide: `${string}_hide`]: boolean }} HideFlags */
/**
 * A state of the page: a value for every field of the table, by field name: the wasm's options
 * (typed by the declarations wasm-bindgen writes from the options table), the page's fields and
 * the hide flags.
 * @typedef {import('../pkg/diffusion_playground.js').Options & PageFields & HideFlags} State
 */
/** The name of a field of the state. @typedef {keyof State & string} FieldName */
/** The name of a folding panel (PANELS). @typedef {typeof PANELS[number]['name']} PanelName */
