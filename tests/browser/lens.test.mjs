// The arrows layer through each lens: vectors too small to read at their lens's scale (the
// velocity of a VP schedule at t = 0.5, about 0.3) are all drawn longer by one factor, which the
// legend states, instead of shrinking to bare arrowheads; the checkbox names no single lens.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LENSES, arrowScale } from '../../www/js/layers.js';
import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, waitReady } from './helpers.mjs';

describe('arrow lengths', () => {
  test('vectors of a readable size keep their lens scale', () => {
    const norms = [0.8, 1.2, 1.4, 1.6, 2.5];
    assert.equal(arrowScale(norms, LENSES.score), LENSES.score.lengthPerUnit);
  });
  test('small vectors are magnified by one factor so the median arrow is readable', () => {
    const norms = [0.1, 0.2, 0.3, 0.4, 0.5];
    const scale = arrowScale(norms, LENSES.velocity);
    assert.ok(scale > LENSES.velocity.lengthPerUnit);
    assert.ok(Math.abs(scale * 0.3 - 0.1) < 1e-12, `the median arrow is 0.1 world units: ${scale * 0.3}`);
  });
  test('no finite vector keeps the lens scale', () => {
    assert.equal(arrowScale([NaN, 0, Infinity], LENSES.eps), LENSES.eps.lengthPerUnit);
  });
});

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

describe('the velocity lens in the page', { timeout: TEST_TIMEOUT_MS }, () => {
  test('at t = 0.5 on VP linear the legend says the arrows were drawn longer, and the checkbox says "Arrows"', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=1024&t=0.5&playing=0&arrows=1&lens=velocity');
    try {
      await waitReady(session.page);
      await session.page.waitForFunction(() => window.dp.layersDrawn() > 0, null, { timeout: 30_000 });
      const seen = await session.page.evaluate(() => ({
        note: document.getElementById('arrow-magnification').textContent,
        hidden: document.getElementById('arrow-magnification').hidden,
        label: document.querySelector('label[for="arrows"]').textContent,
      }));
      assert.equal(seen.hidden, false, `the magnification is stated; ${await pageReport(session)}`);
      assert.match(seen.note, /drawn \d+(\.\d)?× longer/);
      assert.equal(seen.label, 'Arrows');
    } finally {
      await session.close();
    }
  });
});
