// @ts-check
// dom.js: the page's elements by id, for the modules of the DOM layer (controls.js, panels.js,
// status.js, canvases.js).

/**
 * The element with id `id`; throws when the page has none.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no element #${id}`);
  return element;
}
