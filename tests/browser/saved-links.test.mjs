// Share links saved before a change open the same picture after it: each link of
// tests/data/saved-links.json opens on the CPU path (deterministic to the bit), runs to its end,
// and must give the options and the particles recorded when the file was written. Restructuring
// the options, the state or the page must leave them as they were. To record them again after a
// change that is meant to alter a picture, run this file with DP_WRITE_SAVED_LINKS=1 and say why
// in the commit.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { TEST_TIMEOUT_MS, launchHeadless, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

const FILE = new URL('../data/saved-links.json', import.meta.url);
const WRITE = process.env.DP_WRITE_SAVED_LINKS === '1';
/** Particles whose end positions are recorded per link, and how close they must come back. */
const RECORDED_PARTICLES = 8;
const TOLERANCE = 1e-5;

/** Eight points of a vertical bar at x = -1.5 in the link form (int16 pairs, 3 / 32767 a unit), base64url. */
function bar() {
  const bytes = Buffer.alloc(32);
  for (let i = 0; i < 8; i += 1) {
    bytes.writeInt16LE(-16384, 4 * i);
    bytes.writeInt16LE(1500 * i - 5000, 4 * i + 2);
  }
  return bytes.toString('base64url');
}

/** The links, as people share them: each setting a view, sampler or condition differently. */
const LINKS = [
  'backend=cpu&particles=256&steps=20&playing=0',
  'backend=cpu&particles=256&dataset=spiral&schedule=edm&sampler=heun&time_grid=karras&rho=5&steps=12&seed=7&playing=0',
  'backend=cpu&particles=256&dataset=pinwheel&schedule=vp_cosine&sampler=ddim&eta=0.5&time_grid=trailing&steps=16&playing=0',
  'backend=cpu&particles=256&dataset=rings&score=exact&sampler=dpm_solver_2m&time_grid=uniform_log_snr&steps=10&guidance=classifier&class=outer&guidance_scale=3&playing=0',
  'backend=cpu&particles=256&dataset=gaussian_mixture&schedule=rectified_flow&sampler=probability_flow_euler&shift=3&steps=20&playing=0',
  'backend=cpu&particles=256&dataset=two_moons&score=exact&sampler=euler_maruyama&steps=30&posterior=dps&observe=1,0&observation=0.5&observation_noise=0.2&playing=0',
  'backend=cpu&particles=256&dataset=checkerboard&sampler=unipc&order=2&steps=8&t=0.6&playing=0',
  `backend=cpu&particles=256&score=exact&sampler=euler_ancestral&s_noise=0.8&steps=20&drawn=${bar()}&playing=0`,
];

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: false });
});
after(async () => {
  await browser?.close();
});

/** What a link shows: the wasm's options once opened, and the first particles at the end of the run. */
async function pictureOf(link) {
  const session = await openPlayground(browser, link);
  try {
    await waitReady(session.page);
    const options = await session.page.evaluate(() => window.dp.playground.options());
    const defaults = await session.page.evaluate(() => window.dp.describe().defaults);
    await runToEnd(session.page);
    const positions = await session.page.evaluate(async (n) => Array.from(await window.dp.playground.read_positions()).slice(0, 2 * n), RECORDED_PARTICLES);
    assert.deepEqual(session.errors, [], await pageReport(session));
    return { options, positions, defaults };
  } finally {
    await session.close();
  }
}

describe('links saved before a change open the same picture', { timeout: TEST_TIMEOUT_MS }, () => {
  if (WRITE) {
    test('record the saved links', async () => {
      const saved = [];
      for (const link of LINKS) {
        const { options, positions } = await pictureOf(link);
        saved.push({ link, options, positions });
      }
      writeFileSync(FILE, `${JSON.stringify(saved, null, 1)}\n`);
    });
    return;
  }
  const saved = JSON.parse(readFileSync(FILE, 'utf8'));
  test('the saved file has every link of this test', () => {
    assert.deepEqual(saved.map((/** @type {{ link: string }} */ s) => s.link), LINKS);
  });
  for (const { link, options, positions } of saved) {
    test(`#${link.slice(0, 90)}…`, async () => {
      const now = await pictureOf(link);
      // Options added to the table since the links were saved take their defaults.
      const kept = Object.fromEntries(Object.entries(now.options).filter(([name]) => Object.hasOwn(options, name)));
      assert.deepEqual(kept, options, 'the options the link opens with');
      for (const name of Object.keys(now.options).filter((n) => !Object.hasOwn(options, n))) {
        assert.deepEqual(now.options[name], now.defaults[name], `${name}, added since the links were saved, at its default`);
      }
      assert.equal(now.positions.length, positions.length);
      now.positions.forEach((v, i) => assert.ok(Math.abs(v - positions[i]) <= TOLERANCE * (1 + Math.abs(positions[i])), `coordinate ${i}: ${v} now, ${positions[i]} saved`));
    });
  }
});
