// Invalid input gives a clear message, never a blank page: each bad field of a link falls back to
// its default with a notice that names it; URL text is never run or inserted as HTML; the wasm
// rejects bad options with an Error that names the field.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LOAD_TIMEOUT_MS, NAVIGATION, TEST_TIMEOUT_MS, launchHeadless, noticeTexts, openPlayground, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** Everything a test needs to know about how the page took a bad link. */
async function inspect(session) {
  return session.page.evaluate(() => ({
    state: document.body.dataset.state,
    options: window.dp.playground?.options(),
    defaults: window.dp.describe?.().defaults,
    scripts: [...document.scripts].map((s) => s.src || s.textContent.slice(0, 80)),
    noticeHtml: document.getElementById('notices').innerHTML,
    injected: document.querySelectorAll('#notices script, #notices img, #notices iframe, #notices b').length,
    xss: window.__xss === true,
  }));
}

// Small runs on the CPU keep these fast; what is checked is the page's handling of the link.
const BASE = 'backend=cpu&playing=0';
const BAD_LINKS = [
  { field: 'steps', hash: `steps=0&particles=1024&${BASE}` },
  { field: 'particles', hash: `particles=999999999&steps=20&${BASE}` },
  { field: 'dataset', hash: `dataset=<script>alert(1)</script>&particles=1024&${BASE}` },
  { field: 'dataset', hash: `dataset=<img src=x onerror="window.__xss=true;alert(1)">&particles=1024&${BASE}` },
  { field: 'seed', hash: `seed=abc&particles=1024&${BASE}` },
  { field: 'eta', hash: `eta=2&particles=1024&${BASE}` },
  { field: 'time_grid', hash: `time_grid=<b>x</b>&particles=1024&${BASE}` },
  { field: 'churn', hash: `churn=-1&sampler=heun&particles=1024&${BASE}` },
  { field: 's_tmin', hash: `s_tmin=50&s_tmax=10&sampler=heun&particles=1024&${BASE}` },
  { field: 'order', hash: `order=4&sampler=unipc&particles=1024&${BASE}` },
];

describe('invalid options', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const { field, hash } of BAD_LINKS) {
    test(`#${hash.split('&')[0]}: ready with the default ${field}, a notice naming ${field}, nothing injected`, async () => {
      const session = await openPlayground(browser, hash);
      try {
        await waitReady(session.page);
        const seen = await inspect(session);
        const notices = await noticeTexts(session.page);
        assert.equal(seen.state, 'ready', 'the page runs');
        assert.equal(seen.options[field], seen.defaults[field], `${field} falls back to its default`);
        assert.ok(
          notices.some((text) => text.includes(field)),
          `a notice names the field '${field}'; notices: ${JSON.stringify(notices)}`,
        );
        assert.ok(await session.page.locator('#notices .notice').first().isVisible(), 'the notice is visible');
        assert.deepEqual(session.dialogs, [], 'no dialog was opened');
        assert.equal(seen.injected, 0, `no element was injected into the notices: ${seen.noticeHtml}`);
        assert.equal(seen.xss, false, 'no injected handler ran');
        assert.ok(
          seen.scripts.every((s) => !s.includes('alert')),
          `no script from the link is in the page: ${JSON.stringify(seen.scripts)}`,
        );
        assert.deepEqual(session.errors, [], 'no console errors');
      } finally {
        await session.close();
      }
    });
  }

  test('an unknown setting in the link is named in a notice and ignored', async () => {
    const session = await openPlayground(browser, `colour=red&particles=1024&${BASE}`);
    try {
      await waitReady(session.page);
      const notices = await noticeTexts(session.page);
      assert.ok(notices.some((text) => text.includes('colour')), `notices: ${JSON.stringify(notices)}`);
    } finally {
      await session.close();
    }
  });

  test('particles over the CPU limit: Playground.create refuses, the page says why and starts without that field', async () => {
    // 500000 passes the page's table (the GPU limit) but not the CPU path's limit in the wasm.
    const session = await openPlayground(browser, `particles=500000&steps=20&${BASE}`);
    try {
      await waitReady(session.page);
      const seen = await inspect(session);
      const notices = await noticeTexts(session.page);
      assert.equal(seen.options.particles, seen.defaults.particles, 'particles falls back to its default');
      assert.equal(seen.options.steps, 20, 'the other fields of the link are kept');
      assert.ok(
        notices.some((text) => text.includes('particles') && text.includes('500000')),
        `a notice names particles and the value; notices: ${JSON.stringify(notices)}`,
      );
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test("pg.set_options({ steps: -5 }) throws an Error whose message names 'steps', and changes nothing", async () => {
    const session = await openPlayground(browser, `steps=20&particles=1024&${BASE}`);
    try {
      await waitReady(session.page);
      const outcome = await session.page.evaluate(() => {
        const pg = window.dp.playground;
        try {
          pg.set_options({ steps: -5 });
          return { threw: false };
        } catch (error) {
          return { threw: true, isError: error instanceof Error, message: String(error?.message), steps: pg.options().steps };
        }
      });
      assert.ok(outcome.threw, 'set_options must throw');
      assert.ok(outcome.isError, 'the thrown value is an Error');
      assert.match(outcome.message, /steps/, `the message names the field: "${outcome.message}"`);
      assert.match(outcome.message, /-5/, `the message names the value: "${outcome.message}"`);
      assert.equal(outcome.steps, 20, 'the options are unchanged');
    } finally {
      await session.close();
    }
  });

  test('a missing WebAssembly module is explained on the page, not a blank page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.route(/_bg\.wasm$/, (route) => route.fulfill({ status: 404, body: 'not found' }));
      const { baseUrl } = await import('./helpers.mjs');
      await page.goto(`${await baseUrl()}index.html`, NAVIGATION);
      await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: LOAD_TIMEOUT_MS });
      const notices = await noticeTexts(page);
      assert.ok(
        notices.some((text) => /WebAssembly/.test(text) && /build-wasm/.test(text)),
        `a notice explains the missing module and how to build it; notices: ${JSON.stringify(notices)}`,
      );
      assert.ok(await page.locator('#overlay').isVisible(), 'the canvas overlay shows the error too');
    } finally {
      await context.close();
    }
  });
});
