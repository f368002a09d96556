// @ts-check
// store.js: the state's changes. Validated changes of state fields go to the Playground (an
// option) or only change the page (a look, a panel), or ask for it to be made again (a backend,
// a link's drawing or network: the `recreate` event); the address bar follows (address-bar.js);
// a hash typed into the address bar, or sent by an embedding page, is read like a share link and
// applied as changes. A hash that arrives while the Playground is being (re)created waits (the
// latest only) until creation ends.

import * as ui from './controls.js';
import { page } from './page.js';
import { act, messageOf } from './errors.js';
import { FIELD, byName, settleCondition } from './state.js';
import { parseHash, toHash } from './link.js';
import { dropFence, setPlaying } from './frame-loop.js';
import { emit } from './events.js';
import { writeHashSoon } from './address-bar.js';
import { ensureConditionalNetwork, hasConditionalNetwork, needsConditionalNetwork } from './conditional-networks.js';
import { ensureNetwork, missingNetwork } from './networks.js';

/** @typedef {import('./state.js').State} State */
/** @typedef {import('./state.js').FieldValue} FieldValue */

/**
 * Link fields whose change makes the Playground again (as a backend change does): a drawing, its
 * stroke classes and a network are applied in one order when it is created, never piecemeal.
 */
const RECREATED_BY = Object.freeze(['drawn', 'drawn_classes', 'net']);

/** @type {string | null} A hash that arrived while the Playground was being (re)created. */
let queuedHash = null;

/** The hash that waited for creation to end, if any (and forgets it). */
export function takeQueuedHash() {
  const hash = queuedHash;
  queuedHash = null;
  return hash;
}

/**
 * Applies validated changes of state fields: options go to the Playground (a backend change
 * re-creates it), then t and playing. A rejected option is reported and its control restored.
 * @param {Partial<import('./state.js').State>} asked
 */
export function applyChanges(asked) {
  const { pg, state } = page;
  if (!pg || page.creating) return;
  // The class and guidance fields follow the dataset and score (and say so when they must).
  const settled = settleCondition(/** @type {State} */ ({ ...state, ...asked }), Object.keys(asked));
  // Another dataset or schedule: fetch its network first (the wasm embeds only the default's).
  const { dataset, schedule } = settled.state;
  if (missingNetwork(dataset, schedule) !== null) {
    ensureNetwork(dataset, schedule).then(
      () => applyChanges(asked),
      (error) => {
        ui.notice(`The network of ${dataset} with ${schedule} could not be fetched (${messageOf(error)}); the settings stay as they were.`, 'error');
        ui.setValues(page.state);
      },
    );
    return;
  }
  // Classifier-free guidance with the network: fetch the dataset's conditional network first.
  if (needsConditionalNetwork(settled.state) && !hasConditionalNetwork(dataset)) {
    ensureConditionalNetwork(dataset).then(
      () => applyChanges(asked),
      (error) => {
        ui.notice(`Classifier-free guidance with the network needs the class-conditional network of ${dataset}, which could not be fetched (${messageOf(error)}); the settings stay as they were.`, 'error');
        ui.setValues(page.state);
      },
    );
    return;
  }
  for (const text of settled.notices) ui.notice(text, 'warn');
  const current = byName(state);
  const changes = /** @type {Partial<State>} */ (Object.fromEntries(
    Object.entries(byName(settled.state)).filter(([name, v]) => name in asked || v !== current[name]),
  ));
  const changed = byName(changes);
  const next = /** @type {State} */ ({ ...state, ...changes });
  // Another backend, or another drawing or network from a link (typed into the address bar or
  // sent by an embedding page): the Playground is made again, which applies the drawing, then
  // its network, then the guidance toward the drawing's class, in that order (host.js, start).
  if (next.backend !== state.backend || RECREATED_BY.some((name) => name in changes && changed[name] !== current[name])) {
    emit('recreate', next);
    return;
  }
  /** @type {Record<string, FieldValue>} */
  const options = {};
  for (const [name, v] of Object.entries(changed)) {
    if (FIELD[name].option && current[name] !== v) options[name] = v;
  }
  if (Object.keys(options).length > 0) {
    try {
      pg.set_options(options);
    } catch (error) {
      ui.notice(`That setting was not applied: ${messageOf(error)}`, 'error');
      ui.setValues(state);
      return;
    }
    Object.assign(state, options);
    // Any option but the look of the dots restarts the run from the prior.
    if (Object.keys(options).some((name) => name !== 'point_size' && name !== 'palette')) {
      state.t = 1;
      page.runStart = 1;
      page.pendingT = null;
      dropFence();
    }
  }
  if (changes.t !== undefined && changes.t !== state.t) {
    if (changes.t < 1) page.pendingT = changes.t;
    else if (act('Reset', (/** @type {import('./page.js').Playground} */ p) => p.reset())) page.runStart = 1;
    state.t = changes.t;
  }
  if (changes.playing !== undefined) {
    setPlaying(changes.playing);
    state.playing = changes.playing;
  }
  // Choosing a dataset ends a drawing (the wasm has dropped it).
  if ('dataset' in options) Object.assign(state, { drawn: '', drawn_classes: '' });
  // Page-only fields (layers, theme, interface, hide flags) only change the look.
  for (const [name, v] of Object.entries(changed)) {
    if (!FIELD[name].option && name !== 't' && name !== 'playing') current[name] = v;
  }
  // What follows (the controls, the picture, the address bar, the race and the likelihood
  // panel) is subscribed to `changed` in main.js.
  emit('changed', Object.keys(changes));
}


/**
 * The user edited the address bar: apply the new hash like a set of control changes, or, while
 * the Playground is being (re)created, keep it (the latest only) until creation ends.
 */
export function onHashChange() {
  if (!page.pg || page.creating) {
    queuedHash = location.hash;
    return;
  }
  applyHash(location.hash);
}

/**
 * Applies the settings of `hash` that differ from the state. `triedBackend`: the backend that
 * creation has just been asked for; a hash asking for it again is not restarted on it (creation
 * may have fallen back from it, and said why).
 * @param {string} hash
 * @param {string} [triedBackend]
 */
export function applyHash(hash, triedBackend) {
  const { state: wanted, notices } = parseHash(hash);
  for (const text of notices) ui.notice(text, 'warn');
  if (wanted.backend === triedBackend) wanted.backend = page.state.backend;
  const [asked, current] = [byName(wanted), byName(page.state)];
  /** @type {Record<string, FieldValue>} */
  const changes = {};
  for (const name of Object.keys(asked)) {
    if (asked[name] !== current[name]) changes[name] = asked[name];
  }
  // (each value was read by its field's row: `parseHash`)
  if (Object.keys(changes).length > 0) applyChanges(/** @type {Partial<State>} */ (changes));
}

/**
 * Applies `settings` named as in a share link (an embedding page's `set`): validated as a link
 * would be, then kept in the address bar.
 * @param {Record<string, unknown>} settings
 */
export function applySettings(settings) {
  const params = new URLSearchParams(toHash(page.state).slice(1));
  for (const [name, value] of Object.entries(settings)) {
    params.set(name, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  applyHash(`#${params}`);
  writeHashSoon();
}
