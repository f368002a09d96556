// @ts-check
// controls.js: the DOM of the page and nothing else. It fills the settings controls from the
// state table, reads and writes their values, binds the buttons and keys, and moves the time
// slider; panels.js, status.js and canvases.js hold the rest of the DOM layer (re-exported
// here). It knows nothing of the wasm module; main.js wires the two together.
//
// Every text that may come from outside (the URL, error messages) is set with textContent.

import { FIELDS, PANELS, applies, byName, classesFor } from './state.js';
import { $ } from './dom.js';
import { chosenRacers } from './panels.js';
import { formatTime } from './status.js';

// The rest of the DOM layer, so callers import one module (`import * as ui from './controls.js'`).
export * from './panels.js';
export * from './status.js';
export * from './canvases.js';

/** @typedef {import('./state.js').Field} Field */
/** @typedef {import('./state.js').State} State */
/** A choice field's [name, label] pairs. @typedef {Array<[string, string]>} Choices */
/** A settings control: an `<input>` or a `<select>`. @typedef {HTMLInputElement | HTMLSelectElement} FormControl */

/**
 * What `bind` calls on user actions.
 * @typedef {object} Handlers
 * @property {(name: string, raw: string | boolean) => void} change
 * @property {(t: number) => void} time
 * @property {() => void} play
 * @property {() => void} step
 * @property {() => void} reset
 * @property {() => void} reseed
 * @property {() => void} share
 * @property {() => void} embed
 * @property {() => void} png
 * @property {() => void} csv
 * @property {() => void} npy
 * @property {() => void} trajectory_csv
 * @property {() => void} trajectory_npy
 * @property {() => void} python
 * @property {() => void} record
 * @property {(text: string, what: string) => void} copy
 */


/**
 * The fields that have a control in the settings form (same id as the field name): the table's
 * options are there once state.js has taken the wasm's description.
 */
function formFields() {
  return FIELDS.filter((f) => f.option || f.control);
}

/**
 * What a `<name>_hide` flag hides, for the names that are not form fields.
 * @type {Record<string, string>}
 */
const HIDE_TARGETS = { t: 'timebar', readouts: 'readouts', ...Object.fromEntries(PANELS.map(({ name }) => [name, name])) };

/** Buttons that need a playground. */
const ACTION_BUTTONS = ['t', 'play', 'step', 'reset', 'reseed', 'share', 'embed', 'png', 'record', 'csv', 'npy', 'trajectory_csv', 'trajectory_npy', 'python', 'draw-train', 'draw-reflow', 'draw-distill', 'draw-use'];


/** Fills the selects and sets the input ranges from the state table; `racers` are the samplers
 * ticked in the sampler race at first. Every 'choice' row has its choices by now (state.js's
 * `useDescription` runs first).
 * @param {string[]} racers
 */
export function build(racers = []) {
  const sampler = /** @type {Field} */ (FIELDS.find((f) => f.name === 'sampler'));
  $('race-racers').append(
    .../** @type {Choices} */ (sampler.choices).map(([name, label]) => {
      const item = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = name;
      box.checked = racers.includes(name);
      item.append(box, label);
      return item;
    }),
  );
  for (const field of formFields()) {
    const control = $(field.name);
    if (field.type === 'choice') {
      control.replaceChildren(
        .../** @type {Choices} */ (field.choices).map(([name, label]) => {
          const option = document.createElement('option');
          option.value = name;
          option.textContent = label;
          return option;
        }),
      );
    } else if (field.type === 'integer' || field.type === 'number') {
      const input = /** @type {HTMLInputElement} */ (control);
      input.min = String(field.min);
      input.max = String(field.max);
      if (field.type === 'integer') input.step = '1';
    }
  }
}

/**
 * Shows `state` in the controls, hiding the controls of fields that do not apply to it (such as
 * eta for a sampler without noise). The time slider is left to `setTime`.
 * @param {State} state
 */
export function setValues(state) {
  fillClasses(state);
  for (const field of formFields()) {
    const control = /** @type {FormControl} */ ($(field.name));
    // A value being typed or a slider being dragged is the person's until it is committed: a
    // change made meanwhile elsewhere (a network file arriving) must not overwrite it.
    if (editing.has(control)) {
      /** @type {HTMLElement} */ (control.closest('.field')).hidden = !applies(field, state);
      continue;
    }
    if (field.type === 'boolean') /** @type {HTMLInputElement} */ (control).checked = Boolean(byName(state)[field.name]);
    else control.value = String(byName(state)[field.name]);
    showValue(control, byName(state)[field.name]);
    /** @type {HTMLElement} */ (control.closest('.field')).hidden = !applies(field, state);
  }
  const racers = new Set(String(state.racers).split(','));
  for (const box of $('race-racers').querySelectorAll('input')) box.checked = racers.has(box.value);
  applyChrome(state);
}

/** Controls with an edit not yet committed (typed, or a slider being dragged). @type {Set<FormControl>} */
const editing = new Set();

/** The dataset (or drawing's classes) whose classes the class control lists. */
let classesListed = '';

/**
 * Lists the classes a run of `state` may be guided toward in the class control (when they
 * changed): the dataset's, or the drawing's stroke colours.
 * @param {import('./state.js').State} state
 */
function fillClasses(state) {
  const key = state.drawn ? `drawing ${state.drawn_classes}` : state.dataset;
  if (key === classesListed) return;
  classesListed = key;
  $('class').replaceChildren(
    ...classesFor(state).map(([name, label]) => {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = label;
      return option;
    }),
  );
}

/**
 * The page-only look of `state`: the theme, the minimal interface (`ui=min`) and the controls
 * hidden by `<name>_hide` flags (their values still apply).
 * @param {State} state
 */
export function applyChrome(state) {
  document.documentElement.dataset.theme = state.theme;
  document.body.classList.toggle('ui-min', state.ui === 'min');
  for (const field of FIELDS) {
    if (!field.hides) continue;
    const target = HIDE_TARGETS[field.hides]
      ? $(HIDE_TARGETS[field.hides])
      : /** @type {Element} */ ($(field.hides).closest('.field'));
    target.classList.toggle('hidden-by-link', Boolean(byName(state)[field.name]));
  }
  $('layer-legend').hidden = !(state.ghosts || state.arrows || state.contours);
  $('legend-ghosts').hidden = !state.ghosts;
  $('legend-contours').hidden = !state.contours;
  $('legend-arrows').hidden = !state.arrows;
  for (const lens of ['score', 'eps', 'velocity']) $(`lens-${lens}`).hidden = !state.arrows || state.lens !== lens;
  $('layers').hidden = !(state.ghosts || state.arrows || state.paths || state.contours || state.posterior !== 'none');
  for (const { name } of PANELS) /** @type {HTMLDetailsElement} */ ($(name)).open = Boolean(state[name]);
}

/**
 * Writes `value` into the control's `<output id="NAME-value">`, where it has one, with as many
 * decimals as the control's step.
 * @param {FormControl} control
 * @param {unknown} value
 */
function showValue(control, value = control.value) {
  const output = document.getElementById(`${control.id}-value`);
  if (!output) return;
  // Only inputs have an output.
  const decimals = (/** @type {HTMLInputElement} */ (control).step.split('.')[1] ?? '').length;
  output.textContent = Number(value).toFixed(decimals);
}

/**
 * Puts one control back to `v` (after a rejected change).
 * @param {string} name
 * @param {unknown} v
 */
export function setValue(name, v) {
  /** @type {FormControl} */ ($(name)).value = String(v);
}

/**
 * Enables or disables every control (disabled while no playground exists).
 * @param {boolean} enabled
 */
export function setEnabled(enabled) {
  for (const field of formFields()) /** @type {FormControl} */ ($(field.name)).disabled = !enabled;
  // The buttons, and the time slider `t`.
  for (const id of ACTION_BUTTONS) /** @type {HTMLButtonElement | HTMLInputElement} */ ($(id)).disabled = !enabled;
}

/**
 * Calls the handlers on user actions:
 * `change(name, rawValue)` for a settings control, `time(t)` while the time slider moves,
 * `play()`, `step()`, `reset()`, `reseed()` for the buttons and their keys, and `share()`,
 * `embed()`, `png()`, `record()` for the share and export buttons, and `copy(text, what)` for
 * the embed dialog's Copy button.
 * @param {Handlers} handlers
 */
export function bind(handlers) {
  for (const field of formFields()) {
    const control = /** @type {FormControl} */ ($(field.name));
    if (field.type === 'boolean') {
      const box = /** @type {HTMLInputElement} */ (control);
      control.addEventListener('change', () => handlers.change(field.name, box.checked));
      continue;
    }
    // Number inputs commit on change (Enter or leaving the field), not on every keystroke.
    control.addEventListener('change', () => {
      editing.delete(control);
      handlers.change(field.name, control.value);
    });
    if (field.name === 'point_size') control.addEventListener('input', () => handlers.change(field.name, control.value));
    else {
      // Until then the edit is uncommitted (setValues leaves it alone); sliders, which commit
      // when let go (each change restarts the run), show the value meanwhile.
      control.addEventListener('input', () => {
        if (control instanceof HTMLSelectElement) return;
        editing.add(control);
        if (control.type === 'range') showValue(control);
      });
      // Left without a change (typed back to the value in use): nothing is pending any more.
      control.addEventListener('blur', () => editing.delete(control));
    }
  }
  $('controls').addEventListener('submit', (event) => event.preventDefault());
  // The race's ticks are the `racers` field: comma-separated names, in the list's order.
  $('race-racers').addEventListener('change', () => handlers.change('racers', chosenRacers().map(([name]) => name).join(',')));
  const slider = /** @type {HTMLInputElement} */ ($('t'));
  slider.addEventListener('input', () => handlers.time(Number(slider.value)));
  slider.addEventListener('pointerdown', () => { sliderHeld = true; });
  slider.addEventListener('blur', () => { sliderHeld = false; });
  for (const type of ['pointerup', 'pointercancel']) {
    window.addEventListener(type, () => { sliderHeld = false; });
  }
  $('play').addEventListener('click', () => handlers.play());
  $('step').addEventListener('click', () => handlers.step());
  $('reset').addEventListener('click', () => handlers.reset());
  $('reseed').addEventListener('click', () => handlers.reseed());
  for (const id of /** @type {const} */ (['share', 'embed', 'png', 'record', 'csv', 'npy', 'trajectory_csv', 'trajectory_npy', 'python'])) $(id).addEventListener('click', () => handlers[id]());
  $('embed-copy').addEventListener('click', () => handlers.copy(/** @type {HTMLTextAreaElement} */ ($('embed-code')).value, 'The iframe snippet'));

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isEditable(event.target)) return;
    if (event.key === ' ' || event.code === 'Space') {
      event.preventDefault();
      handlers.play();
    } else if (event.key === 'ArrowRight') {
      event.preventDefault();
      handlers.step();
    } else if (event.key === 'r' || event.key === 'R') {
      event.preventDefault();
      handlers.reset();
    }
  });
}

/**
 * True for targets that take keys themselves: inputs, selects, text areas, buttons, editables.
 * @param {EventTarget | null} target
 */
function isEditable(target) {
  if (!(target instanceof Element)) return false;
  return target.matches('input, select, textarea, button, [contenteditable]:not([contenteditable="false"])');
}

/**
 * Shows the time: the slider at `fraction` of the schedule's time range (not while the user holds
 * it), and beside it `t`, the schedule's own time (sigma for VE and EDM, up to 80).
 * @param {number} fraction
 * @param {number} t
 */
export function setTime(fraction, t) {
  if (!sliderHeld) /** @type {HTMLInputElement} */ ($('t')).value = String(fraction);
  $('t-value').textContent = formatTime(t);
}


/** True while the user holds the time slider (then the loop must not move it). */
let sliderHeld = false;

/**
 * Shows play or pause on the play button ("Replay" once the run is done).
 * @param {boolean} playing
 */
export function setPlaying(playing, done = false) {
  const button = $('play');
  button.setAttribute('aria-pressed', String(playing));
  /** @type {Element} */ (button.querySelector('.label')).textContent = playing ? 'Pause' : done ? 'Replay' : 'Play';
  document.body.dataset.playing = String(playing);
}
