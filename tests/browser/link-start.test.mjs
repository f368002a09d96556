// Everything on screen is in the link, and the link's starting state is where a run returns: a
// figure opened at t = 0.5 goes back to the same forward-noised particles on Reset (R) and on
// Play after the end, instead of jumping to pure noise (issue 11, item 5).

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
      // Play after the end, too.
      await runToEnd(session.page);
      await session.page.click('#play');
      await session.page.waitForFunction(() => !window.dp.playground.done, null, { timeout: 10_000 });
      const again = await where(session.page);
      assert.equal(again.total, start.total, `Play after the end runs from t = 0.5 again (${start.total} steps), not from the prior; ${JSON.stringify(again)}; ${await pageReport(session)}`);
      assert.ok(again.fraction <= 0.5 + 1e-9, `it is at or below t = 0.5: ${JSON.stringify(again)}`);
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
