// The networks the wasm leaves out (docs/measured.md: the download before the
// first frame): the default link needs no network file; a link to another dataset fetches that
// dataset's network (only it) before the playground starts, a control that changes the dataset
// fetches the new one, and a schedule without a network of its own uses the VP-linear file
// already there. A file that cannot be fetched is reported by name and status: a link falls back
// to the default dataset, a control keeps the settings as they were.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, noticeTexts, openPlayground, pageReport, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

/**
 * Opens `hash`, recording the network files fetched; those named in `missing` answer 404.
 * @param {string} hash
 * @param {string[]} [missing]
 */
async function open(hash, missing = []) {
  const fetched = [];
  const session = await openPlayground(browser, hash, {
    beforeLoad: (context) => context.route('**/weights/*.dpw', (route) => {
      const file = new URL(route.request().url()).pathname.split('/').pop();
      fetched.push(file);
      return missing.includes(file) ? route.fulfill({ status: 404, body: 'missing' }) : route.continue();
    }),
  });
  await waitReady(session.page);
  return { session, fetched };
}

/** Sets the settings control `name` to `value`, as a reader does. */
async function choose(page, name, value) {
  await page.selectOption(`#${name}`, value);
}

describe('networks fetched when a run needs them', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the default link fetches none; another dataset fetches its own, once, before it runs', async () => {
    const plain = await open('backend=cpu&particles=512&steps=10&playing=0');
    try {
      assert.deepEqual(plain.fetched, [], 'two moons with VP-linear is in the wasm');
    } finally {
      await plain.session.close();
    }
    const { session, fetched } = await open('backend=cpu&dataset=spiral&particles=512&steps=10&playing=0');
    const { page } = session;
    try {
      assert.deepEqual(fetched, ['spiral.vp_linear.dpw']);
      assert.equal(await page.evaluate(() => window.dp.playground.options().dataset), 'spiral', await pageReport(session));
      await choose(page, 'dataset', 'rings');
      await page.waitForFunction(() => window.dp.playground.options().dataset === 'rings');
      assert.deepEqual(fetched, ['spiral.vp_linear.dpw', 'rings.vp_linear.dpw'], 'the control fetched the new dataset\'s');
      // VE has no network of its own: the VP-linear one, already here, samples through the log-SNR.
      await choose(page, 'schedule', 've');
      await page.waitForFunction(() => window.dp.playground.options().schedule === 've');
      await choose(page, 'schedule', 'rectified_flow');
      await page.waitForFunction(() => window.dp.playground.options().schedule === 'rectified_flow');
      await choose(page, 'dataset', 'spiral');
      await page.waitForFunction(() => window.dp.playground.options().dataset === 'spiral');
      assert.deepEqual(fetched, ['spiral.vp_linear.dpw', 'rings.vp_linear.dpw', 'spiral.rectified_flow.dpw'], 'each file once, only when needed');
      const end = await page.evaluate(async () => {
        const pg = window.dp.playground;
        while (!pg.done) pg.step(5);
        return Array.from(await pg.read_positions()).every(Number.isFinite);
      });
      assert.ok(end, 'the fetched network samples');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('a network that cannot be fetched is reported: a link starts on the default dataset, a control keeps the settings', async () => {
    const { session, fetched } = await open('backend=cpu&dataset=rings&particles=512&steps=10&playing=0', ['rings.vp_linear.dpw']);
    const { page } = session;
    try {
      assert.ok(fetched.includes('rings.vp_linear.dpw'));
      let notices = await noticeTexts(page);
      assert.ok(
        notices.some((text) => /network of rings with vp_linear could not be fetched/.test(text) && /rings\.vp_linear\.dpw answered HTTP 404/.test(text)),
        `the file and its status are named: ${JSON.stringify(notices)}`,
      );
      assert.equal(await page.evaluate(() => window.dp.playground.options().dataset), 'two_moons', 'the default dataset instead');
      await choose(page, 'dataset', 'rings');
      await page.waitForFunction((count) => document.querySelectorAll('#notices .notice').length > count, notices.length);
      notices = await noticeTexts(page);
      assert.ok(notices.some((text) => /the settings stay as they were/.test(text)), JSON.stringify(notices));
      assert.equal(await page.evaluate(() => window.dp.playground.options().dataset), 'two_moons');
      assert.equal(await page.$eval('#dataset', (select) => select.value), 'two_moons', 'the control shows what runs');
    } finally {
      await session.close();
    }
  });
});
