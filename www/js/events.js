// @ts-check
// events.js: what happened on the page, told to the modules that react to it. A module that
// must make something happen in one it is imported by (a run that failed makes the host
// recover or stop; a change asks for a frame or a re-creation) says so here instead of
// importing it, so the page's modules import each other one way only. main.js subscribes the
// reactions; this module imports nothing.

/**
 * The events and what each carries.
 * @typedef {object} PageEvents
 * @property {{ what: string, error: unknown }} run-failed  a step, a render or a view failed
 * @property {undefined} frame-wanted                       something changed: draw it
 * @property {import('./state.js').State} recreate                 make the Playground again for this state
 * @property {string[]} changed                             these state fields were changed and applied
 */

/** @type {Map<string, Array<(detail: any) => void>>} */
const handlers = new Map();

/**
 * Calls `handler` with the detail of every `type` event from now on.
 * @template {keyof PageEvents} K
 * @param {K} type
 * @param {(detail: PageEvents[K]) => void} handler
 */
export function on(type, handler) {
  handlers.set(type, [...(handlers.get(type) ?? []), handler]);
}

/**
 * Tells every handler of `type`, in the order they subscribed, before returning.
 * @template {keyof PageEvents} K
 * @param {K} type
 * @param {PageEvents[K]} detail
 */
export function emit(type, detail) {
  for (const handler of handlers.get(type) ?? []) handler(detail);
}
