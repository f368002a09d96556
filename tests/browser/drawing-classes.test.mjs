// Drawings with classes: strokes drawn in two colours are two classes; guidance steers a run of
// the drawing toward one (exact scores, and a class-conditional network trained in the page on
// the CPU and on WebGPU); share links carry the colours, the guidance and the network, and
// reopen guided whatever the timing (a busy page's thread, late network files, a link typed into
// the address bar of a running page).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { STROKE_BAR_X, TEST_TIMEOUT_MS, drawTwoColours, launchHeadless, noticeTexts, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

const BAR_X = STROKE_BAR_X;

/** Fraction of `positions` (x, y pairs) on the orange bar. */
function onBar(positions) {
  let near = 0;
  for (let i = 0; i < positions.length; i += 2) if (Math.abs(positions[i] - BAR_X) < 0.35 && Math.abs(positions[i + 1]) < 1.3) near += 1;
  return near / (positions.length / 2);
}

/** How long the busy page's thread is blocked in each BUSY_PERIOD_MS, and the delay of its network files (ms). */
const BUSY_BLOCK_MS = 35;
const BUSY_PERIOD_MS = 50;
const LATE_FILE_MS = 600;

/**
 * Makes a context's pages slow in the ways a busy machine does: the page's thread is blocked
 * most of the time (from before its first script), and every network file arrives late.
 * @param {import('playwright-core').BrowserContext} context
 */
async function keepBusy(context) {
  await context.addInitScript(([block, period]) => {
    setInterval(() => {
      const until = performance.now() + block;
      while (performance.now() < until);
    }, period);
  }, [BUSY_BLOCK_MS, BUSY_PERIOD_MS]);
  await context.route(/\/weights\//, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, LATE_FILE_MS));
    await route.continue();
  });
}

/**
 * The page's link (without '#') once the address bar matches every pattern of `wanted`.
 * @param {import('playwright-core').Page} page
 * @param {RegExp[]} wanted
 */
async function linkOnceWritten(page, wanted) {
  await page.waitForFunction((sources) => sources.every((source) => new RegExp(source).test(location.hash)), wanted.map((r) => r.source), { timeout: 10_000 });
  return page.evaluate(() => location.hash.slice(1));
}

/**
 * Opens `hash` in a page of its own (`busy`: with keepBusy), waits until it is ready, runs
 * `check` on it, and asserts that the page logged no error.
 * @param {string} hash
 * @param {(session: Awaited<ReturnType<typeof openPlayground>>) => Promise<void>} check
 */
async function inPageOf(hash, check, { busy = false } = {}) {
  const session = await openPlayground(browser, hash, busy ? { beforeLoad: keepBusy } : {});
  try {
    await waitReady(session.page);
    await check(session);
    assert.deepEqual(session.errors, []);
  } finally {
    await session.close();
  }
}

/** @param {import('playwright-core').Page} page */
async function endPositions(page) {
  await runToEnd(page);
  return page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
}

describe('drawings with classes', { timeout: TEST_TIMEOUT_MS }, () => {
  test('on cpu: two stroke colours are two classes; guidance toward orange lands on the bar; the link reopens it', async () => {
    const session = await openPlayground(browser, 'backend=cpu&score=exact&particles=1024&steps=60&draw=1&playing=0');
    try {
      await waitReady(session.page);
      await drawTwoColours(session.page);
      await session.page.click('#draw-use');
      const classes = await session.page.evaluate(() => window.dp.playground.guidable_classes().map((c) => c.name));
      assert.deepEqual(classes, ['blue', 'orange'], 'the colours drawn');
      await session.page.selectOption('#guidance', 'cfg');
      const listed = await session.page.$$eval('#class option', (options) => options.map((o) => o.value));
      assert.deepEqual(listed, ['blue', 'orange'], 'the class control lists the drawing’s colours');
      await session.page.selectOption('#class', 'orange');
      await session.page.fill('#guidance_scale', '3');
      await session.page.dispatchEvent('#guidance_scale', 'change');
      const guided = await endPositions(session.page);
      assert.ok(onBar(guided) > 0.95, `${(100 * onBar(guided)).toFixed(1)}% on the orange bar`);
      await session.page.waitForFunction(() => /[#&]drawn_classes=a\d+b\d+(&|$)/.test(location.hash) && /[#&]class=orange/.test(location.hash), null, { timeout: 5000 });
      const hash = await session.page.evaluate(() => location.hash.slice(1));
      await inPageOf(hash, async (second) => {
        const opened = await second.page.evaluate(() => ({ ...window.dp.playground.options(), labels: window.dp.playground.drawing_labels()?.length }));
        assert.equal(opened.guidance, 'cfg', await pageReport(second));
        assert.equal(opened.class, 'orange');
        assert.ok(opened.labels > 40, 'every drawn point keeps its colour');
        const again = await endPositions(second.page);
        assert.ok(onBar(again) > 0.95, `from the link: ${(100 * onBar(again)).toFixed(1)}% on the orange bar`);
      });
      // Unguided, both colours are sampled; a link whose classes do not fit its drawing says so.
      await session.page.selectOption('#guidance', 'none');
      const both = onBar(await endPositions(session.page));
      assert.ok(both > 0.2 && both < 0.8, `unguided: ${(100 * both).toFixed(1)}% on the bar`);
      const drawn = /drawn=([A-Za-z0-9_-]+)/.exec(hash)?.[1];
      await inPageOf(`backend=cpu&score=exact&particles=256&drawn=${drawn}&drawn_classes=a3`, async (broken) => {
        assert.match((await noticeTexts(broken.page)).join(' '), /The drawing in the link was not used: its classes are for 3 points/);
      });
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  for (const backend of ['webgpu', 'cpu']) {
    test(`on ${backend}: a network trained on two colours is class-conditional and guides without a classifier`, async (t) => {
      const session = await openPlayground(browser, `backend=${backend}&particles=1024&steps=60&draw=1&playing=0`);
      try {
        await waitReady(session.page);
        await drawTwoColours(session.page);
        await session.page.fill('#train-steps', '1500');
        await session.page.click('#draw-train');
        await session.page.waitForFunction(() => window.dp.trainingsFinished() > 0, null, { timeout: 180_000 });
        const report = await session.page.evaluate(() => window.dp.trainingReport());
        t.diagnostic(`trained ${report.steps} steps on ${report.where} in ${report.seconds} s; loss ${report.first.toFixed(3)} -> ${report.last.toFixed(3)}`);
        assert.equal(report.where, backend === 'webgpu' ? 'WebGPU' : 'CPU');
        assert.match(await session.page.$eval('#draw-status', (e) => e.textContent), /class-conditional on your 2 stroke colours/);
        await session.page.selectOption('#guidance', 'cfg');
        await session.page.selectOption('#class', 'orange');
        const options = await session.page.evaluate(() => window.dp.playground.options());
        assert.deepEqual([options.score, options.guidance, options.class], ['mlp', 'cfg', 'orange'], await pageReport(session));
        const guided = onBar(await endPositions(session.page));
        assert.ok(guided > 0.8, `${(100 * guided).toFixed(1)}% of the guided samples on the orange bar`);
        // The conditional network travels with the link: 5,506 half floats and 5 rows of 64. The
        // address bar follows the state a moment after a change: the link is read once it says
        // everything the page shows (the network, the guidance and its class).
        const hash = await linkOnceWritten(session.page, [/[#&]net=[A-Za-z0-9_-]{19728}(&|$)/, /[#&]guidance=cfg(&|$)/, /[#&]class=orange(&|$)/]);
        const reopened = async (/** @type {Awaited<ReturnType<typeof openPlayground>>} */ second) => {
          const opened = await second.page.evaluate(() => window.dp.playground.options());
          assert.deepEqual([opened.score, opened.guidance, opened.class], ['mlp', 'cfg', 'orange'], await pageReport(second));
          const again = onBar(await endPositions(second.page));
          assert.ok(again > 0.8, `from the link: ${(100 * again).toFixed(1)}% on the orange bar`);
          // The page writes the same link back: nothing was lost on the way in.
          const written = await linkOnceWritten(second.page, [/[#&]net=[A-Za-z0-9_-]{19728}(&|$)/, /[#&]guidance=cfg(&|$)/, /[#&]class=orange(&|$)/]);
          assert.equal(new URLSearchParams(written).get('net'), new URLSearchParams(hash).get('net'), 'the network written back is the link\'s');
        };
        await inPageOf(hash, reopened);
        // The same link on a page whose thread is busy and whose network files arrive late: the
        // drawing, its network and the guidance are applied in one order whatever the timing.
        await inPageOf(hash, reopened, { busy: true });
        // Typed into the address bar of a page already running: the playground is made again
        // with the drawing, its network and the guidance, in that order.
        await inPageOf(`backend=${backend}&particles=1024&steps=60&playing=0`, async (third) => {
          await third.page.evaluate((next) => { location.hash = next; }, hash);
          await third.page.waitForFunction(() => window.dp.playground?.drawing_labels()?.length > 40 && window.dp.playground.options().guidance === 'cfg', null, { timeout: 60_000 });
          await reopened(third);
        });
        assert.deepEqual(session.errors, []);
      } finally {
        await session.close();
      }
    });
  }
});
