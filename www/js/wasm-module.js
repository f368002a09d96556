// @ts-check
// wasm-module.js: picks the build of the WebAssembly module this browser runs, then fetches and
// compiles it once. The page instantiates it, and the CPU path's workers (cpu-workers.js) are
// each sent the same compiled WebAssembly.Module and the same glue, so none of them downloads or
// compiles it again.
//
// Two builds (`cargo xtask build-wasm`): `relaxed-simd` computes the network's multiply-adds with
// `f32x4.relaxed_madd` (fused where the hardware has FMA: one rounding instead of two, so its
// particles differ from the other build's within rounding; src/core/simd.rs), and `simd128` has
// only IEEE-exact operations. The first is loaded where WebAssembly.validate accepts a probe
// that uses relaxed SIMD, the second everywhere else; only one is downloaded. `?wasm=simd128`
// forces the exact build.
//
// Each build comes as two modules (src/web/full.rs): the first-frame module, without the views'
// measurements, training, export and file bindings (what a visitor downloads before the first
// frame), and the full module the page moves onto right after (host.js). Embedded widgets and
// `?module=full` start on the full module.

/** Where each build's glue and module are, relative to this file. */
const BUILD_FOLDERS = Object.freeze({ simd128: '../pkg/', 'relaxed-simd': '../pkg/relaxed-simd/' });

/** Where each module of a build is, below the build's folder. */
const MODULE_FOLDERS = Object.freeze({ full: '', 'first-frame': 'first-frame/' });

/** @typedef {keyof typeof BUILD_FOLDERS} Build */
/** @typedef {keyof typeof MODULE_FOLDERS} ModuleKind */

/**
 * The glue and the wasm of `build`'s module `kind`, relative to this file: in the production
 * build (xtask/bundle.mjs) their content-hashed names, else the names wasm-bindgen wrote.
 * @param {Build} build
 * @param {ModuleKind} kind
 */
function filesOf(build, kind) {
  if (typeof DP_MODULE_FILES !== 'undefined') return DP_MODULE_FILES[build][kind];
  const folder = BUILD_FOLDERS[build].replace('../pkg/', `../pkg/${MODULE_FOLDERS[kind]}`);
  return { glue: `${folder}diffusion_playground.js`, wasm: `${folder}diffusion_playground_bg.wasm` };
}

/**
 * The module to start with: the first-frame one for the page a visitor opens; the full one for
 * a widget embedded in notes (`?embed=1`: the notes' widgets share one download of the full
 * module through the HTTP cache, and each compiles one module instead of two) or when
 * `?module=full` asks for it.
 * @param {string} [search]  a query string (location.search)
 * @returns {ModuleKind}
 */
export function firstModule(search = globalThis.location?.search ?? '') {
  const query = new URLSearchParams(search);
  return query.get('module') === 'full' || query.has('embed') ? 'full' : 'first-frame';
}

/**
 * The smallest module that uses relaxed SIMD: one function, () -> v128, returning
 * f32x4.relaxed_madd of three zero vectors.
 */
const RELAXED_SIMD_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: one type, () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section: one 59-byte body without locals
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
);

/** True where this browser's WebAssembly has relaxed SIMD. */
export function relaxedSimdSupported() {
  try {
    return WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * The build to load: SIMD128 when `?wasm=simd128` asks for it, else relaxed SIMD where it
 * validates, else SIMD128.
 * @param {string} [search]  a query string (location.search)
 * @returns {Build}
 */
export function chosenBuild(search = globalThis.location?.search ?? '') {
  const asked = new URLSearchParams(search).get('wasm');
  if (asked === 'simd128') return 'simd128';
  return relaxedSimdSupported() ? 'relaxed-simd' : 'simd128';
}

/**
 * The URL of the wasm-bindgen glue (the module to import) of `build`'s module `kind`.
 * @param {Build} build
 * @param {ModuleKind} [kind]
 */
export function glueUrl(build, kind = 'full') {
  return new URL(filesOf(build, kind).glue, import.meta.url).href;
}

/**
 * `build`'s module `kind`, compiled: streamed where the server says `application/wasm`, else
 * from the bytes.
 * @param {Build} build
 * @param {ModuleKind} [kind]
 * @returns {Promise<WebAssembly.Module>}
 */
export async function compileModule(build, kind = 'full') {
  const url = new URL(filesOf(build, kind).wasm, import.meta.url).href;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  if (response.headers.get('Content-Type') === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Loads the module `kind` of the build this browser runs: imports its glue, compiles the module
 * once and instantiates it. Resolves to the glue's exports (the wasm's classes and functions;
 * the first-frame module lacks those of src/web/full.rs, which the type does not say), the
 * build, the kind, and the compiled module with its glue's URL (for the CPU path's workers).
 * @param {ModuleKind} kind
 * @returns {Promise<{ wasm: import('./page.js').Wasm, build: Build, kind: ModuleKind, compiled: { module: WebAssembly.Module, glue: string } }>}
 */
export async function loadModule(kind) {
  const build = chosenBuild();
  const glue = glueUrl(build, kind);
  const wasm = await import(glue);
  const module = await compileModule(build, kind);
  await wasm.default({ module_or_path: module });
  return { wasm, build, kind, compiled: { module, glue } };
}
