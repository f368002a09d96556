// @ts-check
// view-race.js: the sampler race (when open; it runs when opened and on Run): the ticked samplers
// from the same prior noise at every budget of network evaluations, charted as they finish. A
// newer race cancels an older one.

import * as ui from './controls.js';
import { page, running } from './page.js';
import { messageOf } from './errors.js';
import { RACE_BUDGETS, SNAPSHOT_BUDGET, TEACHER_RACES, besideTheTeacher, drawRaceChart, drawSnapshots, racerSettings, runRace } from './race.js';

/** Races started so far (a newer race cancels an older one) and races finished. */
let started = 0;
let finished = 0;

/** @type {import('./race.js').Racer[] | null} The results of the last race finished. */
let lastResults = null;

/** Sampler races finished so far (tests wait for it to grow). */
export function racesFinished() {
  return finished;
}

/** The last finished race: per sampler, its name, label and laps ({ budget, distance, ... }). */
export function lastRace() {
  return lastResults;
}

/** `n` and `noun`, plural unless n is 1. @param {number} n @param {string} noun */
function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Runs the sampler race for the current settings (cancelling one under way). */
export function startRace() {
  // With a measurement the race compares the ways to condition on it (the posterior race), each
  // with Euler-Maruyama, against the exact posterior; otherwise the ticked samplers.
  const posteriorRace = page.state.posterior !== 'none';
  const chosen = posteriorRace
    ? page.description.posteriors.map((/** @type {{ name: string, label: string }} */ p) => /** @type {[string, string]} */ ([p.name, p.label]))
    : ui.chosenRacers();
  if (chosen.length === 0) {
    ui.setRaceStatus('Tick at least one sampler.');
    return;
  }
  const generation = (started += 1);
  const { state } = page;
  // The laps race on what the playground samples; a change of it (or a new playground) stops
  // the race.
  const owner = running();
  // After a reflow or a distillation here, every sampler also races on the teacher, from the same noise.
  const teacherRace = !posteriorRace && state.score === 'mlp' ? TEACHER_RACES[owner.teacher_coupling() ?? ''] : undefined;
  /** @type {import('./race.js').RacerSpec[]} */
  const racers = teacherRace ? besideTheTeacher(chosen, teacherRace) : chosen;
  const snapshotBudget = teacherRace ? teacherRace.snapshotBudget : SNAPSHOT_BUDGET;
  const revision = owner.revision;
  const seed = state.seed;
  ui.setRaceStatus('Running…');
  const draw = (/** @type {import('./race.js').Racer[]} */ results) => {
    drawRaceChart(ui.panelCanvas('race'), results);
    drawSnapshots(ui.raceSnapshots(), results, (racer) => {
      const evaluations = Uint32Array.from(racer.laps, (l) => l.evaluations);
      const distances = Float64Array.from(racer.laps, (l) => l.distance);
      return page.wasm.evaluations_to_floor(evaluations, distances, racer.laps[0].floor);
    }, snapshotBudget);
  };
  const cancelled = () => generation !== started || !page.state.race || page.pg !== owner || owner.revision !== revision;
  const described = new Map(page.description.samplers.map((/** @type {{ name: string }} */ s) => [s.name, s]));
  const raceEta = state.race_eta;
  const knobsOf = (/** @type {string} */ name) => (posteriorRace
    ? { sampler: 'euler_maruyama', eta: 1, posterior: name }
    : racerSettings(described.get(name) ?? { name }, raceEta));
  runRace(owner, racers, knobsOf, draw, cancelled).then(
    (results) => {
      if (!results) {
        if (generation === started && page.state.race) ui.setRaceStatus('The settings changed during the race: press Run to race again.');
        return;
      }
      finished += 1;
      lastResults = results;
      const satOut = results.filter((r) => r.satOut).map((r) => `${r.label} sat out (${r.satOut})`);
      const sitting = satOut.length ? ` ${satOut.join('; ')}.` : '';
      ui.setRaceStatus(posteriorRace
        ? `The posterior race: ${racers.length} ways to condition on y = ${state.observation} (none: the prior) × ${RACE_BUDGETS.length} budgets, Euler-Maruyama, 1,024 particles each from the same noise (seed ${seed}), against the exact posterior p(x₀ | y).${sitting}`
        : teacherRace
          ? `${plural(chosen.length, 'sampler')} ${teacherRace.status} × ${RACE_BUDGETS.length} budgets, 1,024 particles each, from the same noise (seed ${seed}); the pictures show ${plural(snapshotBudget, 'evaluation')}.${sitting}`
          : `${racers.length} samplers × ${RACE_BUDGETS.length} budgets, 1,024 particles each, from the same noise (seed ${seed}).${sitting}`);
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
