// Everything on screen is in the link, and the link's starting state is where a run returns: a
// figure opened at t = 0.5 goes back to the same forward-noised particles on Reset (R) and on
// Play after the end, instead of jumping to pure noise.

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

const positions = (page) => page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
const where = (page) => page.evaluate(() => ({ step: window.dp.playground.step_index, total: window.dp.playground.total_steps, fraction: window.dp.playground.time_fraction, t: window.dp.state().t }));

describe('a run returns to the link\'s starting state', { timeout: TEST_TIMEOUT_MS }, () => {
  test('opened at t = 0.5: R and Play after the end start again from the same noised data', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=512&steps=20&t=0.5&playing=0');
    try {
      await waitReady(session.page);
      const start = await where(session.page);
      assert.ok(Math.abs(start.fraction - 0.5) < 1e-9 && start.step === 0, `the link's start: ${JSON.stringify(start)}`);
      const first = await positions(session.page);
      assert.ok((await runToEnd(session.page)) > 0);
      await session.page.keyboard.press('r');
      await session.page.waitForFunction(() => window.dp.playground.step_index === 0 && Math.abs(window.dp.playground.time_fraction - 0.5) < 1e-9);
      assert.deepEqual(await positions(session.page), first, 'R shows the same noised particles again');
      assert.equal((await where(session.page)).total, start.total, 'with the same steps left');
      await session.page.waitForFunction(() => /(^#|&)t=0\.5(&|$)/.test(location.hash), null, { timeout: 5000 });
      // Play after the end, too. Its 10 steps take 10 animation frames (a run is spread over
      // MIN_FRAMES_PER_RUN frames, one step at least a frame), which can all pass before a poll
      // from here arrives on a busy machine; so the page itself notes, every animation frame,
      // where a run in progress is.
      await runToEnd(session.page);
      const end = await positions(session.page);
      await session.page.evaluate(() => {
        window.seenWhileRunning = [];
        const look = () => {
          const pg = window.dp.playground;
          if (pg && !pg.done) window.seenWhileRunning.push({ step: pg.step_index, total: pg.total_steps, fraction: pg.time_fraction });
          requestAnimationFrame(look);
        };
        requestAnimationFrame(look);
      });
      await session.page.click('#play');
      // Until the run has been seen running, has reached the data and the Play button is up again.
      await session.page.waitForFunction(() => window.seenWhileRunning.length > 0 && window.dp.playground.done && document.getElementById('play')?.getAttribute('aria-pressed') === 'false', null, { timeout: 30_000 });
      const seen = await session.page.evaluate(() => window.seenWhileRunning);
      assert.ok(seen.every((s) => s.total === start.total && s.fraction <= 0.5 + 1e-9), `Play after the end runs from t = 0.5 again (${start.total} steps), not from the prior: ${JSON.stringify(seen.slice(0, 3))}; ${await pageReport(session)}`);
      assert.deepEqual(await positions(session.page), end, 'from the same noised particles to the same end');
    } finally {
      await session.close();
    }
  });

  test('a drawing opened at t = 0.1 starts from the drawing noised there, not from the prior or the dataset', async () => {
    // Eight points on a vertical line at x = -2.4 (int16 pairs of the link form, 3 / 32767 per unit).
    const bytes = Buffer.alloc(32);
    for (let i = 0; i < 8; i += 1) {
      bytes.writeInt16LE(-26214, 4 * i);
      bytes.writeInt16LE(2000 * i - 7000, 4 * i + 2);
    }
    const session = await openPlayground(browser, `backend=cpu&score=exact&particles=512&steps=20&t=0.1&playing=0&drawn=${bytes.toString('base64url')}`);
    try {
      await waitReady(session.page);
      const start = await where(session.page);
      assert.ok(Math.abs(start.fraction - 0.1) < 1e-9 && start.step === 0 && start.t === 0.1, `the link's start: ${JSON.stringify(start)}`);
      const xs = (await positions(session.page)).filter((_, i) => i % 2 === 0);
      const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
      assert.ok(Math.abs(meanX + 2.4 * Math.sqrt(1 - 0.1)) < 0.5, `the particles are the drawing noised a little (mean x ${meanX})`);
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
    }
  });

  test('opened at the prior, R returns to the prior noise', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=512&steps=20&playing=0');
    try {
      await waitReady(session.page);
      const first = await positions(session.page);
      await session.page.evaluate(() => window.dp.playground.step(5));
      await session.page.keyboard.press('r');
      await session.page.waitForFunction(() => window.dp.playground.step_index === 0);
      assert.deepEqual(await positions(session.page), first);
      assert.equal((await where(session.page)).fraction, 1);
    } finally {
      await session.close();
    }
  });
});

describe('the race is in the link', { timeout: TEST_TIMEOUT_MS }, () => {
  test('a link with race settings reopens them; DDIM races with its own eta, not the hidden main one', async () => {
    // The main sampler is Heun, so the main eta control is hidden; it says 1 (DDPM's variance).
    const session = await openPlayground(browser, 'backend=cpu&particles=512&steps=20&playing=0&sampler=heun&eta=1&race=1&racers=ddim,ddpm_ancestral&race_eta=0');
    try {
      await waitReady(session.page);
      await session.page.waitForFunction(() => window.dp.racesFinished() > 0, null, { timeout: 120_000 });
      const seen = await session.page.evaluate(() => ({
        ticked: [...document.querySelectorAll('#race-racers input:checked')].map((box) => box.value),
        eta: document.getElementById('race_eta').value,
        race: window.dp.lastRace().map((r) => ({ name: r.name, distances: r.laps.map((l) => l.distance) })),
      }));
      assert.deepEqual(seen.ticked, ['ddim', 'ddpm_ancestral'], 'the link ticks its samplers');
      assert.equal(Number(seen.eta), 0);
      const [ddim, ddpm] = seen.race;
      assert.deepEqual([ddim.name, ddpm.name], ['ddim', 'ddpm_ancestral']);
      assert.notDeepEqual(ddim.distances, ddpm.distances, 'DDIM with eta 0 and DDPM ancestral draw different lines');
      // Ticking a sampler goes into the link and runs the race again.
      const before = await session.page.evaluate(() => window.dp.racesFinished());
      await session.page.check('#race-racers input[value="heun"]');
      await session.page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('racers') === 'heun,ddim,ddpm_ancestral' || new URLSearchParams(location.hash.slice(1)).get('racers')?.split(',').length === 3, null, { timeout: 5000 });
      await session.page.waitForFunction((n) => window.dp.racesFinished() > n, before, { timeout: 120_000 });
      const names = await session.page.evaluate(() => window.dp.lastRace().map((r) => r.name));
      assert.equal(names.length, 3, `the race reran with the ticked samplers: ${names}; ${await pageReport(session)}`);
    } finally {
      await session.close();
    }
  });
});
