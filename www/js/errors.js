// @ts-check
// errors.js: how the page says that something went wrong: a failure's text, the page-wide error
// listeners, the page that cannot run at all, and an error while running (which pauses, and
// restarts after a lost GPU device).

import * as ui from './controls.js';
import { announceFailure, page } from './page.js';
import { requestFrame, setPlaying } from './frame-loop.js';
import { deviceLost, recoverFromLostDevice } from './host.js';

/**
 * The text of anything thrown (an Error, a string from the wasm, an object).
 * @param {unknown} error
 */
export function messageOf(error) {
  if (error instanceof Error) return error.message || String(error);
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** Unexpected errors anywhere become notices. */
export function reportUnexpectedErrors() {
  window.addEventListener('error', (event) => {
    // Chrome reports this benign condition as an error event; it is not one.
    if (/ResizeObserver loop/.test(event.message ?? '')) return;
    ui.notice(`Unexpected error: ${event.message || messageOf(event.error)}`, 'error');
  });
  window.addEventListener('unhandledrejection', (event) => {
    ui.notice(`Unexpected error: ${messageOf(event.reason)}`, 'error');
  });
}

/**
 * The page cannot run: say why, everywhere a person would look.
 * @param {string} message
 */
export function fail(message) {
  setPlaying(false);
  ui.notice(message, 'error');
  ui.setOverlay(message);
  ui.setEnabled(false);
  document.body.dataset.state = 'error';
  announceFailure(message);
}

/**
 * An error while running (a step, a render): pause and report; a lost device restarts.
 * @param {string} what
 * @param {unknown} error
 */
export function runtimeError(what, error) {
  setPlaying(false);
  page.state.playing = false;
  const message = messageOf(error);
  if (deviceLost()) recoverFromLostDevice();
  // Particles that left the finite range stop the run (src/core/runaway.rs says why).
  else if (message.startsWith(DIVERGED)) ui.notice(`The run was stopped: ${message}.`, 'error');
  else ui.notice(`${what} failed: ${message}`, 'error');
}

/** How the wasm's reason for stopping a diverged run begins (`core::runaway::diverged_message`). */
export const DIVERGED = 'the run diverged';

/**
 * Runs `action` on the Playground now; reports a failure as a notice. Returns whether it ran.
 * @param {string} what
 * @param {(pg: import('./page.js').Playground) => unknown} action
 */
export function act(what, action) {
  if (!page.pg || page.creating) return false;
  try {
    action(page.pg);
    page.dirty = true;
    requestFrame();
    return true;
  } catch (error) {
    runtimeError(what, error);
    return false;
  }
}
