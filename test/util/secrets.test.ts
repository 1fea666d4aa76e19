import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailure, isSecretField, safeMessage, scrubText } from '../../src/util/secrets.js';

test('scrubText masks tokens, codes and verifiers wherever they appear', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  const opaque = 'rt_GW3Plu0YLUerX8UHeLXuN9tSr0WafSIIDboPCzoRePI';
  const text = `Bearer abc.def ${jwt} code=SplxlOBe&x=1 "code_verifier": "v3r1f13r" device_code: dc-123 ${opaque}`;
  const scrubbed = scrubText(text);
  for (const secret of ['abc.def', jwt, 'SplxlOBe', 'v3r1f13r', 'dc-123', opaque]) assert.ok(!scrubbed.includes(secret), secret);
});

test('safeMessage keeps our own words: hosts, ports, paths, setting names and error codes', () => {
  const ours = [
    'Could not reach 127.0.0.1:45255 (ECONNREFUSED). Try again in a few minutes.',
    'HERMES_ONBOARD_OPENAI_CODEX_ISSUER uses plain http:// for a non-loopback host; use https:// instead.',
    'auth.openai.com/api/accounts/deviceauth/usercode answered HTTP 502.',
    'The usercode: request failed (unsupported_grant_type).',
  ];
  for (const message of ours) assert.equal(safeMessage(message), message);
});

test('safeMessage is one line of at most 200 characters', () => {
  const long = safeMessage(`line one\nline two ${'word '.repeat(100)}`);
  assert.ok(long.length <= 200);
  assert.ok(!long.includes('\n'));
  assert.ok(long.endsWith('…'));
});

test('describeFailure keeps the errno code (not a secret) and a scrubbed message', () => {
  const error = Object.assign(new Error('EACCES: permission denied, open /h/auth.json token=abcdef'), { code: 'EACCES' });
  const d = describeFailure(error);
  assert.equal(d.errno, 'EACCES');
  assert.equal(d.type, 'Error');
  assert.ok(!d.message.includes('abcdef'));
  assert.equal(describeFailure(Object.assign(new Error('x'), { code: 'sk-live-secret' })).errno, undefined);
});

test('isSecretField knows token-like names but not token_type', () => {
  for (const name of ['access_token', 'refresh_token', 'id_token', 'device_code', 'code_verifier', 'agent_key', 'Authorization']) assert.ok(isSecretField(name), name);
  for (const name of ['token_type', 'user_code', 'verification_uri', 'expires_in']) assert.ok(!isSecretField(name), name);
});
