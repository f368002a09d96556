// `cargo xtask stills`: the still image of every live figure of the lessons (www/lessons/*.html),
// made by the playground itself: each figure's settings (its element's attributes, the settings of
// a share link) open in Chromium on the CPU path; a figure that runs is run to its end, one paused
// at a time stays there; the picture is the page's own PNG export (window.dp.exportPng, what the
// PNG button saves). Written to www/lessons/stills/ID.png, shown when printing and without
// JavaScript. Run through xtask, which builds the wasm and serves www/ (DP_BASE_URL).

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { openPlayground, runToEnd, waitReady } from '../tests/browser/helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LESSONS = path.join(ROOT, 'www', 'lessons');
const BASE_URL = process.env.DP_BASE_URL;
if (!BASE_URL) throw new Error('DP_BASE_URL is not set: run this through `cargo xtask stills`');
/** Attributes of a figure's element that are not settings of its link. */
const NOT_SETTINGS = new Set(['id', 'class', 'style', 'title', 'height', 'width', 'src']);
/** The picture's size: the stills are shown at most 480 CSS pixels wide. */
const VIEWPORT = { width: 760, height: 640 };

/** Every figure of the lessons: its id and its settings as a link's hash. */
export function lessonFigures(dir = LESSONS) {
  const figures = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.html')).sort()) {
    const html = readFileSync(path.join(dir, file), 'utf8');
    for (const [, attributes] of html.matchAll(/<diffusion-playground\b([^>]*)>/g)) {
      const pairs = [...attributes.matchAll(/([a-z_0-9-]+)="([^"]*)"/g)].map(([, name, value]) => [name, value.replaceAll('&amp;', '&')]);
      const id = pairs.find(([name]) => name === 'id')?.[1];
      if (!id) throw new Error(`${file}: a figure without an id`);
      // As the element reads them (js/element.js): `guide-class` is the setting `class`.
      const settings = new URLSearchParams(pairs.filter(([name]) => !NOT_SETTINGS.has(name)).map(([name, value]) => [name === 'guide-class' ? 'class' : name, value]));
      figures.push({ file, id, settings });
    }
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--no-first-run'] });
  for (const { file, id, settings } of lessonFigures()) {
    const runs = settings.get('playing') !== '0';
    const hash = new URLSearchParams(settings);
    hash.set('backend', 'cpu');
    hash.set('playing', '0');
    // openPlayground tries a navigation that never commits again in a fresh context.
    const session = await openPlayground(browser, hash.toString(), { viewport: VIEWPORT, base: BASE_URL });
    const { page } = session;
    // The page is ready once its first frame is drawn with everything the link asks for (a
    // network fetched, guidance applied): the tests' own wait.
    await waitReady(page, 120_000);
    if (runs) await runToEnd(page);
    const url = await page.evaluate(() => window.dp.exportPng());
    const out = path.join(LESSONS, 'stills', `${id}.png`);
    writeFileSync(out, Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
    console.log(`stills: ${path.relative(ROOT, out)} (${file}${runs ? ', run to its end' : ''})`);
    await session.close();
  }
  await browser.close();
}
