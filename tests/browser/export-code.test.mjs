// "Export code" (docs/cli.md, "The run as code"): the page writes its run as a NumPy script
// that names the link it came from, and the script, run by Python, lands on the particles the
// page shows at the end of the run (on the CPU path and on WebGPU); a method it cannot write out
// is refused with a notice and the page keeps running.
//
// Python comes from DP_PYTHON (cargo xtask test sets it), else python3; without NumPy the part
// that runs the script says so and is skipped, unless DP_REQUIRE_PYTHON=1.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, drawCircle, drawTwoColours, launchHeadless, noticeTexts, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** A Python with NumPy, or null with the reason. */
function python() {
  const candidate = process.env.DP_PYTHON || 'python3';
  try {
    execFileSync(candidate, ['-c', 'import numpy'], { stdio: 'ignore' });
    return { python: candidate };
  } catch {
    const why = `no Python with NumPy at ${candidate} (set DP_PYTHON)`;
    if (process.env.DP_REQUIRE_PYTHON === '1') assert.fail(`${why}, and DP_REQUIRE_PYTHON=1`);
    return { why };
  }
}

/** The float32 values of a .npy file and its shape text. */
async function readNpy(file) {
  const bytes = await readFile(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const shape = /'shape': (\([^)]*\))/.exec(header)?.[1];
  const values = [];
  for (let i = 10 + headerLength; i < bytes.length; i += 4) values.push(bytes.readFloatLE(i));
  return { shape, values };
}

/**
 * Opens `link`, lets `prepare` act on the page (a drawing, say), runs it to the end, downloads
 * Export code, runs the script; returns the largest difference between its particles and the
 * page's (null where Python is missing) and the script's file name.
 */
async function exportAndRun(t, link, tolerance, prepare = async (/** @type {any} */ _page) => {}) {
  const session = await openPlayground(browser, link);
  const { page } = session;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dp-export-code-'));
  try {
    await waitReady(page);
    await prepare(page);
    await runToEnd(page);
    const positions = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#python')]);
    assert.match(download.suggestedFilename(), /^diffusion-playground-.*\.py$/);
    const script = path.join(dir, download.suggestedFilename());
    await download.saveAs(script);
    const text = await readFile(script, 'utf8');
    assert.ok(text.startsWith('#!/usr/bin/env python3'), 'a Python script');
    const hash = await page.evaluate(() => location.hash.slice(1));
    assert.ok(text.includes(hash), 'the script names the link it came from');
    assert.ok((await noticeTexts(page)).some((n) => n.includes('NumPy script')), 'the notice says what was written');
    assert.deepEqual(session.errors, []);
    const found = python();
    if (!found.python) {
      t.diagnostic(`the script was not run: ${found.why}`);
      return { worst: null, name: download.suggestedFilename() };
    }
    const out = path.join(dir, 'samples.npy');
    execFileSync(found.python, [script, '--out', out], { stdio: 'pipe' });
    const { shape, values } = await readNpy(out);
    assert.equal(shape, `(${positions.length / 2}, 2)`);
    let worst = 0;
    for (let i = 0; i < values.length; i += 1) worst = Math.max(worst, Math.abs(values[i] - positions[i]));
    t.diagnostic(`largest difference between the script's particles and the page's: ${worst}`);
    assert.ok(worst <= tolerance, `the script's particles differ from the page's by up to ${worst}`);
    return { worst, name: download.suggestedFilename() };
  } catch (error) {
    throw new Error(`${error}\n${await pageReport(session)}`);
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('Export code', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the script lands on the particles the CPU path shows, guided toward a class', async (t) => {
    // The CPU path computes what the script computes, in f32: differences are rounding.
    await exportAndRun(t, 'backend=cpu&dataset=gaussian_mixture&sampler=dpm_solver_2m_sde&steps=12&particles=256&guidance=classifier&class=2&guidance_scale=2&playing=0', 1e-4);
  });

  test('the script lands on the particles WebGPU shows', async (t) => {
    // The WGSL kernels round differently (their exp and the order of the sums): a looser bound.
    await exportAndRun(t, 'backend=webgpu&dataset=two_moons&sampler=heun&time_grid=karras&steps=10&particles=256&playing=0', 1e-2);
  });

  test('a drawing in place of the dataset is exported with its own mixture', async (t) => {
    const { name } = await exportAndRun(t, 'backend=cpu&particles=256&steps=12&draw=1&playing=0&score=exact&sampler=ddim&eta=0', 1e-4, async (page) => {
      await drawCircle(page, 0.15);
      await page.click('#draw-use');
      await page.waitForFunction(() => /drawn=/.test(location.hash), null, { timeout: 5000 });
      await page.evaluate(() => window.dp.playground.reset());
    });
    assert.match(name, /^diffusion-playground-drawing-ddim\.py$/);
  });

  test('a drawing of two colours guided toward one is exported with its classes', async (t) => {
    await exportAndRun(t, 'backend=cpu&particles=256&steps=12&draw=1&playing=0&score=exact&sampler=ddim&eta=0', 1e-4, async (page) => {
      await drawTwoColours(page);
      await page.click('#draw-use');
      await page.selectOption('#guidance', 'classifier');
      await page.selectOption('#class', 'orange');
      await page.waitForFunction(() => /drawn_classes=a\d+b\d+/.test(location.hash) && /class=orange/.test(location.hash), null, { timeout: 5000 });
    });
  });

  test('a method the script cannot write is refused with a notice, and the page runs on', async () => {
    const session = await openPlayground(browser, 'backend=cpu&dataset=two_moons&observe=1,0&observation=0.5&posterior=smc&sampler=euler_maruyama&particles=256&steps=8&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      await page.click('#python');
      await page.waitForFunction(() => [...document.querySelectorAll('#notices .notice')].some((n) => n.textContent?.includes('could not be written')));
      const notice = (await noticeTexts(page)).find((n) => n.includes('could not be written')) ?? '';
      assert.match(notice, /'posterior'/);
      assert.match(notice, /smc/);
      await page.click('#step');
      await page.waitForFunction(() => window.dp.playground.step_index === 1);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});
