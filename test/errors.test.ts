/** The error catalogue: every error maps to one row (status, exit code, message), keeps its cause, and hides what it must. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, ConfigError, ERROR_CATALOGUE, ERROR_CODES, FlowLimitError, FlowStartError, OnboardError, ServerClosingError, UsageError } from '../src/errors.js';
import { ProfileError, StoreError, StoreShapeError } from '../src/store/index.js';
import { StoreLockTimeoutError } from '../src/store/lock.js';

test('every row has a status, an exit code and a message that ends a sentence', () => {
  for (const code of ERROR_CODES) {
    const row = ERROR_CATALOGUE[code];
    assert.ok(row.status >= 400 && row.status < 600, code);
    assert.ok(Number.isInteger(row.exit) && row.exit > 0, code);
    assert.match(row.message, /[.)]$/, code);
  }
});

test('the program\'s own errors keep their codes, statuses, exit codes, headers and causes', () => {
  const cause = new Error('root cause');
  const cases: Array<[Error, string, number, number]> = [
    [new FlowLimitError('Too many.'), 'too_many_pending', 429, 1],
    [new ServerClosingError(), 'server_closing', 503, 130],
    [new FlowStartError('OpenAI is busy.', { cause }), 'provider_failed', 502, 1],
    [new ConfigError('HERMES_ONBOARD_PORT must be a whole number.'), 'config_invalid', 500, 2],
    [new UsageError('login takes one provider.'), 'usage', 400, 2],
  ];
  for (const [error, code, status, exit] of cases) {
    const c = classify(error);
    assert.deepEqual([c.code, c.status, c.exit, c.message], [code, status, exit, error.message]);
  }
  assert.equal(new FlowStartError('x', { cause }).cause, cause);
  assert.equal(classify(new FlowLimitError()).headers['retry-after'], '30');
  assert.equal(classify(new ServerClosingError()).headers['retry-after'], '5');
  assert.equal(classify(new OnboardError('rate_limited', 'wait', { headers: { 'retry-after': '7' } })).headers['retry-after'], '7');
});

test('store, profile, Node and fastify errors are recognised; unexpected ones say nothing of themselves', () => {
  assert.equal(classify(new StoreLockTimeoutError('/h/auth.lock', 15_000)).code, 'store_locked');
  assert.equal(classify(new StoreShapeError('providers', 'an object')).code, 'store_malformed');
  assert.equal(classify(new StoreError('x')).code, 'store_failed');
  const profile = classify(new ProfileError('"X" is not a valid profile name.'));
  assert.deepEqual([profile.code, profile.status, profile.exit], ['invalid_profile', 400, 2]);
  const inUse = classify(Object.assign(new Error('listen EADDRINUSE 127.0.0.1:8788'), { code: 'EADDRINUSE' }));
  assert.deepEqual([inUse.code, inUse.exit], ['address_in_use', 1]);
  assert.match(inUse.message, /--port 0/);
  const parse = classify(Object.assign(new Error("Unknown option '--nope'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }));
  assert.deepEqual([parse.code, parse.exit, parse.message], ['usage', 2, "Unknown option '--nope'"]);
  const tooLarge = classify(Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }));
  assert.deepEqual([tooLarge.status, tooLarge.message], [413, 'The request body is larger than 16 KiB.']);
  const bug = classify(new TypeError("Cannot read properties of undefined (reading 'access_token') eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."));
  assert.deepEqual([bug.code, bug.status, bug.message], ['internal', 500, 'The server hit an unexpected error; see its log.']);
});

test('a store message that quotes a token is scrubbed before anyone sees it', () => {
  const leaky = new StoreError('auth.json: cannot write access_token=sk-abcdefghijklmnopqrstuvwxyz0123456789');
  assert.doesNotMatch(classify(leaky).message, /sk-abcdefghijklmnopqrstuvwxyz/);
});
