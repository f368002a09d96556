// The URL-hash state of www/js/state.js, without a browser: a share link is parsed field by field,
// each bad field falls back to its default with a notice naming it, and the hash round-trips.
//
// The lists of choices come from the real wasm's describe(), loaded into Node (it needs no
// browser API), as the page does before it parses a link.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { WWW } from './helpers.mjs';
import { DEFAULT_DRAWING_LIMITS, decodeDrawing, drawingLimits, encodeDrawing } from '../../www/js/drawing.js';
import { FIELD, FIELDS, LINK_VERSION, applies, defaultState, parseField, toOptions, useDescription } from '../../www/js/state.js';
import { MAX_LINK_SETTINGS, parseHash, toHash } from '../../www/js/link.js';
import { useLinkRules } from '../../www/js/link-rules.js';

let described;
before(async () => {
  const pkg = await import(new URL('../../www/pkg/diffusion_playground.js', import.meta.url).href);
  pkg.initSync({ module: await readFile(path.join(WWW, 'pkg', 'diffusion_playground_bg.wasm')) });
  described = pkg.describe();
  useDescription(described);
  useLinkRules(pkg);
});

describe('the URL-hash state table', () => {
  test("the options' labels, defaults and ranges are the wasm's table (describe().options and defaults)", () => {
    const options = FIELDS.filter((f) => f.option);
    assert.deepEqual(options.map((f) => f.name), described.options.map((o) => o.name), 'the same options in the same order');
    for (const spec of described.options) {
      const field = FIELD[spec.name];
      assert.equal(field.label, spec.label, spec.name);
      assert.equal(field.default, described.defaults[spec.name], spec.name);
      if (spec.kind === 'integer' || spec.kind === 'number') assert.deepEqual([field.min, field.max], [spec.min, spec.max], spec.name);
    }
  });

  test("an option added to the wasm's table is a field of the page with no row in state.js: its label, range, default, hide flag and link", () => {
    const warp = { name: 'warp', label: 'Warp factor', kind: 'number', min: 0, max: 9, applies_when: { field: 'sampler', values: ['heun'] } };
    const extended = { ...described, options: [...described.options, warp], defaults: { ...described.defaults, warp: 1 } };
    try {
      useDescription(extended);
      assert.deepEqual(
        { ...FIELD.warp },
        { name: 'warp', type: 'number', default: 1, label: 'Warp factor', option: true, min: 0, max: 9, onlyFor: { sampler: ['heun'] } },
      );
      assert.equal(FIELD.warp_hide.hides, 'warp', 'it can be hidden like every control');
      assert.deepEqual(parseField(FIELD.warp, '4.5'), { ok: true, value: 4.5 });
      assert.match(parseField(FIELD.warp, '10').problem, /warp "10" is not allowed \(allowed: a number from 0 to 9\)/);
      assert.equal(toOptions(defaultState()).warp, 1, 'it goes to the Playground with the other options');
      assert.ok(!applies(FIELD.warp, { ...defaultState(), sampler: 'euler_maruyama' }) && applies(FIELD.warp, { ...defaultState(), sampler: 'heun' }));
      const unreadable = { ...described, options: [...described.options, { name: 'mystery', label: 'Mystery', kind: 'text' }] };
      assert.throws(() => useDescription(unreadable), /option 'mystery' is of kind text, which the page has no reader for/);
      const clash = { ...described, options: [...described.options, { name: 'theme', label: 'Theme', kind: 'number', min: 0, max: 1 }] };
      assert.throws(() => useDescription(clash), /option 'theme' has the name of a page field/);
    } finally {
      useDescription(described);
    }
    assert.equal(FIELD.warp, undefined, 'the table is rebuilt from the description taken last');
  });

  test("the choice lists are the wasm's, names and labels", () => {
    const lists = { dataset: 'datasets', schedule: 'schedules', sampler: 'samplers', time_grid: 'time_grids', score: 'scores', palette: 'palettes' };
    for (const [name, list] of Object.entries(lists)) {
      assert.deepEqual(FIELD[name].choices, described[list].map((c) => [c.name, c.label]), name);
    }
  });

  test("the drawing limits are the wasm's (describe().drawing), else the defaults of core::drawing", (t) => {
    const expected = described.drawing
      ? { halfExtent: described.drawing.half_extent, maxPoints: described.drawing.max_points }
      : { ...DEFAULT_DRAWING_LIMITS };
    if (!described.drawing) t.diagnostic('this build of the wasm does not describe its drawing limits: the defaults apply');
    assert.deepEqual({ ...drawingLimits() }, expected);
    assert.deepEqual(expected, { halfExtent: 3, maxPoints: 512 });
  });

  test('an empty hash gives every field its default and no notice', () => {
    const { state, notices } = parseHash('');
    assert.deepEqual(state, defaultState());
    assert.deepEqual(notices, []);
  });

  test('valid fields are read with their types', () => {
    const { state, notices } = parseHash('#dataset=spiral&steps=50&seed=7&t=0.25&playing=0&point_size=2.5');
    assert.deepEqual(notices, []);
    assert.equal(state.dataset, 'spiral');
    assert.equal(state.steps, 50);
    assert.equal(state.seed, 7);
    assert.equal(state.t, 0.25);
    assert.equal(state.playing, false);
    assert.equal(state.point_size, 2.5);
  });

  test('the sampler settings are read: time grid, eta, churn', () => {
    const { state, notices } = parseHash('#sampler=heun&schedule=edm&time_grid=karras&eta=0&churn=10');
    assert.deepEqual(notices, []);
    assert.deepEqual(
      [state.sampler, state.schedule, state.time_grid, state.eta, state.churn],
      ['heun', 'edm', 'karras', 0, 10],
    );
  });

  test('eta, churn, s_noise and order apply to the samplers the wasm says read them (Euler-Maruyama, DDIM and the ancestral ones; Heun; the ancestral and SDE ones; DEIS and UniPC)', () => {
    const shownFor = (name) => described.samplers.map((s) => s.name).filter((sampler) => applies(FIELD[name], { ...defaultState(), sampler }));
    for (const [knob, flag] of [['eta', 'uses_eta'], ['churn', 'uses_churn'], ['s_noise', 'uses_s_noise'], ['order', 'uses_order']]) {
      assert.deepEqual(shownFor(knob), described.samplers.filter((s) => s[flag]).map((s) => s.name), knob);
    }
    assert.deepEqual(shownFor('order'), ['deis', 'unipc', 'unipc_bh1']);
    const gridsFor = (name) => described.time_grids.map((g) => g.name).filter((time_grid) => applies(FIELD[name], { ...defaultState(), time_grid }));
    assert.deepEqual(gridsFor('rho'), ['karras', 'polyexponential'], 'rho belongs to the Karras and polyexponential grids');
    for (const name of ['euler_ancestral', 'dpm_solver_sde', 'dpm_solver_2m_sde', 'dpm_solver_3m_sde']) {
      assert.ok(shownFor('s_noise').includes(name), `s_noise shows for ${name}`);
    }
    for (const name of ['euler_maruyama', 'ddim', 'euler_ancestral', 'dpm_2_ancestral', 'dpm_solver_2s_ancestral']) {
      assert.ok(shownFor('eta').includes(name), `eta shows for ${name}`);
    }
    assert.deepEqual(shownFor('churn'), ['heun']);
    assert.deepEqual(shownFor('steps'), described.samplers.map((s) => s.name), 'fields without a rule always apply');
  });

  const bad = [
    ['steps', '0'],
    ['steps', '2.5'],
    ['particles', '999999999'],
    ['particles', '0x10'],
    ['seed', 'abc'],
    ['seed', '4294967296'],
    ['dataset', '<script>alert(1)</script>'],
    ['t', '1.5'],
    ['t', 'NaN'],
    ['playing', 'yes'],
    ['steps', ''],
    ['eta', '2'],
    ['eta', '-0.1'],
    ['churn', '-1'],
    ['churn', '1e3'],
    ['s_noise', '3'],
    ['order', '4'],
    ['order', '2.5'],
    ['rho', '0'],
    ['s_tmax', '1e4'],
    ['time_grid', 'exponential'],
    ['time_grid', '<b>x</b>'],
    ['schedule', 'vp_quadratic'],
  ];
  for (const [field, value] of bad) {
    test(`${field}=${JSON.stringify(value)} falls back to the default with a notice naming the field, the value and what is allowed`, () => {
      const { state, notices } = parseHash(`#${field}=${encodeURIComponent(value)}`);
      assert.equal(state[field], defaultState()[field]);
      assert.equal(notices.length, 1, JSON.stringify(notices));
      assert.ok(notices[0].includes(field), notices[0]);
      assert.ok(notices[0].includes(JSON.stringify(value)), notices[0]);
      assert.match(notices[0], /allowed/);
    });
  }

  test('one bad field does not disturb the good ones', () => {
    const { state, notices } = parseHash('#steps=0&dataset=spiral');
    assert.equal(state.steps, 100);
    assert.equal(state.dataset, 'spiral');
    assert.equal(notices.length, 1);
  });

  test('unknown and repeated settings are reported; __proto__ cannot reach the prototype', () => {
    const { state, notices } = parseHash('#__proto__=x&colour=red&seed=1&seed=2&seed=3');
    assert.equal(state.seed, 1, 'the first value wins');
    assert.equal(Object.getPrototypeOf(state), Object.prototype);
    assert.deepEqual(notices, [
      'The setting seed appears more than once in the link; the first value is used.',
      // The known settings: every field of the table but the `_hide` flags, named together.
      `2 unknown settings in the link were ignored: "__proto__", "colour" (known: ${FIELDS.filter((f) => !f.hides).map((f) => f.name).join(', ')}, and <name>_hide flags).`,
    ]);
  });

  test('thousands of unknown keys give one notice that names the first five and counts the rest', () => {
    const keys = Array.from({ length: 4000 }, (_, i) => `k${i}`);
    const { notices } = parseHash(`#${keys.map((k) => `${k}=1`).join('&')}&steps=20`);
    assert.equal(notices.length, 1);
    assert.match(notices[0], /^4000 unknown settings in the link were ignored: "k0", "k1", "k2", "k3", "k4" and 3995 more \(known: /);
  });

  test('a link is read for its first 10,000 settings; the rest is reported, not read', () => {
    const { state, notices } = parseHash(`#${'&'.repeat(MAX_LINK_SETTINGS)}steps=5`);
    assert.equal(state.steps, 100);
    assert.deepEqual(notices, [`The link has more than 10000 settings: only the first 10000 were read, the remaining 7 characters were ignored.`]);
    assert.equal(parseHash(`#${'&'.repeat(MAX_LINK_SETTINGS - 1)}steps=5`).state.steps, 5, 'the 10,000th setting is read');
  });

  test('an over-long value is rejected before it is decoded, quoted by its start', () => {
    const { state, notices } = parseHash(`#seed=${'%39'.repeat(100_000)}&steps=5`);
    assert.equal(state.seed, 1);
    assert.equal(state.steps, 5);
    assert.deepEqual(notices, [
      `Link setting seed "${'9'.repeat(40)}..." is not allowed: it is 300000 characters long, longer than any allowed value (allowed: an integer from 0 to 4294967295); using the default 1.`,
    ]);
  });

  test('numbers: plain decimal notation, trimmed of ASCII whitespace only, at most 32 characters', () => {
    const read = (text) => parseField(FIELD.churn, text);
    for (const [text, value] of [['5', 5], ['+5', 5], ['5.', 5], ['.5', 0.5], ['5e1', 50], ['5E+1', 50], ['50e-1', 5], [' \t\n\f\r7 ', 7], ['-0', 0], ['1e-400', 0]]) {
      assert.deepEqual(read(text), { ok: true, value }, JSON.stringify(text));
    }
    for (const text of ['', '.', '+', '5e', 'e5', '.e5', '0x10', '1_0', 'Infinity', 'NaN', '\ufeff5', '\u00855', '\u000b5', '\u00a05', '5\u3000', '１']) {
      assert.equal(read(text).ok, false, JSON.stringify(text));
    }
    assert.deepEqual(read(`${'0'.repeat(31)}1`), { ok: true, value: 1 }, '32 characters');
    assert.equal(read(`${'0'.repeat(32)}1`).ok, false, '33 characters');
    assert.deepEqual(read(`  ${'0'.repeat(31)}1  `), { ok: true, value: 1 }, 'the cap counts after trimming');
    assert.equal(parseField(FIELD.ghosts, '\ufefftrue').ok, false, 'booleans are trimmed the same way');
    assert.deepEqual(parseField(FIELD.ghosts, ' TRUE\n'), { ok: true, value: true });
  });

  test('a drawing holds only int16 within +-32767, so every coordinate is within +-3', () => {
    const minimum = parseHash('#drawn=AIAAgA'); // (-32768, -32768)
    assert.equal(minimum.state.drawn, '');
    assert.match(minimum.notices[0], /^Link setting drawn "AIAAgA" is not allowed/);
    const edge = encodeDrawing([[3, -3], [-3.5, 9]]); // clamped to +-32767
    assert.equal(edge, '_38BgAGA_38');
    assert.deepEqual(decodeDrawing(edge), { ok: true, points: [[3, -3], [-3, 3]] });
    assert.equal(parseHash(`#drawn=${edge}`).state.drawn, edge);
  });

  test('a very long hostile value is quoted back shortened', () => {
    const { notices } = parseHash(`#dataset=${'x'.repeat(5000)}`);
    assert.ok(notices[0].length < 300, `notice of ${notices[0].length} characters`);
  });

  test('toHash and parseHash round-trip every field', () => {
    const state = {
      ...defaultState(),
      dataset: 'gaussian_mixture', schedule: 'edm', sampler: 'dpm_solver_2m', time_grid: 'uniform_log_snr',
      steps: 7, eta: 0.25, churn: 12.5, s_tmin: 0.05, s_tmax: 50, s_noise: 1.25, order: 2, rho: 3, seed: 4294967295, t: 0.125, playing: false,
      posterior: 'pigdm', observe: '0.6,0.8;-1,2.5', observation: '1.5,-0.25', observation_noise: 0.35, posterior_scale: 2.5,
    };
    const back = parseHash(toHash(state));
    assert.deepEqual(back.notices, []);
    assert.deepEqual(back.state, state);
  });

  test('page fields round-trip too: layers, theme, interface and hide flags (written only when set)', () => {
    const state = { ...defaultState(), ghosts: true, arrows: true, theme: 'light', ui: 'min', lens: 'velocity', paths: true, steps_hide: true, t_hide: true };
    const hash = toHash(state);
    assert.match(hash, /^#v=1&/, 'the link starts with its format version');
    assert.match(hash, /steps_hide=1/);
    assert.doesNotMatch(hash, /seed_hide/, 'hide flags that are off are left out');
    const back = parseHash(hash);
    assert.deepEqual(back.notices, []);
    assert.deepEqual(back.state, state);
  });

  test('a link from a newer format version is read as far as it is understood, with a notice', () => {
    const { state, notices } = parseHash(`#v=${LINK_VERSION + 1}&dataset=spiral&sparkles=3`);
    assert.equal(state.dataset, 'spiral');
    assert.equal(notices.length, 2);
    assert.match(notices[0], /newer version of Diffusion Playground \(link format 2; this page reads 1\)/);
    assert.match(notices[1], /Unknown setting "sparkles"/);
    assert.match(parseHash('#v=<b>').notices[0], /not a version number/);
    assert.deepEqual(parseHash('#dataset=spiral').notices, [], 'links without v (version 1) need no notice');
  });

  test('bad page fields fall back to their defaults with a notice naming them', () => {
    const { state, notices } = parseHash('#theme=neon&ui=max&ghosts=maybe&steps_hide=yes');
    assert.deepEqual([state.theme, state.ui, state.ghosts, state.steps_hide], ['dark', 'full', false, false]);
    assert.equal(notices.length, 4);
    for (const [notice, name] of notices.map((n, i) => [n, ['theme', 'ui', 'ghosts', 'steps_hide'][i]])) {
      assert.match(notice, new RegExp(`Link setting ${name} `));
    }
  });

  test('the options object holds exactly the option fields', () => {
    const options = toOptions(defaultState());
    assert.deepEqual(Object.keys(options), FIELDS.filter((f) => f.option).map((f) => f.name));
    assert.ok(!('t' in options) && !('playing' in options));
  });
});
