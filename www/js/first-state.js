// @ts-check
// first-state.js: the state the page opens with: the link in the address bar, read field by
// field (a bad field falls back to its default, with a notice), paused at the start when the
// system asks for reduced motion and the link does not say to play.

import * as ui from './controls.js';
import { parseHash } from './link.js';

/**
 * The state of the address bar's link, and its notices shown.
 * @returns {import('./state.js').State}
 */
export function firstState() {
  const parsed = parseHash(location.hash);
  for (const text of parsed.notices) ui.notice(text, 'warn');
  const state = parsed.state;
  if (!parsed.given.has('playing') && state.playing && matchMedia('(prefers-reduced-motion: reduce)').matches) {
    state.playing = false;
    ui.notice('Paused at the start because your system asks for reduced motion: press Play to run.', 'info');
  }
  return state;
}
