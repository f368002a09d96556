// The teaching views: the schedule lab, the 1-D space-time view (docs/theory.md), the distance
// readout and the predictions behind the ghost and arrow layers.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

const LIGHT = 'backend=cpu&particles=1024&steps=40';

/** Pixels of a 2-D canvas that differ from transparent black, as a fraction of all pixels. */
function inkOf(page, selector) {
  return page.$eval(selector, (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] + data[i + 1] + data[i + 2] > 60) ink += 1;
    return ink / (canvas.width * canvas.height);
  });
}

describe('teaching views', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the schedule lab opens from the link, draws its curves, and its toggle reaches the link', async () => {
    const session = await openPlayground(browser, `${LIGHT}&lab=1&schedule=edm&time_grid=karras&playing=0`);
    try {
      await waitReady(session.page);
      assert.equal(await session.page.$eval('#lab', (d) => d.open), true);
      assert.ok((await inkOf(session.page, '#lab-canvas')) > 0.005, 'the curves are drawn');
      const curves = await session.page.evaluate(() => window.dp.playground.schedule_curves(50));
      assert.equal(curves.t.length, 50, 'the samples asked for');
      assert.equal(curves.grid_t.length, 41, "the playground's steps + 1 grid times");
      assert.ok(curves.log_snr.every((v, i) => i === 0 || v < curves.log_snr[i - 1]), 'log-SNR decreases');
      const error = await session.page.evaluate(() => {
        try {
          window.dp.playground.schedule_curves(1);
          return null;
        } catch (e) {
          return e.message;
        }
      });
      assert.match(error, /invalid option 'samples': 1 is not allowed \(allowed: an integer from 2 to 4096\)/);
      await session.page.click('#lab summary');
      await session.page.waitForFunction(() => /lab=0/.test(location.hash), null, { timeout: 5000 });
    } finally {
      await session.close();
    }
  });

  test("the space-time view draws the 1-D picture: the density and 16 paths of each process", async () => {
    const session = await openPlayground(browser, `${LIGHT}&spacetime=1&dataset=two_normals_1d&score=exact&playing=0`);
    try {
      await waitReady(session.page);
      assert.ok((await inkOf(session.page, '#spacetime-canvas')) > 0.5, 'the heatmap fills the view');
      const picture = await session.page.evaluate(() => {
        const p = window.dp.playground.space_time();
        return { cells: p.density.length, size: [p.rows, p.columns], paths: p.forward.length / p.path_u.length, ode: p.reverse_ode.length / p.path_u.length };
      });
      assert.deepEqual(picture, { cells: 240 * 120, size: [120, 240], paths: 16, ode: 16 });
    } finally {
      await session.close();
    }
  });

  test('when a run ends, the readout shows its distance to fresh data next to the data-vs-data floor', async () => {
    const session = await openPlayground(browser, `${LIGHT}&dataset=gaussian_mixture&score=exact&playing=0`);
    try {
      await waitReady(session.page);
      assert.equal(await session.page.$eval('#readout-distance', (e) => e.textContent), '–');
      await runToEnd(session.page);
      await session.page.waitForFunction(() => /floor/.test(document.getElementById('readout-distance').textContent), null, { timeout: 30_000 });
      const text = await session.page.$eval('#readout-distance', (e) => e.textContent);
      const [distance, floor] = text.match(/[\d.]+/g).map(Number);
      assert.ok(distance > 0 && floor > 0, text);
      assert.ok(distance < 3 * floor + 0.05, `the exact score reaches the data: ${text}`);
      await session.page.keyboard.press('r');
      await session.page.waitForFunction(() => document.getElementById('readout-distance').textContent === '–', null, { timeout: 10_000 });
    } finally {
      await session.close();
    }
  });

  test('when a deterministic run ends, the straightness readout shows its paths\' S next to the exact flow\'s; a stochastic run has none', async () => {
    const session = await openPlayground(browser, `${LIGHT}&dataset=two_moons&score=exact&sampler=heun&playing=0`);
    try {
      await waitReady(session.page);
      assert.equal(await session.page.$eval('#readout-straightness', (e) => e.textContent), '–');
      await runToEnd(session.page);
      await session.page.waitForFunction(() => /exact/.test(document.getElementById('readout-straightness').textContent), null, { timeout: 30_000 });
      const text = await session.page.$eval('#readout-straightness', (e) => e.textContent);
      const [run, exact] = text.match(/[\d.]+/g).map(Number);
      assert.ok(run > 0 && run === exact, `with the exact score the run is the exact flow: ${text}`);
      assert.match(await session.page.$eval('#readout-straightness', (e) => e.title), /over 256 paths/);

      // The same data with the reverse SDE: no smooth paths to measure.
      await session.page.evaluate(() => {
        const settings = new URLSearchParams(location.hash.slice(1));
        settings.set('sampler', 'euler_maruyama');
        location.hash = settings.toString();
      });
      await session.page.waitForFunction(() => window.dp.playground.options().sampler === 'euler_maruyama');
      await runToEnd(session.page);
      await session.page.waitForFunction(() => document.getElementById('readout-straightness').textContent === 'none (the sampler draws noise)', null, { timeout: 30_000 });
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('predict() gives positions and predictions for the first particles, and rejects unknown targets', async () => {
    const session = await openPlayground(browser, `${LIGHT}&playing=0&t=0.4`);
    try {
      await waitReady(session.page);
      const seen = await session.page.evaluate(async () => {
        const pg = window.dp.playground;
        const ghosts = await pg.predict('x0', 100);
        const positions = await pg.read_positions();
        let message = null;
        try {
          pg.predict('noise', 10);
        } catch (e) {
          message = e.message;
        }
        return { length: ghosts.length, same: ghosts[0] === positions[0] && ghosts[1] === positions[1], message };
      });
      assert.equal(seen.length, 400, 'x, y and the prediction for 100 particles');
      assert.ok(seen.same, 'the first two numbers are the particle');
      assert.equal(seen.message, 'invalid option \'target\': "noise" is not allowed (allowed: one of eps, x0, score, velocity)');
    } finally {
      await session.close();
    }
  });
});

describe('the sampler race', { timeout: TEST_TIMEOUT_MS }, () => {
  test('race=1 runs the ticked samplers from the same noise and charts distance against evaluations', async () => {
    const session = await openPlayground(browser, `${LIGHT}&race=1&dataset=gaussian_mixture&schedule=edm&time_grid=karras&score=exact&playing=0`);
    try {
      await waitReady(session.page);
      await session.page.waitForFunction(() => window.dp.racesFinished() > 0, null, { timeout: 120_000 });
      const seen = await session.page.evaluate(() => ({
        status: document.getElementById('race-status').textContent,
        pictures: document.querySelectorAll('#race-snapshots canvas').length,
        captions: [...document.querySelectorAll('#race-snapshots figcaption')].map((c) => c.textContent),
      }));
      assert.match(seen.status, /4 samplers × 7 budgets, 1,024 particles each, from the same noise \(seed 1\)/);
      assert.equal(seen.pictures, 4);
      assert.ok(seen.captions.every((c) => /\d+ NFE, SW₂ \d\.\d{3}/.test(c)), seen.captions.join(' | '));
      // The deterministic racers' paths have a straightness; every racer says where it reaches the floor.
      assert.ok(seen.captions.every((c) => /; (at the floor from \d+ NFE|not at the floor by 64 NFE)$/.test(c)), seen.captions.join(' | '));
      const euler = seen.captions.find((c) => /^Reverse SDE/.test(c));
      assert.ok(euler && !/, S /.test(euler), `the reverse SDE draws noise: no straightness (${euler})`);
      assert.ok(seen.captions.filter((c) => /, S \d/.test(c)).length === 3, seen.captions.join(' | '));
      assert.ok(seen.captions.some((c) => /\(Heun, EDM\).*at the floor from \d+ NFE/.test(c)), `Heun with the exact score reaches the floor: ${seen.captions.join(' | ')}`);
      assert.ok((await inkOf(session.page, '#race-canvas')) > 0.002, 'the chart is drawn');
      const lap = await session.page.evaluate(() => {
        const pg = window.dp.playground;
        const few = pg.race_lap({ sampler: 'dpm_solver_2m' }, 4, 512);
        const many = pg.race_lap({ sampler: 'dpm_solver_2m' }, 64, 512);
        let message = null;
        try {
          pg.race_lap({ sampler: 'dpm_solver_2m' }, 0, 512);
        } catch (e) {
          message = e.message;
        }
        // Racers with the knobs of the newer samplers: UniPC's order, the SDE solvers' eta and
        // s_noise; a knob out of range is refused by name.
        const knobbed = [
          pg.race_lap({ sampler: 'unipc', order: 2 }, 16, 512),
          pg.race_lap({ sampler: 'dpm_solver_sde', eta: 1, s_noise: 1 }, 16, 512),
          pg.race_lap({ sampler: 'dpm_solver_3m_sde', eta: 0.5, s_noise: 1.1 }, 16, 512),
        ].map((l) => ({ distance: l.distance, evaluations: l.evaluations }));
        let knobMessage = null;
        try {
          pg.race_lap({ sampler: 'deis', order: 5 }, 16, 512);
        } catch (e) {
          knobMessage = e.message;
        }
        return { few: few.distance, many: many.distance, floor: many.floor, evaluations: many.evaluations, message, knobbed, knobMessage };
      });
      for (const racer of lap.knobbed) {
        assert.ok(racer.evaluations <= 16 && racer.evaluations >= 15, `a lap of about 16 evaluations: ${racer.evaluations}`);
        assert.ok(racer.distance < 3 * lap.floor + 0.1, `16 evaluations come near the data: ${racer.distance} (floor ${lap.floor})`);
      }
      assert.match(lap.knobMessage, /invalid option 'order': 5 is not allowed \(allowed: an integer from 2 to 3\)/);
      assert.equal(lap.evaluations, 64);
      assert.ok(lap.many < lap.few, `more evaluations, closer: ${lap.few} -> ${lap.many}`);
      assert.ok(lap.many < 2 * lap.floor + 0.05, `64 evaluations reach the data (${lap.many}, floor ${lap.floor})`);
      assert.match(lap.message, /invalid option 'budget': 0 is not allowed \(allowed: an integer from 1 to 1000\)/);
    } finally {
      await session.close();
    }
  });
});

describe('the formulas', { timeout: TEST_TIMEOUT_MS }, () => {
  test('formulas=1 typesets the schedule and sampler with KaTeX served by the page, and follows changes', async () => {
    const session = await openPlayground(browser, `${LIGHT}&formulas=1&draw=1&schedule=edm&sampler=heun&playing=0`);
    try {
      await waitReady(session.page);
      await session.page.waitForFunction(() => window.dp.formulasShown() > 0, null, { timeout: 30_000 });
      const first = await session.page.evaluate(() => ({
        typeset: document.querySelectorAll('#formulas-body .katex').length,
        captions: [...document.querySelectorAll('#formulas-body figcaption')].map((c) => c.textContent),
        fallback: document.querySelector('#formulas-body .help')?.textContent ?? null,
      }));
      assert.equal(first.fallback, null, 'KaTeX loaded from www/vendor/katex');
      assert.equal(first.typeset, 6, 'schedule, four shared formulas (the straightness last), sampler');
      assert.match(first.captions[0], /^EDM/);
      assert.match(first.captions[4], /^Straightness of the paths/);
      assert.match(first.captions[5], /^Heun/);
      // The drawing panel's training coupling adds its formula.
      await session.page.selectOption('#train_coupling', 'ot');
      await session.page.waitForFunction(() => /Training coupling: minibatch optimal transport/.test(document.getElementById('formulas-body').textContent), null, { timeout: 30_000 });
      await session.page.selectOption('#train_coupling', 'independent');
      // The coupling's formulas were typesettings too, so the count starts once the coupling's is
      // gone: the next typesetting is the sampler's (waiting for "more than one" raced it).
      await session.page.waitForFunction(() => !/Training coupling/.test(document.getElementById('formulas-body').textContent), null, { timeout: 30_000 });
      const shownBefore = await session.page.evaluate(() => window.dp.formulasShown());
      await session.page.selectOption('#sampler', 'ddim');
      await session.page.waitForFunction((before) => window.dp.formulasShown() > before, shownBefore, { timeout: 30_000 });
      const caption = await session.page.$eval('#formulas-body figure:last-child figcaption', (c) => c.textContent);
      assert.match(caption, /^DDIM/);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});

describe('the density view', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const backend of ['cpu', 'webgpu']) {
    test(`on ${backend}: the particles' histogram sits next to the exact p_t, within sampling noise of it`, async () => {
      const session = await openPlayground(browser, `backend=${backend}&particles=16384&steps=40&density=1&dataset=gaussian_mixture&score=exact&t=0.3&playing=0`);
      try {
        await waitReady(session.page);
        await session.page.waitForFunction(() => window.dp.densityDrawn() > 0, null, { timeout: 60_000 });
        const text = await session.page.$eval('#density-distance', (e) => e.textContent);
        const [tv, , floor] = text.match(/\d+\.\d+/g).map(Number);
        assert.ok(tv < 1.5 * floor + 0.02, `forward-noised data is p_t: ${text}`);
        const counts = await session.page.evaluate(async () => Array.from(await window.dp.playground.histogram(64)));
        assert.equal(counts.length, 64 * 64);
        const inside = counts.reduce((a, b) => a + b, 0);
        assert.ok(inside > 0.95 * 16384 && inside <= 16384, `${inside} particles in the window`);
        assert.ok((await inkOf(session.page, '#density-canvas')) > 0.1, 'both heatmaps are drawn');
      } finally {
        await session.close();
      }
    });
  }
});

describe('a phone screen', { timeout: TEST_TIMEOUT_MS }, () => {
  test('at 390 px wide: no sideways scrolling, the canvas spans the width, the buttons are finger-sized', async () => {
    const session = await openPlayground(browser, `${LIGHT}&playing=0`, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true });
    try {
      await waitReady(session.page);
      const seen = await session.page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        canvas: document.getElementById('canvas').getBoundingClientRect().width,
        buttons: ['play', 'step', 'reset', 'share'].map((id) => document.getElementById(id).getBoundingClientRect().height),
      }));
      assert.equal(seen.overflow, 0, 'nothing sticks out sideways');
      assert.ok(seen.canvas > 300, `the canvas is ${seen.canvas} px wide`);
      assert.ok(seen.buttons.every((h) => h >= 32), `button heights ${seen.buttons}`);
      await session.page.tap('#step');
      assert.equal(await session.page.evaluate(() => window.dp.playground.step_index), 1, 'a tap on Step takes a step');
    } finally {
      await session.close();
    }
  });
});

describe('the parametrization lens', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const lens of ['score', 'eps', 'velocity']) {
    test(`arrows through the ${lens} lens are drawn, with that lens's conversion formula in the legend`, async () => {
      const session = await openPlayground(browser, `${LIGHT}&arrows=1&lens=${lens}&paths=1&schedule=rectified_flow&t=0.5&playing=0`);
      try {
        await waitReady(session.page);
        await session.page.waitForFunction(() => window.dp.layersDrawn() > 0, null, { timeout: 30_000 });
        const amber = await session.page.$eval('#layers', (canvas) => {
          const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          let n = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 100 && data[i] > 200 && data[i + 2] < 80) n += 1;
          return n;
        });
        assert.ok(amber > 100, `${amber} arrow pixels`);
        const shown = await session.page.evaluate(() => ['score', 'eps', 'velocity'].filter((l) => !document.getElementById(`lens-${l}`).hidden));
        assert.deepEqual(shown, [lens]);
      } finally {
        await session.close();
      }
    });
  }
});

describe('a slow view', { timeout: TEST_TIMEOUT_MS }, () => {
  test('a costly fill of its cache (paid once for what is sampled) does not put off its next picture', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=512&steps=20&errors=1&dataset=spiral&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      await page.waitForFunction(() => window.dp.modelErrorDrawn() > 0, null, { timeout: 60_000 });
      // A new dataset refills the errors panel's loss profile, which now takes 3 s. Were the fill
      // charged to the view's pace (views.js), its next turn would be ten times that away, 30 s.
      const before = await page.evaluate(() => {
        window.dp.slowCacheFills(3000);
        return window.dp.modelErrorDrawn();
      });
      await page.selectOption('#dataset', 'two_moons');
      await page.waitForFunction((n) => window.dp.modelErrorDrawn() > n, before, { timeout: 60_000 });
      const filled = await page.evaluate(() => window.dp.modelErrorDrawn());
      // A step moves the particles' time: the map follows at once, well before those 30 s.
      await page.click('#step');
      try {
        await page.waitForFunction((n) => window.dp.modelErrorDrawn() > n, filled, { timeout: 15_000 });
      } catch {
        assert.fail(`no new model-error picture after a step: ${await pageReport(session)}`);
      }
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('does not hold back the run: it is drawn less often than the particles move, and shows the last step once the run ends', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=2048&steps=120&density=1&dataset=gaussian_mixture&score=exact&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      await page.waitForFunction(() => window.dp.densityDrawn() > 0, null, { timeout: 60_000 });
      // From now on every update of the density view takes 60 ms. Drawn at every step, the run
      // would wait 60 ms a step; with the views' share of the page's time (views.js) it is drawn
      // at most every 600 ms, while a run of 120 steps takes at least 120 frames (frame-loop.js).
      const drawnBefore = await page.evaluate(() => {
        window.dp.slowView('density', 60);
        return window.dp.densityDrawn();
      });
      await page.click('#play');
      await page.waitForFunction(() => window.dp.playground.done, null, { timeout: 120_000 });
      const drawnWhilePlaying = (await page.evaluate(() => window.dp.densityDrawn())) - drawnBefore;
      assert.ok(drawnWhilePlaying <= 30, `the density view was drawn ${drawnWhilePlaying} times during 120 steps`);
      // Its last turn comes after the run's end: it then shows the last step.
      await page.waitForFunction(
        () => document.getElementById('density-distance').textContent.includes(`at t = ${window.dp.playground.current_t.toPrecision(3)} `),
        null,
        { timeout: 30_000 },
      );
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});
