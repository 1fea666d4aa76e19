import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError, SecretKeyError, parseSecretKey } from '../../src/util/secretBox.js';

const key = randomBytes(32);
const box = new SecretBox(key);
const secret = { device_code: 'dc-PLANTED-4f1c9a7e', code_verifier: 'verifier-PLANTED-0b3e' };

test('a sealed value opens back to the same JSON, and shows none of it', () => {
  const sealed = box.seal(secret, 'flow-1');
  assert.deepEqual(box.open(sealed, 'flow-1'), secret);
  assert.match(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  for (const part of [...Object.values(secret), 'device_code', 'PLANTED']) assert.ok(!sealed.includes(part), part);
  assert.deepEqual(box.open(box.seal('just a string', 'x'), 'x'), 'just a string');
});

test('every seal uses a fresh IV: the same value seals differently each time', () => {
  const seals = new Set(Array.from({ length: 50 }, () => box.seal(secret, 'flow-1')));
  assert.equal(seals.size, 50);
  assert.equal(new Set([...seals].map((s) => s.split('.')[1])).size, 50);
});

test('a changed byte anywhere (IV, ciphertext, tag) makes it refuse to open', () => {
  const sealed = box.seal(secret, 'flow-1');
  const parts = sealed.split('.');
  for (const index of [1, 2, 3]) {
    const bytes = Buffer.from(parts[index]!, 'base64url');
    for (const at of [0, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[at]! ^= 0x01;
      const tampered = parts.map((p, i) => (i === index ? changed.toString('base64url') : p)).join('.');
      assert.throws(() => box.open(tampered, 'flow-1'), SecretBoxError, `part ${index} byte ${at}`);
    }
  }
  assert.throws(() => box.open(sealed.replace(/^v1/, 'v2'), 'flow-1'), SecretBoxError);
  assert.throws(() => box.open('v1.abc', 'flow-1'), SecretBoxError);
  assert.throws(() => box.open(parts.slice(0, 3).join('.') + '.' + parts[3]!.slice(4), 'flow-1'), SecretBoxError);
});

test('another key does not open it', () => {
  const sealed = box.seal(secret, 'flow-1');
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'flow-1'), SecretBoxError);
});

test("a sealed value moved to another flow's record does not open there (the flow id is authenticated)", () => {
  const sealed = box.seal(secret, 'flow-1');
  assert.throws(() => box.open(sealed, 'flow-2'), SecretBoxError);
  assert.throws(() => box.open(sealed, ''), SecretBoxError);
  // The error says what happened without any part of the value.
  assert.throws(() => box.open(sealed, 'flow-2'), (error: Error) => !error.message.includes(sealed.split('.')[2]!.slice(0, 12)));
});

test('keys are read from base64 (standard, URL-safe, unpadded) and hex', () => {
  const sealed = box.seal(secret, 'f');
  for (const text of [key.toString('base64'), key.toString('base64url'), key.toString('base64').replace(/=+$/, ''), key.toString('hex'), key.toString('hex').toUpperCase(), ` ${key.toString('base64')}\n`]) {
    assert.deepEqual(new SecretBox(parseSecretKey(text)).open(sealed, 'f'), secret, text);
  }
  assert.deepEqual(SecretBox.fromEnv({ HERMES_ONBOARD_SECRET_KEY: key.toString('hex') }).open(sealed, 'f'), secret);
});

test('a missing or unusable key is refused with a message that says how to make one and never repeats the value', () => {
  const bad = [
    undefined,
    '',
    '   ',
    randomBytes(16).toString('base64'),
    randomBytes(31).toString('hex'),
    randomBytes(33).toString('base64'),
    'not a key at all!',
    'zz'.repeat(32),
    'correct horse battery staple correct horse',
  ];
  for (const value of bad) {
    assert.throws(
      () => parseSecretKey(value),
      (error: Error) => {
        assert.ok(error instanceof SecretKeyError, String(value));
        assert.match(error.message, /HERMES_ONBOARD_SECRET_KEY/);
        assert.match(error.message, /openssl rand -base64 32/);
        assert.match(error.message, /randomBytes\(32\)/);
        if (value && value.trim()) assert.ok(!error.message.includes(value.trim()), 'the value is not repeated');
        return true;
      },
    );
  }
  assert.throws(() => SecretBox.fromEnv({}), /HERMES_ONBOARD_SECRET_KEY is not set/);
  assert.throws(() => parseSecretKey('short', '--secret-key'), /--secret-key must be exactly 32 bytes/);
  assert.throws(() => new SecretBox(randomBytes(16)), SecretKeyError);
});

test('the key given to the box is copied: changing the caller\'s buffer later does not change the box', () => {
  const mine = Buffer.from(key);
  const own = new SecretBox(mine);
  const sealed = own.seal(secret, 'f');
  mine.fill(0);
  assert.deepEqual(own.open(sealed, 'f'), secret);
});
