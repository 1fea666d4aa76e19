import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_KEY_PREFIX, FlowKeys } from '../../../src/flows/redis/keys.js';

test('every key shares the prefix and its one hash tag (one cluster slot), and homes and clients become fixed-size parts', () => {
  const keys = new FlowKeys();
  const home = `/srv/hermes/profiles/${'deep/'.repeat(200)}work`;
  const all = [keys.flow('f1'), keys.lease('f1'), keys.pending, keys.singleFlight('openai-codex', home), keys.rate('2001:db8::1'), keys.events];
  for (const key of all) assert.ok(key.startsWith(DEFAULT_KEY_PREFIX), key);
  assert.equal(DEFAULT_KEY_PREFIX, '{hermes-onboard}:');
  assert.ok(keys.singleFlight('openai-codex', home).length < 100);
  assert.ok(!keys.singleFlight('openai-codex', home).includes('/srv/'), 'the path is hashed');
  assert.notEqual(keys.singleFlight('openai-codex', '/a'), keys.singleFlight('openai-codex', '/b'));
  assert.notEqual(keys.singleFlight('openai-codex', '/a'), keys.singleFlight('nous', '/a'));
  assert.equal(keys.singleFlight('nous', '/a'), new FlowKeys().singleFlight('nous', '/a'), 'every replica names it alike');
  assert.notEqual(keys.rate('198.51.100.1'), keys.rate('198.51.100.2'));
  assert.equal(new FlowKeys('{staging}:').flow('x'), '{staging}:flow:x');
});

test('a prefix without exactly one hash tag is refused (the scripts touch sibling keys that must share a slot)', () => {
  for (const prefix of ['hermes:', '{a}{b}:', '{}:', 'x{y']) assert.throws(() => new FlowKeys(prefix), /hash tag/, prefix);
});
