/** Removing `.env` lines keeps the hardening of setEnvValue: links and special files are refused, names are names. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { removeEnvValues } from '../../src/store/envFile.js';
import { removeAccount } from '../../src/store/removal.js';
import { UnsafeFileError } from '../../src/store/safeOpen.js';
import { tempDir } from './helpers.js';

test('removeEnvValues refuses a symlinked .env and leaves the file it points to alone', async (t) => {
  const home = tempDir(t, 'env-rm-');
  const outside = path.join(tempDir(t, 'env-rm-outside-'), 'victim');
  await fsp.writeFile(outside, 'ANTHROPIC_API_KEY=keep\nOTHER=1\n');
  await fsp.symlink(outside, path.join(home, '.env'));
  await assert.rejects(removeEnvValues(path.join(home, '.env'), ['ANTHROPIC_API_KEY']), UnsafeFileError);
  assert.equal(await fsp.readFile(outside, 'utf8'), 'ANTHROPIC_API_KEY=keep\nOTHER=1\n');
});

test('removeEnvValues refuses a FIFO .env at once instead of blocking while holding auth.lock', async (t) => {
  const home = tempDir(t, 'env-rm-');
  execFileSync('mkfifo', [path.join(home, '.env')]);
  await assert.rejects(removeEnvValues(path.join(home, '.env'), ['ANTHROPIC_API_KEY']), UnsafeFileError);
});

test('removing an account whose source names no variable (env:.*) leaves .env byte for byte', async (t) => {
  const home = tempDir(t, 'env-rm-');
  const env = 'OPENAI_API_KEY=sk-keep\n# note\nOTHER=1\n';
  await fsp.writeFile(path.join(home, '.env'), env);
  await fsp.writeFile(
    path.join(home, 'auth.json'),
    JSON.stringify({ version: 1, providers: {}, credential_pool: { openrouter: [{ id: 'abc123', label: 'x', source: 'env:.*', auth_type: 'api_key', access_token: 'sk-or-x' }] } }),
  );
  const outcome = await removeAccount(home, 'openrouter', 'abc123');
  assert.deepEqual(outcome.removed.map((r) => r.id), ['abc123']);
  assert.equal(await fsp.readFile(path.join(home, '.env'), 'utf8'), env);
});
