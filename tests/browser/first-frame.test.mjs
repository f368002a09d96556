// The first frame comes from the small module: the page downloads the first-frame module
// (src/web/full.rs left out), draws its first frame, then moves onto the full module behind that
// frame (www/js/host.js `moveOntoFullModule`). Until then nothing steps and the controls wait;
// afterwards the run is the one a page started on the full module runs, particle for particle.
// A link with a drawing, a network or a race starts on the full module, and so does a widget
// embedded in notes; a full module that cannot be loaded leaves the first frame up and says so.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, drawCircle, launchHeadless, noticeTexts, openPlayground, runToEnd, waitReady } from './helpers.mjs';

/** The path below pkg/ of a request for one of the modules, or null for any other request. */
function moduleOf(url) {
  const match = /\/pkg\/(first-frame\/)?(?:relaxed-simd\/)?diffusion_playground_bg\.wasm$/.exec(new URL(url).pathname);
  if (!match) return null;
  return match[1] ? 'first-frame' : 'full';
}

/** The wasm modules `page` asks for, in the order it asks. */
function watchModules(page) {
  const asked = [];
  page.on('request', (request) => {
    const module = moduleOf(request.url());
    if (module) asked.push(module);
  });
  return asked;
}

/** Every particle's position at the end of the run, after the page is ready. */
async function finalPositions(page) {
  await waitReady(page);
  await page.evaluate(() => window.dp.playground.reset());
  await runToEnd(page);
  return page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
}

const PLAIN = 'backend=cpu&particles=256&steps=20&playing=0&seed=7';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

describe('the first frame from the small module', { timeout: TEST_TIMEOUT_MS }, () => {
  test('a plain link draws its first frame with the first-frame module, then runs on the full one', async () => {
    const session = await openPlayground(browser, PLAIN, {
      beforeLoad: async (context) => {
        // The full module is held back until the first frame is on screen.
        let release;
        const released = new Promise((resolve) => { release = resolve; });
        await context.exposeFunction('releaseFullModule', () => release());
        await context.route((url) => moduleOf(url.href) === 'full', async (route) => {
          await released;
          await route.continue();
        });
      },
    });
    const { page, errors } = session;
    const asked = watchModules(page);
    try {
      await page.waitForFunction(() => window.dp?.firstFrame !== undefined);
      await page.evaluate(() => window.dp.firstFrame);
      const held = await page.evaluate(() => ({
        module: window.dp.module,
        state: document.body.dataset.state,
        step: window.dp.playground.step_index,
        controlsEnabled: !document.querySelector('#sampler')?.disabled,
      }));
      assert.deepEqual(held, { module: 'first-frame', state: 'loading', step: 0, controlsEnabled: false },
        'until the full module is in, the first frame waits: no steps, no controls, not ready');
      await page.evaluate(() => window.releaseFullModule());
      await waitReady(page);
      assert.equal(await page.evaluate(() => window.dp.module), 'full');
      assert.equal(await page.evaluate(() => !document.querySelector('#sampler').disabled), true, 'the controls work on the full module');
      assert.deepEqual(asked.slice(0, 1), ['first-frame'], 'the first-frame module is the first one asked for');
      assert.ok(asked.includes('full'));
      // The full module's bindings answer (a view's measurement, the Python export).
      const script = await page.evaluate(() => window.dp.playground.python_script('http://example.test/'));
      assert.match(script, /import numpy/);
      assert.deepEqual(errors, []);
    } finally {
      await session.close();
    }
  });

  test('the run after the move is the run of a page started on the full module, bit for bit', async () => {
    const moved = await openPlayground(browser, PLAIN);
    const direct = await openPlayground(browser, PLAIN, { query: 'module=full' });
    try {
      const asked = watchModules(direct.page);
      const [a, b] = [await finalPositions(moved.page), await finalPositions(direct.page)];
      assert.equal(a.length, 2 * 256);
      assert.ok(a.every(Number.isFinite));
      assert.deepEqual(a, b);
      assert.equal(asked.includes('first-frame'), false, '?module=full never asks for the first-frame module');
      assert.deepEqual([...moved.errors, ...direct.errors], []);
    } finally {
      await moved.close();
      await direct.close();
    }
  });

  test('an embedded widget starts on the full module (the notes\' widgets share its download)', async () => {
    const session = await openPlayground(browser, PLAIN, { query: 'embed=1' });
    const asked = watchModules(session.page);
    try {
      await waitReady(session.page);
      assert.equal(await session.page.evaluate(() => window.dp.module), 'full');
      assert.deepEqual(asked, ['full']);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('a link with a drawing opens on the full module with its drawing', async () => {
    const first = await openPlayground(browser, `${PLAIN}&draw=1&score=exact`);
    let link;
    try {
      await waitReady(first.page);
      await drawCircle(first.page, 0.15);
      await first.page.click('#draw-use');
      await first.page.waitForFunction(() => /drawn=/.test(location.hash), null, { timeout: 5000 });
      link = await first.page.evaluate(() => location.hash.slice(1));
    } finally {
      await first.close();
    }
    const session = await openPlayground(browser, link);
    const asked = watchModules(session.page);
    try {
      await waitReady(session.page);
      const opened = await session.page.evaluate(() => ({ module: window.dp.module, drawing: window.dp.playground.drawing()?.length ?? 0 }));
      assert.equal(opened.module, 'full');
      assert.ok(opened.drawing > 0, 'the drawing is in use');
      assert.equal(asked.at(-1), 'full');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('a full module that cannot be loaded leaves the first frame up and says so', async () => {
    const session = await openPlayground(browser, PLAIN, {
      beforeLoad: (context) => context.route((url) => moduleOf(url.href) === 'full', (route) => route.fulfill({ status: 404, body: 'gone' })),
    });
    const { page } = session;
    try {
      await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 60_000 });
      const notices = await noticeTexts(page);
      assert.ok(notices.some((n) => /The rest of the playground could not be loaded .*HTTP 404.*reload the page/.test(n)), JSON.stringify(notices));
      assert.equal(await page.evaluate(() => window.dp.module), 'first-frame');
      assert.equal(await page.evaluate(() => window.dp.playground.step_index), 0);
    } finally {
      await session.close();
    }
  });
});
