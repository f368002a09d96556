// A link may ask a run to start a hair above t = 0, where the noise is smaller than f32 particles
// can hold. Such links used to give NaN particles and an "Infinity" distance with no notice; now
// the run starts at the schedule's smallest meaningful time, the page says so,
// the link keeps the fraction actually used, and every particle stays finite to the end.

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

const SMALL = 'particles=1024&playing=0';
/** The links that reproduced it: each gave every particle NaN. */
const LINKS = [
  `t=1e-300&score=empirical&backend=cpu&${SMALL}`,
  `t=1e-300&score=empirical&backend=webgpu&${SMALL}`,
  `t=1e-12&schedule=rectified_flow&score=empirical&backend=cpu&${SMALL}`,
  `t=1e-300&dataset=two_normals_1d&score=exact&backend=cpu&${SMALL}`,
  `t=1e-300&schedule=rectified_flow&sampler=ddpm_ancestral&backend=cpu&${SMALL}`,
];

describe('starts below the smallest meaningful time', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const hash of LINKS) {
    test(`#${hash}: a notice, the floor in the link, finite particles to the end`, async () => {
      const session = await openPlayground(browser, hash);
      try {
        await waitReady(session.page);
        const notices = await noticeTexts(session.page);
        assert.ok(
          notices.some((text) => text.includes('smallest meaningful start')),
          `a notice says where the run starts instead; ${await pageReport(session)}`,
        );
        const seen = await session.page.evaluate(() => ({
          floor: window.dp.describe().schedules.find((s) => s.name === window.dp.state().schedule).min_start_fraction,
          t: window.dp.state().t,
          fraction: window.dp.playground.time_fraction,
        }));
        assert.ok(seen.floor > 0, `the schedule has a floor above 0: ${seen.floor}`);
        assert.ok(Math.abs(seen.t - seen.floor) <= 1e-12 * Math.max(1, seen.floor), `the state keeps the floor: ${JSON.stringify(seen)}`);
        await session.page.waitForFunction(
          (floor) => new URLSearchParams(location.hash.slice(1)).get('t') === String(floor),
          seen.t,
        );
        assert.ok((await runToEnd(session.page)) > 0, 'the run has steps left to take');
        const positions = await session.page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
        const bad = positions.findIndex((v) => !Number.isFinite(v));
        assert.equal(bad, -1, `value ${bad} of ${positions.length} is ${positions[bad]}`);
        assert.deepEqual(session.errors, [], 'no error on the console');
      } finally {
        await session.close();
      }
    });
  }
});
