// @ts-check
// main.js: wires the page together; every job lives in a module of its own.
//
// Start-up: load the wasm and take its lists of choices (datasets, samplers, ...), parse the hash
// (bad fields fall back to their defaults, with a notice), create the Playground on a canvas
// sized for the device pixel ratio (host.js: with a ladder of safer settings when creation
// fails), and start the animation loop (frame-loop.js). It never leaves a blank page without a
// reason.
//
// The modules import each other one way only; where a lower one must make a higher one act, it
// emits an event (events.js) that this module subscribes the answer to.
//
// The modules: page.js (what they share), store.js (the state's changes), address-bar.js (the
// link written back), host.js (creation, device loss, path timing, embedded visibility),
// noising.js (the data noised to t), frame-loop.js (the animation), views.js (the
// registry of views: view-*.js), actions.js (what the controls do), drawing-feature.js and
// training.js (your own data), export-feature.js (share, embed, PNG, video), embed-bridge.js (the
// element's API), controls.js (the DOM), test-hooks.js (`window.dp`), errors.js.

import * as ui from './controls.js';
import { AUTOSIZE, EMBEDDED, page } from './page.js';
import { fail, messageOf, reportUnexpectedErrors } from './errors.js';
import { FIELD, useDescription } from './state.js';
import { parseHash } from './link.js';
import { redraw, requestFrame } from './frame-loop.js';
import { handleRunFailure, pauseWhileOffscreen, start, watchTheDevice } from './host.js';
import { onHashChange } from './store.js';
import { writeHashSoon } from './address-bar.js';
import { viewOfPanel } from './views.js';
import { startRace } from './view-race.js';
import { likelihoodAt, startLikelihood } from './view-likelihood.js';
import { handlers, runCommand } from './actions.js';
import { setUpDrawing } from './drawing-feature.js';
import { startTraining } from './training.js';
import { on } from './events.js';
import { setUpNetworkFiles } from './network-file.js';
import { observationAt } from './measurement.js';
import { connectToEmbedder } from './embed-bridge.js';
import { installTestHooks } from './test-hooks.js';
import { chosenBuild, compileModule, glueUrl } from './wasm-module.js';
import { onWorkerFailure } from './cpu-workers.js';

/** Fields whose change runs the race on screen again, and the likelihood panel's measurement. */
const RACE_SETTINGS = ['racers', 'race_eta'];
const LIKELIHOOD_SETTINGS = ['likelihood_solver', 'likelihood_grid', 'likelihood_steps', 'likelihood_points'];


installTestHooks();
reportUnexpectedErrors();
// What lower modules tell (events.js), and who answers.
on('run-failed', handleRunFailure);
on('frame-wanted', requestFrame);
on('recreate', (state) => {
  start(state).catch((error) => fail(`The playground could not restart: ${messageOf(error)}`));
});

async function main() {
  if (EMBEDDED) document.body.classList.add('embed');
  if (AUTOSIZE) document.body.classList.add('autosize');
  ui.setPlaying(false);
  ui.setEnabled(false);
  ui.setOverlay('Loading the WebAssembly module…');
  try {
    page.wasmBuild = chosenBuild();
    const glue = glueUrl(page.wasmBuild);
    page.wasm = await import(glue);
    const module = await compileModule(page.wasmBuild);
    await page.wasm.default({ module_or_path: module });
    page.compiled = { module, glue };
  } catch (error) {
    fail(
      `The WebAssembly module could not be loaded (${messageOf(error)}). ` +
        'If you are serving a checkout, build it first with: cargo xtask build-wasm',
    );
    return;
  }
  // The wasm owns the lists of datasets, schedules, samplers, ...: the table needs them to parse.
  page.description = page.wasm.describe();
  useDescription(page.description);

  ui.build();
  ui.onRaceRun(() => {
    if (page.pg && !page.creating) startRace();
  });
  ui.onLikelihoodRun(() => startLikelihood());
  // The race on screen always has the ticked samplers and their settings: it runs again when
  // they change; so does the likelihood panel with its settings.
  on('changed', (fields) => {
    if (page.state.race && fields.some((f) => RACE_SETTINGS.includes(f))) startRace();
    if (page.state.likelihood && fields.some((f) => LIKELIHOOD_SETTINGS.includes(f))) startLikelihood();
  });
  ui.onPictureClick((x, y) => {
    likelihoodAt(x, y);
    // Conditioning on a measurement: a click measures the point clicked, y = A p.
    const observation = page.state.posterior === 'none' ? null : observationAt(page.state.observe, x, y);
    if (observation !== null) handlers.change('observation', observation);
  });
  const parsed = parseHash(location.hash);
  for (const text of parsed.notices) ui.notice(text, 'warn');
  page.state = parsed.state;
  if (!parsed.given.has('playing') && page.state.playing && matchMedia('(prefers-reduced-motion: reduce)').matches) {
    page.state.playing = false;
    ui.notice('Paused at the start because your system asks for reduced motion: press Play to run.', 'info');
  }
  if (EMBEDDED) {
    pauseWhileOffscreen();
    page.embedder = connectToEmbedder({ onCommand: runCommand, reportSize: AUTOSIZE });
  }
  ui.setValues(page.state);
  ui.bind(handlers);
  const showDrawing = setUpDrawing(startTraining);
  setUpNetworkFiles();
  showDrawing(page.state.draw);
  ui.onPanelToggle((name, open) => {
    if (name === 'draw') showDrawing(open);
    if (open === page.state[name]) return;
    page.state[name] = open;
    writeHashSoon();
    if (page.pg && !page.creating && open) {
      try {
        viewOfPanel(name)?.update();
      } catch (error) {
        ui.notice(`The ${FIELD[name].label.toLowerCase()} could not be drawn: ${messageOf(error)}`, 'error');
      }
    }
  });
  ui.onResize(() => {
    if (page.pg && !page.creating && ui.sizeCanvas()) redraw();
  });
  onWorkerFailure((message) => ui.notice(`${message}; the CPU path steps on the page's own thread from now on.`, 'warn'));
  window.addEventListener('hashchange', onHashChange);
  watchTheDevice();
  await start({ ...page.state });
}

main().catch((error) => fail(`Diffusion Playground failed to start: ${messageOf(error)}`));
