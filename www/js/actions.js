// @ts-check
// actions.js: what the controls do (controls.js binds them): a settings control changed, the
// time slider, Play, Step, Reset, a new seed, and the share and export buttons; and the same
// transport driven by an embedding page (the element's play, pause, reset and set).

import * as ui from './controls.js';
import { page } from './page.js';
import { act } from './errors.js';
import { FIELD, byName, parseField } from './state.js';
import { setPlaying } from './frame-loop.js';
import { applyChanges, applySettings } from './store.js';
import { record } from './record.js';
import { exportHandlers } from './export-feature.js';

/** The handlers controls.js binds to the page's controls. */
export const handlers = {
  /**
   * A settings control changed to the raw value `raw`.
   * @param {string} name
   * @param {unknown} raw
   */
  change(name, raw) {
    const field = FIELD[name];
    const parsed = parseField(field, raw);
    if (!parsed.ok) {
      ui.notice(`${field.label}: ${parsed.problem}.`, 'warn');
      ui.setValue(name, byName(page.state)[name]);
      return;
    }
    // The value was read by its field's row.
    applyChanges(/** @type {Partial<import('./state.js').State>} */ ({ [name]: parsed.value }));
  },
  /**
   * The time slider moved to `u`, a fraction of the schedule's time range: show the
   * forward-noised data there (at the next frame), paused.
   * @param {number} u
   */
  time(u) {
    if (!page.pg || page.creating) return;
    setPlaying(false);
    page.pendingT = u;
    record({ t: u, playing: false });
  },
  play() {
    const { pg } = page;
    if (!pg || page.creating) return;
    /** @type {Partial<import('./state.js').State>} */
    const changes = {};
    if (!page.playing && pg.done) {
      // Play after the end runs again from where the run started (the next frame noises the
      // data there before it steps), or from the prior.
      if (page.runStart < 1) {
        page.pendingT = page.runStart;
        changes.t = page.runStart;
      } else {
        if (!act('Reset', (/** @type {import('./page.js').Playground} */ p) => p.reset())) return;
        changes.t = 1;
      }
    }
    setPlaying(!page.playing);
    record({ ...changes, playing: page.playing });
  },
  step() {
    setPlaying(false);
    act('A reverse step', (/** @type {import('./page.js').Playground} */ p) => p.step(1));
  },
  /**
   * Back to where the run started: the forward-noised data of the link's (or the slider's) t,
   * drawn again from the same noise, or the prior noise.
   */
  reset() {
    setPlaying(false);
    if (page.runStart < 1) {
      page.pendingT = page.runStart;
      record({ playing: false, t: page.runStart });
      return;
    }
    page.pendingT = null;
    const reset = act('Reset', (/** @type {import('./page.js').Playground} */ p) => p.reset());
    record(reset ? { playing: false, t: 1 } : { playing: false });
  },
  reseed() {
    // Drawn in the wasm (getrandom: crypto.getRandomValues); the link then carries it.
    if (!page.wasm) return;
    applyChanges({ seed: page.wasm.random_seed() });
  },
  ...exportHandlers({ play: () => handlers.play() }),
};

/** @type {Array<[string, Record<string, unknown>]>} Commands that arrived while the playground was (re)starting. */
const waitingCommands = [];

/**
 * Runs one command of the element's API (embed-bridge.js); `set` is validated like a link.
 * @param {string} command
 * @param {Record<string, unknown>} settings
 */
export function runCommand(command, settings) {
  if (!page.pg || page.creating || page.module !== 'full') {
    waitingCommands.push([command, settings]);
    return;
  }
  switch (command) {
    case 'play':
      if (!page.playing) handlers.play();
      break;
    case 'pause':
      if (page.playing) handlers.play();
      break;
    case 'reset':
      handlers.reset();
      break;
    case 'set':
      applySettings(settings);
      break;
    default:
      break;
  }
}

/** Runs the commands that waited for the playground. */
export function runWaitingCommands() {
  for (const [command, settings] of waitingCommands.splice(0)) runCommand(command, settings);
}
