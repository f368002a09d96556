// Offline: after a first visit the service worker (www/sw.js) has kept the site for the build on
// the server (www/offline-files.json); with the network gone, the playground and the course notes
// and a lesson of the course load and run from that copy and the page says so; a new build's first visit replaces the copy.
//
// The network is cut for real: the test serves www/ itself and stops that server, and the browser
// context is set offline (what navigator.onLine reports). Playwright's setOffline alone does not
// reach a service worker's own fetches (microsoft/playwright#2311), so it could not show that the
// copy is what answers.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { NAVIGATION, TEST_TIMEOUT_MS, WWW, launchHeadless, noticeTexts, openPlayground, pageReport, runToEnd, serveStatic, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

/** The build the offline list on disk names (`cargo xtask build-wasm` writes it). */
function builtList() {
  return JSON.parse(readFileSync(path.join(WWW, 'offline-files.json'), 'utf8'));
}

/** The cache names of this site's service worker, once a worker is active. */
function keptCaches(page) {
  return page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return (await caches.keys()).filter((name) => name.startsWith('diffusion-playground-'));
  });
}

/** Waits until every widget of the course-notes page has drawn its first frame; returns their states. */
async function notesWidgets(page) {
  const count = await page.$$eval('diffusion-playground', (elements) => elements.length);
  const deadline = Date.now() + 240_000;
  let states = [];
  while (Date.now() < deadline) {
    states = await Promise.all(page.frames().filter((f) => f.url().includes('embed=1')).map((f) =>
      f.evaluate(() => document.body.dataset.state).catch(() => 'gone')));
    if (states.length === count && states.every((s) => s === 'ready' || s === 'error')) break;
    await page.waitForTimeout(500);
  }
  return { count, states };
}

describe('offline', { timeout: TEST_TIMEOUT_MS }, () => {
  test('after a first visit the playground, the course notes and a lesson run with the network gone, and a new build replaces the copy', async (t) => {
    const { build, files } = builtList();
    const online = await serveStatic();
    const port = Number(new URL(online.url).port);
    const session = await openPlayground(browser, 'backend=cpu&particles=512&steps=20&playing=0', { serviceWorkers: 'allow', base: online.url });
    const { page } = session;
    let next = null;
    try {
      await waitReady(page);
      assert.deepEqual(await keptCaches(page), [`diffusion-playground-${build}`], 'the first visit keeps this build');
      const kept = await page.evaluate(async (name) => (await (await caches.open(name)).keys()).length, `diffusion-playground-${build}`);
      assert.equal(kept, files.length + 1, 'every file of the list is kept, and the list');
      assert.deepEqual(await noticeTexts(page), [], 'online, nothing to say');

      // The lecture hall: no network at all.
      await online.close();
      await page.context().setOffline(true);
      await page.reload(NAVIGATION);
      await waitReady(page);
      assert.ok((await runToEnd(page)) > 0, 'the run steps offline');
      assert.match((await noticeTexts(page)).join(' '), /You are offline: the page runs from the copy your browser kept on an earlier visit/);
      const notes = await page.context().newPage();
      await notes.goto(`${online.url}examples/course-notes.html`, NAVIGATION);
      const widgets = await notesWidgets(notes);
      t.diagnostic(`course notes offline: ${JSON.stringify(widgets)}`);
      assert.ok(widgets.count >= 4 && widgets.states.length === widgets.count, JSON.stringify(widgets));
      assert.deepEqual(widgets.states, Array(widgets.count).fill('ready'), 'every widget of the notes runs offline');
      await notes.close();
      // A lesson of the course too, never visited before: the first visit kept the whole site.
      const lesson = await page.context().newPage();
      await lesson.goto(`${online.url}lessons/1-forward.html`, NAVIGATION);
      const figures = await notesWidgets(lesson);
      assert.ok(figures.count >= 1 && figures.states.every((s) => s === 'ready'), `the lesson's figures in view run offline: ${JSON.stringify(figures)}`);
      await lesson.close();

      // A new build on the same address: its first visit replaces the copy.
      next = await serveStatic(WWW, { port, replaced: { 'offline-files.json': JSON.stringify({ build: 'a-new-build', files }) } });
      await page.context().setOffline(false);
      await page.reload(NAVIGATION);
      await waitReady(page);
      await page.waitForFunction(async () => {
        const names = (await caches.keys()).filter((name) => name.startsWith('diffusion-playground-'));
        return names.length === 1 && names[0] === 'diffusion-playground-a-new-build';
      }, null, { timeout: 60_000, polling: 250 });
      assert.deepEqual(await noticeTexts(page), [], 'back online, the offline notice is gone');
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
      await next?.close();
    }
  });
});
