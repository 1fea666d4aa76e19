import { test } from 'node:test';
import { accountView } from '../../src/server/presenters.js';
import { loadConfig } from '../../src/config.js';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { poolAccountViews, savePoolAccount } from '../../src/providers/poolCredentials.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../store/helpers.js';

test('signing in again clears a benched entry\'s health fields and keeps its id, priority and unknown keys', async (t) => {
  const home = tempDir(t, 'pool-');
  const dead = {
    id: 'abc123', label: 'old', auth_type: 'oauth', priority: 3, source: 'manual:device_code', access_token: 'old-at',
    last_status: 'dead', last_status_at: 1790000000, last_error_code: 401, last_error_reason: 'token_invalidated',
    last_error_message: 'invalidated', last_error_reset_at: null, request_count: 7, custom_note: 'kept',
  };
  await writeFile(path.join(home, 'auth.json'), JSON.stringify({ version: 1, credential_pool: { demo: [dead] } }));
  const ctx = { clock: new ManualClock(), config: loadConfig({}), logger: silentLogger() };
  await savePoolAccount(ctx, home, 'demo', { label: 'new' }, (entries) => entries[0], (nowIso, priority) => ({
    id: 'fresh', label: 'new', priority, access_token: 'new-at', updated_at: nowIso,
  }));
  const saved = JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8')).credential_pool.demo;
  assert.equal(saved.length, 1);
  assert.equal(saved[0].id, 'abc123');
  assert.equal(saved[0].priority, 3);
  assert.equal(saved[0].access_token, 'new-at');
  assert.equal(saved[0].custom_note, 'kept');
  assert.equal(saved[0].request_count, 7);
  for (const field of ['last_status', 'last_status_at', 'last_error_code', 'last_error_reason', 'last_error_message']) {
    assert.equal(saved[0][field], null, `${field} is reset`);
  }
  const views = (await poolAccountViews(home, 'demo')).map(accountView);
  assert.deepEqual(views, [{ id: 'abc123', label: 'new' }]);
});
