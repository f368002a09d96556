// Straight paths: a flow trained in the page with the minibatch-OT coupling (Tong et al. 2023)
// shows its training pairs, gives way on what needs a score it has not got (the sampler becomes
// Heun), reads far straighter than the independent coupling's flow on the Straightness readout,
// and travels in the share link with its coupling.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, drawCircle, launchHeadless, noticeTexts, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** Adam steps of each flow: enough for the couplings' flows to differ, seconds on the CPU path. */
const TRAIN_STEPS = '600';

/** Sets one setting in the page's link, as a reader editing the address bar does. */
function setLinkSetting(page, name, value) {
  return page.evaluate(([name, value]) => {
    const settings = new URLSearchParams(location.hash.slice(1));
    settings.set(name, value);
    location.hash = settings.toString();
  }, [name, value]);
}

/** Fraction of the pairs canvas's pixels with ink. */
function pairsInk(page) {
  return page.$eval('#draw-pairs', (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let ink = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink += 1;
    return ink / (canvas.width * canvas.height);
  });
}

/** Trains a velocity flow on rectified flow with `coupling` on the drawn circle; returns the S readout after a run. */
async function trainAndMeasure(page, coupling) {
  const before = await page.evaluate(() => window.dp.trainingsFinished());
  await page.selectOption('#train_objective', 'velocity');
  await page.selectOption('#train_schedule', 'rectified_flow');
  await page.selectOption('#train_coupling', coupling);
  await page.fill('#train-steps', TRAIN_STEPS);
  await page.click('#draw-train');
  await page.waitForFunction((n) => window.dp.trainingsFinished() > n, before, { timeout: 180_000 });
  await runToEnd(page);
  await page.waitForFunction(() => /exact/.test(document.getElementById('readout-straightness').textContent), null, { timeout: 30_000 });
  const text = await page.$eval('#readout-straightness', (e) => e.textContent);
  return Number(text.match(/[\d.]+/)[0]);
}

describe('straight paths', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const backend of ['cpu', 'webgpu']) {
    test(`on ${backend}: the OT coupling's flow is straighter, shows its pairs, has no score, and reopens from its link`, async (t) => {
      const session = await openPlayground(browser, `backend=${backend}&schedule=rectified_flow&sampler=heun&particles=1024&steps=16&draw=1&playing=0`);
      const { page } = session;
      try {
        await waitReady(page);
        await drawCircle(page);
        const independent = await trainAndMeasure(page, 'independent');
        // The reverse SDE needs a score: training with OT switches it to Heun, with a notice.
        await setLinkSetting(page, 'sampler', 'euler_maruyama');
        await page.waitForFunction(() => window.dp.playground.options().sampler === 'euler_maruyama');
        const ot = await trainAndMeasure(page, 'ot');
        t.diagnostic(`straightness: independent ${independent}, OT ${ot}`);
        assert.ok(ot < 0.5 * independent, `OT's flow is straighter: ${ot} against ${independent}`);
        assert.ok((await pairsInk(page)) > 0.01, 'the first batch\'s pairs are drawn');
        const report = await page.$eval('#draw-status', (e) => e.textContent);
        assert.match(report, /velocity on rectified_flow, ot coupling/);
        assert.equal(await page.evaluate(() => window.dp.playground.options().sampler), 'heun');
        assert.match((await noticeTexts(page)).join(' '), /A flow trained with the ot coupling has a velocity but no score: sampler is now heun/);

        // The link carries the network with its coupling: a stochastic sampler is refused there too.
        await page.waitForFunction(() => /[#&]net=/.test(location.hash), null, { timeout: 5000 });
        const hash = await page.evaluate(() => location.hash.slice(1));
        const second = await openPlayground(browser, hash);
        try {
          await waitReady(second.page);
          const refused = await second.page.evaluate(() => {
            try {
              window.dp.playground.set_options({ sampler: 'euler_maruyama' });
              return null;
            } catch (error) {
              return String(error);
            }
          });
          assert.match(refused ?? '', /trained with the ot coupling: it has a velocity but no score/, await pageReport(second));
          assert.deepEqual(second.errors, []);
        } finally {
          await second.close();
        }
        assert.deepEqual(session.errors, []);
      } finally {
        await session.close();
      }
    });

    test(`on ${backend}: Reflow trains the next rectified flow on the pairs of the drawing's flow, and its paths straighten`, async (t) => {
      const session = await openPlayground(browser, `backend=${backend}&schedule=rectified_flow&sampler=heun&particles=1024&steps=16&draw=1&playing=0`);
      const { page } = session;
      try {
        await waitReady(page);
        await page.click('#draw-reflow');
        await page.waitForFunction(() => /Reflow could not start: .*a reflow of a drawing's trained flow|Reflow needs a drawing/.test(document.getElementById('draw-status').textContent));
        await drawCircle(page);
        const teacher = await trainAndMeasure(page, 'independent');
        const before = await page.evaluate(() => window.dp.trainingsFinished());
        await page.click('#draw-reflow');
        await page.waitForFunction((n) => window.dp.trainingsFinished() > n, before, { timeout: 180_000 });
        await runToEnd(page);
        await page.waitForFunction(() => /exact/.test(document.getElementById('readout-straightness').textContent), null, { timeout: 30_000 });
        const reflowed = Number((await page.$eval('#readout-straightness', (e) => e.textContent)).match(/[\d.]+/)[0]);
        t.diagnostic(`straightness: teacher ${teacher}, reflow round 1 ${reflowed}`);
        assert.ok(reflowed < 0.5 * teacher, `the reflowed flow is straighter: ${reflowed} against ${teacher}`);
        assert.match(await page.$eval('#draw-status', (e) => e.textContent), /velocity on rectified_flow, reflow coupling/);
        const shown = await page.evaluate(() => window.dp.formulasShown());
        await setLinkSetting(page, 'formulas', '1');
        await page.waitForFunction((n) => window.dp.formulasShown() > n, shown, { timeout: 30_000 });
        assert.match(await page.$eval('#formulas', (e) => e.textContent), /The network in use is a reflow/);

        // The race runs every sampler on the flow before the reflow too, from the same noise: the
        // reflowed flow is nearer the data at one and two evaluations; the reverse SDE sits out
        // where there is no score.
        const races = await page.evaluate(() => window.dp.racesFinished());
        await page.evaluate(() => {
          const settings = new URLSearchParams(location.hash.slice(1));
          settings.set('racers', 'probability_flow_euler,euler_maruyama');
          settings.set('race', '1');
          location.hash = settings.toString();
        });
        await page.waitForFunction((n) => window.dp.racesFinished() > n, races, { timeout: 180_000 });
        const race = await page.evaluate(() => ({
          racers: window.dp.lastRace().map((r) => ({ label: r.label, satOut: r.satOut ?? null, distances: r.laps.map((l) => l.distance), budgets: r.laps.map((l) => l.budget) })),
          status: document.getElementById('race-status').textContent,
          captions: [...document.querySelectorAll('#race-snapshots figcaption')].map((c) => c.textContent),
        }));
        t.diagnostic(JSON.stringify(race));
        const byLabel = Object.fromEntries(race.racers.map((r) => [r.label, r]));
        const after = byLabel['Probability-flow ODE (Euler), after reflow'];
        const beforeReflow = byLabel['Probability-flow ODE (Euler), before reflow'];
        assert.deepEqual(after.budgets, [1, 2, 4, 8, 16, 32, 64]);
        for (const k of [0, 1]) assert.ok(after.distances[k] < beforeReflow.distances[k], `at ${after.budgets[k]} NFE the reflow is nearer the data: ${after.distances[k]} against ${beforeReflow.distances[k]}`);
        assert.match(byLabel['Reverse SDE (Euler-Maruyama), after reflow'].satOut ?? '', /draws no noise.*reflow coupling/);
        assert.equal(byLabel['Reverse SDE (Euler-Maruyama), before reflow'].satOut, null, 'the flow before the reflow has a score');
        assert.match(race.status, /on the reflowed flow \(solid\) and on the flow before the reflow \(dashed\).*Reverse SDE \(Euler-Maruyama\), after reflow sat out/);
        assert.equal(race.captions.length, 3, 'a picture for each racer that ran');
        assert.ok(race.captions.every((c) => /: 2 NFE, SW₂/.test(c)), race.captions.join(' | '));

        // The link reopens the reflowed network, round and all.
        await page.waitForFunction(() => /[#&]net=/.test(location.hash), null, { timeout: 5000 });
        const second = await openPlayground(browser, await page.evaluate(() => location.hash.slice(1)));
        try {
          await waitReady(second.page);
          const opened = await second.page.evaluate(() => {
            const pg = window.dp.playground;
            let refused = null;
            try {
              pg.set_options({ sampler: 'euler_maruyama' });
            } catch (error) {
              refused = String(error);
            }
            return { score: pg.options().score, refused };
          });
          assert.equal(opened.score, 'mlp');
          assert.match(opened.refused ?? '', /trained with the reflow coupling: it has a velocity but no score/, await pageReport(second));
          assert.deepEqual(second.errors, []);
        } finally {
          await second.close();
        }
        assert.deepEqual(session.errors, []);
      } finally {
        await session.close();
      }
    });

    test(`on ${backend}: Distill makes a one-step generator of the drawing's flow (on the CPU), and the race shows it beside its teacher`, async (t) => {
      const session = await openPlayground(browser, `backend=${backend}&schedule=rectified_flow&sampler=heun&particles=1024&steps=16&draw=1&playing=0&racers=probability_flow_euler`);
      const { page } = session;
      try {
        await waitReady(page);
        await page.click('#draw-distill');
        await page.waitForFunction(() => /Distill needs a drawing with a trained flow/.test(document.getElementById('draw-status').textContent));
        await drawCircle(page);
        await trainAndMeasure(page, 'independent');
        const trainings = await page.evaluate(() => window.dp.trainingsFinished());
        await page.click('#draw-distill');
        await page.waitForFunction((n) => window.dp.trainingsFinished() > n, trainings, { timeout: 180_000 });
        assert.match(await page.$eval('#draw-status', (e) => e.textContent), /Trained 600 steps \(velocity on rectified_flow, distilled from the flow into a one-step generator\) in [\d.]+ s on this device \(CPU\)/);
        const options = await page.evaluate(() => window.dp.playground.options());
        assert.deepEqual([options.sampler, options.steps], ['probability_flow_euler', 1], 'it samples with one Euler step');
        assert.match((await noticeTexts(page)).join(' '), /A one-step generator \(consistency distillation\) samples with one Euler step and has a velocity but no score: sampler is now probability_flow_euler, steps is now 1/);

        const races = await page.evaluate(() => window.dp.racesFinished());
        await setLinkSetting(page, 'race', '1');
        await page.waitForFunction((n) => window.dp.racesFinished() > n, races, { timeout: 180_000 });
        const race = await page.evaluate(() => ({
          racers: window.dp.lastRace().map((r) => ({ label: r.label, distances: r.laps.map((l) => l.distance) })),
          status: document.getElementById('race-status').textContent,
          captions: [...document.querySelectorAll('#race-snapshots figcaption')].map((c) => c.textContent),
        }));
        t.diagnostic(JSON.stringify(race));
        const [student, teacher] = race.racers;
        assert.equal(student.label, 'Probability-flow ODE (Euler), one-step student');
        assert.equal(teacher.label, 'Probability-flow ODE (Euler), its teacher');
        assert.ok(student.distances[0] < 0.5 * teacher.distances[0], `one step of the student is far nearer the data than one of its teacher: ${student.distances[0]} against ${teacher.distances[0]}`);
        assert.match(race.status, /on the distilled one-step generator \(solid\) and on the flow it was distilled from \(dashed\)/);
        assert.ok(race.captions.every((c) => /: 1 NFE, SW₂/.test(c)), race.captions.join(' | '));
        // The formulas panel gives the network in use's objective, though no select names it.
        const shown = await page.evaluate(() => window.dp.formulasShown());
        await setLinkSetting(page, 'formulas', '1');
        await page.waitForFunction((n) => window.dp.formulasShown() > n, shown, { timeout: 30_000 });
        assert.match(await page.$eval('#formulas', (e) => e.textContent), /one-step generator: consistency distillation of a flow/);
        assert.deepEqual(session.errors, []);
      } finally {
        await session.close();
      }
    });
  }

  test('the straight-and-curved-paths panel draws conditional paths beside the exact and the run\'s trajectories', async () => {
    const session = await openPlayground(browser, 'backend=cpu&dataset=two_moons&schedule=rectified_flow&sampler=heun&steps=24&particles=512&straight=1&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      await page.waitForFunction(() => /^16 paths of 24 steps\./.test(document.getElementById('straight-status').textContent));
      const picture = await page.evaluate(() => {
        const p = window.dp.playground.path_comparison(16);
        return { paths: p.paths, frames: p.frames, conditional: p.conditional.length, exact: p.exact.length, learned: p.learned.length };
      });
      assert.deepEqual(picture, { paths: 16, frames: 25, conditional: 64, exact: 2 * 16 * 25, learned: 2 * 16 * 25 });
      const ink = await page.$eval('#straight-canvas', (canvas) => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let lit = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 200) lit += 1;
        return lit / (canvas.width * canvas.height);
      });
      assert.ok(ink > 0.005, `the paths are drawn (${ink})`);
      await setLinkSetting(page, 'sampler', 'euler_maruyama');
      await page.waitForFunction(() => /The sampler draws noise/.test(document.getElementById('straight-status').textContent));
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});
