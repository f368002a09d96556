// @ts-check
// drawing-feature.js: "Draw your own data". Strokes on the picture become points
// (drawing.js), each of the class (stroke colour) picked when it was drawn; Use makes them the
// data with their exact score, Train teaches a network on them (training.js, handed in by
// main.js); drawings come from share links and go to JSON files.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { setPlaying } from './frame-loop.js';
import { record } from './record.js';
import { download } from './export.js';
import * as draw from './drawing.js';
import { MAX_WORD_LENGTH, isPicture, picturePixels, wordFont, wordPixels } from './picture-data.js';

/** @type {ReturnType<typeof draw.strokeRecorder> | null} The strokes of the drawing panel. */
let strokes = null;

/** The points drawn so far (a copy). */
export function drawnPoints() {
  return strokes ? [...strokes.points] : [];
}

/**
 * Says how the drawing or its training is going, under the panel's buttons.
 * @param {string} text
 */
export function drawStatus(text) {
  /** @type {HTMLElement} */ (document.getElementById('draw-status')).textContent = text;
}

/**
 * Makes `points` the data: with a trained network when `useNetwork(pg)` installs one, else with
 * the exact score (the learned score needs a network trained on the drawing, so `mlp` switches
 * to `exact`). A guided run stays guided, toward the drawing's class the wasm settled on.
 * @param {number[][]} points
 * @param {((pg: import('./page.js').Playground) => void) | null} useNetwork
 * @returns {boolean} whether it worked
 */
export function applyDrawing(points, useNetwork = null) {
  const { pg, state } = page;
  if (!pg || page.creating) return false;
  const score = !useNetwork && state.score === 'mlp' ? 'exact' : state.score;
  try {
    if (useNetwork) {
      useNetwork(pg);
    } else {
      if (score !== state.score) pg.set_options({ score });
      pg.use_drawing(draw.flatten(points), draw.labelsOf(points));
    }
  } catch (error) {
    ui.notice(`The drawing was not used: ${messageOf(error)}`, 'error');
    restoreScore(state.score);
    return false;
  }
  // The class now names one of the drawing's (src/app/session/mod.rs, use_labelled_drawing).
  const { class: settledClass, guidance } = pg.options();
  page.runStart = 1;
  page.pendingT = null;
  record({
    score,
    class: settledClass,
    guidance,
    drawn: draw.encodeDrawing(points),
    drawn_classes: draw.encodeStrokeClasses(points),
    t: 1,
  });
  return true;
}

/**
 * Puts the Playground's score back to `score` (the state's) after a refused drawing had
 * switched it.
 * @param {import('../pkg/diffusion_playground.js').ScoreChoice} score
 */
function restoreScore(score) {
  const { pg } = page;
  if (!pg || pg.options().score === score) return;
  try {
    pg.set_options({ score });
  } catch (error) {
    ui.notice(`The score could not be set back to ${score}: ${messageOf(error)}`, 'error');
  }
}

/**
 * Loads a data file (CSV or TSV, a NumPy .npy array, a drawing's JSON) as the data: read,
 * fitted into the picture and cut to a drawing's limit by the wasm (`load_data`), then shown in
 * the drawing panel and used as a drawing is, with its exact score. A file too big or that
 * cannot be read is refused with a notice naming the problem, and the current data stays.
 * @param {File} file
 */
export async function loadDataFile(file) {
  const pg = page.pg;
  if (!pg || page.creating) return;
  const limits = page.description.drawing;
  const { max_data_file_bytes: limit, max_points: maxPoints } = limits;
  /** @type {import('../pkg/diffusion_playground.js').LoadedData} */
  let data;
  try {
    if (isPicture(file)) {
      const { pixels, width, height } = await picturePixels(file, limits);
      if (page.pg !== pg) return;
      data = page.wasm.picture_data(pixels, width, height, file.name);
    } else {
      if (file.size > limit) {
        throw new Error(`it is ${(file.size / 1e6).toFixed(1)} MB, and data files of at most ${limit / 2 ** 20} MB are read (a drawing keeps ${maxPoints} points: sample it down first)`);
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (page.pg !== pg) return;
      data = page.wasm.load_data(bytes, file.name);
    }
  } catch (error) {
    ui.notice(`${file.name} was not loaded: ${messageOf(error)}. The current data stays.`, 'error');
    return;
  }
  useData(data, file.name);
}

/**
 * Sets the word `text` in the font family `family` (the page's sans-serif when empty, or when
 * that font is not installed, with a notice saying so) and uses its ink as the data (the wasm's
 * `picture_data`); an empty or overlong word is refused with a notice.
 * @param {string} text
 * @param {string} [family]
 */
export function useWord(text, family = '') {
  if (!page.pg || page.creating) return;
  const word = text.trim();
  if (word === '' || word.length > MAX_WORD_LENGTH) {
    ui.notice(`A word of 1 to ${MAX_WORD_LENGTH} characters is set as data (${word.length} given).`, 'error');
    return;
  }
  const { font, available } = wordFont(family);
  if (!available) {
    ui.notice(`The font "${family.trim()}" is not installed here; the word is set in the page's sans-serif.`, 'info');
  }
  const { pixels, width, height } = wordPixels(word, font, page.description.drawing.max_picture_side);
  let data;
  try {
    data = page.wasm.picture_data(pixels, width, height, `"${word}"`);
  } catch (error) {
    ui.notice(`The word was not used: ${messageOf(error)}. The current data stays.`, 'error');
    return;
  }
  useData(data, `"${word}"`);
}

/**
 * Makes the points the wasm read (from a file, a picture or a word) the data, as a drawing.
 * @param {import('../pkg/diffusion_playground.js').LoadedData} data
 * @param {string} name
 */
function useData(data, name) {
  const points = data.labels.map((label, i) => [data.points[2 * i], data.points[2 * i + 1], label]);
  if (!applyDrawing(points)) return;
  strokes?.set(points);
  for (const text of data.notices) ui.notice(text, 'info');
  drawStatus(`${name}: ${points.length} points (${data.format}) are the data, with their exact score; Train teaches a network on them.`);
  setPlaying(true);
}

/**
 * Uses the drawing of the link (`drawn=`): its exact score, since a link carries no network. A
 * drawing that cannot be used leaves the score as it was and leaves the link.
 */
export function useLinkDrawing() {
  const { state } = page;
  const read = draw.decodeDrawing(state.drawn);
  const decoded = read.ok ? draw.withStrokeClasses(read.points, state.drawn_classes) : read;
  const hadNetwork = state.score === 'mlp';
  if (!decoded.ok) {
    ui.notice(`The drawing in the link was not used: ${decoded.problem}.`, 'error');
  } else if (applyDrawing(decoded.points)) {
    strokes?.set(decoded.points);
    if (hadNetwork && !state.net) {
      ui.notice('A link carries the drawing but not a network trained on it: showing its exact score; press Train in "Draw your own data" to learn one.', 'info');
    }
    return;
  }
  record({ drawn: '', drawn_classes: '' });
}

/**
 * Guides the run of a link's drawing as the link says (`condition`: its guidance and class),
 * once the drawing (and its network) are in use: the wasm checks the class against the
 * drawing's. A class the drawing cannot be guided toward is reported; the run stays unguided.
 * @param {{ guidance: import('../pkg/diffusion_playground.js').GuidanceChoice, class: string }} condition
 */
export function useLinkCondition(condition) {
  const { pg, state } = page;
  if (!pg || condition.guidance === 'none' || (state.guidance === condition.guidance && state.class === condition.class)) return;
  try {
    pg.set_options(condition);
    record(condition);
  } catch (error) {
    ui.notice(`The link's guidance was not used: ${messageOf(error)}`, 'error');
    record({ guidance: 'none', class: '' });
  }
}

/**
 * Wires the drawing panel: draw mode, clear, use, train (`train`, given the points drawn:
 * training.js, which uses this module), JSON export and import.
 * @param {(points: number[][]) => void} train
 * @returns {(open: boolean) => void} shows or hides the drawing surface with the panel
 */
export function setUpDrawing(train) {
  const surface = /** @type {HTMLCanvasElement} */ (document.getElementById('draw-surface'));
  const recorder = draw.strokeRecorder(surface, (points) => {
    draw.drawStrokes(surface, points);
    drawStatus(`${points.length} point${points.length === 1 ? '' : 's'} drawn${points.length >= draw.drawingLimits().maxPoints ? ' (the most a drawing holds)' : ''}.`);
  });
  strokes = recorder;
  const swatches = document.querySelectorAll('#draw-classes .swatch');
  swatches.forEach((swatch, c) => { /** @type {HTMLElement} */ (swatch).style.background = draw.STROKE_COLOURS[c]; });
  const mode = /** @type {HTMLElement} */ (document.getElementById('draw-mode'));
  const setMode = (/** @type {boolean} */ on) => {
    mode.setAttribute('aria-pressed', String(on));
    surface.classList.toggle('drawing', on);
    if (on) {
      setPlaying(false);
      // The panel sits below the picture: bring the picture into view to draw on it.
      surface.scrollIntoView({ block: 'nearest', behavior: 'instant' });
    }
  };
  // Pick a colour, then draw: picking one starts drawing in it, with the picture in view.
  for (const radio of document.querySelectorAll('input[name="draw-class"]')) {
    radio.addEventListener('change', (event) => {
      recorder.setClass(Number(/** @type {HTMLInputElement} */ (event.target).value));
      setMode(true);
    });
  }
  const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  mode.addEventListener('click', () => setMode(mode.getAttribute('aria-pressed') !== 'true'));
  byId('draw-clear').addEventListener('click', () => recorder.clear());
  byId('draw-use').addEventListener('click', () => {
    if (recorder.points.length === 0) drawStatus('Draw something first.');
    else if (applyDrawing([...recorder.points])) setPlaying(true);
  });
  byId('draw-train').addEventListener('click', () => train(drawnPoints()));
  const json = /** @type {HTMLTextAreaElement} */ (byId('draw-json'));
  byId('draw-export').addEventListener('click', () => {
    json.value = draw.drawingToJson(recorder.points);
    download(new Blob([json.value], { type: 'application/json' }), 'drawing.json');
  });
  const importText = (/** @type {string} */ text) => {
    const parsed = draw.drawingFromJson(text);
    if (!parsed.ok) {
      ui.notice(`That drawing was not imported: ${parsed.problem}.`, 'error');
      return;
    }
    recorder.set(parsed.points);
    applyDrawing(parsed.points);
  };
  byId('draw-import').addEventListener('click', () => importText(json.value));
  byId('data-word-use').addEventListener('click', () =>
    useWord(/** @type {HTMLInputElement} */ (byId('data-word')).value, /** @type {HTMLInputElement} */ (byId('data-word-font')).value));
  byId('data-file').addEventListener('change', (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    const file = input.files?.[0];
    input.value = '';
    if (file) loadDataFile(file);
  });
  byId('draw-file').addEventListener('change', async (event) => {
    const file = /** @type {HTMLInputElement} */ (event.target).files?.[0];
    if (file) importText(await file.text());
  });
  return (open) => {
    surface.hidden = !open;
    if (!open) setMode(false);
    else draw.drawStrokes(surface, recorder.points);
  };
}
