// @ts-check
// view-race.js: the sampler race (when open; it runs when opened and on Run): the ticked samplers
// from the same prior noise at every budget of network evaluations, charted as they finish. A
// newer race cancels an older one.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { toOptions } from './state.js';
import { RACE_BUDGETS, drawRaceChart, drawSnapshots, runRace } from './race.js';

/** Races started so far (a newer race cancels an older one) and races finished. */
let started = 0;
let finished = 0;

/** Sampler races finished so far (tests wait for it to grow). */
export function racesFinished() {
  return finished;
}

/** Runs the sampler race for the current settings (cancelling one under way). */
export function startRace() {
  const racers = ui.chosenRacers();
  if (racers.length === 0) {
    ui.setRaceStatus('Tick at least one sampler.');
    return;
  }
  const generation = (started += 1);
  const { state } = page;
  const options = toOptions(state);
  const seed = state.seed;
  ui.setRaceStatus('Running…');
  const draw = (results) => {
    drawRaceChart(ui.panelCanvas('race'), results);
    drawSnapshots(ui.raceSnapshots(), results);
  };
  runRace(page.wasm, options, racers, draw, () => generation !== started || !page.state.race).then(
    (results) => {
      if (!results) return;
      finished += 1;
      ui.setRaceStatus(
        `${racers.length} samplers × ${RACE_BUDGETS.length} budgets, 1,024 particles each, from the same noise (seed ${seed}).`,
      );
    },
    (error) => ui.setRaceStatus(`The race failed: ${messageOf(error)}`),
  );
}

/** @type {import('./views.js').View} */
export const raceView = {
  name: 'race',
  update() {
    if (page.state.race && page.pg && !page.creating) startRace();
  },
};
