// The URL-hash state of www/js/state.js, without a browser: a share link is parsed field by field,
// each bad field falls back to its default with a notice naming it, and the hash round-trips.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { FIELDS, defaultState, parseHash, toHash, toOptions } from '../../www/js/state.js';

describe('the URL-hash state table', () => {
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
    const { state, notices } = parseHash('#__proto__=x&colour=red&seed=1&seed=2');
    assert.equal(state.seed, 1, 'the first value wins');
    assert.equal(Object.getPrototypeOf(state), Object.prototype);
    assert.equal(notices.length, 3, JSON.stringify(notices));
    assert.ok(notices.some((n) => n.includes('colour')));
  });

  test('a very long hostile value is quoted back shortened', () => {
    const { notices } = parseHash(`#dataset=${'x'.repeat(5000)}`);
    assert.ok(notices[0].length < 300, `notice of ${notices[0].length} characters`);
  });

  test('toHash and parseHash round-trip every field', () => {
    const state = { ...defaultState(), dataset: 'gaussian_mixture', steps: 7, seed: 4294967295, t: 0.125, playing: false };
    const back = parseHash(toHash(state));
    assert.deepEqual(back.notices, []);
    assert.deepEqual(back.state, state);
  });

  test('the options object holds exactly the option fields', () => {
    const options = toOptions(defaultState());
    assert.deepEqual(Object.keys(options), FIELDS.filter((f) => f.option).map((f) => f.name));
    assert.ok(!('t' in options) && !('playing' in options));
  });
});
