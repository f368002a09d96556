// The canvas shows particles: a headed Chromium (a WebGPU canvas presents pixels only when headed,
// here under Xvfb) draws a finished run, and its screenshot is mostly background with many
// coloured dots.
//
// Needs an X display (`cargo xtask test` runs node under `xvfb-run -a`). Without DISPLAY the test
// fails with an explanation, unless DP_ALLOW_NO_DISPLAY=1, when it is skipped.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, TEST_TIMEOUT_MS, launchHeaded, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';
import { decodePng, pixelStats } from './png.mjs';

/** Screenshots of failed runs go here (ignored by git). */
const ARTIFACTS = path.join(REPO_ROOT, 'tests', 'browser', 'artifacts');

/** At least this fraction of the canvas differs from the background. */
const MIN_FOREGROUND_FRACTION = 0.005;
/** At least this many distinct (4-bit quantised) colours among the dots. */
const MIN_DISTINCT_COLOURS = 8;

let browser;
let skipReason = null;
before(async () => {
  browser = await launchHeaded();
  if (!browser) skipReason = 'DP_ALLOW_NO_DISPLAY=1 and no DISPLAY: the canvas-pixel test is skipped';
});
after(async () => {
  await browser?.close();
});

/** How long one navigation of the headed browser may take before it is relaunched. */
const HEADED_NAVIGATION_MS = 45_000;
/** Launches of the headed browser a test may use. */
const HEADED_ATTEMPTS = 2;

/**
 * Opens the page in the headed browser. A headed Chromium starting its GPU process under Xvfb
 * was seen, now and then, to never commit its first navigation (not even DOMContentLoaded in
 * 120 s); a fresh browser then works. So a navigation that times out relaunches the browser and
 * tries again, saying so in the test's diagnostics.
 */
async function openHeaded(t, hash) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await openPlayground(browser, hash, { viewport: { width: 900, height: 900 }, navigationTimeout: HEADED_NAVIGATION_MS });
    } catch (error) {
      if (attempt >= HEADED_ATTEMPTS || error?.name !== 'TimeoutError') throw error;
      t.diagnostic(`navigation ${attempt} timed out; relaunching the headed browser`);
      await browser.close().catch(() => {});
      browser = await launchHeaded();
    }
  }
}

async function checkCanvas(t, { hash, backend }) {
  if (skipReason) {
    t.skip(skipReason);
    return;
  }
  const session = await openHeaded(t, hash);
  const { page } = session;
  try {
    await waitReady(page);
    const running = await page.evaluate(() => window.dp.playground.backend);
    assert.equal(running, backend, `expected the ${backend} path; ${await pageReport(session)}`);
    await runToEnd(page);
    // Draw the final particles, and wait two frames so they are presented.
    await page.evaluate(async () => {
      window.dp.playground.render();
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    });
    const png = await page.locator('#canvas').screenshot();
    const image = decodePng(png);
    const stats = pixelStats(image);
    const summary =
      `${image.width}x${image.height} screenshot: background rgb(${stats.background.join(', ')}), ` +
      `${stats.differing} pixels (${(100 * stats.fraction).toFixed(2)}%) differ from it, ` +
      `${stats.distinctColours} distinct colours among them`;
    t.diagnostic(summary);
    const pass = stats.fraction >= MIN_FOREGROUND_FRACTION && stats.distinctColours >= MIN_DISTINCT_COLOURS;
    if (!pass) {
      await mkdir(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `canvas-${backend}.png`);
      await writeFile(file, png);
      t.diagnostic(`screenshot saved to ${file}`);
    }
    assert.ok(
      Math.max(...stats.background) < 60,
      `the background should be the dark canvas colour; ${summary}`,
    );
    assert.ok(
      stats.fraction >= MIN_FOREGROUND_FRACTION,
      `the canvas looks blank: at least ${100 * MIN_FOREGROUND_FRACTION}% of pixels should be particles; ${summary}`,
    );
    assert.ok(
      stats.distinctColours >= MIN_DISTINCT_COLOURS,
      `particles should be drawn in many colours (at least ${MIN_DISTINCT_COLOURS}); ${summary}`,
    );
    assert.deepEqual(session.errors, [], 'no console errors');
  } finally {
    await session.close();
  }
}

describe('the canvas', { timeout: TEST_TIMEOUT_MS }, () => {
  test('shows non-blank, many-coloured particles on the WebGPU path (headed, under Xvfb)', async (t) => {
    await checkCanvas(t, {
      hash: 'backend=webgpu&dataset=gaussian_mixture&score=exact&particles=2048&steps=50&point_size=2&playing=0',
      backend: 'webgpu',
    });
  });

  test('shows non-blank, many-coloured particles on the CPU path (headed, under Xvfb)', async (t) => {
    await checkCanvas(t, {
      hash: 'backend=cpu&dataset=gaussian_mixture&score=exact&particles=2048&steps=50&point_size=2&playing=0',
      backend: 'cpu',
    });
  });
});
