// The two builds of the module (docs/features.md, "Backends"): Chromium validates the
// relaxed-SIMD probe, so the page downloads only the relaxed-SIMD build (the network's
// multiply-adds fused where the hardware has FMA) and says so in the backend readout;
// `?wasm=simd128` loads only the exact SIMD128 build. The two agree within rounding: a
// deterministic 20-step Heun run's particles to 1e-4 (the batched network rounds each
// multiply-add once, not twice; 1.1e-5 measured), while the layers' per-particle predictions,
// which use the scalar network, are the same in both; and each build's workers give its page
// thread's particles bit for bit.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

/** Largest difference allowed between the builds' particles after the run below. */
const PARTICLE_TOLERANCE = 1e-4;
const RUN = 'backend=cpu&sampler=heun&particles=2000&steps=20&playing=0&threads=2';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

/** Opens RUN with `query`; returns the build, the modules fetched, the readout, the start's predictions and the end's particles. */
async function runBuild(query) {
  const session = await openPlayground(browser, RUN, {
    query,
    beforeLoad: async (context) => {
      context.fetched = [];
      context.on('request', (request) => request.url().endsWith('.wasm') && context.fetched.push(new URL(request.url()).pathname));
    },
  });
  const { page } = session;
  try {
    await waitReady(page);
    const start = await page.evaluate(async () => ({
      build: window.dp.wasmBuild,
      predictions: Array.from(await window.dp.playground.predict('eps', 1500)),
    }));
    await runToEnd(page);
    const particles = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
    // The same run played on two workers of this build.
    await page.evaluate(() => {
      window.dp.playground.reset();
      document.getElementById('play').click();
    });
    await page.waitForFunction(() => window.dp.playground.done, null, { timeout: 120_000 });
    const played = await page.evaluate(async () => ({
      workers: window.dp.workersInUse(),
      particles: Array.from(await window.dp.playground.read_positions()),
      readout: document.getElementById('readout-backend').textContent.trim(),
    }));
    assert.deepEqual(session.errors, [], `no console errors; ${await pageReport(session)}`);
    return { ...start, particles, played, fetched: page.context().fetched };
  } finally {
    await session.close();
  }
}

const largestDifference = (a, b) => a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i])), 0);

describe('the relaxed-SIMD and SIMD128 builds', { timeout: TEST_TIMEOUT_MS }, () => {
  test('Chromium gets the relaxed-SIMD build, ?wasm=simd128 the exact one, and they agree within rounding', async () => {
    const relaxed = await runBuild('');
    const exact = await runBuild('wasm=simd128');
    assert.equal(relaxed.build, 'relaxed-simd');
    assert.equal(exact.build, 'simd128');
    assert.deepEqual(relaxed.fetched, ['/pkg/first-frame/relaxed-simd/diffusion_playground_bg.wasm', '/pkg/relaxed-simd/diffusion_playground_bg.wasm'], 'only the relaxed-SIMD modules are downloaded: the first frame\'s, then the full one');
    assert.deepEqual(exact.fetched, ['/pkg/first-frame/diffusion_playground_bg.wasm', '/pkg/diffusion_playground_bg.wasm'], 'only the SIMD128 modules are downloaded');
    assert.match(relaxed.played.readout, /CPU \(WebAssembly\) · 2 workers · relaxed SIMD/);
    assert.doesNotMatch(exact.played.readout, /relaxed/);
    for (const build of [relaxed, exact]) {
      assert.equal(build.played.workers, 2);
      assert.ok(build.played.particles.every((x, i) => Object.is(x, build.particles[i])), `${build.build}: its workers give its page thread's particles exactly`);
    }
    assert.equal(largestDifference(relaxed.predictions, exact.predictions), 0, 'the scalar network is the same in both builds');
    const particleGap = largestDifference(relaxed.particles, exact.particles);
    console.log(`relaxed SIMD against SIMD128: the particles differ by at most ${particleGap.toExponential(2)}`);
    assert.ok(particleGap <= PARTICLE_TOLERANCE, `particles within ${PARTICLE_TOLERANCE}: ${particleGap}`);
  });
});
