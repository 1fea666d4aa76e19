/** savePoolLogin: a device-code login renews its account's entry the way `hermes auth reauth` does. */
import { test } from 'node:test';
import type { AccountView } from '../../src/providers/types.js';
import { loadConfig } from '../../src/config.js';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { poolAccountViews, savePoolLogin, type PoolLogin } from '../../src/providers/poolCredentials.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../store/helpers.js';

/** What a listing shows of a provider's account: id, label, email and plan (never a secret). */
const shown = ({ id, label, email, plan }: AccountView) => ({ id, label, ...(email && { email }), ...(plan && { plan }) });

/** A login whose owner is told by the `owner` field of a stored credential (standing in for token claims). */
function login(owner: string, accessToken: string): PoolLogin {
  return {
    provider: 'demo',
    accessToken,
    refreshToken: `${accessToken}-rt`,
    singletonTokens: { access_token: accessToken, refresh_token: `${accessToken}-rt` },
    authMode: 'demo',
    baseUrl: 'https://demo.invalid',
    sameAccount: (stored) => (typeof stored.owner === 'string' ? stored.owner === owner : undefined),
    ownerUnknown: false,
    ownerHints: { owner },
    label: `Demo (${owner})`,
  };
}

test('signing in again renews a benched entry in place: id, label, priority and unknown keys kept, health cleared', async (t) => {
  const home = tempDir(t, 'pool-');
  const dead = {
    id: 'abc123', label: 'my label', auth_type: 'oauth', priority: 3, source: 'manual:device_code', access_token: 'old-at',
    refresh_token: 'old-rt', owner: 'ada',
    last_status: 'dead', last_status_at: 1790000000, last_error_code: 401, last_error_reason: 'token_invalidated',
    last_error_message: 'invalidated', last_error_reset_at: null, request_count: 7, custom_note: 'kept',
  };
  const copy = { ...dead, id: 'copy01', label: 'copy', priority: 4 };
  const other = { id: 'zzz999', label: 'bob', priority: 5, source: 'manual:device_code', access_token: 'bob-at', owner: 'bob' };
  await writeFile(path.join(home, 'auth.json'), JSON.stringify({ version: 1, credential_pool: { demo: [dead, copy, other] } }));
  const ctx = { clock: new ManualClock(), config: loadConfig({}), logger: silentLogger() };
  await savePoolLogin(ctx, home, login('ada', 'new-at'), { label: 'Demo (ada)' });
  const saved = JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'));
  const list = saved.credential_pool.demo;
  assert.deepEqual(list.map((e: { id: string }) => e.id), ['abc123', 'copy01', 'zzz999']);
  assert.equal(list[0].priority, 3);
  assert.equal(list[0].label, 'my label', 'the user\'s label is kept');
  assert.equal(list[0].access_token, 'new-at');
  assert.equal(list[0].custom_note, 'kept');
  assert.equal(list[0].request_count, 7);
  for (const field of ['last_status', 'last_status_at', 'last_error_code', 'last_error_reason', 'last_error_message']) {
    assert.equal(list[0][field], null, `${field} is reset`);
  }
  assert.equal(list[1].access_token, 'new-at', 'a copy holding the same refresh token is renewed too');
  assert.equal(list[2].access_token, 'bob-at', 'another account is untouched');
  assert.equal(saved.active_provider, undefined, 'a re-sign-in sets no active provider');
  assert.deepEqual((await poolAccountViews(home, 'demo')).map(shown), [
    { id: 'abc123', label: 'my label' },
    { id: 'copy01', label: 'copy' },
    { id: 'zzz999', label: 'bob' },
  ]);
});

test('a new account goes after the others, and the first credential sets active_provider when none is set', async (t) => {
  const home = tempDir(t, 'pool-');
  const ctx = { clock: new ManualClock(), config: loadConfig({}), logger: silentLogger() };
  await savePoolLogin(ctx, home, login('ada', 'ada-at'), { label: 'x' });
  await savePoolLogin(ctx, home, login('bob', 'bob-at'), { label: 'x' });
  const saved = JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'));
  assert.deepEqual(saved.credential_pool.demo.map((e: { label: string; priority: number; source: string; owner: string }) => [e.label, e.priority, e.source, e.owner]), [
    ['Demo (ada)', 0, 'manual:device_code', 'ada'],
    ['Demo (bob)', 1, 'manual:device_code', 'bob'],
  ]);
  assert.equal(saved.active_provider, 'demo');
});
