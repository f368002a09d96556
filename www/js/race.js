// @ts-check
// race.js: the sampler race. Chosen samplers carry the same prior noise (same seed, same noise
// draws) to the data with the same budgets of network evaluations (NFE), on the CPU between
// frames; the chart shows each one's sliced Wasserstein distance to fresh data against the NFE
// (both axes logarithmic), with the data-vs-data floor dashed, and small pictures show where
// each sampler's particles are at one budget. The laps come from the playground's `race_lap`, which
// races on what it samples (the dataset or drawing, its score or network).

import { sizeToBox } from './canvas-size.js';

/** Budgets of network evaluations (one: the one-step quality a straight flow is trained for). */
export const RACE_BUDGETS = [1, 2, 4, 8, 16, 32, 64];
/** The budget of the small pictures. */
export const SNAPSHOT_BUDGET = 8;
/**
 * A race of a network beside the teacher it was trained from here, by how it was trained (the
 * playground's `teacher_coupling`): the labels of the two sides, the budget of the small pictures
 * (what a reflow or a distillation buys is few-step quality: Liu et al. 2022, Table 1; Song et
 * al. 2023, Fig. 5) and the status's words.
 * @type {Record<string, { student: string, teacher: string, snapshotBudget: number, status: string }>}
 */
export const TEACHER_RACES = {
  reflow: { student: 'after reflow', teacher: 'before reflow', snapshotBudget: 2, status: 'on the reflowed flow (solid) and on the flow before the reflow (dashed)' },
  consistency: { student: 'one-step student', teacher: 'its teacher', snapshotBudget: 1, status: 'on the distilled one-step generator (solid) and on the flow it was distilled from (dashed)' },
};
/** Particles per lap. */
const RACE_PARTICLES = 1024;
/** The solver order DEIS and UniPC race at (their highest, the options' default). */
const RACE_ORDER = 3;

/** Okabe-Ito colours (distinguishable with colour-vision deficiencies), one per sampler. */
const COLOURS = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7'];
/** Hue step of the colours after the Okabe-Ito seven (the golden angle spreads any number of them). */
const GOLDEN_ANGLE_DEG = 137.508;

/**
 * The colour of the k-th racer: the Okabe-Ito colours first, then as many more as there are
 * samplers, hues a golden angle apart (so a sampler added later needs no edit here).
 * @param {number} k
 */
export function racerColour(k) {
  if (k < COLOURS.length) return COLOURS[k];
  return `hsl(${((k - COLOURS.length) * GOLDEN_ANGLE_DEG + 20) % 360} 70% 58%)`;
}
/** World units from the centre to the edge of a small picture. */
const SNAPSHOT_HALF_EXTENT = 3;

/** The wasm module (its declarations: www/pkg/diffusion_playground.d.ts). @typedef {import('../pkg/diffusion_playground.js')} Wasm */

/**
 * One lap: the budget asked for, and what the wasm's `race_lap` returns for it (its steps and
 * evaluations, the distance to fresh data, the final particles as interleaved x, y, and the
 * data-vs-data floor).
 * @typedef {{ budget: number } & import('../pkg/diffusion_playground.js').RaceLap} Lap
 */

/**
 * One sampler in the race and its laps so far: `onTeacher` when it runs on the flow the
 * drawing's network was reflowed or distilled from (drawn dashed, in its twin's colour), `satOut`
 * the reason when the playground refused it (a sampler that draws noise on a network with no score).
 * @typedef {{ name: string, label: string, colour: string, laps: Lap[], onTeacher: boolean, satOut?: string }} Racer
 */
/** A racer to run: its sampler's name, its label and whether it runs on the teacher. @typedef {[string, string, boolean?]} RacerSpec */

/**
 * The knobs a sampler races with, whatever the main settings (whose controls may be hidden):
 * every sampler that reads eta races with eta = 1 (Euler-Maruyama as the reverse SDE, the
 * ancestral samplers as their libraries run them), except DDIM, which takes the race's own eta
 * (`ddimEta`: 0 deterministic, 1 DDPM ancestral, which races under its own name); a sampler that
 * reads churn races without it, one that reads s_noise with 1 (the method itself), and DEIS and
 * UniPC race at order 3.
 * @param {{ name: string, uses_eta?: boolean, uses_churn?: boolean, uses_s_noise?: boolean, uses_order?: boolean }} sampler  its entry of describe()
 * @param {number} ddimEta
 * @returns {Record<string, number>}
 */
export function racerSettings(sampler, ddimEta) {
  /** @type {Record<string, number>} */
  const knobs = {};
  if (sampler.uses_eta) knobs.eta = sampler.name === 'ddim' ? ddimEta : 1;
  if (sampler.uses_churn) knobs.churn = 0;
  if (sampler.uses_s_noise) knobs.s_noise = 1;
  if (sampler.uses_order) knobs.order = RACE_ORDER;
  return knobs;
}

/**
 * The racers of a race beside the teacher: each of `racers` ([name, label] pairs) on the network
 * in use, then its twin on the teacher, labelled as `sides` says (an entry of TEACHER_RACES).
 * @param {Array<[string, string]>} racers
 * @param {{ student: string, teacher: string }} sides
 * @returns {RacerSpec[]}
 */
export function besideTheTeacher(racers, sides) {
  return [...racers.map(([name, label]) => /** @type {RacerSpec} */ ([name, `${label}, ${sides.student}`, false])),
    ...racers.map(([name, label]) => /** @type {RacerSpec} */ ([name, `${label}, ${sides.teacher}`, true]))];
}

/**
 * Runs the race on the playground `pg` with the samplers `racers` ([name, label, onTeacher]),
 * each with the knobs `knobsOf(name)` (see racerSettings), calling `onLap(results)` after every
 * lap so the chart fills in. A racer the playground refuses sits out (its `satOut` says why) and
 * the others race on. Resolves to the results, or to null when `isCancelled()` turns true
 * between laps.
 * @param {import('../pkg/diffusion_playground.js').Playground} pg
 * @param {RacerSpec[]} racers
 * @param {(sampler: string) => Record<string, number | string>} knobsOf
 * @param {(results: Racer[]) => void} onLap
 * @param {() => boolean} isCancelled
 * @returns {Promise<Racer[] | null>}
 */
export async function runRace(pg, racers, knobsOf, onLap, isCancelled) {
  const twins = racers.filter(([, , onTeacher]) => !onTeacher).length;
  /** @type {Racer[]} */
  const results = racers.map(([name, label, onTeacher], k) => ({
    name,
    label,
    // A racer on the teacher takes its twin's colour (it is drawn dashed).
    colour: racerColour(onTeacher ? k - twins : k),
    laps: [],
    onTeacher: Boolean(onTeacher),
  }));
  for (const racer of results) {
    for (const budget of RACE_BUDGETS) {
      // Yield to the page between laps: the animation and the controls stay responsive.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (isCancelled()) return null;
      // A racer's knobs may name its sampler (the posterior race names the method instead).
      const knobs = { sampler: racer.name, ...knobsOf(racer.name) };
      try {
        const lap = racer.onTeacher
          ? pg.race_lap_on_teacher(knobs, budget, RACE_PARTICLES)
          : pg.race_lap(knobs, budget, RACE_PARTICLES);
        racer.laps.push({ budget, ...lap });
      } catch (error) {
        racer.satOut = error instanceof Error ? error.message : String(error);
        racer.laps = [];
        break;
      }
      onLap(results);
    }
  }
  return results;
}

/**
 * Draws the distance-versus-NFE chart of `results` on `canvas`.
 * @param {HTMLCanvasElement} canvas
 * @param {Racer[]} results
 */
export function drawRaceChart(canvas, results) {
  const { ratio } = sizeToBox(canvas);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const muted = style.getPropertyValue('--muted').trim() || '#999';
  const laps = results.flatMap((r) => r.laps);
  if (laps.length === 0) return;
  const floor = laps[0].floor;
  const finite = laps.map((l) => l.distance).filter((d) => Number.isFinite(d) && d > 0);
  const yLo = Math.log10(Math.min(floor, ...finite) * 0.8);
  const yHi = Math.log10(Math.max(floor, ...finite) * 1.25);
  // A Heun run ends with a one-evaluation Euler step, so it can spend a little under its budget.
  const fewest = Math.min(RACE_BUDGETS[0], ...laps.map((l) => l.evaluations));
  const [xLo, xHi] = [Math.log2(fewest), Math.log2(RACE_BUDGETS[RACE_BUDGETS.length - 1])];
  const left = 48 * ratio;
  const right = width - 12 * ratio;
  const top = 12 * ratio;
  const bottom = height - 30 * ratio;
  const toX = (/** @type {number} */ nfe) => left + ((Math.log2(nfe) - xLo) / (xHi - xLo)) * (right - left);
  const toY = (/** @type {number} */ d) => bottom - ((Math.log10(d) - yLo) / (yHi - yLo)) * (bottom - top);
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.strokeStyle = style.getPropertyValue('--border').trim() || '#444';
  ctx.lineWidth = ratio;
  ctx.strokeRect(left, top, right - left, bottom - top);
  ctx.fillStyle = muted;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const nfe of fewest < RACE_BUDGETS[0] ? [fewest, ...RACE_BUDGETS] : RACE_BUDGETS) {
    ctx.fillText(String(nfe), toX(nfe), bottom + 3 * ratio);
  }
  ctx.fillText('network evaluations (NFE)', (left + right) / 2, bottom + 15 * ratio);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let e = Math.ceil(yLo); e <= Math.floor(yHi); e += 1) ctx.fillText(String(10 ** e), left - 4 * ratio, toY(10 ** e));
  ctx.save();
  ctx.translate(11 * ratio, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('SW₂ to data', 0, 0);
  ctx.restore();
  // The floor: two data samples of this size are this far apart.
  ctx.setLineDash([4 * ratio, 4 * ratio]);
  ctx.strokeStyle = muted;
  ctx.beginPath();
  ctx.moveTo(left, toY(floor));
  ctx.lineTo(right, toY(floor));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText('data vs data', left + 4 * ratio, toY(floor) - 2 * ratio);
  for (const racer of results) {
    ctx.strokeStyle = racer.colour;
    ctx.fillStyle = racer.colour;
    ctx.lineWidth = 2 * ratio;
    ctx.setLineDash(racer.onTeacher ? [6 * ratio, 4 * ratio] : []);
    ctx.beginPath();
    racer.laps.forEach((lap, i) => {
      const [x, y] = [toX(lap.evaluations || lap.budget), toY(Math.max(lap.distance, 10 ** yLo))];
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.setLineDash([]);
    for (const lap of racer.laps) {
      ctx.beginPath();
      ctx.arc(toX(lap.evaluations || lap.budget), toY(Math.max(lap.distance, 10 ** yLo)), 3 * ratio, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

/**
 * Fills `container` with one small picture per racer that runs: its particles at `budget`
 * evaluations, labelled with the sampler, its distance, the straightness of its paths (a racer
 * that draws no noise) and, once all its laps are in, the evaluations it needs to reach the
 * floor (`toFloor`, the wasm's `evaluations_to_floor`).
 * @param {HTMLElement} container
 * @param {Racer[]} results
 * @param {(racer: Racer) => number | undefined} toFloor
 * @param {number} budget
 */
export function drawSnapshots(container, results, toFloor, budget) {
  container.replaceChildren(
    ...results.filter((racer) => !racer.satOut).map((racer) => {
      const figure = document.createElement('figure');
      const canvas = document.createElement('canvas');
      const caption = document.createElement('figcaption');
      const lap = racer.laps.find((l) => l.budget === budget);
      const straightness = lap?.straightness == null ? '' : `, S ${lap.straightness.toPrecision(2)}`;
      const reached = racer.laps.length < RACE_BUDGETS.length ? undefined : toFloor(racer);
      const floor = racer.laps.length < RACE_BUDGETS.length
        ? ''
        : reached === undefined ? `; not at the floor by ${RACE_BUDGETS[RACE_BUDGETS.length - 1]} NFE` : `; at the floor from ${reached} NFE`;
      caption.textContent = lap
        ? `${racer.label}: ${lap.evaluations} NFE, SW₂ ${lap.distance.toFixed(3)}${straightness}${floor}`
        : `${racer.label}: running…`;
      caption.style.color = racer.colour;
      figure.append(canvas, caption);
      figure.className = 'race-snapshot';
      if (lap) {
        requestAnimationFrame(() => {
          const { ratio } = sizeToBox(canvas);
          const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
          ctx.fillStyle = '#0b0d14';
          ctx.fillRect(0, 0, canvas.width, canvas.height);
          ctx.fillStyle = racer.colour;
          const scale = (0.5 * Math.min(canvas.width, canvas.height)) / SNAPSHOT_HALF_EXTENT;
          for (let i = 0; i < lap.particles.length; i += 2) {
            const u = 0.5 * canvas.width + scale * lap.particles[i];
            const v = 0.5 * canvas.height - scale * lap.particles[i + 1];
            ctx.fillRect(u - ratio, v - ratio, 2 * ratio, 2 * ratio);
          }
        });
      }
      return figure;
    }),
  );
}
