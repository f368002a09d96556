// Constants the production build defines (xtask/bundle.mjs, through esbuild's `define`); in the
// sources served from www/ they are undefined.

declare global {
  /**
   * The content-hashed files of each build's modules (wasm-module.js), relative to js/:
   * `{ simd128: { full: { glue, wasm }, 'first-frame': { glue, wasm } }, 'relaxed-simd': ... }`.
   */
  const DP_MODULE_FILES: Record<string, Record<string, { glue: string; wasm: string }>> | undefined;
}

export {};
