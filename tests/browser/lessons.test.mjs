// The course (www/lessons/): each lesson opens on a laptop and on a phone under the strict CSP,
// is scrolled through, and every figure reaches its first frame; every prose control (buttons,
// sliders, scroll steps) acts on its own figure, as that figure's link shows; every figure has its
// still image and its embed snippet; the page never scrolls sideways on the phone; no console
// error. Keys a widget does not use reach the notes: PageDown pages them, Escape leaves the widget.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LOAD_TIMEOUT_MS, NAVIGATION, TEST_TIMEOUT_MS, WWW, baseUrl, launchHeadless } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

const LESSONS = readdirSync(path.join(WWW, 'lessons')).filter((f) => /^\d-.*\.html$/.test(f)).sort();
const VIEWPORTS = {
  laptop: { viewport: { width: 1280, height: 860 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

/** Opens `file` of the course in a fresh context; collects console errors. */
async function openLesson(file, device) {
  const context = await browser.newContext({ ...VIEWPORTS[device], serviceWorkers: 'block' });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  await page.goto(`${await baseUrl()}lessons/${file}`, NAVIGATION);
  // A lesson's module has wired its prose (the contents page has none).
  if (file !== 'index.html') await page.waitForFunction(() => document.body.dataset.lesson === 'wired');
  return { page, errors, close: () => context.close() };
}

/** The frame of figure `id` once its widget has drawn its first frame. */
async function readyFrame(page, id) {
  await page.locator(`#${id}`).scrollIntoViewIfNeeded();
  const handle = await page.waitForFunction((id) => {
    const frame = document.getElementById(id)?.shadowRoot?.querySelector('iframe');
    return frame?.src ? frame : null;
  }, id);
  const frame = await handle.asElement().contentFrame();
  await frame.waitForFunction(() => ['ready', 'error'].includes(document.body?.dataset.state), null, { timeout: LOAD_TIMEOUT_MS });
  const state = await frame.evaluate(() => document.body.dataset.state);
  assert.equal(state, 'ready', `figure ${id} reached its first frame: ${await frame.evaluate(() => document.getElementById('notices')?.textContent)}`);
  return frame;
}

/**
 * Scrolls `locator` into view and lets the scroll steps that came into view act first (their
 * observer reports within the next frames), so that what the test does next is the last word.
 */
async function scrollTo(page, locator) {
  await locator.scrollIntoViewIfNeeded();
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0)))));
}

/** Waits until the link of `frame` shows every setting of `settings` (numbers compared as numbers). */
async function showsSettings(frame, settings, what) {
  try {
    await frame.waitForFunction((expected) => {
      const link = new URLSearchParams(location.hash.slice(1));
      return Object.entries(expected).every(([name, value]) => {
        const shown = link.get(name);
        return shown === value || (shown !== null && shown !== '' && Number(shown) === Number(value));
      });
    }, settings, { timeout: 30_000 });
  } catch (error) {
    throw new Error(`${what} did not reach its figure (${JSON.stringify(settings)}; link: ${await frame.evaluate(() => location.hash)}): ${error.message}`);
  }
}

describe('the course', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the contents page links every lesson, and every lesson links the next', async () => {
    const { page, errors, close } = await openLesson('index.html', 'laptop');
    try {
      const links = await page.$$eval('ol.lessons a', (as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links, LESSONS);
      assert.equal(LESSONS.length, 7);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  for (const file of LESSONS) {
    for (const device of Object.keys(VIEWPORTS)) {
      test(`${file} on a ${device}: every figure runs, every prose control acts on it, stills and snippets exist`, async () => {
        const { page, errors, close } = await openLesson(file, device);
        try {
          const figures = await page.$$eval('figure.live diffusion-playground', (els) => els.map((e) => e.id));
          assert.ok(figures.length >= 1, 'a lesson has figures');
          const frames = {};
          for (const id of figures) frames[id] = await readyFrame(page, id);

          // Stills and embed snippets.
          for (const id of figures) {
            const still = await page.$eval(`#${id} ~ img.still`, (img) => img.getAttribute('src'));
            const response = await page.request.get(new URL(still, page.url()).href);
            assert.equal(response.status(), 200, `the still of ${id}`);
            const bytes = await response.body();
            assert.deepEqual([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG', `${still} is a PNG`);
            const snippet = await page.$eval(`#${id}`, (el) => el.closest('figure').querySelector('details.embed textarea').value);
            assert.match(snippet, /^<script type="module" src="http[^"]+\/js\/element\.js"><\/script>\n<diffusion-playground [^>]+><\/diffusion-playground>$/);
            assert.ok(!/ id=/.test(snippet), 'the snippet carries settings, not the page\'s id');
          }

          // Buttons: each acts on its own figure.
          const buttons = await page.$$eval('button[data-widget]', (bs) => bs.map((b, i) => ({ i, widget: b.dataset.widget, set: b.dataset.set ?? null, command: b.dataset.command ?? null })));
          for (const button of buttons) {
            const locator = page.locator('button[data-widget]').nth(button.i);
            if (button.command === 'reset') {
              // Run the figure to its end first, so that the reset is seen undoing it.
              await frames[button.widget].evaluate(async () => {
                const pg = window.dp.playground;
                while (!pg.done) {
                  pg.step(10);
                  await new Promise((resolve) => setTimeout(resolve, 0));
                }
              });
            }
            await scrollTo(page, locator);
            await locator.click();
            const frame = frames[button.widget];
            assert.ok(frame, `button ${button.i} names a figure of the page (${button.widget})`);
            if (button.set) {
              await showsSettings(frame, Object.fromEntries(new URLSearchParams(button.set)), `button "${button.set}"`);
            } else if (button.command === 'play') {
              await showsSettings(frame, { playing: '1' }, 'play');
            } else if (button.command === 'pause') {
              await showsSettings(frame, { playing: '0' }, 'pause');
            } else {
              assert.equal(button.command, 'reset');
              await frame.waitForFunction(() => !window.dp.playground.done, null, { timeout: 30_000 });
            }
          }

          // Sliders: moving one sets its figure's setting.
          const sliders = await page.$$eval('input[type="range"][data-widget]', (ss) => ss.map((s) => ({ id: s.id, widget: s.dataset.widget, setting: s.dataset.setting, max: s.max })));
          for (const slider of sliders) {
            const value = String(Number(slider.max) * 0.75);
            await scrollTo(page, page.locator(`#${slider.id}`));
            await page.$eval(`#${slider.id}`, (input, value) => {
              input.value = value;
              input.dispatchEvent(new Event('input', { bubbles: true }));
            }, value);
            await showsSettings(frames[slider.widget], { [slider.setting]: value }, `slider ${slider.id}`);
          }

          // Scroll steps: reaching one sets its figure.
          // From the top, where no step is current, each step in turn to the middle of the screen.
          const steps = await page.$$eval('.scroll-step[data-widget]', (ss) => ss.map((s, i) => ({ i, widget: s.dataset.widget, set: s.dataset.set })));
          await page.evaluate(() => window.scrollTo(0, 0));
          for (const step of steps) {
            const times = await page.evaluate((i) => Number(document.querySelectorAll('.scroll-step[data-widget]')[i].dataset.times ?? 0), step.i);
            await page.evaluate((i) => document.querySelectorAll('.scroll-step[data-widget]')[i].scrollIntoView({ block: 'center' }), step.i);
            await page.waitForFunction(([i, times]) => {
              const element = document.querySelectorAll('.scroll-step[data-widget]')[i];
              return element.classList.contains('scroll-step--current') && Number(element.dataset.times ?? 0) > times;
            }, [step.i, times]);
            await showsSettings(frames[step.widget], Object.fromEntries(new URLSearchParams(step.set)), `scroll step ${step.i}`);
          }

          if (device === 'phone') {
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert.ok(overflow <= 1, `nothing scrolls sideways on a phone (${overflow} px too wide)`);
          }
          assert.deepEqual(errors, []);
        } finally {
          await close();
        }
      });
    }
  }

  test('a key the widget does not use reaches the notes: PageDown pages them, Escape leaves the widget', async (t) => {
    const { page, errors, close } = await openLesson(LESSONS[0], 'laptop');
    try {
      const frame = await readyFrame(page, 'noising');
      await page.evaluate(() => {
        window.scrollTo(0, 0);
        window.keysSeen = [];
        document.addEventListener('keydown', (event) => window.keysSeen.push(event.key));
      });
      await frame.locator('canvas').first().click();
      const top = await page.evaluate(() => window.scrollY);
      await page.keyboard.press('PageDown');
      await page.waitForFunction((top) => window.scrollY > top + 100, top);
      // Focus inside the widget shows as its element with the iframe focused in its shadow root.
      assert.equal(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.localName), 'iframe');
      await page.keyboard.press('Escape');
      // Escape takes the focus out of the iframe, to the element itself.
      await page.waitForFunction(() => document.activeElement?.id === 'noising' && document.activeElement.shadowRoot?.activeElement === null);
      assert.deepEqual(await page.evaluate(() => window.keysSeen), ['PageDown', 'Escape'], 'the notes (a deck listening on the document) get the keys');
      // Keys the widget uses stay in it: Space is the widget's Play (taken there, not handed on).
      await scrollTo(page, page.locator('#noising'));
      await frame.locator('canvas').first().click();
      await frame.evaluate(() => {
        window.keysTaken = [];
        document.addEventListener('keydown', (event) => window.keysTaken.push([event.key, event.defaultPrevented]));
      });
      await page.keyboard.press(' ');
      await frame.waitForFunction(() => window.keysTaken.length === 1);
      assert.deepEqual(await frame.evaluate(() => window.keysTaken), [[' ', true]], 'the widget takes Space');
      assert.deepEqual(await page.evaluate(() => window.keysSeen), ['PageDown', 'Escape'], 'and does not hand it on');
      assert.equal(await frame.evaluate(() => document.getElementById('notices').textContent), '', 'the widget did not reload with a stray setting');
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
