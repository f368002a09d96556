// The likelihood panel (docs/features.md, "Likelihood and the ELBO"): opened from a link it
// measures the NLL of fresh data under the model by the ODE next to the exact NLL and the ELBO, on
// the CPU and on WebGPU; it measures again when its settings or what is sampled change, keeps its
// settings in the link, gives a clicked point's ln p, and says why it cannot measure a guided run.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, noticeTexts, openPlayground, pageReport, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** Waits until more than `n` measurements have finished; returns the last one. */
async function measured(session, n = 0) {
  try {
    await session.page.waitForFunction((k) => window.dp.likelihoodsMeasured() > k, n, { timeout: 120_000 });
  } catch {
    assert.fail(`no likelihood measurement; ${await pageReport(session)}`);
  }
  return session.page.evaluate(() => {
    const { likelihood, elbo } = window.dp.lastLikelihood();
    return { model: likelihood.model, exact: likelihood.exact, steps: likelihood.steps, count: likelihood.log_p.length, elbo: { bits_per_dimension: elbo.bits_per_dimension, elbo: elbo.elbo, latents: elbo.latent_times.length }, n: window.dp.likelihoodsMeasured() };
  });
}

describe('the likelihood panel', { timeout: TEST_TIMEOUT_MS }, () => {
  test('with the exact score on the CPU the ODE lands on the exact NLL, the bound lies above it, and the panel follows its settings', async (t) => {
    const link = 'backend=cpu&dataset=gaussian_mixture&score=exact&time_grid=karras&particles=512&playing=0&likelihood=1&likelihood_steps=128&likelihood_points=256';
    const session = await openPlayground(browser, link);
    const { page } = session;
    try {
      await waitReady(page);
      const first = await measured(session);
      t.diagnostic(JSON.stringify(first));
      assert.equal(first.count, 256);
      assert.ok(Math.abs(first.model.bits_per_dimension - first.exact.bits_per_dimension) < 0.02, JSON.stringify(first));
      assert.ok(first.elbo.bits_per_dimension > first.model.bits_per_dimension, 'ELBO below the likelihood: more bits');
      const status = await page.$eval('#likelihood-status', (e) => e.textContent);
      assert.match(status, /bits\/dim/);
      assert.match(status, /ELBO = /);
      const painted = await page.evaluate(() => ['likelihood-canvas', 'elbo-canvas'].map((id) => {
        const c = document.getElementById(id);
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let opaque = 0;
        for (let i = 3; i < data.length; i += 4) opaque += data[i] > 0 ? 1 : 0;
        return opaque;
      }));
      assert.ok(painted.every((n) => n > 100), `both charts are drawn: ${painted}`);

      // A new step count measures again and goes into the link.
      await page.fill('#likelihood_steps', '8');
      await page.press('#likelihood_steps', 'Enter');
      const second = await measured(session, first.n);
      assert.equal(second.steps, 8);
      await page.waitForFunction(() => /likelihood_steps=8/.test(location.hash));
      // So does a new dataset (what is sampled changed).
      await page.selectOption('#dataset', 'two_moons');
      const third = await measured(session, second.n);
      assert.notEqual(third.exact.bits_per_dimension, second.exact.bits_per_dimension);

      // A click on the picture's centre reports that point's log-density.
      await page.click('#canvas-frame');
      await page.waitForFunction(() => /At \(-?0\.0\d, -?0\.0\d\): ln p = /.test(document.getElementById('likelihood-point').textContent));
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('on WebGPU the network is measured on the GPU and its NLL is above the exact one; 1-D data on its line', async (t) => {
    const link = 'backend=webgpu&dataset=two_moons&score=mlp&particles=512&playing=0&likelihood=1&likelihood_steps=16&likelihood_points=256&likelihood_solver=dpm_solver_2s';
    const session = await openPlayground(browser, link);
    try {
      await waitReady(session.page);
      assert.equal(await session.page.evaluate(() => window.dp.playground.backend), 'webgpu', await pageReport(session));
      const result = await measured(session);
      t.diagnostic(JSON.stringify(result));
      assert.ok(Number.isFinite(result.model.bits_per_dimension));
      assert.ok(result.model.bits_per_dimension > result.exact.bits_per_dimension - 0.05, 'a network does not beat the truth by much');
      assert.equal(await session.page.$eval('#likelihood_solver', (e) => e.value), 'dpm_solver_2s');
      // The 1-D dataset is measured on its line (on the CPU: the GPU kernels integrate the plane),
      // in bits per its one dimension, where its network is close to the exact NLL.
      await session.page.selectOption('#dataset', 'two_normals_1d');
      const line = await measured(session, result.n);
      t.diagnostic(JSON.stringify(line));
      assert.match(await session.page.$eval('#likelihood-status', (e) => e.textContent), /densities of x on its line/);
      assert.ok(Math.abs(line.model.bits_per_dimension - line.exact.bits_per_dimension) < 0.1, JSON.stringify(line));
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('a guided run says why it has no likelihood instead of measuring the wrong density', async () => {
    const session = await openPlayground(browser, 'backend=cpu&score=exact&guidance=classifier&class=upper&particles=256&playing=0&likelihood=1&likelihood_points=64');
    try {
      await waitReady(session.page);
      await session.page.waitForFunction(() => /set Guidance to none/.test(document.getElementById('likelihood-status').textContent));
      assert.equal(await session.page.evaluate(() => window.dp.likelihoodsMeasured()), 0);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});

describe('where the network is wrong', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the panel maps the network error at the particles\' time and splits the loss over noise levels', async (t) => {
    const session = await openPlayground(browser, 'backend=webgpu&dataset=spiral&particles=512&steps=20&playing=0&errors=1');
    const { page } = session;
    try {
      await waitReady(page);
      try {
        await page.waitForFunction(() => window.dp.modelErrorDrawn() > 0, null, { timeout: 60_000 });
      } catch {
        assert.fail(`no model-error picture; ${await pageReport(session)}`);
      }
      const status = await page.$eval('#errors-status', (e) => e.textContent);
      t.diagnostic(status);
      assert.match(status, /the network's error \(weighted by p_t\) plus [\d.e-]+ that no network can remove: [\d.]+% of the loss/);
      // The loss is the sum of its two parts (up to Monte Carlo error), as the panel says.
      const [loss, network, irreducible] = status.match(/= ([\d.e-]+) is ([\d.e-]+) the network's error .* plus ([\d.e-]+) that/).slice(1).map(Number);
      assert.ok(Math.abs(loss - network - irreducible) < 0.1 * loss, status);
      const before = await page.evaluate(() => window.dp.modelErrorDrawn());
      // A step moves the particles' time: the map follows.
      await page.click('#step');
      try {
        await page.waitForFunction((n) => window.dp.modelErrorDrawn() > n, before, { timeout: 60_000 });
      } catch {
        // Say what the page showed (under load this wait once ran out: the status tells a
        // failed measurement from a step that never came).
        const shown = await page.evaluate(() => ({
          status: document.getElementById('errors-status')?.textContent,
          step: window.dp.playground?.step_index,
          t: window.dp.playground?.current_t,
        }));
        assert.fail(`no new model-error picture after a step: ${JSON.stringify(shown)}; ${await pageReport(session)}`);
      }
      await page.waitForFunction(() => /errors=1/.test(location.hash));
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});

describe('training objectives in the page', { timeout: TEST_TIMEOUT_MS }, () => {
  test('a network learns a drawing with flow matching on rectified flow and the panel reports its NLL and distance', async (t) => {
    const { drawCircle } = await import('./helpers.mjs');
    const session = await openPlayground(browser, 'backend=cpu&score=exact&particles=1024&steps=30&playing=0&draw=1&train_objective=velocity&train_schedule=rectified_flow');
    const { page } = session;
    try {
      await waitReady(page);
      assert.deepEqual(
        await page.evaluate(() => [document.getElementById('train_objective').value, document.getElementById('train_schedule').value]),
        ['velocity', 'rectified_flow'],
      );
      await drawCircle(page);
      await page.click('#draw-mode');
      await page.fill('#train-steps', '600');
      await page.click('#draw-train');
      try {
        await page.waitForFunction(() => window.dp.trainingsFinished() > 0, null, { timeout: 180_000 });
      } catch {
        assert.fail(`training did not finish; ${await pageReport(session)}`);
      }
      const report = await page.evaluate(() => window.dp.trainingReport());
      const status = await page.$eval('#draw-status', (e) => e.textContent);
      t.diagnostic(`${JSON.stringify(report)} | ${status}`);
      assert.equal(report.objective, 'velocity');
      assert.equal(report.schedule, 'rectified_flow');
      assert.ok(report.last < report.first, 'the loss falls');
      assert.ok(Number.isFinite(report.nll) && Number.isFinite(report.exactNll), 'the NLL is reported');
      assert.ok(report.distance < 0.3, `it samples the drawing: SW2 ${report.distance}`);
      assert.match(status, /velocity on rectified_flow/);
      assert.match(status, /Its NLL: -?[\d.]+ bits\/dim/);
      assert.equal(await page.evaluate(() => window.dp.playground.options().score), 'mlp');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});

describe('exact contours over the particles', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the layer outlines the highest-density regions of the exact p_t at the particles\' time', async () => {
    const session = await openPlayground(browser, 'backend=cpu&dataset=gaussian_mixture&score=exact&particles=512&playing=0&contours=1&t=0.05');
    const { page } = session;
    try {
      await waitReady(page);
      await page.waitForFunction(() => window.dp.layersDrawn() > 0, null, { timeout: 60_000 });
      const seen = await page.evaluate(async () => {
        const { hdrLevels } = await import(new URL('js/contours.js', location.href).href);
        const canvas = document.getElementById('layers');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let lit = 0;
        for (let i = 3; i < data.length; i += 4) lit += data[i] > 0 ? 1 : 0;
        // Half the mass of [0.4, 0.3, 0.2, 0.1] is in the first two bins: the 50% level is 0.3.
        return { lit, levels: hdrLevels([0.1, 0.4, 0.2, 0.3], [0.25, 0.5, 0.95]), legend: !document.getElementById('legend-contours').hidden, shown: !canvas.hidden };
      });
      assert.deepEqual(seen.levels, [0.4, 0.3, 0.1]);
      assert.ok(seen.lit > 200, `contour lines are drawn: ${seen.lit} pixels`);
      assert.ok(seen.legend, 'the legend says what the lines are');
      assert.ok(seen.shown, 'the layer canvas is shown');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});

describe('networks as files', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the network downloads as safetensors and loads back; a malformed or huge file is refused and the network kept', async () => {
    const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'dp-network-'));
    const session = await openPlayground(browser, 'backend=cpu&dataset=two_moons&score=exact&particles=256&playing=0&draw=1');
    const { page } = session;
    try {
      await waitReady(page);
      // The file of the spiral's network, as the Download button writes it.
      const bytes = await page.evaluate(async () => {
        const pg = window.dp.playground;
        await window.dp.ensureNetwork('spiral', 'vp_linear');
        pg.set_options({ dataset: 'spiral' });
        const file = Array.from(pg.network_file());
        pg.set_options({ dataset: 'two_moons' });
        return file;
      });
      const header = Number(new DataView(Uint8Array.from(bytes).buffer).getBigUint64(0, true));
      const json = JSON.parse(Buffer.from(bytes.slice(8, 8 + header)).toString('utf8'));
      assert.equal(json.__metadata__.dataset, 'spiral');
      assert.deepEqual(json['net.0.weight'].shape, [64, 18]);
      const good = path.join(dir, 'spiral.safetensors');
      await writeFile(good, Buffer.from(bytes));
      await page.setInputFiles('#network-file', good);
      await page.waitForFunction(() => window.dp.networksLoaded() === 1);
      const after = await page.evaluate(() => ({ options: window.dp.playground.options(), notices: document.getElementById('notices').textContent }));
      assert.equal(after.options.dataset, 'spiral', 'the file names its dataset');
      assert.equal(after.options.score, 'mlp', 'and the network samples it');
      assert.match(after.notices, /Sampling with the network of spiral\.safetensors: it predicts eps on vp_linear, trained on spiral/);

      const garbage = path.join(dir, 'garbage.safetensors');
      await writeFile(garbage, Buffer.alloc(64, 0xff));
      await page.setInputFiles('#network-file', garbage);
      await page.waitForFunction(() => /garbage\.safetensors was not loaded: the header claims/.test(document.getElementById('notices').textContent));
      const huge = path.join(dir, 'huge.safetensors');
      await writeFile(huge, Buffer.alloc(3 << 20));
      await page.setInputFiles('#network-file', huge);
      await page.waitForFunction(() => /huge\.safetensors was not loaded: it is 3,145,728 bytes/.test(document.getElementById('notices').textContent));
      assert.equal(await page.evaluate(() => window.dp.networksLoaded()), 1, 'the loaded network is kept');
      // The loaded network travels with the share link, as half floats; a link with a damaged
      // one opens with the embedded network and says so.
      await page.waitForFunction(() => /[#&]net=[A-Za-z0-9_-]{14768}(&|$)/.test(location.hash));
      const hash = await page.evaluate(() => location.hash.slice(1));
      const damaged = hash.replace(/net=A{0,0}[A-Za-z0-9_-]{8}/, 'net=AAAAAAAA');
      for (const [link, expected] of [[hash, /The link carries a network \(eps on vp_linear/], [damaged, /The network in the link was not used: .*Sampling with the embedded network/]]) {
        const opened = await openPlayground(browser, link);
        try {
          await waitReady(opened.page);
          assert.match((await noticeTexts(opened.page)).join(' '), expected);
        } finally {
          await opened.close();
        }
      }
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('particles as files', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the CSV and NPY buttons download the particles now, as dp-sample writes them, and the Paths buttons the whole run', async () => {
    const { readFile } = await import('node:fs/promises');
    const session = await openPlayground(browser, 'backend=cpu&dataset=spiral&particles=300&steps=10&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      await page.click('#step');
      await page.waitForFunction(() => window.dp.playground.step_index === 1);
      const positions = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
      const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
      const csv = (await readFile(await csvDownload.path(), 'utf8')).trim().split('\n');
      assert.match(csvDownload.suggestedFilename(), /spiral-.*-step1\.csv$/);
      assert.equal(csv[0], 'step,particle,x,y');
      assert.equal(csv.length, 301);
      const [step, particle, x, y] = csv[1].split(',').map(Number);
      assert.deepEqual([step, particle], [1, 0]);
      assert.ok(Math.abs(x - positions[0]) < 1e-6 && Math.abs(y - positions[1]) < 1e-6);
      const [npyDownload] = await Promise.all([page.waitForEvent('download'), page.click('#npy')]);
      const npy = await readFile(await npyDownload.path());
      assert.equal(npy.subarray(1, 6).toString('latin1'), 'NUMPY');
      const headerLength = npy.readUInt16LE(8);
      assert.match(npy.subarray(10, 10 + headerLength).toString('latin1'), /'shape': \(300, 2\)/);
      assert.equal(npy.length, 10 + headerLength + 300 * 2 * 4);
      assert.equal(npy.readFloatLE(10 + headerLength), Math.fround(positions[0]));

      // The paths of the whole run (replayed from its start): frame 1 is the particles after
      // the step taken, the last frame where the run ends.
      const [pathsDownload] = await Promise.all([page.waitForEvent('download'), page.click('#trajectory_npy')]);
      assert.match(pathsDownload.suggestedFilename(), /spiral-.*-paths\.npy$/);
      const paths = await readFile(await pathsDownload.path());
      const pathsHeader = paths.readUInt16LE(8);
      assert.match(paths.subarray(10, 10 + pathsHeader).toString('latin1'), /'shape': \(11, 300, 2\)/);
      assert.equal(paths.length, 10 + pathsHeader + 11 * 300 * 2 * 4);
      const frame1 = 10 + pathsHeader + 300 * 2 * 4;
      assert.equal(paths.readFloatLE(frame1), Math.fround(positions[0]), 'frame 1 is the particles after step 1');
      const [pathsCsv] = await Promise.all([page.waitForEvent('download'), page.click('#trajectory_csv')]);
      const lines = (await readFile(await pathsCsv.path(), 'utf8')).trim().split('\n');
      assert.equal(lines.length, 1 + 11 * 300);
      assert.match(lines[lines.length - 1], /^10,299,/);
      while ((await page.evaluate(() => window.dp.playground.step(10))) > 0);
      const end = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
      const last = 10 + pathsHeader + 10 * 300 * 2 * 4;
      assert.equal(paths.readFloatLE(last), Math.fround(end[0]), 'the last frame is where the run ends');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});
