// @ts-check
// errors.js: how the page says that something went wrong: a failure's text, the page-wide error
// listeners, the page that cannot run at all, and an error while running (told as a
// `run-failed` event: the host pauses, and restarts after a lost GPU device).

import * as ui from './controls.js';
import { announceFailure, page } from './page.js';
import { emit } from './events.js';

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
  page.playing = false;
  ui.setPlaying(false, false);
  ui.notice(message, 'error');
  ui.setOverlay(message);
  ui.setEnabled(false);
  document.body.dataset.state = 'error';
  announceFailure(message);
}

/**
 * An error while running (a step, a render): the host pauses and reports it, or restarts after a
 * lost device (host.js, `handleRunFailure`).
 * @param {string} what
 * @param {unknown} error
 */
export function runtimeError(what, error) {
  emit('run-failed', { what, error });
}

/** The `kind` of the wasm's Error when a run was stopped because particles left the finite range. */
const DIVERGED = 'diverged';

/**
 * The WebGPU path's reason for stopping a diverged run (`divergence()` resolves to it) as the
 * CPU path's step throws it: an Error of kind 'diverged'.
 * @param {string} reason
 */
export function divergence(reason) {
  return Object.assign(new Error(reason), { kind: DIVERGED });
}

/**
 * Whether `error` is the wasm's reason for stopping a diverged run rather than a failure.
 * @param {unknown} error
 */
export function isDivergence(error) {
  return error instanceof Error && /** @type {{ kind?: unknown }} */ (error).kind === DIVERGED;
}

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
    emit('frame-wanted', undefined);
    return true;
  } catch (error) {
    runtimeError(what, error);
    return false;
  }
}
