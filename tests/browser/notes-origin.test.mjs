// Embeds in real course notes: a page of notes served from a second origin loads the
// <diffusion-playground> element (a module script fetched with CORS) and an iframe snippet, both
// scrolled into view only later. Both reach ready, a widget whose link says play plays once seen,
// nothing scrolls inside a ui=min iframe at the Embed button's snippet size (so the mouse wheel
// over it scrolls the notes), the element sizes its iframe to the content, and the element's API
// (play, pause, reset, set; events ready, step, done) drives a widget from the notes. Elements
// given a height (400, 520, 640 px) keep it and fit it, with nothing scrolling inside.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { NAVIGATION, STRICT_CSP, TEST_TIMEOUT_MS, baseUrl, launchHeadless, serveStatic } from './helpers.mjs';

/** The Embed button's iframe size (www/js/export.js). */
const SNIPPET = { width: 560, height: 640 };
/** Light settings: the CPU path, few particles and steps. */
const LIGHT = 'backend=cpu&particles=1024&steps=40';
/** Notes above and below the widgets, so both start far out of view. */
const FILLER_PX = 2500;
/** The heights given to widgets in the sized notes (px), and the prose between them. */
const SIZED_HEIGHTS = [400, 520, 640];
const SIZED_GAP_PX = 900;

let browser;
let notes;
let directory;
let site;

before(async () => {
  browser = await launchHeadless({ webgpu: true });
  site = await baseUrl();
  directory = await mkdtemp(path.join(os.tmpdir(), 'dp-notes-'));
  const iframeHash = `${LIGHT}&dataset=spiral&playing=1&ui=min`;
  await writeFile(
    path.join(directory, 'notes.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Notes on another origin</title>
<script type="module" src="${site}js/element.js"></script></head>
<body style="margin: 0; font: 16px sans-serif">
  <p>Lecture 7: diffusion models.</p>
  <div style="height: ${FILLER_PX}px">Prose before the figures.</div>
  <diffusion-playground id="element" dataset="gaussian_mixture" ${LIGHT.split('&').map((kv) => kv.replace('=', '="') + '"').join(' ')} playing="1" ui="min"></diffusion-playground>
  <div style="height: ${FILLER_PX}px">Prose between the figures.</div>
  <iframe id="snippet" src="${site}embed.html#${iframeHash}" width="${SNIPPET.width}" height="${SNIPPET.height}" style="border:0" loading="lazy" title="Diffusion Playground"></iframe>
  <div style="height: ${FILLER_PX}px">Prose after the figures.</div>
</body></html>`,
  );
  // Notes whose widgets are given a height (a slide deck's fixed boxes): each a ui=min element.
  await writeFile(
    path.join(directory, 'sized.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sized widgets on another origin</title>
<script type="module" src="${site}js/element.js"></script></head>
<body style="margin: 0; font: 16px sans-serif">
  <p>Slides with widgets of a fixed height.</p>
${SIZED_HEIGHTS.map((height) => `  <div style="height: ${SIZED_GAP_PX}px">Prose.</div>
  <diffusion-playground id="sized-${height}" height="${height}" seed="${height}" ${LIGHT.split('&').map((kv) => kv.replace('=', '="') + '"').join(' ')} ui="min"></diffusion-playground>`).join('\n')}
  <div style="height: ${FILLER_PX}px">Prose after the widgets.</div>
</body></html>`,
  );
  // The notes' own strict policy, which lets in scripts from the widget's site as well.
  notes = await serveStatic(directory, { csp: `${STRICT_CSP} ${new URL(site).origin}` });
});

after(async () => {
  await browser?.close();
  await notes?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** The playground frame of the element (`autosize`) or of the iframe snippet, once attached. */
async function playgroundFrame(page, { autosize }) {
  for (let tries = 0; tries < 600; tries += 1) {
    const frame = page.frames().find((f) => f.url().includes('index.html?embed=1') && f.url().includes('autosize') === autosize);
    if (frame) return frame;
    await page.waitForTimeout(100);
  }
  throw new Error(`no playground frame (autosize ${autosize}): ${page.frames().map((f) => f.url()).join(', ')}`);
}

/** The events seen and each frame's state, for a failure message. */
async function framesReport(page) {
  const events = await page.evaluate(() => window.events).catch(() => null);
  const frames = await Promise.all(
    page.frames().map(async (f) => [
      f.url().slice(0, 80),
      await f
        .evaluate(() => ({ state: document.body.dataset.state, playing: window.dp?.state?.().playing, step: window.dp?.playground?.step_index, notices: document.getElementById('notices')?.textContent }))
        .catch(() => null),
    ]),
  );
  return `events ${JSON.stringify(events)}; frames ${JSON.stringify(frames)}`;
}

/** Whether the frame's document scrolls (content taller or wider than the frame). */
function scrollsInside(frame) {
  return frame.evaluate(() => {
    const root = document.scrollingElement;
    return root.scrollHeight > root.clientHeight + 1 || root.scrollWidth > root.clientWidth + 1;
  });
}

/** The mouse wheel over the widget `selector` scrolls the notes (nothing inside takes it). */
async function wheelScrollsTheNotes(page, selector) {
  const box = await page.locator(selector).boundingBox();
  const before = await page.evaluate(() => window.scrollY);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 300);
  await page.waitForFunction((y) => window.scrollY > y + 100, before, { timeout: 10_000 });
}

/** A frame's navigation that has not made the widget ready in this long is tried again. */
const READY_ATTEMPT_MS = 45_000;
/** Attempts before the test gives up (Chromium on SwiftShader now and then never commits a navigation). */
const READY_ATTEMPTS = 3;

/**
 * Opens the notes in a fresh context, records the element's events, scrolls the element into
 * view and waits for its `ready` event; a frame whose navigation never commits is tried again in
 * a fresh context, as helpers.openPlayground does for pages.
 */
async function openNotesWithTheElementReady() {
  const notesUrl = `${notes.url}notes.html`;
  assert.notEqual(new URL(notesUrl).origin, new URL(site).origin, 'the notes are on another origin');
  for (let attempt = 1; ; attempt += 1) {
    const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
    const page = await context.newPage();
    /** @type {string[]} */
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(notesUrl, NAVIGATION);
      await page.waitForFunction(() => customElements.get('diffusion-playground') !== undefined, null, { timeout: 30_000 });
      await page.evaluate(() => {
        const element = document.getElementById('element');
        window.events = [];
        for (const type of ['ready', 'step', 'done']) {
          element.addEventListener(type, (event) => window.events.push({ type, ...event.detail }));
        }
      });
      // The element, scrolled to late: it becomes ready (and plays: its link says playing=1).
      await page.evaluate(() => document.getElementById('element').scrollIntoView({ block: 'center' }));
      await page.waitForFunction(() => window.events.some((e) => e.type === 'ready'), null, { timeout: READY_ATTEMPT_MS });
      return { context, page, errors };
    } catch (error) {
      const report = await framesReport(page).catch(() => '');
      await context.close().catch(() => {});
      if (attempt >= READY_ATTEMPTS || error?.name !== 'TimeoutError') throw new Error(`${error.message}; ${report}`);
      console.error(`attempt ${attempt}: the element did not become ready (${report}); trying again in a fresh context`);
    }
  }
}

describe('widgets in notes on another origin', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the element and the iframe load, play once scrolled to, fit without inner scrolling, and the API drives the element', async () => {
    const { context, page, errors } = await openNotesWithTheElementReady();
    try {
      await page
        .waitForFunction(() => window.events.some((e) => e.type === 'step' && e.step > 0), null, { timeout: 60_000 })
        .catch(async (error) => {
          throw new Error(`${error.message}; ${await framesReport(page)}`);
        });
      const elementFrame = await playgroundFrame(page, { autosize: true });
      // Sized to its content: the element's iframe is as tall as the page in it.
      await page.waitForFunction(() => {
        const frame = document.getElementById('element').shadowRoot.querySelector('iframe');
        return frame.getBoundingClientRect().height > 300;
      });
      assert.equal(await scrollsInside(elementFrame), false, 'nothing scrolls inside the element');

      // The API: pause, change settings (validated like a link), play to the end.
      await page.evaluate(() => {
        const element = document.getElementById('element');
        element.pause();
        element.set({ dataset: 'spiral', steps: 20 });
        element.play();
      });
      await page.waitForFunction(() => window.events.some((e) => e.type === 'done'), null, { timeout: 120_000 });
      const shown = await elementFrame.evaluate(() => ({ dataset: window.dp.state().dataset, steps: window.dp.state().steps, done: window.dp.playground.done }));
      assert.deepEqual(shown, { dataset: 'spiral', steps: 20, done: true });
      const last = await page.evaluate(() => window.events.filter((e) => e.type === 'step').at(-1));
      assert.equal(last.total, 20, 'step events report the run the API asked for');
      await page.evaluate(() => document.getElementById('element').reset());
      await elementFrame.waitForFunction(() => window.dp.playground.step_index === 0 && !window.dp.playground.done);

      // The iframe snippet, scrolled to late: ready, playing, and nothing scrolls inside it.
      await page.evaluate(() => document.getElementById('snippet').scrollIntoView({ block: 'center' }));
      const snippetFrame = await playgroundFrame(page, { autosize: false });
      await snippetFrame.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
      await snippetFrame.waitForFunction(() => window.dp.playground.step_index > 0, null, { timeout: 60_000 });
      assert.equal(await scrollsInside(snippetFrame), false, `nothing scrolls inside a ${SNIPPET.width} x ${SNIPPET.height} ui=min iframe`);
      const transport = await snippetFrame.evaluate(() => {
        const play = document.getElementById('play').getBoundingClientRect();
        return { bottom: play.bottom, height: window.innerHeight };
      });
      assert.ok(transport.bottom <= transport.height, `the Play button is inside the frame: ${JSON.stringify(transport)}`);

      await wheelScrollsTheNotes(page, '#snippet');
      assert.deepEqual(errors, [], 'no error in the notes page');
    } finally {
      await context.close();
    }
  });
});

describe('widgets given a height in notes on another origin', { timeout: TEST_TIMEOUT_MS }, () => {
  test('at 400, 520 and 640 px the element keeps its height, nothing scrolls inside, Play is in view and the wheel scrolls the notes', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
    const page = await context.newPage();
    /** @type {string[]} */
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${notes.url}sized.html`, NAVIGATION);
      await page.waitForFunction(() => customElements.get('diffusion-playground') !== undefined, null, { timeout: 30_000 });
      for (const height of SIZED_HEIGHTS) {
        await page.evaluate((id) => {
          const element = document.getElementById(id);
          window.readyIds = window.readyIds ?? [];
          element.addEventListener('ready', () => window.readyIds.push(id));
          element.scrollIntoView({ block: 'center' });
        }, `sized-${height}`);
        await page.waitForFunction((id) => window.readyIds.includes(id), `sized-${height}`, { timeout: 120_000 }).catch(async (error) => {
          throw new Error(`${error.message}; ${await framesReport(page)}`);
        });
        const frame = page.frames().find((f) => f.url().includes('index.html?embed=1') && f.url().includes(`seed=${height}`));
        assert.ok(frame, `the frame of the ${height} px widget`);
        assert.equal(frame.url().includes('autosize'), false, `a widget given a height is not autosized: ${frame.url()}`);
        const box = await page.evaluate((id) => document.getElementById(id).shadowRoot.querySelector('iframe').getBoundingClientRect().height, `sized-${height}`);
        assert.equal(Math.round(box), height, `the iframe is ${height} px tall`);
        assert.equal(await scrollsInside(frame), false, `nothing scrolls inside the ${height} px widget`);
        const transport = await frame.evaluate(() => {
          const play = document.getElementById('play').getBoundingClientRect();
          const canvas = document.getElementById('canvas-frame').getBoundingClientRect();
          return { bottom: play.bottom, height: window.innerHeight, canvas: canvas.height };
        });
        assert.ok(transport.bottom <= transport.height, `the Play button is inside the ${height} px frame: ${JSON.stringify(transport)}`);
        assert.ok(transport.canvas >= 0.3 * height, `the picture takes what is left: ${JSON.stringify(transport)}`);
        await wheelScrollsTheNotes(page, `#sized-${height}`);
      }
      assert.deepEqual(errors, [], 'no error in the notes page');
    } finally {
      await context.close();
    }
  });
});
