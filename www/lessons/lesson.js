// @ts-check
// lesson.js: what makes a lesson's prose drive its figures. Each figure is a
// <diffusion-playground> element (../js/element.js) set up by its attributes (a share link's
// settings); the prose acts on it through the element's API:
//
//   <button data-widget="ID" data-set="sampler=heun&steps=30">...</button>   sets, on click
//   <button data-widget="ID" data-command="play|pause|reset">...</button>     runs a command
//   <input type="range" data-widget="ID" data-setting="t" ...>               sets one setting as it moves
//   <section class="scroll-step" data-widget="ID" data-set="...">             sets when scrolled to
//
// and each figure gets its own embed snippet (the element's tag with the figure's attributes).
// Every control says on itself what it did last (data-applied, for the reader's assistive
// technology and for tests), and the page counts them (document.body.dataset.actions).

import '../js/element.js';

/**
 * The band of the viewport a scroll step must cross to set its figure: a thin strip across the
 * middle (2% of the height), so that one step at a time is the current one however tall the
 * screen, as scroll-driven figures usually work.
 */
const SCROLL_STEP_BAND = '-49% 0px -49% 0px';
/** Attributes of a figure's element that are not settings of its link. */
const NOT_SETTINGS = new Set(['id', 'class', 'style', 'title', 'height', 'width', 'src']);

/**
 * The settings of a `data-set` value, written as a link's (`sampler=heun&steps=30`).
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function settingsOf(text) {
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * The figure named by a control's `data-widget`, or null (with a console warning naming it).
 * @param {HTMLElement} control
 * @returns {import('../js/diffusion-playground.js').DiffusionPlaygroundElement | null}
 */
function widgetOf(control) {
  const widget = document.getElementById(control.dataset.widget ?? '');
  if (widget?.localName !== 'diffusion-playground') {
    console.warn(`lesson: no figure "${control.dataset.widget}" for`, control);
    return null;
  }
  return /** @type {any} */ (widget);
}

/**
 * Applies `control`'s action to its figure and records it.
 * @param {HTMLElement} control
 * @param {(widget: import('../js/diffusion-playground.js').DiffusionPlaygroundElement) => string} act  returns what it did
 */
function act(control, act) {
  const widget = widgetOf(control);
  if (!widget) return;
  control.dataset.applied = act(widget);
  document.body.dataset.actions = String(Number(document.body.dataset.actions ?? 0) + 1);
}

/** Wires every prose control of the page. */
function wireControls() {
  for (const button of document.querySelectorAll('button[data-widget]')) {
    if (!(button instanceof HTMLButtonElement)) continue;
    button.addEventListener('click', () => act(button, (widget) => {
      const command = button.dataset.command;
      if (command === 'play' || command === 'pause' || command === 'reset') {
        widget[command]();
        return command;
      }
      const settings = settingsOf(button.dataset.set ?? '');
      widget.set(settings);
      return new URLSearchParams(settings).toString();
    }));
  }
  for (const slider of document.querySelectorAll('input[type="range"][data-widget]')) {
    if (!(slider instanceof HTMLInputElement)) continue;
    const setting = slider.dataset.setting ?? 't';
    const output = slider.parentElement?.querySelector(`output[for="${slider.id}"]`);
    slider.addEventListener('input', () => act(slider, (widget) => {
      widget.set({ [setting]: Number(slider.value) });
      if (output) output.textContent = slider.value;
      return `${setting}=${slider.value}`;
    }));
  }
  const steps = [...document.querySelectorAll('.scroll-step[data-widget]')].filter((s) => s instanceof HTMLElement);
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const step = /** @type {HTMLElement} */ (entry.target);
      step.classList.toggle('scroll-step--current', entry.isIntersecting);
      if (!entry.isIntersecting) continue;
      act(step, (widget) => {
        widget.set(settingsOf(step.dataset.set ?? ''));
        step.dataset.times = String(Number(step.dataset.times ?? 0) + 1);
        return step.dataset.set ?? '';
      });
    }
  }, { rootMargin: SCROLL_STEP_BAND });
  for (const step of steps) observer.observe(step);
}

/**
 * The tag that embeds `widget` elsewhere, with its attributes, after the script that defines it.
 * @param {Element} widget
 */
export function embedSnippet(widget) {
  const script = new URL('../js/element.js', import.meta.url).href;
  const attributes = [...widget.attributes]
    .filter(({ name }) => !NOT_SETTINGS.has(name))
    .map(({ name, value }) => ` ${name}="${value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`)
    .join('');
  return `<script type="module" src="${script}"></script>\n<diffusion-playground${attributes}></diffusion-playground>`;
}

/** Gives each figure its embed snippet, in a closed disclosure under its caption. */
function addEmbedSnippets() {
  for (const figure of document.querySelectorAll('figure.live')) {
    const widget = figure.querySelector('diffusion-playground');
    if (!widget) continue;
    const details = document.createElement('details');
    details.className = 'embed';
    const summary = document.createElement('summary');
    summary.textContent = 'Embed this figure';
    const code = document.createElement('textarea');
    code.readOnly = true;
    code.rows = 3;
    code.value = embedSnippet(widget);
    code.setAttribute('aria-label', `HTML that embeds this figure (${widget.id})`);
    details.append(summary, code);
    figure.append(details);
  }
}

wireControls();
addEmbedSnippets();
document.body.dataset.lesson = 'wired';
