// @ts-check
// network-file.js: the network in use as a file. Download writes it as safetensors (tensors named
// as PyTorch names them, a metadata header saying what it predicts and on which schedule:
// docs/weights.md); loading a file (the picker or a drop on the picture) makes it the network the
// playground samples with, on the file's dataset where it names one. A malformed file is refused
// with what is wrong and the current network kept; a file over MAX_NETWORK_FILE_BYTES is refused
// before it is read, so a large file never freezes the page.

import * as ui from './controls.js';
import { page } from './page.js';
import { messageOf } from './errors.js';
import { download } from './export.js';
import { applyChanges } from './store.js';
import { record } from './record.js';
import { NETWORK_LINK_CHARS, decodeNetwork } from './network-link.js';

/** Largest network file read (app::network_file::MAX_NETWORK_FILE_BYTES; the real one is ~24 KB). */
const MAX_NETWORK_FILE_BYTES = 1 << 20;

/** Network files loaded so far (tests wait for it to grow). */
let loaded = 0;

/** Network files loaded so far. */
export function networksLoaded() {
  return loaded;
}

/**
 * Reads `file` and uses the network in it.
 * @param {File} file
 */
export async function loadNetworkFile(file) {
  const { pg } = page;
  if (!pg || page.creating) return;
  if (file.size > MAX_NETWORK_FILE_BYTES) {
    ui.notice(`${file.name} was not loaded: it is ${file.size.toLocaleString('en-US')} bytes, and a network file is about 24 KB (at most ${MAX_NETWORK_FILE_BYTES.toLocaleString('en-US')}). The current network is kept.`, 'error');
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (page.pg !== pg) return;
  let described;
  try {
    described = pg.use_network_file(bytes);
  } catch (error) {
    ui.notice(`${file.name} was not loaded: ${messageOf(error)}. The current network is kept.`, 'error');
    return;
  }
  /** @type {Partial<import('./state.js').State>} */
  const changes = {};
  if (page.state.score !== 'mlp') changes.score = 'mlp';
  if (described.dataset && described.dataset !== page.state.dataset) changes.dataset = described.dataset;
  if (Object.keys(changes).length > 0) applyChanges(changes);
  ui.notice(
    `Sampling with the network of ${file.name}: it predicts ${described.parametrization} on ${described.schedule}` +
      `${described.dataset ? `, trained on ${described.dataset}` : ''}. Share links carry it as half floats (${NETWORK_LINK_CHARS.toLocaleString('en-US')} characters).`,
    'info',
  );
  loaded += 1;
}

/**
 * Uses the network of the link (`net=`; after its drawing, whose network it becomes): the score
 * becomes the learned one. A network that cannot be used is reported, and the link left without it.
 */
export function useLinkNetwork() {
  const { pg, state } = page;
  if (!pg || !state.net) return;
  let described;
  try {
    described = pg.use_network_link(decodeNetwork(state.net));
    if (state.score !== 'mlp') pg.set_options({ score: 'mlp' });
  } catch (error) {
    ui.notice(`The network in the link was not used: ${messageOf(error)}. Sampling with ${state.drawn ? 'the drawing’s exact score' : 'the embedded network'}.`, 'error');
    record({ net: '' });
    return;
  }
  record({ score: 'mlp' });
  ui.notice(
    `The link carries a network (${described.parametrization} on ${described.schedule}, as half floats): ` +
      `the learned score samples ${state.drawn ? 'the drawing' : 'the dataset'}.`,
    'info',
  );
}

/**
 * Binds the Download and Load controls and drops of files on the picture: a `.safetensors` file
 * is a network, any other goes to `onOtherFile` (the data files of drawing-feature.js).
 * @param {(file: File) => void} onOtherFile
 */
export function setUpNetworkFiles(onOtherFile) {
  const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  byId('network-download').addEventListener('click', () => {
    const { pg, state } = page;
    if (!pg || page.creating) return;
    try {
      download(new Blob([Uint8Array.from(pg.network_file())], { type: 'application/octet-stream' }), `diffusion-playground-${state.dataset}-network.safetensors`);
    } catch (error) {
      ui.notice(`The network could not be written: ${messageOf(error)}`, 'error');
    }
  });
  byId('network-file').addEventListener('change', (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    const file = input.files?.[0];
    input.value = '';
    if (file) loadNetworkFile(file);
  });
  const frame = byId('canvas-frame');
  frame.addEventListener('dragover', (event) => {
    if ([...(event.dataTransfer?.items ?? [])].some((item) => item.kind === 'file')) event.preventDefault();
  });
  frame.addEventListener('drop', (event) => {
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    event.preventDefault();
    if (file.name.endsWith('.safetensors')) loadNetworkFile(file);
    else onOtherFile(file);
  });
}
