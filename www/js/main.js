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
// The modules: page.js (what they share), store.js (the state's changes), record.js (changes a
// feature applied itself), state.js and page-fields.js (the state table), address-bar.js (the
// link written back), host.js (creation, device loss, path timing, embedded visibility),
// noising.js (the data noised to t), frame-loop.js (the animation), views.js (the
// registry of views: view-*.js), actions.js (what the controls do), drawing-feature.js and
// training.js (your own data), export-feature.js (share, embed, PNG, video), embed-bridge.js (the
// element's API), controls.js (the DOM), test-hooks.js (`window.dp`), errors.js, wasm-module.js
// (the build loaded), first-state.js (the link the page opens with), panel-reactions.js (panels,
// their buttons and clicks on the picture).

import * as ui from './controls.js';
import { AUTOSIZE, EMBEDDED, page } from './page.js';
import { fail, messageOf, reportUnexpectedErrors } from './errors.js';
import { useDescription } from './state.js';
import { useLinkRules } from './link-rules.js';
import { redraw, requestFrame } from './frame-loop.js';
import { handleRunFailure, moveOntoFullModule, pauseWhileOffscreen, start, watchTheDevice } from './host.js';
import { onHashChange } from './store.js';
import { writeHashSoon } from './address-bar.js';
import { handlers, runCommand } from './actions.js';
import { loadDataFile, setUpDrawing } from './drawing-feature.js';
import { startDistillation, startReflow, startTraining, useTrainingLimits } from './training.js';
import { on } from './events.js';
import { setUpNetworkFiles } from './network-file.js';
import { connectToEmbedder } from './embed-bridge.js';
import { installTestHooks } from './test-hooks.js';
import { firstModule, loadModule } from './wasm-module.js';
import { onWorkerFailure } from './cpu-workers.js';
import { firstState } from './first-state.js';
import { keepForOffline, sayWhenOffline } from './offline.js';
import { likelihoodRun, panelToggled, pictureClicked, raceRun, settingsChanged } from './panel-reactions.js';

installTestHooks();
reportUnexpectedErrors();
// What lower modules tell (events.js), and who answers.
on('run-failed', handleRunFailure);
on('frame-wanted', requestFrame);
on('recreate', (state) => {
  start(state).catch((error) => fail(`The playground could not restart: ${messageOf(error)}`));
});
// A change of the state (store.js: applied, or recorded after a feature applied it): the
// controls show it, the picture is drawn again, the address bar follows, and the panels that
// measure something measure again.
on('changed', () => ui.setValues(page.state));
on('changed', () => redraw());
on('changed', () => writeHashSoon());
on('changed', settingsChanged);

async function main() {
  if (EMBEDDED) document.body.classList.add('embed');
  if (AUTOSIZE) document.body.classList.add('autosize');
  ui.setPlaying(false);
  ui.setEnabled(false);
  ui.setOverlay('Loading the WebAssembly module…');
  try {
    ({ wasm: page.wasm, build: page.wasmBuild, kind: page.module, compiled: page.compiled } = await loadModule(firstModule()));
  } catch (error) {
    fail(
      `The WebAssembly module could not be loaded (${messageOf(error)}). ` +
        'If you are serving a checkout, build it first with: cargo xtask build-wasm',
    );
    return;
  }
  // The wasm owns the options and the lists of datasets, samplers, ...: the table needs them to parse.
  page.description = page.wasm.describe();
  useDescription(page.description);
  useTrainingLimits(page.description.drawing);
  useLinkRules(page.wasm);

  ui.build();
  ui.onRaceRun(raceRun);
  ui.onLikelihoodRun(likelihoodRun);
  ui.onPictureClick(pictureClicked);
  page.state = firstState();
  if (EMBEDDED) {
    pauseWhileOffscreen();
    page.embedder = connectToEmbedder({ onCommand: runCommand, reportSize: AUTOSIZE });
  }
  ui.setValues(page.state);
  ui.bind(handlers);
  const showDrawing = setUpDrawing(startTraining);
  document.getElementById('draw-reflow')?.addEventListener('click', startReflow);
  document.getElementById('draw-distill')?.addEventListener('click', startDistillation);
  setUpNetworkFiles(loadDataFile);
  showDrawing(page.state.draw);
  ui.onPanelToggle((name, open) => panelToggled(name, open, showDrawing));
  ui.onResize(() => {
    if (page.pg && !page.creating && ui.sizeCanvas()) redraw();
  });
  onWorkerFailure((message) => ui.notice(`${message}; the CPU path steps on the page's own thread from now on.`, 'warn'));
  window.addEventListener('hashchange', onHashChange);
  watchTheDevice();
  /** @type {HTMLElement | null} */
  let offline = null;
  sayWhenOffline((text) => { offline = ui.notice(text, 'info'); }, () => { offline?.remove(); offline = null; });
  // A link's drawing, network or race needs the full module before its first frame.
  const { drawn, net, race } = page.state;
  if (page.module !== 'full' && (drawn || net || race)) await moveOntoFullModule(false);
  await start({ ...page.state });
  // The first frame is up: now the rest of the playground (the views, training, export, files).
  if (page.module !== 'full') await moveOntoFullModule(true);
  // After the first frame, so the copy for offline use does not compete with it.
  keepForOffline().catch((error) => console.warn(`The page is not kept for offline use: ${messageOf(error)}`));
}

main().catch((error) => fail(`Diffusion Playground failed to start: ${messageOf(error)}`));
