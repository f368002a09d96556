// The CPU path: without WebGPU, or when the link asks for the CPU, the page still runs, says so
// in a banner, and produces finite particles (with the default sampler, and with EDM's stochastic
// Heun sampler on the VE schedule).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

/**
 * Opens `hash` in a browser with or without WebGPU and checks the CPU path end to end.
 * @returns {Promise<{ steps: number, evaluations: number, options: object }>} the steps taken, the
 *   network evaluations per particle the run reports, and the options it ran with
 */
async function checkCpuPath({ webgpu, hash }) {
  const browser = await launchHeadless({ webgpu });
  try {
    const session = await openPlayground(browser, hash);
    const { page } = session;
    await waitReady(page);
    const seen = await page.evaluate(() => {
      const pg = window.dp.playground;
      const banner = document.getElementById('backend-banner');
      return {
        backend: pg.backend,
        note: pg.backend_note,
        adapter: pg.adapter_name,
        bannerVisible: !banner.hidden && banner.getBoundingClientRect().height > 0,
        bannerText: banner.textContent.replace(/\s+/g, ' ').trim(),
        readout: document.getElementById('readout-backend').textContent,
      };
    });
    assert.equal(seen.backend, 'cpu', `expected the CPU path; ${await pageReport(session)}`);
    assert.equal(seen.adapter, '', 'no adapter name on the CPU path');
    assert.ok(seen.bannerVisible, 'the #backend-banner is visible');
    assert.match(seen.bannerText, /CPU/, 'the banner says CPU');
    assert.ok(seen.note.length > 0 && seen.bannerText.includes(seen.note), `the banner carries backend_note: "${seen.note}"`);
    assert.match(seen.readout, /CPU/, 'the backend readout says CPU');

    const taken = await runToEnd(page);
    const result = await page.evaluate(async () => {
      const pg = window.dp.playground;
      const positions = await pg.read_positions();
      return {
        done: pg.done,
        evaluations: pg.evaluations,
        options: pg.options(),
        count: positions.length / 2,
        finite: positions.every(Number.isFinite),
      };
    });
    assert.equal(taken, 30, 'the run takes all its steps');
    assert.ok(result.done, 'the run is done');
    assert.equal(result.count, 2048, 'every particle is read back');
    assert.ok(result.finite, 'every position is finite');
    assert.deepEqual(session.errors, [], 'no console errors');
    await session.close();
    return { steps: taken, evaluations: result.evaluations, options: result.options };
  } finally {
    await browser.close();
  }
}

describe('the CPU fallback', { timeout: TEST_TIMEOUT_MS }, () => {
  test('a browser without WebGPU runs on the CPU and shows the banner', async () => {
    const run = await checkCpuPath({ webgpu: false, hash: 'particles=2048&steps=30&playing=0' });
    assert.equal(run.evaluations, 30, 'Euler-Maruyama: one network evaluation per step');
  });

  test('the automatic choice on a software adapter shows its first frame on the CPU at once, then times both paths and says which won', async () => {
    const browser = await launchHeadless({ webgpu: true });
    try {
      const session = await openPlayground(browser, 'particles=2048&steps=30&playing=0');
      const { page } = session;
      await waitReady(page);
      const first = await page.evaluate(() => ({
        backend: window.dp.playground.backend,
        provisional: window.dp.playground.paths_to_compare,
        note: window.dp.playground.backend_note,
      }));
      assert.equal(first.backend, 'cpu', `the first frame comes from the CPU; ${await pageReport(session)}`);
      assert.ok(first.provisional, 'the playground knows it started on the CPU provisionally');
      assert.match(first.note, /software emulation.*times both paths/, 'the banner says why it starts on the CPU');
      try {
        await page.waitForFunction(() => window.dp.pathComparison() !== null, null, { timeout: 60_000 });
      } catch {
        assert.fail(`no comparison of the two paths within 60 s; ${await pageReport(session)}`);
      }
      const comparison = await page.evaluate(() => window.dp.pathComparison());
      assert.ok(comparison.software, 'SwiftShader is reported as a software adapter');
      for (const rate of [comparison.gpu_evaluations_per_second, comparison.cpu_evaluations_per_second]) {
        assert.ok(Number.isFinite(rate) && rate > 0, `measured rates are positive: ${JSON.stringify(comparison)}`);
      }
      if (comparison.winner === 'cpu') {
        const banner = await page.evaluate(() => document.getElementById('backend-note').textContent);
        assert.match(banner, /the CPU measured \d+(\.\d)?x faster \(\d+\.\d\d vs \d+\.\d\d million/, 'the banner gives the measured ratio and rates');
        assert.equal(await page.evaluate(() => window.dp.playground.backend), 'cpu', 'the CPU is kept');
      } else {
        await page.waitForFunction(() => window.dp.playground?.backend === 'webgpu', null, { timeout: 60_000 });
      }
      await waitReady(page);
      const taken = await runToEnd(page);
      assert.equal(taken, 30, 'the run then takes all its steps');
      assert.deepEqual(session.errors, [], 'no console errors');
      await session.close();
    } finally {
      await browser.close();
    }
  });

  test('backend=cpu in the link runs on the CPU even where WebGPU works (Heun with churn on VE, exact score)', async () => {
    const run = await checkCpuPath({
      webgpu: true,
      hash: 'backend=cpu&sampler=heun&schedule=ve&churn=10&score=exact&particles=2048&steps=30&playing=0',
    });
    const { sampler, schedule, churn, score } = run.options;
    assert.deepEqual({ sampler, schedule, churn, score }, { sampler: 'heun', schedule: 've', churn: 10, score: 'exact' }, 'the options of the link are used');
    // Heun evaluates twice per step, except a last step that ends at sigma = 0; VE ends at sigma_min > 0.
    assert.ok(run.evaluations > run.steps, `Heun takes more network evaluations (${run.evaluations}) than steps (${run.steps})`);
  });

  test('backend=webgpu in a browser without WebGPU explains itself and falls back to the CPU', async () => {
    const browser = await launchHeadless({ webgpu: false });
    try {
      const session = await openPlayground(browser, 'backend=webgpu&particles=2048&steps=30&playing=0');
      await waitReady(session.page);
      const seen = await session.page.evaluate(() => ({
        backend: window.dp.playground.backend,
        notices: [...document.querySelectorAll('#notices .notice')].map((n) => n.textContent),
        hash: location.hash,
      }));
      assert.equal(seen.backend, 'cpu', 'the page still runs, on the CPU');
      assert.ok(
        seen.notices.some((text) => /webgpu/i.test(text)),
        `a notice says why WebGPU could not be used; notices: ${JSON.stringify(seen.notices)}`,
      );
      assert.match(seen.hash, /backend=(auto|cpu)/, 'the address bar shows the backend actually used');
      // The failed WebGPU attempt is reported on the page, not as a stray console error.
      assert.deepEqual(session.errors, []);
      await session.close();
    } finally {
      await browser.close();
    }
  });
});
