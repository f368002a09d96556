// The measured shape of the MLP kernels on the page's WebGPU adapter (docs/measured.md): a
// software adapter (SwiftShader here) is not tuned on its own; tuning it on
// request times every workgroup size and weights format (the half-float ones included), every
// shape agrees with the default's particles, the running playground switches to the fastest,
// the readout names it, a restart keeps it, and the particles of a run are the default shape's.
// The report is kept in localStorage for the adapter: a second page starts in the shape without
// timing again, and a kept shape the device cannot run is dropped.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

/** A deterministic run (probability-flow ODE with Heun) on WebGPU, small enough for SwiftShader. */
const RUN = 'backend=webgpu&sampler=heun&particles=500&steps=12&playing=0';
/** How far the shapes' particles may be apart (the same f32 arithmetic; a compiler's FMAs aside). */
const SHAPE_TOLERANCE = 1e-5;

let browser;
before(async () => {
  browser = await launchHeadless();
});
after(async () => {
  await browser?.close();
});

const largestDifference = (a, b) => a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i])), 0);

describe('the MLP kernels tuned for the adapter', { timeout: TEST_TIMEOUT_MS }, () => {
  test('tuning SwiftShader on request times every shape and runs the fastest, with the same particles', async () => {
    const session = await openPlayground(browser, RUN);
    const { page } = session;
    try {
      await waitReady(page);
      await page.evaluate(() => window.dp.firstFrame);
      assert.equal(await page.evaluate(() => window.dp.playground.backend), 'webgpu');
      assert.equal(await page.evaluate(() => window.dp.kernelTuning()), null, 'a software adapter is not tuned on its own');
      assert.equal(await page.evaluate(() => window.dp.playground.gpu_kernel_shape), '64 x f32 uniform');
      await runToEnd(page);
      const defaultParticles = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));

      const report = await page.evaluate(() => window.dp.tuneKernels({ force: true, particles: 256 }));
      assert.ok(report, `tuning ran; ${await page.evaluate(() => window.dp.kernelTuningFailure())}`);
      const shapes = report.timings.map((t) => t.shape);
      assert.ok(shapes.length >= 12, `four formats or more at three workgroup sizes: ${shapes.join(', ')}`);
      assert.equal(shapes[0], '64 x f32 uniform', 'the default is timed first');
      for (const weights of ['f32 storage', 'f16 uniform (packed)', 'f16 storage (packed)']) {
        assert.ok(shapes.includes(`256 x ${weights}`), `${weights} at 256 is timed`);
      }
      for (const timing of report.timings) {
        assert.ok(timing.agrees, `${timing.shape} agrees with the default shape`);
        assert.ok(timing.evaluations_per_second > 0, `${timing.shape} has a rate`);
      }
      const fastest = report.timings.reduce((best, t) => (t.evaluations_per_second > best.evaluations_per_second ? t : best));
      assert.equal(report.chosen, fastest.shape, 'the fastest shape is chosen');
      assert.equal(await page.evaluate(() => window.dp.playground.gpu_kernel_shape), report.chosen, 'the playground runs it');

      // The run again, in the tuned shape, on a new playground (to the CPU and back to WebGPU).
      await page.selectOption('#backend', 'cpu');
      await page.waitForFunction(() => window.dp.playground?.backend === 'cpu');
      await page.selectOption('#backend', 'webgpu');
      await page.waitForFunction(() => window.dp.playground?.backend === 'webgpu');
      assert.equal(await page.evaluate(() => window.dp.playground.gpu_kernel_shape), report.chosen, 'a restart keeps the tuned shape');
      await runToEnd(page);
      const tunedParticles = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
      assert.equal(tunedParticles.length, defaultParticles.length);
      const apart = largestDifference(tunedParticles, defaultParticles);
      assert.ok(apart <= SHAPE_TOLERANCE, `the tuned shape's particles are ${apart} from the default's`);
      await page.waitForFunction((shape) => document.getElementById('readout-backend').textContent.includes(shape), report.chosen);

      // A second page of the same site (another embed, or a later visit) reads the kept report.
      const second = await page.context().newPage();
      await second.goto(page.url());
      await waitReady(second);
      await second.waitForFunction(() => window.dp.kernelTuning() !== null);
      const kept = await second.evaluate(() => ({ report: window.dp.kernelTuning(), shape: window.dp.playground.gpu_kernel_shape }));
      assert.equal(kept.report.from_storage, true, 'the kept report, not a new timing');
      assert.equal(kept.report.chosen, report.chosen);
      assert.equal(kept.shape, report.chosen, 'the second page runs the kept shape');
      await second.close();
      assert.deepEqual(session.errors, [], `no console errors; ${await pageReport(session)}`);
    } finally {
      await session.close();
    }
  });

  test('a kept shape the device cannot run is dropped, and the default shape runs', async () => {
    const session = await openPlayground(browser, RUN);
    const { page } = session;
    try {
      await waitReady(page);
      // This page reads the kept shape once its first frame is done: plant the entry after
      // that, or this page finds it, drops it, and the reloaded page never sees it.
      await page.evaluate(() => window.dp.firstFrame);
      await page.evaluate(() => {
        const adapter = window.dp.playground.adapter_name;
        const report = { chosen: '100 x f32 uniform', config: { workgroup_size: 100, weights: 'f32_uniform' }, timings: [] };
        localStorage.setItem('diffusion-playground.kernel-shape.v1', JSON.stringify({ adapter, report }));
      });
      await page.reload();
      await waitReady(page);
      await page.evaluate(() => window.dp.firstFrame);
      await page.waitForFunction(() => window.dp.kernelTuningFailure() !== null);
      const seen = await page.evaluate(() => ({
        failure: window.dp.kernelTuningFailure(),
        report: window.dp.kernelTuning(),
        shape: window.dp.playground.gpu_kernel_shape,
        kept: localStorage.getItem('diffusion-playground.kernel-shape.v1'),
      }));
      assert.match(seen.failure, /workgroup size 100/);
      assert.equal(seen.report, null);
      assert.equal(seen.shape, '64 x f32 uniform', 'the default shape runs');
      assert.equal(seen.kept, null, 'the entry is dropped');
      // Garbage in storage is ignored.
      await page.evaluate(() => localStorage.setItem('diffusion-playground.kernel-shape.v1', '{not json'));
      await page.reload();
      await waitReady(page);
      await page.evaluate(() => window.dp.firstFrame);
      assert.equal(await page.evaluate(() => window.dp.kernelTuning()), null);
      assert.deepEqual(session.errors, [], `no console errors; ${await pageReport(session)}`);
    } finally {
      await session.close();
    }
  });

  test('a kernel shape the device cannot run is refused with a reason', async () => {
    const session = await openPlayground(browser, RUN);
    const { page } = session;
    try {
      await waitReady(page);
      const refused = await page.evaluate(() => {
        const messages = [];
        for (const shape of [{ workgroup_size: 100, weights: 'f32_uniform' }, { workgroup_size: 64, weights: 'f64' }, 'wide']) {
          try {
            window.dp.playground.set_gpu_kernel_shape(shape);
            messages.push('accepted');
          } catch (error) {
            messages.push(error.message);
          }
        }
        return { messages, shape: window.dp.playground.gpu_kernel_shape };
      });
      assert.match(refused.messages[0], /workgroup size 100/);
      assert.match(refused.messages[1], /kernel shape is \{ workgroup_size, weights \}/);
      assert.match(refused.messages[2], /kernel shape/);
      assert.equal(refused.shape, '64 x f32 uniform', 'nothing changed');
    } finally {
      await session.close();
    }
  });
});
