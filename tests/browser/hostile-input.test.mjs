// Hostile input in the page: the reproducers a fuzzer found, each a regression test.
// A crafted link or tag must never freeze the tab, run script, switch settings behind the
// visitor's back or be silently dropped; the pages must work under a strict
// Content-Security-Policy; and the page trims whitespace exactly as the wasm does.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { readFileSync } from 'node:fs';

import { LOAD_TIMEOUT_MS, NAVIGATION, STRICT_CSP, TEST_TIMEOUT_MS, baseUrl, launchHeadless, noticeTexts, openPlayground, pageReport, runToEnd, waitReady } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchHeadless({ webgpu: true });
});
after(async () => {
  await browser?.close();
});

/** Small, paused runs on the CPU: what is checked is how the page takes the input. */
const LIGHT = 'backend=cpu&particles=1024&steps=20&playing=0';
/**
 * Longest a hash change may take to be handled, in ms (parse, notices, options). A correct parse
 * takes a few ms; the quadratic and backtracking ones took seconds.
 */
const HASH_CHANGE_LIMIT_MS = 1000;

/** Sets the page's hash and resolves to the time (ms) until the page's handler has run. */
function timeHashChange(page, hash) {
  return page.evaluate((hash) => new Promise((resolve) => {
    const started = performance.now();
    // Registered after the page's own listener, so it runs once that has returned.
    window.addEventListener('hashchange', () => resolve(performance.now() - started), { once: true });
    location.hash = hash;
  }), hash);
}

/** Opens the playground with `hash` and waits for it. */
async function openReady(hash) {
  const session = await openPlayground(browser, hash);
  try {
    await waitReady(session.page);
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

/** The header of a real network file (weights/, 64 bytes) and `count` random finite half floats after it, base64url. */
function randomNetwork(count = 5506, seed = 1) {
  const header = readFileSync(new URL('../../weights/two_moons.vp_linear.dpw', import.meta.url)).subarray(0, 64);
  const weights = Buffer.alloc(2 * count);
  let state = seed;
  for (let i = 0; i < count; i += 1) {
    let bits;
    do {
      state = (state * 1103515245 + 12345) >>> 0;
      bits = state >>> 16;
    } while ((bits & 0x7c00) === 0x7c00);
    weights.writeUInt16LE(bits, 2 * i);
  }
  return Buffer.concat([header, weights]).toString('base64url');
}

/** Eight points of a drawing in the link form (int16 pairs), base64url. */
function eightPoints() {
  const bytes = Buffer.alloc(32);
  for (let i = 0; i < 8; i += 1) {
    bytes.writeInt16LE(1000 * i - 4000, 4 * i);
    bytes.writeInt16LE(500 * i, 4 * i + 2);
  }
  return bytes.toString('base64url');
}

describe('hostile input', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const backend of ['cpu', 'webgpu']) {
    test(`on ${backend}: #net= of random half floats under a valid header is refused with why; the run samples the embedded network, finite`, async () => {
      const session = await openReady(`backend=${backend}&particles=1024&steps=20&playing=0&net=${randomNetwork()}`);
      try {
        const notices = await noticeTexts(session.page);
        assert.ok(notices.some((n) => /The network in the link was not used: it is not a trained network: at x = \(/.test(n)), `notices: ${JSON.stringify(notices)}`);
        assert.equal(await session.page.evaluate(() => window.dp.state().net), '', 'the state no longer carries it');
        await runToEnd(session.page);
        const largest = await session.page.evaluate(async () => Math.max(...Array.from(await window.dp.playground.read_positions(), Math.abs)));
        assert.ok(Number.isFinite(largest) && largest < 10, `the embedded network's samples stay in the picture: ${largest}`);
        assert.deepEqual(session.errors, [], await pageReport(session));
      } finally {
        await session.close();
      }
    });
  }

  for (const backend of ['cpu', 'webgpu']) {
    test(`on ${backend}: a run whose particles leave the finite range stops with why, and nothing shown is NaN`, async () => {
      const session = await openReady(`backend=${backend}&score=exact&sampler=euler_maruyama&particles=256&steps=2&playing=0`);
      try {
        // One particle starts at 9e14: far from the data the exact score is about -x / sigma^2,
        // so the first of two reverse-SDE steps (h = 0.5 at beta = 20) multiplies it by
        // 1 + h beta / 2 - h beta = -4, past the limit of 1e15 (tests/it/app_runaway.rs does the same).
        await session.page.evaluate(() => {
          const positions = new Float32Array(2 * 256).map((_, i) => ((i * 37) % 200) / 100 - 1);
          positions[14] = 9e14;
          window.dp.playground.start_from(positions);
        });
        await session.page.click('#play');
        await session.page.waitForFunction(() => [...document.querySelectorAll('#notices .notice')].some((n) => /The run was stopped: the run diverged/.test(n.textContent)), null, { timeout: 60_000 });
        const notice = (await noticeTexts(session.page)).find((n) => /The run was stopped/.test(n));
        assert.match(notice, /by step 1 of 2, 1 of 256 particles left the finite range/);
        const seen = await session.page.evaluate(async () => ({
          playing: window.dp.state().playing,
          positions: Array.from(await window.dp.playground.read_positions()),
          readouts: document.getElementById('readouts')?.textContent ?? document.body.textContent,
        }));
        assert.equal(seen.playing, false, 'the run is stopped');
        assert.ok(seen.positions.every(Number.isFinite), 'every particle is finite');
        assert.ok(Math.abs(seen.positions[14]) <= 1e15, `the particle that escaped is held inside the limit: ${seen.positions[14]}`);
        assert.doesNotMatch(seen.readouts, /Infinity|NaN/, 'no readout shows Infinity or NaN');
        assert.deepEqual(session.errors, [], await pageReport(session));
      } finally {
        await session.close();
      }
    });
  }

  test('a link whose drawing is refused says that its guidance toward the drawing\'s class was not used either', async () => {
    const session = await openReady(`${LIGHT}&score=exact&drawn=${eightPoints()}&drawn_classes=a3&guidance=cfg&class=blue`);
    try {
      const notices = (await noticeTexts(session.page)).join(' ');
      assert.match(notices, /The drawing in the link was not used: its classes are for 3 points/);
      assert.match(notices, /The link's guidance \(cfg toward blue of its drawing\) was not used, since its drawing was not: the run is unguided/);
      assert.equal(await session.page.evaluate(() => window.dp.playground.options().guidance), 'none');
    } finally {
      await session.close();
    }
  });

  test('#steps= with 100,000 nines then "x" is rejected at once (no regex backtracking)', async () => {
    const session = await openReady(LIGHT);
    try {
      const hostile = `${LIGHT.replace('steps=20', `steps=${'9'.repeat(100_000)}x`)}`;
      const ms = await timeHashChange(session.page, hostile);
      const notices = await noticeTexts(session.page);
      assert.ok(notices.some((n) => n.startsWith(`Link setting steps "${'9'.repeat(40)}..." is not allowed`)), `notices: ${JSON.stringify(notices)}`);
      assert.ok(ms < HASH_CHANGE_LIMIT_MS, `the hash change took ${ms.toFixed(0)} ms`);
      assert.equal(await session.page.evaluate(() => window.dp.playground.step(1)), 1, 'the page still runs');
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
    }
  });

  test('#drawn=AIAAgA (int16 -32768, outside +-3): a notice, the score stays, the address bar drops drawn', async () => {
    const session = await openReady(`drawn=AIAAgA&${LIGHT}`);
    try {
      const notices = await noticeTexts(session.page);
      assert.ok(notices.some((n) => /drawn "AIAAgA" is not allowed/.test(n)), `notices: ${JSON.stringify(notices)}`);
      const seen = await session.page.evaluate(() => ({
        score: window.dp.playground.options().score,
        stateScore: window.dp.state().score,
        drawn: window.dp.state().drawn,
        hash: location.hash,
      }));
      assert.equal(seen.score, 'mlp', 'the playground keeps the learned score');
      assert.equal(seen.stateScore, 'mlp');
      assert.equal(seen.drawn, '');
      assert.doesNotMatch(seen.hash, /drawn=/, `the address bar no longer carries the drawing: ${seen.hash}`);
      assert.match(seen.hash, /score=mlp/);
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
    }
  });

  test('a hash change made while the playground is re-created (cpu -> webgpu, then a dataset) is applied and kept', async () => {
    const session = await openReady(`dataset=two_moons&${LIGHT}`);
    try {
      const toWebgpu = `dataset=two_moons&${LIGHT.replace('backend=cpu', 'backend=webgpu')}`;
      const thenSpiral = toWebgpu.replace('dataset=two_moons', 'dataset=spiral');
      const duringCreation = await session.page.evaluate(async ([first, second]) => {
        location.hash = first;
        await new Promise((resolve) => setTimeout(resolve, 3));
        const creating = window.dp.playground === null;
        location.hash = second;
        return creating;
      }, [toWebgpu, thenSpiral]);
      assert.ok(duringCreation, 'the second change came while the playground was being re-created');
      await session.page.waitForFunction(() => window.dp.playground !== null && document.body.dataset.state === 'ready', null, { timeout: LOAD_TIMEOUT_MS });
      // The address bar follows changes after a short delay (main.js: HASH_WRITE_DELAY_MS).
      await session.page.waitForTimeout(600);
      const seen = await session.page.evaluate(() => ({ dataset: window.dp.playground.options().dataset, hash: location.hash }));
      assert.equal(seen.dataset, 'spiral', `the later change was applied; ${await pageReport(session)}`);
      assert.match(seen.hash, /dataset=spiral/, 'and the address bar keeps it');
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
    }
  });

  test('<diffusion-playground src="javascript:..."> runs no script: the element says so and shows the default embed page', async () => {
    const base = await baseUrl();
    const context = await browser.newContext();
    const page = await context.newPage();
    const warnings = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    try {
      // A host page without any Content-Security-Policy, as many course-notes sites are.
      const host = `${base}hostile-element-host.html`;
      await page.route(host, (route) => route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><title>host</title><script type="module" src="js/element.js"></script>
          <diffusion-playground id="hostile" src="javascript:parent.__pwned=true//" ${LIGHT.split('&').map((p) => p.replace('=', '="') + '"').join(' ')}></diffusion-playground>
          <diffusion-playground id="relative" src="embed.html" ${LIGHT.split('&').map((p) => p.replace('=', '="') + '"').join(' ')}></diffusion-playground>`,
      }));
      await page.goto(host, NAVIGATION);
      // Until the iframe shows the embed page, or the script has run.
      await page.waitForFunction(() => window.__pwned === true
        || document.getElementById('hostile')?.shadowRoot?.querySelector('iframe')?.contentWindow?.location.href.includes('embed'), null, { timeout: LOAD_TIMEOUT_MS });
      const seen = await page.evaluate(() => {
        const shadow = (id) => document.getElementById(id).shadowRoot;
        const message = shadow('hostile').querySelector('[part=message]');
        return {
          pwned: window.__pwned === true,
          src: shadow('hostile').querySelector('iframe').src,
          message: message?.textContent ?? '',
          messageShown: Boolean(message && !message.hidden),
          relative: shadow('relative').querySelector('iframe').src,
          relativeMessage: !shadow('relative').querySelector('[part=message]')?.hidden,
        };
      });
      assert.equal(seen.pwned, false, 'no script ran in the host page');
      assert.equal(seen.src.split('#')[0], `${base}embed.html?autosize=1`, 'the iframe shows the default embed page (sized to its content)');
      assert.match(seen.src, /#dataset|#backend=cpu/, 'with the attributes as its hash');
      assert.ok(seen.messageShown, 'the element says why');
      assert.match(seen.message, /src attribute was not used \(only http and https URLs are allowed, not javascript:\)/);
      assert.ok(warnings.some((w) => w.includes('src attribute was not used')), `console.warn: ${JSON.stringify(warnings)}`);
      assert.equal(seen.relative.split('#')[0], `${base}embed.html?autosize=1`, 'a relative http(s) src is resolved against the document (and sized to its content)');
      assert.equal(seen.relativeMessage, false, 'and needs no message');
    } finally {
      await context.close();
    }
  });

  test('4,000 unknown keys give one notice, at once', async () => {
    const session = await openReady(LIGHT);
    try {
      const keys = Array.from({ length: 4000 }, (_, i) => `unknown${i}=1`).join('&');
      const ms = await timeHashChange(session.page, `${LIGHT}&${keys}`);
      const notices = (await noticeTexts(session.page)).filter((n) => /unknown setting/i.test(n));
      assert.deepEqual(notices.length, 1, JSON.stringify(notices.slice(0, 3)));
      assert.match(notices[0], /^4000 unknown settings in the link were ignored: "unknown0", "unknown1", "unknown2", "unknown3", "unknown4" and 3995 more/);
      assert.ok(ms < HASH_CHANGE_LIMIT_MS, `the hash change took ${ms.toFixed(0)} ms`);
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
    }
  });

  test(`embed.html and index.html render under Content-Security-Policy: ${STRICT_CSP}`, async () => {
    const base = await baseUrl();
    const session = await openPlayground(browser, LIGHT);
    try {
      await session.page.addInitScript(() => {
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', (event) => window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));
      });
      const embed = await session.page.goto(`${base}embed.html#dataset=pinwheel&${LIGHT}`, { ...NAVIGATION, waitUntil: 'load' });
      assert.equal(embed.headers()['content-security-policy'], STRICT_CSP, 'the test server sends the policy');
      await session.page.waitForURL(/index\.html\?embed=1#dataset=pinwheel/, { timeout: LOAD_TIMEOUT_MS });
      await waitReady(session.page);
      assert.equal(await session.page.evaluate(() => window.dp.playground.options().dataset), 'pinwheel');
      assert.deepEqual(await session.page.evaluate(() => window.__violations), []);

      const index = await session.page.goto(`${base}index.html#${LIGHT}`, NAVIGATION);
      assert.equal(index.headers()['content-security-policy'], STRICT_CSP);
      await waitReady(session.page);
      const scripts = await session.page.evaluate(() => [...document.scripts].filter((s) => !s.src).length);
      assert.equal(scripts, 0, 'index.html has no inline script');
      assert.deepEqual(await session.page.evaluate(() => window.__violations), []);
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
    }
  });

  test('whitespace: ASCII is trimmed, U+FEFF and U+0085 are not, in the page as in the wasm', async (t) => {
    const texts = { steps: '\ufeff50', seed: '\u00857', particles: '\t1024 ', churn: ' 5\r\n' };
    const hash = `backend=cpu&playing=0&sampler=heun&${Object.entries(texts).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
    const session = await openReady(hash);
    try {
      const notices = await noticeTexts(session.page);
      const options = await session.page.evaluate(() => window.dp.playground.options());
      assert.equal(options.steps, 100, 'U+FEFF is not whitespace: steps falls back to its default');
      assert.equal(options.seed, 1, 'nor is U+0085: seed falls back to its default');
      assert.equal(options.particles, 1024, 'tab and space are trimmed');
      assert.equal(options.churn, 5, 'CR LF are trimmed');
      assert.ok(notices.some((n) => n.startsWith('Link setting steps ')), JSON.stringify(notices));
      assert.ok(notices.some((n) => n.startsWith('Link setting seed ')), JSON.stringify(notices));
      assert.equal(notices.filter((n) => n.startsWith('Link setting ')).length, 2, JSON.stringify(notices));
      const wasm = await session.page.evaluate((texts) => {
        if (typeof window.dp.wasm.validate_options !== 'function') return null;
        return Object.fromEntries(Object.entries(texts).map(([name, text]) => {
          try {
            return [name, window.dp.wasm.validate_options({ [name]: text })[name]];
          } catch {
            return [name, 'rejected'];
          }
        }));
      }, texts);
      if (wasm === null) {
        t.diagnostic('this build of the wasm has no validate_options: the wasm side of the agreement is checked once it has');
      } else {
        assert.deepEqual(wasm, { steps: 'rejected', seed: 'rejected', particles: 1024, churn: 5 }, 'the wasm reads the same texts the same way');
      }
      assert.deepEqual(session.errors, [], await pageReport(session));
    } finally {
      await session.close();
    }
  });
});
