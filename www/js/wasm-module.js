// @ts-check
// wasm-module.js: fetches and compiles the WebAssembly module once. The page instantiates it,
// and the CPU path's workers (cpu-workers.js) are each sent the same compiled WebAssembly.Module,
// so none of them downloads or compiles it again.

/** The module wasm-bindgen writes (built by `cargo xtask build-wasm`). */
const WASM_URL = new URL('../pkg/diffusion_playground_bg.wasm', import.meta.url).href;

/**
 * The compiled module: streamed where the server says `application/wasm`, else from the bytes.
 * @returns {Promise<WebAssembly.Module>}
 */
export async function compileModule() {
  const response = await fetch(WASM_URL);
  if (!response.ok) throw new Error(`${WASM_URL} answered HTTP ${response.status}`);
  if (response.headers.get('Content-Type') === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}
