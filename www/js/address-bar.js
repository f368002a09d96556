// @ts-check
// address-bar.js: the state written into the address bar (and the embedded page's "open full
// page" link), with the network in use when it is not an embedded one; a burst of changes is
// written once, shortly after.

import * as ui from './controls.js';
import { page } from './page.js';
import { encodeNetwork } from './network-link.js';
import { toHash, writeHash } from './link.js';
import { shareUrl } from './export.js';

/** Delay before the address bar follows a burst of changes (ms); browsers throttle replaceState. */
const HASH_WRITE_DELAY_MS = 120;

let hashTimer = 0;

/** Writes the state into the address bar (and the embedded page's "open full page" link). */
export function publishState() {
  // The link carries the network in use when it is not an embedded one (network-link.js). While
  // the Playground is being (re)created there is none to ask: the state keeps the link's, which
  // the creation is about to use (clearing it here would lose it).
  if (page.pg && !page.creating) {
    const network = page.pg.network_link();
    page.state.net = network ? encodeNetwork(network) : '';
  }
  writeHash(page.state);
  ui.setFullPageLink(shareUrl(toHash(page.state)));
}

/** Writes the state into the address bar soon (once for a burst of changes). */
export function writeHashSoon() {
  clearTimeout(hashTimer);
  hashTimer = window.setTimeout(publishState, HASH_WRITE_DELAY_MS);
}
