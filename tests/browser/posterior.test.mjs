// Conditioning on a measurement in the page (docs/features.md, "Inverse problems"): a link with
// a measurement samples the exact posterior on the CPU and DPS / PiGDM on WebGPU, a click on the
// picture measures the point clicked (the hash follows, the dashed line is drawn), the density
// view names the posterior, and a bad measurement in a link is reported and replaced.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, noticeTexts, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** The distance readout of the particles now against the session's target, its floor, and the particles' x range. */
const distance = (page) =>
  page.evaluate(async () => {
    const pg = window.dp.playground;
    const positions = await pg.read_positions();
    const { distance: d, floor } = pg.distance_to_data(positions);
    let [lo, hi, finite] = [Infinity, -Infinity, true];
    for (let i = 0; i < positions.length; i += 2) {
      lo = Math.min(lo, positions[i]);
      hi = Math.max(hi, positions[i]);
      finite &&= Number.isFinite(positions[i]) && Number.isFinite(positions[i + 1]);
    }
    return { distance: d, floor, lo, hi, finite };
  });

const MEASURED = 'dataset=two_moons&observe=1,0&observation=0.5&observation_noise=0.2&playing=0';

describe('conditioning on a measurement in the page', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const [backend, score, posterior, sampler] of [
    ['cpu', 'exact', 'exact', 'heun'],
    ['webgpu', 'mlp', 'pigdm', 'euler_maruyama'],
    ['cpu', 'mlp', 'dps', 'euler_maruyama'],
  ]) {
    test(`a link measuring x = 0.5 runs toward p(x0 | y) with ${posterior} (${score} score) on ${backend}`, async () => {
      // 64 network evaluations: where the posterior report has DPS and PiGDM on the network at SW2 0.3 and 0.14.
      const link = `backend=${backend}&score=${score}&posterior=${posterior}&sampler=${sampler}&steps=${posterior === 'exact' ? 40 : 64}&particles=1024&${MEASURED}`;
      const session = await openPlayground(browser, link);
      try {
        await waitReady(session.page);
        const seen = await session.page.evaluate(() => ({
          backend: window.dp.playground.backend,
          options: window.dp.playground.options(),
          observeShown: !document.getElementById('observe').closest('.field').hidden,
          scaleShown: !document.getElementById('posterior_scale').closest('.field').hidden,
        }));
        assert.equal(seen.backend, backend, await pageReport(session));
        assert.deepEqual(
          [seen.options.posterior, seen.options.observe, seen.options.observation, seen.options.observation_noise],
          [posterior, '1,0', '0.5', 0.2],
        );
        assert.deepEqual([seen.observeShown, seen.scaleShown], [true, posterior !== 'exact'], 'the controls that act');
        assert.ok((await runToEnd(session.page)) > 0);
        const result = await distance(session.page);
        assert.ok(result.finite, `finite particles: ${JSON.stringify(result)}`);
        // The exact posterior's score reaches the floor; the approximations come within reach of it.
        const bound = posterior === 'exact' ? 2 * result.floor + 0.05 : 0.45;
        assert.ok(result.distance < bound, `SW2 to p(x0 | y) ${JSON.stringify(result)}`);
        await session.page.waitForFunction(() => /posterior=/.test(location.hash) && /observation=0.5/.test(location.hash));
        assert.deepEqual(session.errors, [], 'no console errors');
      } finally {
        await session.close();
      }
    });
  }

  test('a click on the picture measures the point clicked, and the layers draw the measured line', async () => {
    const session = await openPlayground(browser, `backend=cpu&score=exact&posterior=exact&particles=512&${MEASURED}`);
    const { page } = session;
    try {
      await waitReady(page);
      // Where world (x, y) is on the screen now: the picture shows +-3 across its shorter side.
      const clickAt = async (x, y) => {
        const box = await page.$eval('#canvas', (e) => {
          e.scrollIntoView({ block: 'nearest' });
          const r = e.getBoundingClientRect();
          return { x: r.left, y: r.top, width: r.width, height: r.height };
        });
        const scale = (0.5 * Math.min(box.width, box.height)) / 3;
        await page.mouse.click(box.x + 0.5 * box.width + x * scale, box.y + 0.5 * box.height - y * scale);
      };
      await clickAt(-1.5, 1);
      await page.waitForFunction(() => window.dp.playground.options().observation !== '0.5');
      const observation = Number(await page.evaluate(() => window.dp.playground.options().observation));
      assert.ok(Math.abs(observation + 1.5) < 0.02, `x measured at the click: ${observation}`);
      await page.waitForFunction(() => /observation=-1\.[45]/.test(location.hash));
      // Two rows: the click sets both values, A p.
      await page.fill('#observe', '1,0;0,1');
      await page.press('#observe', 'Enter');
      await page.waitForFunction(() => window.dp.playground.options().observe === '1,0;0,1');
      await clickAt(0.6, -0.3);
      await page.waitForFunction(() => window.dp.playground.options().observation.split(',').length === 2 && !window.dp.playground.options().observation.startsWith('-1.'));
      const point = (await page.evaluate(() => window.dp.playground.options().observation)).split(',').map(Number);
      assert.ok(Math.abs(point[0] - 0.6) < 0.02 && Math.abs(point[1] + 0.3) < 0.02, `the point measured: ${point}`);
      // The dashed lines x = 0.6 and y = -0.3 are on the layers canvas.
      await page.waitForFunction(() => {
        const canvas = document.getElementById('layers');
        if (canvas.hidden) return false;
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) painted += pixels[i] > 0 ? 1 : 0;
        return painted > 100;
      });
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('the density view names the posterior; guidance and a measurement do not combine, and say so', async () => {
    const session = await openPlayground(browser, `backend=cpu&score=exact&posterior=exact&particles=2048&density=1&${MEASURED}`);
    const { page } = session;
    try {
      await waitReady(page);
      await runToEnd(page);
      await page.waitForFunction(() => /posterior p\(x₀ \| y\)/.test(document.getElementById('density-distance')?.textContent ?? ''), null, { timeout: 60_000 });
      await page.selectOption('#guidance', 'classifier');
      await page.waitForFunction(() => window.dp.playground.options().guidance === 'classifier');
      assert.equal(await page.evaluate(() => window.dp.playground.options().posterior), 'none');
      assert.ok((await noticeTexts(page)).some((n) => /do not combine/.test(n)), `notices: ${await noticeTexts(page)}`);
    } finally {
      await session.close();
    }
  });

  test('SMC runs on the CPU path with its ESS shown, and its formula is typeset', async () => {
    // Asked on WebGPU with Heun: the page moves to the CPU backend and a Gaussian kernel, and says so.
    const session = await openPlayground(browser, `backend=webgpu&score=mlp&posterior=smc&sampler=heun&steps=48&particles=1024&formulas=1&${MEASURED}`);
    const { page } = session;
    try {
      await waitReady(page);
      const seen = await page.evaluate(() => ({ backend: window.dp.playground.backend, options: window.dp.playground.options() }));
      assert.equal(seen.backend, 'cpu', await pageReport(session));
      assert.deepEqual([seen.options.posterior, seen.options.sampler], ['smc', 'euler_maruyama']);
      const notices = await noticeTexts(page);
      assert.ok(notices.some((n) => /SMC resamples across particles/.test(n)), `notices: ${JSON.stringify(notices)}`);
      assert.ok(notices.some((n) => /heun gives way to euler_maruyama/.test(n)), `notices: ${JSON.stringify(notices)}`);
      assert.ok((await runToEnd(page)) > 0);
      const ess = await page.evaluate(() => ({ ess: window.dp.playground.smc_ess, resamplings: window.dp.playground.smc_resamplings }));
      assert.ok(ess.ess > 0 && ess.ess <= 1 && ess.resamplings > 0, JSON.stringify(ess));
      await page.waitForFunction(() => !document.getElementById('readout-ess-row').hidden && /resampling/.test(document.getElementById('readout-ess').textContent));
      const result = await distance(page);
      assert.ok(result.finite && result.distance < 0.3, `SW2 to p(x0 | y) ${JSON.stringify(result)}`);
      await page.waitForFunction(() => /Twisted SMC \(Wu et al\. 2023\)/.test(document.getElementById('formulas-body').textContent));
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('with a measurement the race compares the ways to condition on it against the exact posterior', async () => {
    const session = await openPlayground(browser, `backend=cpu&score=exact&posterior=pigdm&particles=512&race=1&${MEASURED}`);
    const { page } = session;
    try {
      await waitReady(page);
      await page.waitForFunction(() => /The posterior race/.test(document.getElementById('race-status')?.textContent ?? ''), null, { timeout: 120_000 });
      const race = await page.evaluate(() => window.dp.lastRace().map((r) => ({ name: r.name, laps: r.laps.map((l) => l.distance) })));
      assert.deepEqual(race.map((r) => r.name), ['none', 'exact', 'dps', 'pigdm', 'smc']);
      const at64 = Object.fromEntries(race.map((r) => [r.name, r.laps.at(-1)]));
      assert.ok(at64.exact < at64.none && at64.smc < at64.none, JSON.stringify(at64));
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('the exact posterior score takes the exact score, and the network conditions with PiGDM', async () => {
    const session = await openPlayground(browser, `backend=cpu&score=mlp&particles=256&${MEASURED}`);
    const { page } = session;
    try {
      await waitReady(page);
      await page.selectOption('#posterior', 'exact');
      await page.waitForFunction(() => window.dp.playground.options().posterior === 'exact');
      assert.equal(await page.evaluate(() => window.dp.playground.options().score), 'exact');
      await page.selectOption('#score', 'mlp');
      await page.waitForFunction(() => window.dp.playground.options().score === 'mlp');
      assert.equal(await page.evaluate(() => window.dp.playground.options().posterior), 'pigdm');
      const notices = await noticeTexts(page);
      assert.ok(notices.some((n) => /the score exact is used/.test(n)) && notices.some((n) => /conditions with PiGDM/.test(n)), `notices: ${JSON.stringify(notices)}`);
    } finally {
      await session.close();
    }
  });

  test('a bad measurement in a link is reported and the default used', async () => {
    const session = await openPlayground(browser, 'backend=cpu&posterior=exact&score=exact&particles=256&observe=1,0,2&observation=zz&playing=0');
    try {
      await waitReady(session.page);
      const notices = await noticeTexts(session.page);
      assert.ok(notices.some((n) => /observe "1,0,2" is not allowed/.test(n)), `notices: ${JSON.stringify(notices)}`);
      assert.ok(notices.some((n) => /observation "zz" is not allowed/.test(n)), `notices: ${JSON.stringify(notices)}`);
      const options = await session.page.evaluate(() => window.dp.playground.options());
      assert.deepEqual([options.posterior, options.observe, options.observation], ['exact', '1,0', '0']);
    } finally {
      await session.close();
    }
  });
});
