// The widget as an npm package (www/package.json): `npm pack` of the site installs into a fresh
// folder, a page of notes written in TypeScript type-checks against the package's declarations
// and is bundled by esbuild (as Vite, Astro or Quarto would), and the bundled page shows a
// working widget that its prose drives. The package's version and licence are the crate's.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LOAD_TIMEOUT_MS, NAVIGATION, REPO_ROOT, TEST_TIMEOUT_MS, WWW, launchHeadless, serveStatic } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

/** The notes' own code: what a lecturer writes, typed by the package's declarations. */
const NOTES_TS = `import { DiffusionPlaygroundElement, useSite } from 'diffusion-playground';

// The bundle is not next to the site's files: the widget shows the installed copy of the site.
useSite(new URL('node_modules/diffusion-playground/', document.baseURI));

const widget: DiffusionPlaygroundElement | null = document.querySelector('diffusion-playground');
widget?.addEventListener('ready', (event) => {
  document.body.dataset.backend = event.detail.backend;
  widget.set({ steps: 10 });
  widget.play();
});
widget?.addEventListener('step', (event) => {
  document.body.dataset.step = String(event.detail.step);
  document.body.dataset.total = String(event.detail.total);
});
`;

/** A use the declarations must reject: an event detail that does not exist. */
const WRONG_TS = `import 'diffusion-playground';
const widget = document.querySelector('diffusion-playground');
widget?.addEventListener('step', (event) => event.detail.nonsense);
`;

const NOTES_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Notes</title><link rel="icon" href="data:,">
<script type="module" src="dist/notes.js"></script></head>
<body><h1>Lecture 3</h1><p>The spiral, ten steps of Heun:</p>
<diffusion-playground dataset="spiral" sampler="heun" backend="cpu" particles="512" playing="0" ui="min"></diffusion-playground>
</body></html>`;

/** Runs tsc on `file` in `dir` with a bundler's settings; returns its output (throws when it fails). */
function typeCheck(dir, file) {
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  return execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext',
    '--moduleResolution', 'bundler', '--lib', 'es2022,dom,dom.iterable', file], { cwd: dir, encoding: 'utf8' });
}

describe('the widget as a package', { timeout: TEST_TIMEOUT_MS }, () => {
  test('its version and licence are the crate\'s', () => {
    const pkg = JSON.parse(readFileSync(path.join(WWW, 'package.json'), 'utf8'));
    const cargo = readFileSync(path.join(REPO_ROOT, 'Cargo.toml'), 'utf8');
    assert.equal(pkg.version, cargo.match(/^version = "([^"]+)"/m)[1]);
    assert.equal(pkg.license, cargo.match(/^license = "([^"]+)"/m)[1]);
  });

  test('npm pack installs into a fresh folder; notes type-check, bundle with esbuild, and their widget runs', async (t) => {
    const work = mkdtempSync(path.join(tmpdir(), 'dp-package-'));
    let server = null;
    try {
      const [packed] = JSON.parse(execFileSync('npm', ['pack', WWW, '--pack-destination', work, '--json'], { encoding: 'utf8' }));
      const names = packed.files.map((f) => f.path);
      t.diagnostic(`${packed.filename}: ${names.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed`);
      for (const needed of ['embed.html', 'index.html', 'js/element.js', 'js/diffusion-playground.d.ts', 'pkg/diffusion_playground_bg.wasm', 'sw.js']) {
        assert.ok(names.includes(needed), `the package has ${needed}`);
      }
      assert.ok(!names.some((n) => n === 'bench.html' || n.startsWith('bench/')), 'not the benchmark');

      const notes = path.join(work, 'notes');
      mkdirSync(notes);
      writeFileSync(path.join(notes, 'package.json'), JSON.stringify({ name: 'notes', private: true, type: 'module' }));
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', path.join(work, packed.filename)], { cwd: notes, encoding: 'utf8' });
      writeFileSync(path.join(notes, 'notes.ts'), NOTES_TS);
      writeFileSync(path.join(notes, 'wrong.ts'), WRONG_TS);
      writeFileSync(path.join(notes, 'index.html'), NOTES_HTML);
      typeCheck(notes, 'notes.ts');
      assert.throws(() => typeCheck(notes, 'wrong.ts'), (error) => /Property 'nonsense' does not exist/.test(String(error.stdout)), 'the declarations type the events');
      const esbuild = await import('esbuild');
      await esbuild.build({ entryPoints: [path.join(notes, 'notes.ts')], bundle: true, format: 'esm', outfile: path.join(notes, 'dist', 'notes.js'), absWorkingDir: notes, logLevel: 'silent' });

      server = await serveStatic(notes);
      const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${server.url}index.html`, NAVIGATION);
      await page.waitForFunction(() => Number(document.body.dataset.step) === 10, null, { timeout: LOAD_TIMEOUT_MS });
      const seen = await page.evaluate(() => ({ ...document.body.dataset, frame: document.querySelector('diffusion-playground').shadowRoot.querySelector('iframe').src }));
      t.diagnostic(JSON.stringify(seen));
      assert.equal(seen.backend, 'cpu');
      assert.equal(seen.total, '10', 'the notes\' set({ steps: 10 }) reached the widget');
      assert.match(seen.frame, /\/node_modules\/diffusion-playground\/embed\.html\?autosize=1#.*dataset=spiral/);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await server?.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
