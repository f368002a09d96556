// End to end on WebGPU: the reverse process, run to completion in the page, lands on the data
// distribution, with the exact score and with the learned MLP, and with a second-order solver on
// the EDM schedule with Karras et al.'s time grid.
//
// Quality bound: the sliced 2-Wasserstein distance between the sampled particles and a fresh
// data sample of the same size is at most 2.5 times the distance between two independent data
// samples of that size (the floor that finite samples alone set), both computed in the page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

const PARTICLES = 2048;
const STEPS = 100;
const BOUND_FACTOR = 2.5;

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** Runs one configuration to the end on WebGPU and measures it against the data. */
async function sampleAndMeasure({
  dataset, score, sampler = 'euler_maruyama', schedule = 'vp_linear', timeGrid = 'uniform', steps = STEPS,
}) {
  const hash = `backend=webgpu&dataset=${dataset}&schedule=${schedule}&sampler=${sampler}&score=${score}` +
    `&time_grid=${timeGrid}&particles=${PARTICLES}&steps=${steps}&seed=3&playing=0`;
  const session = await openPlayground(browser, hash);
  try {
    await waitReady(session.page);
    const backend = await session.page.evaluate(() => window.dp.playground.backend);
    assert.equal(backend, 'webgpu', `expected the WebGPU path; ${await pageReport(session)}`);
    const taken = await runToEnd(session.page);
    const result = await session.page.evaluate(async ({ dataset, n }) => {
      const pg = window.dp.playground;
      const positions = await pg.read_positions();
      const reference = window.dp.dataset_sample(dataset, 1001, n);
      const other = window.dp.dataset_sample(dataset, 2002, n);
      return {
        done: pg.done,
        t: pg.current_t,
        fraction: pg.time_fraction,
        evaluations: pg.evaluations,
        count: positions.length / 2,
        finite: positions.every(Number.isFinite),
        sw: window.dp.sliced_wasserstein(positions, reference),
        floor: window.dp.sliced_wasserstein(other, reference),
      };
    }, { dataset, n: PARTICLES });
    assert.deepEqual(session.errors, [], 'no console errors during the run');
    return { ...result, taken, steps };
  } finally {
    await session.close();
  }
}

function assertOnData(name, r) {
  assert.equal(r.taken, r.steps, `${name}: the run takes all ${r.steps} steps`);
  assert.ok(r.done, `${name}: the run is done`);
  assert.equal(r.fraction, 0, `${name}: the run ends at the start of the schedule's time range (t = ${r.t})`);
  assert.ok(r.evaluations >= r.steps, `${name}: at least one network evaluation per step, got ${r.evaluations} in ${r.steps} steps`);
  assert.equal(r.count, PARTICLES, `${name}: read_positions returns every particle`);
  assert.ok(r.finite, `${name}: every position is finite`);
  const bound = BOUND_FACTOR * r.floor;
  assert.ok(
    r.sw <= bound,
    `${name}: sliced W2(samples, data) = ${r.sw.toFixed(4)} exceeds the bound ${bound.toFixed(4)} ` +
      `(${BOUND_FACTOR} x the ${r.floor.toFixed(4)} between two independent data samples of ${PARTICLES})`,
  );
}

describe('the WebGPU path, end to end', { timeout: TEST_TIMEOUT_MS }, () => {
  test(`8 Gaussians with the exact score: sliced W2 to the data <= ${BOUND_FACTOR} x the two-sample distance`, async () => {
    assertOnData('exact score', await sampleAndMeasure({ dataset: 'gaussian_mixture', score: 'exact' }));
  });

  test(`8 Gaussians with the learned MLP: sliced W2 to the data <= ${BOUND_FACTOR} x the two-sample distance`, async () => {
    assertOnData('MLP score', await sampleAndMeasure({ dataset: 'gaussian_mixture', score: 'mlp' }));
  });

  test(`two moons, probability-flow ODE, learned MLP: sliced W2 to the data <= ${BOUND_FACTOR} x the two-sample distance`, async () => {
    assertOnData('two moons ODE', await sampleAndMeasure({ dataset: 'two_moons', score: 'mlp', sampler: 'probability_flow_euler' }));
  });

  test(`8 Gaussians, DPM-Solver++ (2M) on EDM with the Karras grid in 30 steps, exact score: sliced W2 <= ${BOUND_FACTOR} x the two-sample distance`, async () => {
    const r = await sampleAndMeasure({
      dataset: 'gaussian_mixture', score: 'exact', sampler: 'dpm_solver_2m', schedule: 'edm', timeGrid: 'karras', steps: 30,
    });
    assertOnData('DPM-Solver++ 2M, EDM, Karras', r);
    assert.equal(r.evaluations, 30, 'DPM-Solver++ (2M) is a multistep method: one network evaluation per step');
  });
});

// Smoke test of every sampler in the browser: each runs on WebGPU and on the CPU inside the wasm
// from the same seed, ends with finite particles, counts its network evaluations, and both paths
// agree (the same coefficients drive both; tolerance 1e-2 absolute for f32 differences that grow
// over a run on the software adapter, 5e-2 for the samplers that draw fresh noise: their normals
// differ by the accuracy of SwiftShader's log and cos, measured 1.9e-2 at most with eta = 0.5
// where every sampler agrees to 8e-4 without noise).
describe('every sampler in the browser', () => {
  test('runs on WebGPU and on the CPU with the same result', { timeout: TEST_TIMEOUT_MS }, async () => {
    const session = await openPlayground(browser, 'backend=webgpu&particles=256&playing=0');
    try {
      await waitReady(session.page);
      const rows = await session.page.evaluate(async () => {
        // The module the page loaded (whichever build: wasm-module.js), already instantiated.
        const m = window.dp.wasm;
        await window.dp.ensureNetwork('gaussian_mixture', 've');
        const samplers = window.dp.describe().samplers.map((s) => s.name);
        const noisy = window.dp.describe().samplers.filter((s) => s.uses_eta).map((s) => s.name).concat(['ddpm_ancestral']);
        const results = [];
        for (const sampler of samplers) {
          const positions = {};
          let evaluations = 0;
          for (const backend of ['webgpu', 'cpu']) {
            const canvas = document.createElement('canvas');
            canvas.width = 64;
            canvas.height = 64;
            document.body.appendChild(canvas);
            const pg = await m.Playground.create(canvas, {
              backend, sampler, schedule: 've', churn: 5, eta: 0.5, score: 'exact',
              dataset: 'gaussian_mixture', particles: 256, steps: 8, seed: 11,
            });
            while (pg.step(8) > 0) {}
            positions[backend] = Array.from(await pg.read_positions());
            evaluations = pg.evaluations;
            pg.free();
            canvas.remove();
          }
          const difference = positions.webgpu.reduce((worst, v, i) => Math.max(worst, Math.abs(v - positions.cpu[i])), 0);
          results.push({ sampler, evaluations, difference, noisy: noisy.includes(sampler), finite: positions.webgpu.every(Number.isFinite) });
        }
        return { results, described: samplers };
      }).then(({ results, described }) => {
        // Every sampler the wasm offers, however many (no count to edit when one is added).
        assert.deepEqual(results.map((r) => r.sampler), described, 'every sampler of describe()');
        return results;
      });
      assert.ok(rows.some((r) => r.sampler === 'dpm_2_ancestral'), 'the k-diffusion samplers are among them');
      for (const row of rows) {
        assert.ok(row.finite, `${row.sampler}: finite particles`);
        assert.ok(row.evaluations >= 8, `${row.sampler}: ${row.evaluations} evaluations for 8 steps`);
        const tolerance = row.noisy ? 5e-2 : 1e-2;
        assert.ok(row.difference < tolerance, `${row.sampler}: WebGPU and CPU differ by ${row.difference} (tolerance ${tolerance})`);
      }
      assert.deepEqual(session.errors, [], 'no console errors');
    } finally {
      await session.close();
    }
  });
});
