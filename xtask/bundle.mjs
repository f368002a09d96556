// The production build of the site (`cargo xtask build-wasm` runs it after the wasm builds):
// www/ copied to dist/ with the page's modules bundled and minified by esbuild, and every file the
// page loads by a fixed name in its HTML or code given a content-hashed name, so a server may
// let browsers keep them for a year (dist/_headers says so in the format of static hosts; `cargo
// xtask serve --dist` sends it). The development server keeps serving the sources in www/.
//
// What changes from www/ to dist/:
// - js/main.js and everything it imports: one minified bundle, js/main-HASH.js (the modules the
//   page imports by URL at run time, KaTeX and the video muxers, stay files of their own);
//   HASH is always the first HASH_LENGTH hex digits of the file's SHA-256, which is how
//   `cargo xtask serve --dist` tells a hashed name (xtask/src/serve.rs);
// - style.css: style-HASH.css;
// - pkg/**: each module's glue minified and named diffusion_playground-HASH.js, each wasm
//   diffusion_playground_bg-HASH.wasm; the bundle's wasm-module.js reads their names from
//   DP_MODULE_FILES, which esbuild defines (in www/ it is undefined and the plain names are used);
// - js/element.js, js/cpu-worker.js, js/embed-redirect.js: minified under their own names (the
//   first is the URL embedders use, the second a worker the bundle starts by URL);
// - left out: the TypeScript declarations, the npm package file, the benchmark page.
//
// Prints every file it wrote with its size, raw and gzipped.

import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WWW = path.join(ROOT, 'www');
const DIST = path.join(ROOT, 'dist');

/** Characters of the content hash in a file name (hex of SHA-256). */
const HASH_LENGTH = 10;

/** What a year of caching is, in seconds (the longest lifetime HTTP caches are asked to keep). */
const ONE_YEAR_S = 31_536_000;

/** Paths below www/ that dist/ leaves out. */
const LEFT_OUT = new Set(['js', 'pkg', 'bench', 'bench.html', 'package.json', 'offline-files.json', 'style.css']);

/** Modules loaded by a fixed URL: minified under their own names. */
const FIXED_NAME_MODULES = ['js/element.js', 'js/cpu-worker.js'];

/** Classic scripts (no modules): copied as they are. */
const CLASSIC_SCRIPTS = ['js/embed-redirect.js', 'js/no-modules.js'];

/** The builds and modules of the wasm (xtask/src/wasm.rs writes them to www/pkg/). */
const BUILDS = { simd128: '', 'relaxed-simd': 'relaxed-simd/' };
const MODULES = { full: '', 'first-frame': 'first-frame/' };

/** The hex content hash of `bytes`, shortened. */
function contentHash(bytes) {
  return createHash('sha256').update(bytes).digest('hex').slice(0, HASH_LENGTH);
}

/** Writes `bytes` to dist/`relative`, creating its folder. */
function write(relative, bytes) {
  const file = path.join(DIST, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

/** Every file below `dir`, relative to it. */
function filesBelow(dir, prefix = '') {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(prefix, entry.name);
    return entry.isDirectory() ? filesBelow(dir, relative) : [relative];
  });
}

if (!existsSync(path.join(WWW, 'pkg', 'first-frame', 'diffusion_playground_bg.wasm'))) {
  throw new Error('www/pkg/ has no first-frame module: run `cargo xtask build-wasm`');
}
rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });

// Everything else of the site, as it is.
for (const entry of readdirSync(WWW)) {
  if (LEFT_OUT.has(entry) || entry.endsWith('.d.ts')) continue;
  cpSync(path.join(WWW, entry), path.join(DIST, entry), { recursive: true });
}
for (const script of CLASSIC_SCRIPTS) cpSync(path.join(WWW, script), path.join(DIST, script));

// The wasm modules and their glue, under hashed names.
/** @type {Record<string, Record<string, { glue: string, wasm: string }>>} */
const moduleFiles = {};
/** Files with a content hash in their name (dist/_headers lets browsers keep them). */
const hashed = [];
for (const [build, buildFolder] of Object.entries(BUILDS)) {
  moduleFiles[build] = {};
  for (const [kind, kindFolder] of Object.entries(MODULES)) {
    const folder = `pkg/${kindFolder}${buildFolder}`;
    const wasm = readFileSync(path.join(WWW, folder, 'diffusion_playground_bg.wasm'));
    const glueSource = readFileSync(path.join(WWW, folder, 'diffusion_playground.js'), 'utf8');
    const glue = (await esbuild.transform(glueSource, { minify: true, format: 'esm', loader: 'js' })).code;
    const wasmName = `${folder}diffusion_playground_bg-${contentHash(wasm)}.wasm`;
    const glueName = `${folder}diffusion_playground-${contentHash(glue)}.js`;
    write(wasmName, wasm);
    write(glueName, glue);
    hashed.push(wasmName, glueName);
    moduleFiles[build][kind] = { glue: `../${glueName}`, wasm: `../${wasmName}` };
  }
}

// The page's modules: one bundle, named by its content.
const bundled = await esbuild.build({
  entryPoints: { main: path.join(WWW, 'js', 'main.js') },
  bundle: true,
  minify: true,
  format: 'esm',
  outdir: path.join(DIST, 'js'),
  write: false,
  define: { DP_MODULE_FILES: JSON.stringify(moduleFiles) },
  logLevel: 'warning',
});
if (bundled.outputFiles.length !== 1) throw new Error(`esbuild wrote ${bundled.outputFiles.length} files for main.js, not one bundle`);
const mainBundle = `js/main-${contentHash(bundled.outputFiles[0].contents)}.js`;
write(mainBundle, bundled.outputFiles[0].contents);
hashed.push(mainBundle);

await esbuild.build({
  entryPoints: FIXED_NAME_MODULES.map((file) => path.join(WWW, file)),
  bundle: true,
  minify: true,
  format: 'esm',
  outdir: path.join(DIST, 'js'),
  define: { DP_MODULE_FILES: JSON.stringify(moduleFiles) },
  logLevel: 'warning',
});

// The stylesheet, hashed.
const css = (await esbuild.transform(readFileSync(path.join(WWW, 'style.css'), 'utf8'), { minify: true, loader: 'css' })).code;
const cssName = `style-${contentHash(css)}.css`;
write(cssName, css);
hashed.push(cssName);

// The pages that load them.
for (const page of ['index.html']) {
  const html = readFileSync(path.join(WWW, page), 'utf8');
  const rewritten = html
    .replace('<script type="module" src="js/main.js"></script>', `<script type="module" src="${mainBundle}"></script>`)
    .replace('<link rel="stylesheet" href="style.css">', `<link rel="stylesheet" href="${cssName}">`);
  if (rewritten.includes('js/main.js') || rewritten.includes('"style.css"')) {
    throw new Error(`${page} still names js/main.js or style.css: its tags are not the ones this script rewrites`);
  }
  write(page, rewritten);
}

// Long cache lifetimes for the hashed files, in the _headers format of static hosts (Netlify,
// Cloudflare Pages); `cargo xtask serve --dist` reads the same file.
const headers = hashed.sort().map((file) => `/${file}\n  Cache-Control: public, max-age=${ONE_YEAR_S}, immutable\n`).join('');
write('_headers', headers);

for (const file of filesBelow(DIST).filter((f) => hashed.includes(f) || f === 'index.html').sort()) {
  const bytes = readFileSync(path.join(DIST, file));
  console.log(`dist/${file}: ${(bytes.length / 1024).toFixed(1)} KiB, gzipped ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KiB`);
}
console.log(`dist/: ${filesBelow(DIST).length} files (${hashed.length} with content-hashed names)`);
