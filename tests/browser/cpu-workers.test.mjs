// The CPU path on every core (docs/features.md, "Backends"): the page splits its
// particles over Web Workers, each with its own instance of the module it compiled once. A run
// played on two or three workers is the run the page's own thread takes, bit for bit (guided,
// multistep, with the class-conditional network), and the readout says how many workers step it.
// A worker that fails, or dies without a word, hands the run back to the page's thread with a notice and the same
// particles; an SMC run (its resampling couples the particles) stays on the page's thread; a
// `threads` value out of range is reported and the automatic choice used.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, noticeTexts, openPlayground, pageReport, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

/** Waits until the run shown is done (played by the page). */
const playedToEnd = (page, timeout = 120_000) =>
  page.waitForFunction(() => window.dp.playground.done, null, { timeout });

/** The particles now, as numbers (read straight from the wasm: exact). */
const positions = (page) => page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));

/** The same run again on the page's own thread (paused, stepped synchronously from the console). */
const rerunOnThePagesThread = (page) =>
  page.evaluate(async () => {
    const pg = window.dp.playground;
    pg.reset();
    while (!pg.done) pg.step(5);
    return Array.from(await pg.read_positions());
  });

/** Index of the first number that differs, or -1. */
const firstDifference = (a, b) => (a.length !== b.length ? 0 : a.findIndex((x, i) => !Object.is(x, b[i])));

const readout = (page) => page.$eval('#readout-backend', (element) => element.textContent.trim());

describe('the CPU path on Web Workers', { timeout: TEST_TIMEOUT_MS }, () => {
  const runs = [
    ['multistep UniPC guided by the exact classifier', 'sampler=unipc&score=exact&guidance=classifier&class=lower&guidance_scale=2'],
    ['the class-conditional network with classifier-free guidance', 'score=mlp&guidance=cfg&class=upper&sampler=heun'],
  ];
  for (const [what, settings] of runs) {
    test(`${what}: played on 2 and on 3 workers, the particles are the page's own run bit for bit`, async () => {
      const session = await openPlayground(browser, `backend=cpu&particles=1500&steps=24&threads=2&${settings}`);
      const { page } = session;
      try {
        await waitReady(page);
        await playedToEnd(page);
        assert.equal(await page.evaluate(() => window.dp.workersInUse()), 2, `two workers stepped the run; ${await pageReport(session)}`);
        assert.match(await readout(page), /CPU \(WebAssembly\) · 2 workers/, 'the backend readout names the workers');
        const onTwo = await positions(page);
        assert.equal(onTwo.length, 3000);
        assert.ok(onTwo.every(Number.isFinite), 'finite particles');
        const own = await rerunOnThePagesThread(page);
        assert.equal(firstDifference(onTwo, own), -1, 'two workers give the page thread\'s particles exactly');
        // Three workers, from the settings' control, split the 1,500 particles unevenly: 512, 512
        // and 476.
        await page.fill('#threads', '3');
        await page.dispatchEvent('#threads', 'change');
        await page.waitForFunction(() => window.dp.state().threads === 3 && /threads=3/.test(location.hash));
        await page.evaluate(() => {
          window.dp.playground.reset();
          document.getElementById('play').click();
        });
        await playedToEnd(page);
        assert.equal(await page.evaluate(() => window.dp.workersInUse()), 3, 'three workers now');
        assert.equal(firstDifference(await positions(page), own), -1, 'three workers give the same particles');
        assert.deepEqual(session.errors, [], 'no console errors');
      } finally {
        await session.close();
      }
    });
  }

  test('a worker that fails hands the run to the page\'s thread, which ends it with the same particles', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=2000&steps=300&threads=2&sampler=dpm_solver_2m');
    const { page } = session;
    try {
      await waitReady(page);
      await page.waitForFunction(() => window.dp.workersInUse() === 2 && window.dp.playground.step_index > 3, null, { timeout: 60_000 });
      await page.evaluate(() => window.dp.breakWorkers());
      await page.waitForFunction(() => window.dp.workerFailure() !== '', null, { timeout: 30_000 });
      await playedToEnd(page);
      const notices = await noticeTexts(page);
      assert.ok(
        notices.some((text) => /a CPU worker failed: .*no work for run -1.*the page's own thread/.test(text)),
        `the failure is reported: ${JSON.stringify(notices)}`,
      );
      assert.equal(await page.evaluate(() => window.dp.workersInUse()), 0);
      assert.doesNotMatch(await readout(page), /worker/, 'the readout no longer names workers');
      const ended = await positions(page);
      assert.equal(firstDifference(ended, await rerunOnThePagesThread(page)), -1, 'the run the workers began and the page ended is the page\'s own');
    } finally {
      await session.close();
    }
  });

  test('a worker that dies without a word is given up after the job timeout; the page ends the run the same', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=2000&steps=300&threads=2&sampler=heun');
    const { page } = session;
    try {
      await waitReady(page);
      await page.waitForFunction(() => window.dp.workersInUse() === 2 && window.dp.playground.step_index > 3, null, { timeout: 60_000 });
      await page.evaluate(() => window.dp.silenceWorker(500));
      await page.waitForFunction(() => window.dp.workerFailure() !== '', null, { timeout: 30_000 });
      await playedToEnd(page);
      const notices = await noticeTexts(page);
      assert.ok(
        notices.some((text) => /a CPU worker did not answer within 0\.5 s; the CPU path steps on the page's own thread/.test(text)),
        `the silence is reported: ${JSON.stringify(notices)}`,
      );
      const ended = await positions(page);
      assert.equal(firstDifference(ended, await rerunOnThePagesThread(page)), -1, 'the same particles');
    } finally {
      await session.close();
    }
  });

  test('an SMC run stays on the page\'s thread; threads out of range falls back to the automatic choice', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=800&steps=20&threads=99&posterior=smc&score=exact&observe=1,0&observation=0.5');
    const { page } = session;
    try {
      await waitReady(page);
      const notices = await noticeTexts(page);
      assert.ok(notices.some((text) => /threads "99"/.test(text) && /0 to 16/.test(text)), `threads=99 is reported: ${JSON.stringify(notices)}`);
      assert.equal(await page.evaluate(() => window.dp.state().threads), 0, 'the automatic choice');
      await playedToEnd(page);
      assert.equal(await page.evaluate(() => window.dp.workersInUse()), 0, 'SMC is not split');
      assert.doesNotMatch(await readout(page), /worker/);
      assert.equal(await page.evaluate(() => window.dp.workerFailure()), '');
    } finally {
      await session.close();
    }
  });
});
