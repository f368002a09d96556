// Guidance toward a class in the page (docs/features.md): a link with a class and
// guidance runs to that class on the CPU and on WebGPU, the controls keep the class, guidance and
// score consistent (and say so), a class the dataset does not have is reported, and the density
// view says what a guided run targets.

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

/** The distance readout of the particles now against the session's target, and its floor. */
const distance = (page) =>
  page.evaluate(async () => {
    const pg = window.dp.playground;
    const positions = await pg.read_positions();
    const { distance: d, floor } = pg.distance_to_data(positions);
    // The lower moon's mean height is -0.57, the upper's +0.57.
    let sum = 0;
    for (let i = 1; i < positions.length; i += 2) sum += positions[i];
    return { distance: d, floor, meanY: sum / (positions.length / 2) };
  });

describe('guidance in the page', { timeout: TEST_TIMEOUT_MS }, () => {
  const cases = [['cpu', 'exact', 'cfg'], ['webgpu', 'mlp', 'classifier'], ['cpu', 'mlp', 'cfg'], ['webgpu', 'mlp', 'cfg']];
  for (const [backend, score, guidance] of cases) {
    test(`a link guided to the lower moon (${guidance}, ${score} score) runs there on ${backend}`, async () => {
      const link = `backend=${backend}&dataset=two_moons&score=${score}&guidance=${guidance}&class=lower&particles=1024&steps=30&sampler=heun&playing=0`;
      const session = await openPlayground(browser, link);
      try {
        await waitReady(session.page);
        const seen = await session.page.evaluate(() => ({
          backend: window.dp.playground.backend,
          options: window.dp.playground.options(),
          classShown: !document.getElementById('class').closest('.field').hidden,
          classValue: document.getElementById('class').value,
          classChoices: [...document.getElementById('class').options].map((o) => o.value),
        }));
        assert.equal(seen.backend, backend, await pageReport(session));
        assert.equal(seen.options.class, 'lower');
        assert.equal(seen.options.guidance, guidance);
        assert.deepEqual([seen.classShown, seen.classValue, seen.classChoices], [true, 'lower', ['upper', 'lower']]);
        assert.ok((await runToEnd(session.page)) > 0);
        const result = await distance(session.page);
        assert.ok(result.distance < 2 * result.floor + 0.05, `SW2 to p(x | lower) ${JSON.stringify(result)}`);
        assert.ok(result.meanY < -0.4, `the particles' mean is the lower moon's: ${JSON.stringify(result)}`);
        await session.page.waitForFunction(() => /class=lower/.test(location.hash) && /guidance=/.test(location.hash));
        assert.deepEqual(session.errors, [], 'no console errors');
      } finally {
        await session.close();
      }
    });
  }

  test('the class-conditional network is fetched when first needed; a file that cannot be fetched is reported and the run stays as it was', async () => {
    let fetched = 0;
    let available = false;
    const session = await openPlayground(browser, 'backend=cpu&particles=256&steps=20&playing=0', {
      beforeLoad: (context) => context.route('**/weights/*.conditional.dpw', (route) => {
        fetched += 1;
        return available ? route.continue() : route.fulfill({ status: 404, body: 'missing' });
      }),
    });
    const { page } = session;
    try {
      await waitReady(page);
      assert.equal(fetched, 0, 'the first frame needs no class-conditional network');
      await page.selectOption('#guidance', 'cfg');
      await page.waitForFunction(() => [...document.querySelectorAll('#notices .notice')].some((n) => /could not be fetched/.test(n.textContent)));
      const notices = (await noticeTexts(page)).join(' ');
      assert.match(notices, /needs the class-conditional network of two_moons, which could not be fetched \(.*two_moons\.vp_linear\.conditional\.dpw answered HTTP 404\)/);
      let options = await page.evaluate(() => window.dp.playground.options());
      assert.equal(options.guidance, 'none', 'the settings stay as they were');
      assert.equal(await page.$eval('#guidance', (e) => e.value), 'none', 'and so does the control');
      assert.ok((await runToEnd(page)) > 0, 'the page runs on');
      // Once the file is there, the same choice works (the failed fetch is tried again).
      available = true;
      await page.selectOption('#guidance', 'cfg');
      await page.waitForFunction(() => window.dp.playground.options().guidance === 'cfg');
      options = await page.evaluate(() => window.dp.playground.options());
      assert.deepEqual([options.score, options.class], ['mlp', 'upper']);
      assert.equal(fetched, 2);
      assert.deepEqual(session.errors.filter((e) => !/404/.test(e)), []);
    } finally {
      await session.close();
    }
  });

  test('the controls keep class, guidance and score consistent and say so', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=256&steps=20&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      // Classifier-free guidance with the network: the class-conditional network, first class.
      await page.selectOption('#guidance', 'cfg');
      await page.waitForFunction(() => window.dp.playground.options().guidance === 'cfg');
      let options = await page.evaluate(() => window.dp.playground.options());
      assert.deepEqual([options.score, options.class], ['mlp', 'upper'], 'the network, first class');
      // The memorising empirical score has no classes: guidance gives way and says so.
      await page.selectOption('#score', 'empirical');
      await page.waitForFunction(() => window.dp.playground.options().score === 'empirical');
      options = await page.evaluate(() => window.dp.playground.options());
      assert.equal(options.guidance, 'none');
      assert.ok((await noticeTexts(page)).some((n) => /does not work with the score empirical/.test(n)), `notices: ${await noticeTexts(page)}`);
      // Back to the network and to guidance by the exact classifier.
      await page.selectOption('#score', 'mlp');
      await page.selectOption('#guidance', 'classifier');
      await page.waitForFunction(() => window.dp.playground.options().guidance === 'classifier');
      // A new dataset: its classes in the control, its first class chosen.
      await page.selectOption('#dataset', 'smiley');
      await page.waitForFunction(() => window.dp.playground.options().dataset === 'smiley');
      const classes = await page.evaluate(() => ({
        value: document.getElementById('class').value,
        choices: [...document.getElementById('class').options].map((o) => o.value),
        option: window.dp.playground.options().class,
      }));
      assert.deepEqual(classes, { value: 'outline', choices: ['outline', 'eyes', 'mouth'], option: 'outline' });
      await page.selectOption('#class', 'eyes');
      await page.waitForFunction(() => window.dp.playground.options().class === 'eyes');
      await page.waitForFunction(() => /class=eyes/.test(location.hash));
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('a class the dataset does not have is reported and the first class is used', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=256&steps=20&playing=0&score=exact&guidance=cfg&class=eyes');
    try {
      await waitReady(session.page);
      const notices = await noticeTexts(session.page);
      assert.ok(notices.some((n) => /class "eyes" is not a class of two_moons/.test(n)), `notices: ${JSON.stringify(notices)}`);
      assert.equal(await session.page.evaluate(() => window.dp.playground.options().class), 'upper');
    } finally {
      await session.close();
    }
  });

  test('the density view of a guided run shows and names the tilted target; the formulas show the guidance', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=2048&steps=20&score=exact&guidance=cfg&class=upper&guidance_scale=3&density=1&formulas=1&playing=0');
    try {
      await waitReady(session.page);
      await runToEnd(session.page);
      await session.page.waitForFunction(() => /guided target/.test(document.getElementById('density-distance')?.textContent ?? ''), null, { timeout: 60_000 });
      const text = await session.page.evaluate(() => document.getElementById('density-distance').textContent);
      assert.match(text, /p_t\(x \| upper\)\^w p_t\(x\)\^\(1−w\) with w = 3/);
      await session.page.waitForFunction(() => /Classifier-free guidance/.test(document.getElementById('formulas-body').textContent));
      // Choosing classifier guidance typesets its formula instead.
      await session.page.selectOption('#guidance', 'classifier');
      await session.page.waitForFunction(() => /Classifier guidance \(Dhariwal/.test(document.getElementById('formulas-body').textContent));
    } finally {
      await session.close();
    }
  });
});
