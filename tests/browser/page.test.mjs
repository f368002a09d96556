// The page: it loads cleanly, its state table agrees with the wasm, and its controls, keys and
// time slider drive the playground.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** Waits for `predicate` in the page, failing with `message` and the page's notices. */
async function waitFor(session, predicate, arg, message, timeout = 60_000) {
  try {
    await session.page.waitForFunction(predicate, arg, { timeout });
  } catch {
    assert.fail(`${message} (waited ${timeout} ms); ${await pageReport(session)}`);
  }
}

describe('the page', { timeout: TEST_TIMEOUT_MS }, () => {
  test('loads the default link with no console errors, draws a first frame and says which backend runs', async () => {
    const session = await openPlayground(browser, '');
    try {
      await waitReady(session.page);
      const seen = await session.page.evaluate(() => {
        const pg = window.dp.playground;
        return {
          backend: pg.backend,
          readout: document.getElementById('readout-backend').textContent,
          bannerHidden: document.getElementById('backend-banner').hidden,
          hash: location.hash,
          defaults: window.dp.describe().defaults,
          options: pg.options(),
        };
      });
      assert.ok(['webgpu', 'cpu'].includes(seen.backend), `backend is ${seen.backend}`);
      assert.match(seen.readout, seen.backend === 'webgpu' ? /WebGPU/ : /CPU/, 'the backend readout names the backend');
      assert.equal(seen.bannerHidden, seen.backend !== 'cpu', 'the CPU banner is shown exactly when running on the CPU');
      assert.deepEqual(seen.options, seen.defaults, 'an empty link runs the default options');
      assert.match(seen.hash, /dataset=two_moons/, 'the address bar shows the full state');
      // Let it animate a little: stepping and drawing must not log errors either.
      await session.page.waitForTimeout(1500);
      assert.deepEqual(session.errors, [], 'no console errors or page errors');
    } finally {
      await session.close();
    }
  });

  test('reaches ready on the WebGPU path with no console errors when WebGPU is asked for', async () => {
    const session = await openPlayground(browser, 'backend=webgpu&particles=2048&steps=50');
    try {
      await waitReady(session.page);
      const seen = await session.page.evaluate(() => ({
        backend: window.dp.playground.backend,
        note: window.dp.playground.backend_note,
        readout: document.getElementById('readout-backend').textContent,
        bannerHidden: document.getElementById('backend-banner').hidden,
        state: document.body.dataset.state,
      }));
      assert.equal(seen.backend, 'webgpu', `expected the WebGPU path; backend note: ${seen.note}`);
      assert.equal(seen.state, 'ready');
      assert.match(seen.readout, /WebGPU/);
      assert.equal(seen.bannerHidden, true, 'no CPU banner on the WebGPU path');
      await waitFor(session, () => window.dp.playground.step_index > 0, null, 'playing advances the run');
      assert.deepEqual(session.errors, [], 'no console errors or page errors');
    } finally {
      await session.close();
    }
  });

  test("the state table of www/js/state.js agrees with the wasm's describe()", async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=256&playing=0');
    try {
      await waitReady(session.page);
      const { table, described, selects } = await session.page.evaluate(async () => {
        // The same module instance as the page's: its choice lists were taken from describe().
        const { FIELDS } = await import('./js/state.js');
        const selects = Object.fromEntries(
          [...document.querySelectorAll('#controls select')].map((s) => [s.id, [...s.options].map((o) => ({ name: o.value, label: o.textContent }))]),
        );
        return { table: FIELDS, described: window.dp.describe(), selects };
      });
      const row = Object.fromEntries(table.map((f) => [f.name, f]));
      const choices = (name) => row[name].choices.map(([n, label]) => ({ name: n, label }));
      const lists = { dataset: 'datasets', schedule: 'schedules', sampler: 'samplers', time_grid: 'time_grids', score: 'scores', palette: 'palettes' };
      for (const [name, list] of Object.entries(lists)) {
        // A choice is its name and label (schedules also carry their smallest start fraction).
        const offered = described[list].map(({ name: n, label }) => ({ name: n, label }));
        assert.deepEqual(choices(name), offered, `${list} in the table`);
        assert.deepEqual(selects[name], offered, `${list} in the #${name} control`);
      }
      assert.deepEqual(choices('backend'), described.backends, 'backends, names and labels');
      for (const name of ['steps', 'eta', 'churn', 'point_size', 'shift', 'seed']) {
        assert.deepEqual([row[name].min, row[name].max], [described.limits[name].min, described.limits[name].max], `${name} range`);
      }
      const samplers = described.samplers.map((c) => c.name);
      for (const f of table.filter((f) => f.onlyFor?.sampler)) {
        for (const name of f.onlyFor.sampler) assert.ok(samplers.includes(name), `${f.name} is shown for sampler '${name}', which describe() lists`);
      }
      assert.deepEqual([row.particles.min, row.particles.max], [described.limits.particles.min, described.limits.particles.max], 'particles range');
      const optionRows = table.filter((f) => f.option);
      assert.deepEqual(
        Object.fromEntries(optionRows.map((f) => [f.name, f.default])),
        described.defaults,
        'defaults (and the set of option fields)',
      );
    } finally {
      await session.close();
    }
  });

  test('space toggles playing, the right arrow takes one step, R resets to step 0', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=2048&steps=400&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      const look = () =>
        page.evaluate(() => ({
          pressed: document.getElementById('play').getAttribute('aria-pressed'),
          playing: document.body.dataset.playing,
          step: window.dp.playground.step_index,
        }));
      assert.deepEqual(await look(), { pressed: 'false', playing: 'false', step: 0 }, 'playing=0 in the link starts paused');
      await page.evaluate(() => document.activeElement?.blur());

      await page.keyboard.press('ArrowRight');
      assert.equal((await look()).step, 1, 'ArrowRight takes exactly one step');

      await page.keyboard.press('Space');
      let now = await look();
      assert.equal(now.pressed, 'true', 'space starts playing (aria-pressed)');
      assert.equal(now.playing, 'true', 'space starts playing (body[data-playing])');
      await waitFor(session, () => window.dp.playground.step_index > 1, null, 'the run advances while playing');
      await waitFor(session, () => /playing=1/.test(location.hash), null, 'the hash records playing=1');

      await page.keyboard.press('Space');
      now = await look();
      assert.equal(now.pressed, 'false', 'space again pauses');
      const paused = now.step;
      await page.waitForTimeout(300);
      assert.equal((await look()).step, paused, 'no steps are taken while paused');

      await page.keyboard.press('r');
      now = await look();
      assert.equal(now.step, 0, 'R resets step_index to 0');
      assert.equal(await page.evaluate(() => window.dp.playground.current_t), 1, 'R puts the particles back at t = 1');

      // Keys typed into a form field are not shortcuts.
      await page.focus('#steps');
      await page.keyboard.press('Space');
      assert.equal((await look()).pressed, 'false', 'space in a text field does not toggle playing');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('the time slider at 0.5 shows forward-noised data: time_fraction and current_t are 0.5 and the variance lies between the data\'s and 1', async () => {
    // VP schedule: x_t = alpha_t x0 + sigma_t eps with alpha_t^2 + sigma_t^2 = 1, so per coordinate
    // Var(x_t) = alpha_t^2 Var(x0) + sigma_t^2 lies between Var(x0) and 1. The 8 Gaussians have a
    // total variance of about 4 (x and y), far from the 2 of pure noise.
    const n = 16384;
    const session = await openPlayground(
      browser,
      `backend=webgpu&dataset=gaussian_mixture&schedule=vp_linear&particles=${n}&steps=100&playing=1`,
    );
    const { page } = session;
    try {
      await waitReady(page);
      await page.$eval('#t', (slider) => {
        slider.value = '0.5';
        slider.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await waitFor(session, () => Math.abs(window.dp.playground.time_fraction - 0.5) < 1e-9, null, 'time_fraction becomes 0.5');
      const seen = await page.evaluate(async (n) => {
        const totalVariance = (xy) => {
          const m = xy.length / 2;
          let sx = 0; let sy = 0; let sxx = 0; let syy = 0;
          for (let i = 0; i < m; i += 1) {
            sx += xy[2 * i]; sy += xy[2 * i + 1];
            sxx += xy[2 * i] ** 2; syy += xy[2 * i + 1] ** 2;
          }
          return sxx / m - (sx / m) ** 2 + syy / m - (sy / m) ** 2;
        };
        const pg = window.dp.playground;
        const positions = await pg.read_positions();
        return {
          t: pg.current_t,
          shownT: document.getElementById('readout-t').textContent,
          playing: document.getElementById('play').getAttribute('aria-pressed'),
          slider: document.getElementById('t').value,
          count: positions.length / 2,
          finite: positions.every(Number.isFinite),
          noised: totalVariance(positions),
          data: totalVariance(window.dp.dataset_sample('gaussian_mixture', 99, n)),
          hash: location.hash,
        };
      }, n);
      assert.equal(seen.playing, 'false', 'moving the slider pauses');
      assert.equal(seen.slider, '0.5');
      // VP linear runs over t in [0, 1], so its own time is the fraction.
      assert.ok(Math.abs(seen.t - 0.5) < 1e-9, `current_t is 0.5 on VP linear, got ${seen.t}`);
      assert.equal(seen.shownT, '0.500', 'the t readout shows current_t');
      assert.equal(seen.count, n);
      assert.ok(seen.finite, 'every position is finite');
      const noise = 2; // total variance of a standard normal in 2-D
      assert.ok(
        seen.noised > Math.min(noise, seen.data) && seen.noised < Math.max(noise, seen.data),
        `total variance at t = 0.5 is ${seen.noised.toFixed(3)}; expected strictly between the noise's ${noise} and the data's ${seen.data.toFixed(3)}`,
      );
      await waitFor(session, () => /(^#|&)t=0\.5(&|$)/.test(location.hash), null, 'the hash records t=0.5');
      // A later step continues the reverse run from t = 0.5.
      const after = await page.evaluate(() => {
        const pg = window.dp.playground;
        pg.step(1);
        return pg.current_t;
      });
      assert.ok(after < 0.5, `one reverse step from t = 0.5 goes to a smaller t, got ${after}`);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('a link with t=0.3 opens on the forward-noised data at t = 0.3, paused, on a canvas sized for the pixel ratio', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=1024&steps=100&t=0.3&playing=0', { deviceScaleFactor: 2 });
    try {
      await waitReady(session.page);
      const seen = await session.page.evaluate(() => {
        const canvas = document.getElementById('canvas');
        const box = canvas.getBoundingClientRect();
        return {
          t: window.dp.playground.time_fraction,
          slider: document.getElementById('t').value,
          total: window.dp.playground.total_steps,
          buffer: [canvas.width, canvas.height],
          css: Math.min(box.width, box.height),
          ratio: window.devicePixelRatio,
        };
      });
      assert.equal(seen.ratio, 2);
      assert.deepEqual(
        seen.buffer,
        [Math.round(seen.css * 2), Math.round(seen.css * 2)],
        `the drawing buffer is square and ${seen.ratio} x the ${seen.css} CSS pixels`,
      );
      assert.ok(Math.abs(seen.t - 0.3) < 1e-9, `time_fraction is 0.3, got ${seen.t}`);
      assert.equal(seen.slider, '0.3', 'the slider shows t');
      assert.ok(seen.total > 0 && seen.total <= 100, `the reverse run from t = 0.3 has at most the full ${100} steps, got ${seen.total}`);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('choosing another backend re-creates the playground on it', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=2048&steps=50&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      assert.equal(await page.evaluate(() => window.dp.playground.backend), 'cpu');
      await page.selectOption('#backend', 'webgpu');
      await waitFor(session, () => window.dp.playground?.backend === 'webgpu', null, 'the playground runs on WebGPU');
      const seen = await page.evaluate(() => ({
        bannerHidden: document.getElementById('backend-banner').hidden,
        options: window.dp.playground.options(),
        canvases: document.querySelectorAll('canvas#canvas').length,
      }));
      assert.equal(seen.bannerHidden, true, 'the CPU banner goes away');
      assert.equal(seen.options.particles, 2048, 'the other options are kept');
      assert.equal(seen.canvases, 1, 'one particle canvas on the page (the old one is replaced)');
      await waitFor(session, () => /backend=webgpu/.test(location.hash), null, 'the hash records backend=webgpu');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('changing a control applies the option, restarts the run and updates the address bar', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=1024&steps=100&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      await page.evaluate(() => window.dp.playground.step(5));
      await page.selectOption('#dataset', 'spiral');
      await page.fill('#steps', '40');
      await page.press('#steps', 'Enter');
      await waitFor(session, () => /dataset=spiral/.test(location.hash) && /steps=40/.test(location.hash), null, 'the hash follows the controls');
      const seen = await page.evaluate(() => ({
        options: window.dp.playground.options(),
        step: window.dp.playground.step_index,
        total: window.dp.playground.total_steps,
        readout: document.getElementById('readout-step').textContent,
      }));
      assert.equal(seen.options.dataset, 'spiral');
      assert.equal(seen.options.steps, 40);
      assert.equal(seen.step, 0, 'a new dataset restarts the run');
      assert.equal(seen.total, 40);
      assert.match(seen.readout, /0 \/ 40/);

      // An out-of-range value typed into a control is refused with a notice naming the field.
      await page.fill('#steps', '0');
      await page.press('#steps', 'Enter');
      await waitFor(session, () => [...document.querySelectorAll('#notices .notice')].some((n) => /steps/.test(n.textContent)), null, 'a notice names steps');
      assert.equal(await page.inputValue('#steps'), '40', 'the control goes back to the value in use');
      assert.equal(await page.evaluate(() => window.dp.playground.options().steps), 40);

      // Editing the address bar applies the new link like the controls do.
      await page.evaluate(() => {
        location.hash = location.hash.replace(/steps=40/, 'steps=30');
      });
      await waitFor(session, () => window.dp.playground.options().steps === 30, null, 'a hash edit sets steps to 30');
      assert.equal(await page.inputValue('#steps'), '30', 'the control follows the hash');

      // eta belongs to Euler-Maruyama and DDIM, churn to Heun: the other one's control is hidden,
      // and its value stays in the link.
      const shown = () => page.evaluate(() => Object.fromEntries(['eta', 'churn', 's_noise', 'order'].map((id) => [
        id, !document.getElementById(id).closest('.field').hidden,
      ])));
      assert.deepEqual(await shown(), { eta: true, churn: false, s_noise: false, order: false }, 'Euler-Maruyama shows eta only');
      await page.$eval('#eta', (slider) => {
        slider.value = '0.25';
        slider.dispatchEvent(new Event('input', { bubbles: true }));
        slider.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await waitFor(session, () => window.dp.playground.options().eta === 0.25, null, 'the eta slider sets eta');
      assert.equal(await page.textContent('#eta-value'), '0.25', 'the eta slider shows its value');
      await page.selectOption('#sampler', 'heun');
      await waitFor(session, () => window.dp.playground.options().sampler === 'heun', null, 'the sampler becomes heun');
      assert.deepEqual(await shown(), { eta: false, churn: true, s_noise: false, order: false }, 'Heun shows churn only');
      await page.fill('#churn', '5');
      await page.press('#churn', 'Enter');
      await waitFor(session, () => /churn=5(&|$)/.test(location.hash) && /eta=0\.25(&|$)/.test(location.hash), null, 'the hash has churn=5 and keeps eta=0.25');
      assert.equal(await page.evaluate(() => window.dp.playground.options().churn), 5);
      // UniPC reads its order, DPM-Solver++(3M) SDE its eta and s_noise.
      await page.selectOption('#sampler', 'unipc');
      await waitFor(session, () => window.dp.playground.options().sampler === 'unipc', null, 'the sampler becomes unipc');
      assert.deepEqual(await shown(), { eta: false, churn: false, s_noise: false, order: true }, 'UniPC shows its order only');
      await page.fill('#order', '2');
      await page.press('#order', 'Enter');
      await waitFor(session, () => window.dp.playground.options().order === 2 && /order=2(&|$)/.test(location.hash), null, 'order=2 reaches the wasm and the link');
      await page.selectOption('#sampler', 'dpm_solver_3m_sde');
      await waitFor(session, () => window.dp.playground.options().sampler === 'dpm_solver_3m_sde', null, 'the sampler becomes dpm_solver_3m_sde');
      assert.deepEqual(await shown(), { eta: true, churn: false, s_noise: true, order: false }, 'the 3M SDE shows eta and s_noise');
      await page.fill('#s_noise', '1.5');
      await page.press('#s_noise', 'Enter');
      await waitFor(session, () => window.dp.playground.options().s_noise === 1.5 && /s_noise=1\.5(&|$)/.test(location.hash), null, 's_noise=1.5 reaches the wasm and the link');
      await page.selectOption('#sampler', 'heun');
      await waitFor(session, () => window.dp.playground.options().sampler === 'heun', null, 'back to heun');
      // Random draws the seed in the wasm (getrandom) and writes it into the link.
      const seeds = [];
      for (let draw = 0; draw < 2; draw++) {
        const before = await page.evaluate(() => window.dp.playground.options().seed);
        await page.click('#reseed');
        await waitFor(session, (old) => window.dp.playground.options().seed !== old, before, 'Random changes the seed');
        const seed = await page.evaluate(() => window.dp.playground.options().seed);
        await waitFor(session, (s) => new RegExp(`seed=${s}(&|$)`).test(location.hash), seed, 'the link carries the drawn seed');
        seeds.push(seed);
      }
      assert.notEqual(seeds[0], seeds[1], 'two draws differ');

      // The NFE readout counts network evaluations: Heun takes two in a step that does not end at 0.
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('ArrowRight');
      await waitFor(
        session,
        () => document.getElementById('readout-nfe').textContent === String(window.dp.playground.evaluations),
        null,
        'the NFE readout shows evaluations',
      );
      assert.equal(await page.evaluate(() => window.dp.playground.evaluations), 2, 'one Heun step from the prior: two evaluations');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});
