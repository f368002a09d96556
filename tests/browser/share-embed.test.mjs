// Sharing and embedding: a share link replays the same particles, hostile links never break the
// page, embed.html and the <diffusion-playground> element render, the course-notes page renders
// every widget, and the exports (PNG, video) and layers produce real pictures.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { decodePng } from './png.mjs';
import { LOAD_TIMEOUT_MS, NAVIGATION, TEST_TIMEOUT_MS, baseUrl, launchHeadless, noticeTexts, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** Length of the test recording (ms). */
const RECORD_MS = 1500;
/** Settings that keep a page light on SwiftShader and the CPU. */
const LIGHT = 'backend=cpu&particles=1024&steps=20';

async function positionsAfterRun(page) {
  await runToEnd(page);
  return page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
}

describe('share links and embedding', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the Copy link button gives a link that replays exactly the same particles', async () => {
    const first = await openPlayground(browser, `${LIGHT}&dataset=spiral&sampler=heun&seed=77&playing=0`);
    let link;
    let positions;
    try {
      await waitReady(first.page);
      await first.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await first.page.click('#share');
      await first.page.waitForFunction(() => document.querySelector('#notices .notice--info'), null, { timeout: 10_000 });
      const fromClipboard = await first.page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
      const notice = (await noticeTexts(first.page)).join(' ');
      link = fromClipboard || /(http\S+)/.exec(notice)?.[1];
      assert.ok(link, `a link was copied or shown (${notice})`);
      assert.match(link, /index\.html#v=1&dataset=spiral&.*sampler=heun.*seed=77/);
      positions = await positionsAfterRun(first.page);
    } finally {
      await first.close();
    }
    const second = await openPlayground(browser, link.split('#')[1]);
    try {
      await waitReady(second.page);
      const again = await positionsAfterRun(second.page);
      assert.equal(again.length, positions.length);
      assert.deepEqual(again, positions, 'the same link gives bit-identical particles');
    } finally {
      await second.close();
    }
  });

  const HOSTILE = [
    ['steps=abc', /steps "abc" is not allowed/],
    ['particles=-1', /particles "-1" is not allowed/],
    ['seed=1e400', /seed "1e400" is not allowed/],
    ['dataset=<img src=x onerror=alert(1)>', /dataset "<img src=x onerror=alert\(1\)>" is not allowed/],
    [`dataset=${'x'.repeat(100_000)}`, /dataset "x{40}\.\.\." is not allowed/],
    ['v=99&sampler=heun', /newer version of Diffusion Playground/],
    ['theme=<script>alert(1)</script>', /theme "<script>alert\(1\)<\/script>" is not allowed/],
    ['ui=max', /ui "max" is not allowed/],
    ['playing=maybe', /playing "maybe" is not allowed/],
    ['ghosts_hide=%E2%80%AE', /ghosts_hide ".*" is not allowed/],
    ['__proto__=1&constructor=2', /2 unknown settings in the link were ignored: "__proto__", "constructor"/],
  ];

  test('a battery of bad links: each field falls back with its own notice, the page works, nothing runs', async () => {
    for (const [hash, expected] of HOSTILE) {
      const session = await openPlayground(browser, `${hash}&${LIGHT}`);
      try {
        await waitReady(session.page);
        const notices = (await noticeTexts(session.page)).join('\n');
        assert.match(notices, expected, `${hash.slice(0, 60)}: notices were ${notices}`);
        const page = await session.page.evaluate(() => ({
          // The run may have finished already (these links play): restart it, then step.
          steps: (window.dp.playground.reset(), window.dp.playground.step(1)),
          injected: document.querySelectorAll('#notices img, #notices script').length,
        }));
        assert.equal(page.steps, 1, `${hash.slice(0, 60)}: the page still runs`);
        assert.equal(page.injected, 0, 'nothing from the link becomes markup');
        assert.deepEqual(session.dialogs, [], 'no script from the link ran');
        assert.deepEqual(session.errors, [], `${hash.slice(0, 60)}: ${await pageReport(session)}`);
      } finally {
        await session.close();
      }
    }
  });

  test('embed.html shows the same state with minimal chrome; ui=min and _hide flags hide controls', async () => {
    const session = await openPlayground(browser, '');
    try {
      await session.page.goto(`${await baseUrl()}embed.html#dataset=pinwheel&${LIGHT}&steps_hide=1&t_hide=1`, { ...NAVIGATION, waitUntil: 'load' });
      await session.page.waitForURL(/index\.html\?embed=1/, { timeout: LOAD_TIMEOUT_MS });
      await waitReady(session.page);
      const seen = await session.page.evaluate(() => ({
        embedded: document.body.classList.contains('embed'),
        masthead: getComputedStyle(document.querySelector('.masthead')).display,
        panel: getComputedStyle(document.querySelector('.panel')).display,
        steps: getComputedStyle(document.getElementById('steps').closest('.field')).display,
        seed: getComputedStyle(document.getElementById('seed').closest('.field')).display,
        timebar: getComputedStyle(document.getElementById('timebar')).display,
        fullPage: document.getElementById('full-page').href,
        dataset: window.dp.playground.options().dataset,
      }));
      assert.ok(seen.embedded);
      assert.equal(seen.masthead, 'none', 'no header in an embed');
      assert.notEqual(seen.panel, 'none', 'the settings are there without ui=min');
      assert.equal(seen.steps, 'none', 'steps_hide hides the steps control');
      assert.notEqual(seen.seed, 'none', 'other controls stay');
      assert.equal(seen.timebar, 'none', 't_hide hides the time bar');
      assert.equal(seen.dataset, 'pinwheel');
      assert.match(seen.fullPage, /index\.html#v=1&dataset=pinwheel/, 'the full-page link carries the state');

      await session.page.goto(`${await baseUrl()}embed.html#ui=min&${LIGHT}`, { ...NAVIGATION, waitUntil: 'load' });
      await session.page.waitForURL(/index\.html\?embed=1/, { timeout: LOAD_TIMEOUT_MS });
      await waitReady(session.page);
      const minimal = await session.page.evaluate(() => ({
        panel: getComputedStyle(document.querySelector('.panel')).display,
        play: getComputedStyle(document.getElementById('play')).display,
      }));
      assert.equal(minimal.panel, 'none', 'ui=min hides the settings');
      assert.notEqual(minimal.play, 'none', 'ui=min keeps the transport');
    } finally {
      await session.close();
    }
  });

  test('the Embed button writes an iframe and a custom-element snippet of this exact view', async () => {
    const session = await openPlayground(browser, `${LIGHT}&dataset=two_normals_1d&sampler=ddim&playing=0`);
    try {
      await waitReady(session.page);
      await session.page.click('#embed');
      const snippets = await session.page.evaluate(() => ({
        open: document.getElementById('embed-dialog').open,
        iframe: document.getElementById('embed-code').value,
        element: document.getElementById('element-code').value,
      }));
      assert.ok(snippets.open);
      assert.match(snippets.iframe, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\.html#v=1&amp;dataset=two_normals_1d&amp;.*sampler=ddim/);
      assert.match(snippets.iframe, /title="Diffusion Playground" loading="lazy"/);
      assert.match(snippets.element, /<diffusion-playground dataset="two_normals_1d" .*sampler="ddim"/);
    } finally {
      await session.close();
    }
  });

  test('the course-notes page renders all its widgets, each with its own settings', async () => {
    const session = await openPlayground(browser, '', { viewport: { width: 1000, height: 6000 } });
    try {
      await session.page.goto(`${await baseUrl()}examples/course-notes.html`, NAVIGATION);
      const count = await session.page.$$eval('diffusion-playground', (elements) => elements.length);
      assert.ok(count >= 4, `${count} widgets`);
      const deadline = Date.now() + 240_000;
      let states = [];
      while (Date.now() < deadline) {
        states = await Promise.all(
          session.page.frames().filter((f) => f.url().includes('embed=1')).map((f) =>
            f.evaluate(() => ({ state: document.body.dataset.state, dataset: window.dp?.playground?.options().dataset })).catch(() => ({ state: 'gone' })),
          ),
        );
        if (states.length === count && states.every((s) => s.state === 'ready' || s.state === 'error')) break;
        await session.page.waitForTimeout(500);
      }
      assert.equal(states.length, count, 'one embedded page per widget');
      assert.deepEqual(states.map((s) => s.state), Array(count).fill('ready'), 'every widget reached ready');
      const datasets = new Set(states.map((s) => s.dataset));
      assert.ok(datasets.size >= 3, `the widgets show different lessons: ${[...datasets]}`);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('PNG export gives a non-blank picture with the ghosts and arrows layers on it', async () => {
    const session = await openPlayground(browser, `${LIGHT}&dataset=gaussian_mixture&score=exact&t=0.3&playing=0&ghosts=1&arrows=1`);
    try {
      await waitReady(session.page);
      await session.page.waitForFunction(() => window.dp.layersDrawn() > 0, null, { timeout: 30_000 });
      const dataUrl = await session.page.evaluate(() => window.dp.exportPng());
      const { width, height, rgba } = decodePng(Buffer.from(dataUrl.split(',')[1], 'base64'));
      assert.ok(width > 100 && height === width, `${width} x ${height}`);
      let lit = 0;
      let amber = 0;
      let white = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
        if (r + g + b > 120) lit += 1;
        if (r > 200 && g > 120 && g < 200 && b < 60) amber += 1;
        if (r > 230 && g > 230 && b > 230) white += 1;
      }
      assert.ok(lit > 0.005 * width * height, `${lit} lit pixels`);
      assert.ok(amber > 50, `score arrows drawn (${amber} amber pixels)`);
      assert.ok(white > 50, `ghosts drawn (${white} white pixels)`);
    } finally {
      await session.close();
    }
  });

  test('a recorded video holds the layers the PNG has, has a finite duration and seeks', async () => {
    const session = await openPlayground(browser, `${LIGHT}&dataset=gaussian_mixture&score=exact&t=0.3&playing=0&ghosts=1&arrows=1`);
    try {
      await waitReady(session.page);
      await session.page.waitForFunction(() => window.dp.layersDrawn() > 0, null, { timeout: 30_000 });
      const recorded = await session.page.evaluate((ms) => window.dp.recordVideo(ms), RECORD_MS);
      assert.match(recorded.type, /^video\/(mp4|webm)$/);
      assert.ok(recorded.size > 1000, `${recorded.size} bytes`);
      assert.ok(recorded.seekable, `encoded with WebCodecs (${recorded.codec}), so the file is indexed`);
      // Play the file back in the page: its duration, a seek to the middle, the pixels there.
      const seen = await session.page.evaluate(async (url) => {
        const video = document.createElement('video');
        video.muted = true;
        video.src = url;
        await new Promise((resolve, reject) => {
          video.onloadedmetadata = resolve;
          video.onerror = () => reject(new Error(`the video does not load: ${video.error?.message}`));
        });
        const duration = video.duration;
        video.currentTime = duration / 2;
        await new Promise((resolve) => {
          video.onseeked = resolve;
        });
        const canvas = document.createElement('canvas');
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(video, 0, 0);
        const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let amber = 0;
        let white = 0;
        for (let i = 0; i < rgba.length; i += 4) {
          const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
          if (r > 180 && g > 100 && g < 210 && b < 90) amber += 1;
          if (r > 215 && g > 215 && b > 215) white += 1;
        }
        return { duration, time: video.currentTime, width: video.videoWidth, height: video.videoHeight, amber, white };
      }, recorded.url);
      assert.ok(Number.isFinite(seen.duration), `a finite duration: ${seen.duration}`);
      assert.ok(seen.duration > 0.5 * RECORD_MS / 1000 && seen.duration < 3 * RECORD_MS / 1000, `about ${RECORD_MS} ms long: ${seen.duration} s`);
      assert.ok(Math.abs(seen.time - seen.duration / 2) < 0.2, `it seeks to the middle: ${seen.time} of ${seen.duration} s`);
      assert.ok(seen.width > 100 && seen.height > 100, `${seen.width} x ${seen.height}`);
      assert.ok(seen.amber > 50, `score arrows in the video (${seen.amber} amber pixels)`);
      assert.ok(seen.white > 50, `ghosts in the video (${seen.white} white pixels)`);
    } finally {
      await session.close();
    }
  });

  test('the light theme and the layer toggles apply from their controls and reach the link', async () => {
    const session = await openPlayground(browser, `${LIGHT}&playing=0`);
    try {
      await waitReady(session.page);
      await session.page.selectOption('#theme', 'light');
      await session.page.check('#ghosts');
      await session.page.waitForFunction(() => window.dp.layersDrawn() > 0, null, { timeout: 30_000 });
      await session.page.waitForFunction(() => /theme=light/.test(location.hash) && /ghosts=1/.test(location.hash), null, { timeout: 5000 });
      const seen = await session.page.evaluate(() => ({
        theme: document.documentElement.dataset.theme,
        background: getComputedStyle(document.documentElement).getPropertyValue('--bg').trim(),
        legend: document.getElementById('layer-legend').hidden,
      }));
      assert.deepEqual(seen, { theme: 'light', background: '#f6f7fb', legend: false });
    } finally {
      await session.close();
    }
  });
});
