// @ts-check
// conditional-networks.js: the datasets' class-conditional networks, fetched when first needed.
// The wasm leaves them out of its download (src/core/embedded.rs: nine of them, about 100 KB
// gzipped, for classifier-free guidance with the network only); before the playground is
// created or set to such a run, the dataset's file is fetched from weights/ (where
// `cargo xtask build-wasm` puts them) and handed to the wasm.

import { page } from './page.js';
import { downloadNetwork } from './networks.js';

/**
 * Whether a run of `state` samples with the dataset's class-conditional network: classifier-free
 * guidance with the network (a drawing's run is guided after its own network is in use).
 * @param {import('./state.js').State} state
 */
export function needsConditionalNetwork(state) {
  return state.guidance === 'cfg' && state.score === 'mlp' && !state.drawn;
}

/**
 * Whether the wasm has the class-conditional network of `dataset` already.
 * @param {string} dataset
 */
export function hasConditionalNetwork(dataset) {
  return Boolean(page.wasm?.has_conditional_network(dataset));
}

/**
 * Fetches the class-conditional network of `dataset` (once) and hands it to the wasm; rejects
 * with what went wrong (the file missing, a network the wasm refuses).
 * @param {string} dataset
 * @returns {Promise<void>}
 */
export function ensureConditionalNetwork(dataset) {
  const { wasm } = page;
  if (hasConditionalNetwork(dataset)) return Promise.resolve();
  return downloadNetwork(wasm.conditional_network_file(dataset)).then((bytes) => {
    if (!wasm.has_conditional_network(dataset)) wasm.provide_conditional_network(dataset, bytes);
  });
}
