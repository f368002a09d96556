// @ts-check
// networks.js: the datasets' networks, fetched when a run first needs one. The wasm embeds only
// the default link's (two moons, VP-linear: src/core/embedded.rs); before the playground is
// created or set to another dataset or schedule, the wasm names the file it lacks
// (`network_file`), which is fetched from weights/ (where `cargo xtask build-wasm` puts them)
// and handed to it. The class-conditional networks: conditional-networks.js.

import { page } from './page.js';

/**
 * Downloads under way or done, by file: its bytes, fetched once and handed to every module that
 * lacks it (the first-frame module and the full one each need their own copy;
 * conditional-networks.js's files too). A failed one is forgotten, to be tried again.
 * @type {Map<string, Promise<Uint8Array>>}
 */
const downloads = new Map();

/**
 * The bytes of the network file `file` of weights/, fetched once.
 * @param {string} file
 * @returns {Promise<Uint8Array>}
 */
export function downloadNetwork(file) {
  let pending = downloads.get(file);
  if (!pending) {
    const url = new URL(`../weights/${file}`, import.meta.url);
    pending = fetch(url).then(async (response) => {
      if (!response.ok) throw new Error(`${url.pathname} answered HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    });
    pending.catch(() => downloads.delete(file));
    downloads.set(file, pending);
  }
  return pending;
}

/**
 * The file the wasm lacks for a run of `dataset` with `schedule`, or null when it has the network.
 * @param {string} dataset
 * @param {string} schedule
 */
export function missingNetwork(dataset, schedule) {
  return page.wasm.network_file(dataset, schedule) ?? null;
}

/**
 * Fetches the network a run of `dataset` with `schedule` samples with (once) and hands it to the
 * wasm; resolves at once when the wasm has it, rejects with what went wrong (the file missing, a
 * file the wasm refuses).
 * @param {string} dataset
 * @param {string} schedule
 * @returns {Promise<void>}
 */
export function ensureNetwork(dataset, schedule) {
  const { wasm } = page;
  const file = missingNetwork(dataset, schedule);
  if (file === null) return Promise.resolve();
  // The file's own schedule is in its name (dataset.schedule.dpw): VP-linear for schedules
  // without a network of their own.
  const own = file.split('.')[1];
  return downloadNetwork(file).then((bytes) => {
    if (wasm.network_file(dataset, schedule) !== undefined) wasm.provide_network(dataset, own, bytes);
  });
}
