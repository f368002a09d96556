// Hostile input in the page (issue 12): the reproducers a fuzzer found, each a regression test.
// A crafted link or tag must never freeze the tab, run script, switch settings behind the
// visitor's back or be silently dropped; the pages must work under a strict
// Content-Security-Policy; and the page trims whitespace exactly as the wasm does.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LOAD_TIMEOUT_MS, NAVIGATION, STRICT_CSP, TEST_TIMEOUT_MS, baseUrl, launchHeadless, noticeTexts, openPlayground, pageReport, waitReady } from './helpers.mjs';

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

describe('hostile input', { timeout: TEST_TIMEOUT_MS }, () => {
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
      assert.equal(seen.relative.split('#')[0], `${base}embed.html`, 'a relative http(s) src is resolved against the document');
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
