// Bring your own data: a file of points (CSV, TSV with classes, NumPy .npy, a drawing's JSON), a
// picture or a typed word becomes what is sampled, by the "Load data" control or a drop on the picture: fitted into the
// picture, with its exact score in the density view, and in the share link. Careless and hostile
// files are refused with a notice naming the problem, and the data in use stays.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, noticeTexts, openPlayground, pageReport, waitReady } from './helpers.mjs';

/** Half the width of the square a file's data is fitted into (`app::data_file::FIT_HALF_EXTENT`). */
const FIT_HALF_EXTENT = 2.4;
/** Points of the circle file. */
const CIRCLE_POINTS = 300;

let browser;
let dir;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
  dir = await mkdtemp(path.join(tmpdir(), 'dp-data-'));
});
after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A circle of radius 10 around (50, 50), in a file's own units, as CSV with a header. */
function circleCsv() {
  const lines = ['x,y'];
  for (let i = 0; i < CIRCLE_POINTS; i += 1) {
    const a = (i / CIRCLE_POINTS) * 2 * Math.PI;
    lines.push(`${(50 + 10 * Math.cos(a)).toFixed(5)},${(50 + 10 * Math.sin(a)).toFixed(5)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Fraction of `positions` (x, y pairs) within 0.3 of the fitted circle. */
function onCircle(positions) {
  let near = 0;
  for (let i = 0; i < positions.length; i += 2) if (Math.abs(Math.hypot(positions[i], positions[i + 1]) - FIT_HALF_EXTENT) < 0.3) near += 1;
  return near / (positions.length / 2);
}

/** Drops a file of `text` called `name` on the picture, as a browser delivers a dragged file. */
async function dropFile(page, name, text) {
  await page.evaluate(({ name, text }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: 'text/plain' }));
    const frame = document.getElementById('canvas-frame');
    frame.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    frame.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, { name, text });
}

describe('your own data as a file', { timeout: TEST_TIMEOUT_MS }, () => {
  test('a CSV of a circle by the file input: fitted, sampled with its exact score, in the link; a TSV with classes by a drop', async (t) => {
    const session = await openPlayground(browser, 'backend=cpu&dataset=two_moons&score=mlp&particles=4096&steps=60&draw=1&density=1&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      const csv = path.join(dir, 'circle.csv');
      await writeFile(csv, circleCsv());
      await page.setInputFiles('#data-file', csv);
      await page.waitForFunction((n) => window.dp.playground.drawing()?.length === 2 * n, CIRCLE_POINTS);
      const options = await page.evaluate(() => window.dp.playground.options());
      assert.equal(options.score, 'exact', 'a file carries no network: its exact score samples it');
      try {
        await page.waitForFunction(() => {
          const pg = window.dp.playground;
          return pg.done && document.getElementById('density-distance').textContent.includes(`at t = ${pg.current_t.toPrecision(3)} `);
        }, null, { timeout: 60_000 });
      } catch {
        assert.fail(`the run and the density view did not finish; ${await pageReport(session)}`);
      }
      const positions = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
      assert.ok(onCircle(positions) > 0.95, `the particles land on the fitted circle (${onCircle(positions)})`);
      const densityText = await page.$eval('#density-distance', (e) => e.textContent);
      const [tv, , floor] = densityText.match(/\d+\.\d+/g).map(Number);
      t.diagnostic(`density view: ${densityText}`);
      assert.ok(tv < 2 * floor + 0.05, `the density view's exact p_t is the file's: ${densityText}`);

      // The link carries the data (a drawing of at most 512 points) and reopens it.
      await page.waitForFunction(() => /[#&]drawn=[A-Za-z0-9_-]+/.test(location.hash));
      const hash = await page.evaluate(() => location.hash.slice(1));
      const reopened = await openPlayground(browser, hash);
      try {
        await waitReady(reopened.page);
        const drawn = await reopened.page.evaluate(() => window.dp.playground.drawing()?.length);
        assert.equal(drawn, 2 * CIRCLE_POINTS, 'the link reopens the loaded data');
      } finally {
        await reopened.close();
      }

      await dropFile(page, 'pets.tsv', 'x\ty\tkind\n0\t0\tcat\n1\t0\tcat\n5\t5\tdog\n6\t5\tdog\n');
      await page.waitForFunction(() => window.dp.playground.drawing()?.length === 8);
      assert.deepEqual(Array.from(await page.evaluate(() => window.dp.playground.drawing_labels())), [0, 0, 1, 1]);
      assert.match((await noticeTexts(page)).join(' '), /The classes of pets\.tsv are the drawing's stroke colours: "cat" is blue, "dog" is orange\./);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('hostile and careless files are refused with a notice naming the problem, and the data in use stays', async () => {
    const session = await openPlayground(browser, 'backend=cpu&particles=1024&steps=20&draw=1&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      const csv = path.join(dir, 'small.csv');
      await writeFile(csv, '0,0\n1,1\n2,0\n');
      await page.setInputFiles('#data-file', csv);
      await page.waitForFunction(() => window.dp.playground.drawing()?.length === 6);
      const cases = [
        ['nan.csv', '0,0\n1,NaN\n', /nan\.csv was not loaded: nan\.csv, line 2: "NaN" is not a finite number\. The current data stays\./],
        ['words.csv', 'x,y\n1,2\nthree,4\n', /words\.csv was not loaded: words\.csv, line 3: "three" is not a finite number/],
        ['empty.csv', '', /empty\.csv was not loaded: empty\.csv holds no points/],
        ['many.csv', '0,0,a\n1,0,b\n2,0,c\n3,0,d\n4,0,e\n', /many\.csv was not loaded: many\.csv has more than 4 classes/],
        ['broken.npy', '\u0093NUMPY\u0001\u0000', /broken\.npy was not loaded/],
      ];
      for (const [name, text, expected] of cases) {
        const file = path.join(dir, name);
        await writeFile(file, text, 'latin1');
        const started = Date.now();
        await page.setInputFiles('#data-file', file);
        await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('notices').textContent), expected.source);
        assert.ok(Date.now() - started < 5_000, `${name} is answered at once`);
      }
      // Twenty megabytes: refused by its size before it is read.
      const huge = path.join(dir, 'huge.csv');
      await writeFile(huge, Buffer.alloc(20_000_000, 0x31));
      await page.setInputFiles('#data-file', huge);
      await page.waitForFunction(() => /huge\.csv was not loaded: it is 20\.0 MB, and data files of at most 16 MB are read/.test(document.getElementById('notices').textContent));
      assert.equal(await page.evaluate(() => window.dp.playground.drawing()?.length), 6, 'the data in use stays');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });

  test('a PNG of a two-colour figure by the file input, an SVG by a drop, the word DIFFUSION; guidance by a colour lands on it', async () => {
    const painter = await browser.newPage({ viewport: { width: 200, height: 100 } });
    await painter.setContent('<body style="margin:0;background:#fff"><div style="position:absolute;left:15px;top:15px;width:70px;height:70px;border-radius:35px;background:#d01c1c"></div><div style="position:absolute;left:135px;top:35px;width:30px;height:30px;background:#1c30d0"></div></body>');
    const figure = path.join(dir, 'figure.png');
    await writeFile(figure, await painter.screenshot({ clip: { x: 0, y: 0, width: 200, height: 100 } }));
    await painter.setContent('<body style="margin:0;background:#fff"></body>');
    const blank = path.join(dir, 'blank.png');
    await writeFile(blank, await painter.screenshot({ clip: { x: 0, y: 0, width: 200, height: 100 } }));
    await painter.close();
    const session = await openPlayground(browser, 'backend=cpu&dataset=two_moons&particles=2048&steps=40&draw=1&playing=0');
    const { page } = session;
    try {
      await waitReady(page);
      await page.setInputFiles('#data-file', figure);
      await page.waitForFunction(() => window.dp.playground.drawing()?.length === 1024);
      const read = await page.evaluate(() => ({ points: Array.from(window.dp.playground.drawing()), labels: Array.from(window.dp.playground.drawing_labels()) }));
      const sideOf = (label) => read.labels.map((l, i) => [l, read.points[2 * i]]).filter(([l]) => l === label).map(([, x]) => Math.sign(x));
      assert.ok(sideOf(0).every((s) => s < 0) && sideOf(1).every((s) => s > 0), 'the red disc (more ink) is the first class, on the left; the blue square the second, on the right');
      assert.match((await noticeTexts(page)).join(' '), /The colours of figure\.png are the drawing's stroke colours: #[0-9a-f]{6} is blue, #[0-9a-f]{6} is orange\./);
      // Guidance toward the blue square's class (the second stroke colour) lands on the right.
      await page.evaluate(() => {
        const settings = new URLSearchParams(location.hash.slice(1));
        for (const [name, value] of [['guidance', 'classifier'], ['class', 'orange'], ['playing', '1']]) settings.set(name, value);
        location.hash = settings.toString();
      });
      await page.waitForFunction(() => window.dp.playground.options().class === 'orange' && window.dp.playground.done, null, { timeout: 60_000 });
      const guided = await page.evaluate(async () => Array.from(await window.dp.playground.read_positions()));
      let right = 0;
      for (let i = 0; i < guided.length; i += 2) if (guided[i] > 0) right += 1;
      assert.ok(right / (guided.length / 2) > 0.95, `guidance toward the square's colour lands on it (${right} of ${guided.length / 2})`);

      // An SVG with a script and an external reference, by a drop: rasterised, never run.
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><script>window.__svgRan = true</script><image href="http://example.invalid/x.png" width="10" height="10"/><rect x="10" y="10" width="80" height="30" fill="#000"/></svg>';
      await page.evaluate((text) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], 'shape.svg', { type: 'image/svg+xml' }));
        document.getElementById('canvas-frame').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, svg);
      await page.waitForFunction(() => /shape\.svg: 512 points \(picture\)/.test(document.getElementById('draw-status').textContent));
      assert.equal(await page.evaluate(() => window.__svgRan), undefined, 'the SVG\'s script never ran');

      await page.fill('#data-word', 'DIFFUSION');
      await page.click('#data-word-use');
      await page.waitForFunction(() => /"DIFFUSION": 512 points \(picture\)/.test(document.getElementById('draw-status').textContent));
      const word = await page.evaluate(() => Array.from(window.dp.playground.drawing()));
      const xs = word.filter((_, i) => i % 2 === 0);
      const ys = word.filter((_, i) => i % 2 === 1);
      const spread = (v) => Math.max(...v) - Math.min(...v);
      assert.ok(spread(xs) > 4 * spread(ys), `a word is wide: ${spread(xs).toFixed(2)} by ${spread(ys).toFixed(2)}`);

      // A font that is not installed: the word is set in the page's sans-serif, and the notice says so.
      await page.fill('#data-word-font', 'No Such Font 123');
      await page.click('#data-word-use');
      await page.waitForFunction(() => /The font "No Such Font 123" is not installed here; the word is set in the page's sans-serif\./.test(document.getElementById('notices').textContent));
      assert.deepEqual(await page.evaluate(() => Array.from(window.dp.playground.drawing())), word, 'the same word in the same fallback font');
      // A font that is there (a generic family always is) sets other letter shapes.
      await page.fill('#data-word-font', 'monospace');
      await page.click('#data-word-use');
      await page.waitForFunction((before) => window.dp.playground.drawing()?.[0] !== before, word[0]);

      const cases = [
        [blank, /blank\.png was not loaded: blank\.png has no dark pixel to take points from\. The current data stays\./],
        [path.join(dir, 'not-a-picture.png'), /not-a-picture\.png was not loaded: the browser could not read it as a picture/],
        [path.join(dir, 'big.png'), /big\.png was not loaded: it is 25\.0 MB; pictures of at most 20 MB are read/],
      ];
      await writeFile(cases[1][0], 'plain text, not a PNG');
      await writeFile(cases[2][0], Buffer.alloc(25_000_000, 7));
      for (const [file, expected] of cases) {
        await page.setInputFiles('#data-file', file);
        await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('notices').textContent), expected.source);
      }
      assert.equal(await page.evaluate(() => window.dp.playground.drawing()?.length), 1024, 'the word stays in use');
      assert.deepEqual(session.errors, []);
    } finally {
      await session.close();
    }
  });
});
