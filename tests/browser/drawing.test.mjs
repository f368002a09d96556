// Draw your own data: strokes from synthetic pointer events become a drawing, a network trained
// in the page learns it (the loss falls, the samples land on the drawing), and drawings travel in
// share links and JSON.

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

/** Fraction of `positions` (x, y pairs) within 0.3 of the circle of radius `radius`. */
function onCircle(positions, radius) {
  let near = 0;
  for (let i = 0; i < positions.length; i += 2) if (Math.abs(Math.hypot(positions[i], positions[i + 1]) - radius) < 0.3) near += 1;
  return near / (positions.length / 2);
}

describe('drawing your own data', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const backend of ['webgpu', 'cpu']) {
    test(`on ${backend}: draw a circle, train a network in the page, and its samples land on the circle`, async (t) => {
      const session = await openPlayground(browser, `backend=${backend}&particles=2048&steps=60&draw=1&playing=0`);
      try {
        await waitReady(session.page);
        await drawCircle(session.page);
        assert.match(await session.page.$eval('#draw-status', (e) => e.textContent), /^\d+ points drawn/);
        await session.page.fill('#train-steps', '1500');
        await session.page.click('#draw-train');
        await session.page.waitForFunction(() => window.dp.trainingsFinished() > 0, null, { timeout: 180_000 });
        const report = await session.page.evaluate(() => window.dp.trainingReport());
        assert.equal(report.steps, 1500);
        t.diagnostic(`trained ${report.steps} steps of batch 128 in ${report.seconds} s on ${report.where}; loss ${report.first.toFixed(3)} -> ${report.last.toFixed(3)}`);
        assert.equal(report.where, backend === 'webgpu' ? 'WebGPU' : 'CPU', 'it trains on the GPU where the page runs on WebGPU');
        assert.ok(report.last < 0.7 * report.first, `the loss falls: ${report.first} -> ${report.last}`);
        const seen = await session.page.evaluate(() => ({ score: window.dp.playground.options().score, hash: location.hash }));
        assert.equal(seen.score, 'mlp', 'the learned score samples the drawing');
        await session.page.waitForFunction(() => /drawn=/.test(location.hash), null, { timeout: 5000 });
        await runToEnd(session.page);
        const positions = await session.page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
        const fraction = onCircle(positions, 1.5);
        assert.ok(fraction > 0.8, `${(100 * fraction).toFixed(1)}% of the samples lie on the drawn circle`);
        assert.deepEqual(session.errors, []);
        // The trained network travels with the share link (half floats, with its coordinate
        // features 18,870 characters).
        await session.page.waitForFunction(() => /[#&]net=[A-Za-z0-9_-]{18870}(&|$)/.test(location.hash), null, { timeout: 5000 });
        const hash = await session.page.evaluate(() => location.hash.slice(1));
        const second = await openPlayground(browser, hash);
        try {
          await waitReady(second.page);
          const opened = await second.page.evaluate(() => ({ score: window.dp.playground.options().score, net: window.dp.playground.network_link()?.length }));
          assert.deepEqual(opened, { score: 'mlp', net: 14152 }, await pageReport(second));
          assert.match((await noticeTexts(second.page)).join(' '), /The link carries a network \(eps on vp_linear, as half floats\)/);
          await runToEnd(second.page);
          const again = await second.page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
          const share = onCircle(again, 1.5);
          assert.ok(share > 0.8, `from the link: ${(100 * share).toFixed(1)}% of the samples lie on the drawn circle`);
          assert.deepEqual(second.errors, []);
        } finally {
          await second.close();
        }
      } finally {
        await session.close();
      }
    });
  }

  test('a share link carries the drawing; it reopens with its exact score; JSON export and import round-trip', async () => {
    const first = await openPlayground(browser, 'backend=cpu&particles=1024&steps=40&draw=1&playing=0&score=exact');
    let link;
    let json;
    try {
      await waitReady(first.page);
      await drawCircle(first.page, 0.15);
      await first.page.click('#draw-use');
      await first.page.waitForFunction(() => /drawn=/.test(location.hash), null, { timeout: 5000 });
      link = await first.page.evaluate(() => location.hash.slice(1));
      await first.page.click('#draw-export');
      json = await first.page.$eval('#draw-json', (e) => e.value);
    } finally {
      await first.close();
    }
    const points = JSON.parse(json).points;
    assert.ok(points.length > 20 && points.every(([x, y]) => Math.abs(Math.hypot(x, y) - 0.9) < 0.1), 'the exported points are the circle');
    const second = await openPlayground(browser, link.replace('score=exact', 'score=mlp'));
    try {
      await waitReady(second.page);
      const seen = await second.page.evaluate(() => ({ drawing: window.dp.playground.drawing()?.length, score: window.dp.playground.options().score }));
      assert.equal(seen.drawing, 2 * points.length, 'the link restores every drawn point');
      assert.equal(seen.score, 'exact', 'without a trained network the exact score is used');
      assert.match((await noticeTexts(second.page)).join(' '), /not a network trained on it/);
      await runToEnd(second.page);
      const positions = await second.page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
      assert.ok(onCircle(positions, 0.9) > 0.9, 'the exact score carries the particles onto the drawing');
      await second.page.fill('#draw-json', '{"points": [[0, 0], [7, 0]]}');
      await second.page.click('#draw-import');
      assert.match((await noticeTexts(second.page)).join(' '), /not imported: point 1 is not a pair of numbers inside \[-3, 3\]/);
      await second.page.fill('#draw-json', json);
      await second.page.click('#draw-import');
      assert.equal(await second.page.evaluate(() => window.dp.playground.drawing()?.length), 2 * points.length);
    } finally {
      await second.close();
    }
    const broken = await openPlayground(browser, 'backend=cpu&particles=256&drawn=%%%notbase64');
    try {
      await waitReady(broken.page);
      assert.match((await noticeTexts(broken.page)).join(' '), /Link setting drawn ".*" is not allowed \(allowed: a drawing/);
      assert.equal(await broken.page.evaluate(() => window.dp.playground.drawing()), undefined);
    } finally {
      await broken.close();
    }
  });
});
