// @ts-check
// record.js: the other way into the page's state besides store.js's `applyChanges`. A feature
// that drives the Playground itself (a drawing or a network put in use, the score a training
// switched, the data noised to a time, a panel opened) records what it changed here; the state
// takes it, and everything subscribed to `changed` (main.js: the controls, the picture, the
// address bar, the panels that measure) follows, as after `applyChanges`. It imports only the
// two leaves, so any module may record.

import { page } from './page.js';
import { emit } from './events.js';

/**
 * Records `changes` the Playground has already taken.
 * @param {Partial<import('./state.js').State>} changes
 */
export function record(changes) {
  Object.assign(page.state, changes);
  emit('changed', Object.keys(changes));
}
