/**
 * `hermes-onboard logout` and `status` as real child processes against fixture homes in Hermes Agent's
 * shapes: health in the table and in --json, one account removed by label or id, a provider signed out
 * (Copilot's .env line only), revocation against the Codex revoke fake with its warning, and the exit codes
 * of an unknown account and bad usage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProvidersPayload } from '../../src/contract.js';
import { startCodexRevokeFake } from '../fakes/codexRevokeFake.js';
import { assertNoLeak } from '../helpers/harness.js';
import { tempDir } from '../store/helpers.js';
import { codexEntry } from '../store/lifecycleFixtures.js';
import { runToEnd } from './cliRun.js';

const NOW = Math.floor(Date.now() / 1000);

function writeHome(root: string): void {
  const store = {
    version: 1,
    active_provider: 'openai-codex',
    providers: {},
    credential_pool: {
      'openai-codex': [
        codexEntry('ada001', 0, 'ada@example.com', { exp: NOW + 86_400, extra: { label: 'Work', last_status: 'exhausted', last_status_at: NOW - 60, last_error_code: 429, last_error_reason: 'usage_limit_reached', last_error_reset_at: NOW + 3600 } }),
        codexEntry('bob002', 1, 'bob@example.com', { exp: NOW + 86_400, extra: { last_status: 'dead', last_status_at: NOW - 60, last_error_code: 401, last_error_reason: 'token_revoked' } }),
        codexEntry('eve003', 2, 'eve@example.com', { exp: NOW + 86_400 }),
      ],
    },
  };
  writeFileSync(path.join(root, 'auth.json'), JSON.stringify(store, null, 2), { mode: 0o600 });
}

const SECRETS = ['rt-ada001-0123456789', 'rt-bob002-0123456789', 'rt-eve003-0123456789', 'ghu_abcdefghijklmnop'];

function pool(root: string): Array<Record<string, unknown>> {
  return JSON.parse(readFileSync(path.join(root, 'auth.json'), 'utf8')).credential_pool['openai-codex'];
}

test('status shows each account\'s health, source and expiry, and which one Hermes Agent uses first; --json is the API payload', async (t) => {
  const root = tempDir(t, 'hermes-cli-health-');
  writeHome(root);
  const text = await runToEnd(t, root, ['status', '--home', root]);
  assert.equal(text.code, 0, text.stderr);
  const line = (id: string) => text.stdout.split('\n').find((l) => l.includes(id)) ?? assert.fail(`a line for ${id} in:\n${text.stdout}`);
  assert.match(line('Work'), /^openai-codex\s.*\sconnected\s+ {2}Work · ada@example\.com\s+exhausted: rate-limited until \d{4}-\d\d-\d\d \d\d:\d\dZ\s+device_code\s+\d{4}-/);
  assert.match(line('bob@example.com'), /dead: token_revoked \(sign in again\)\s+device_code/);
  assert.match(line('eve@example.com'), /\* Codex OAuth \(eve@example\.com\) · eve@example\.com\s+ok\s+device_code/);
  const json = JSON.parse((await runToEnd(t, root, ['status', '--home', root, '--json'])).stdout) as ProvidersPayload;
  const codex = json.providers.find((p) => p.id === 'openai-codex')!;
  assert.deepEqual(codex.accounts.map((a) => [a.id, a.health, a.relogin_required, a.used_first ?? false]), [
    ['ada001', 'exhausted', false, false],
    ['bob002', 'dead', true, false],
    ['eve003', 'ok', false, true],
  ]);
  assertNoLeak([text.stdout, JSON.stringify(json)], SECRETS);
});

test('logout --account removes one account by label or id (no question from a script), and the rest stay', async (t) => {
  const root = tempDir(t, 'hermes-cli-logout-');
  writeHome(root);
  const byLabel = await runToEnd(t, root, ['logout', 'codex', '--account', 'work', '--home', root]);
  assert.equal(byLabel.code, 0, byLabel.stderr);
  assert.match(byLabel.stdout, /^Removed Work \(ada001\) from OpenAI Codex \(ChatGPT\) in profile default\.$/m);
  assert.deepEqual(pool(root).map((e) => [e.id, e.priority]), [['bob002', 0], ['eve003', 1]]);

  const byId = await runToEnd(t, root, ['logout', 'openai-codex', '--account', 'eve003', '--home', root, '--yes']);
  assert.equal(byId.code, 0, byId.stderr);
  assert.deepEqual(pool(root).map((e) => e.id), ['bob002']);

  const unknown = await runToEnd(t, root, ['logout', 'openai-codex', '--account', 'nope00', '--home', root]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no account "nope00"/);
  const usage = await runToEnd(t, root, ['logout', '--home', root]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /Name the provider/);
  assert.deepEqual(pool(root).map((e) => e.id), ['bob002'], 'errors changed nothing');
  assertNoLeak([byLabel.stdout, byId.stdout, unknown.stderr], SECRETS);
});

test('logout <provider> signs it out: Copilot leaves .env keeping every other byte', async (t) => {
  const root = tempDir(t, 'hermes-cli-logout-copilot-');
  writeFileSync(path.join(root, '.env'), 'A=1\nCOPILOT_GITHUB_TOKEN=ghu_abcdefghijklmnop\n# keep\n');
  const run = await runToEnd(t, root, ['logout', 'copilot', '--home', root]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Removed GitHub token in \.env \(env\) from GitHub Copilot/);
  assert.equal(readFileSync(path.join(root, '.env'), 'utf8'), 'A=1\n# keep\n');
  assertNoLeak([run.stdout, run.stderr], SECRETS);
});

test('logout --revoke warns that every device is signed out, revokes at OpenAI, then removes', async (t) => {
  const fake = await startCodexRevokeFake();
  t.after(() => fake.close());
  fake.grant('rt-eve003-0123456789');
  const root = tempDir(t, 'hermes-cli-revoke-');
  writeHome(root);
  const run = await runToEnd(t, root, ['logout', 'openai-codex', '--account', 'eve003', '--revoke', '--home', root], { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /every device and program using it is signed out/);
  assert.match(run.stdout, /revoked at the provider/);
  assert.deepEqual(fake.revoked, ['rt-eve003-0123456789']);
  assert.deepEqual(pool(root).map((e) => e.id), ['ada001', 'bob002']);
  assertNoLeak([run.stdout, run.stderr], SECRETS);
});
