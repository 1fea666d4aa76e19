/** `hermes-onboard status` as a real child process: the providers of a profile before and after a terminal sign-in, as text and as JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ProvidersPayload } from '../../src/contract.js';
import { startCodexFake } from '../fakes/codexFake.js';
import { assertNoLeak, guarded } from '../helpers/harness.js';
import { allProviders } from '../../src/providers/index.js';
import { tempDir } from '../store/helpers.js';
import { runCli, runToEnd, waitForCode } from './cliRun.js';

/** The table row of a provider id. */
function row(stdout: string, id: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${id} `));
  assert.ok(line, `a row for ${id} in:\n${stdout}`);
  return line;
}

test('status lists every provider, not connected before and connected with the account after a sign-in (text and --json)', async (t) => {
  const fake = await startCodexFake({ interval: 1 });
  t.after(() => fake.close());
  const root = tempDir(t, 'hermes-cli-status-');
  mkdirSync(path.join(root, 'profiles', 'work'), { recursive: true });
  const env = { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer };
  const status = (...args: string[]) => runToEnd(t, root, ['status', '--home', root, '--profile', 'work', ...args], env);

  const before = await status();
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, new RegExp(`^Profile: work \\(${path.join(root, 'profiles', 'work')}\\)\\n`));
  assert.match(row(before.stdout, 'openai-codex'), /OpenAI Codex.*\s not connected$/);
  assert.match(row(before.stdout, 'qwen-oauth'), /not connected \(use `hermes auth add qwen-oauth`\)$/);
  // Google's login is not under `hermes auth add` in Hermes Agent: it runs from `hermes model`
  assert.match(row(before.stdout, 'google-gemini-cli'), /not connected \(use `hermes model`\)$/);
  const beforeJson = JSON.parse((await status('--json')).stdout) as ProvidersPayload;
  assert.equal(beforeJson.profile, 'work');
  assert.deepEqual(beforeJson.providers.map((p) => p.id), allProviders.map((p) => p.id));
  assert.deepEqual(beforeJson.providers.slice(0, 7).map((p) => p.id), ['openai-codex', 'openrouter', 'anthropic', 'nous', 'xai-oauth', 'copilot', 'minimax-oauth']);
  assert.ok(beforeJson.providers.every((p) => !p.connected && p.accounts.length === 0));

  const login = runCli(t, root, ['login', 'openai-codex', '--home', root, '--profile', 'work'], env);
  const code = await waitForCode(login);
  fake.approve(code, { email: 'grace@example.com', plan: 'pro' });
  assert.deepEqual(await guarded(login.exited, 'login to finish', 15_000), { code: 0, signal: null }, login.stderr());

  const after = await status();
  assert.equal(after.code, 0, after.stderr);
  assert.match(row(after.stdout, 'openai-codex'), /\sconnected\s+\* Codex OAuth \(grace@example\.com\) · grace@example\.com · pro\s+ok\s+device_code\s+\d{4}-\d\d-\d\d \d\d:\d\dZ$/);
  assert.match(after.stdout, /\n\* = the account Hermes Agent uses first\n/);
  assert.match(row(after.stdout, 'nous'), /not connected$/);
  const afterJson = JSON.parse((await status('--json')).stdout) as ProvidersPayload;
  const codex = afterJson.providers.find((p) => p.id === 'openai-codex');
  assert.equal(codex?.connected, true);
  assert.deepEqual(codex?.accounts.map(({ label, email, plan }) => ({ label, email, plan })), [
    { label: 'Codex OAuth (grace@example.com)', email: 'grace@example.com', plan: 'pro' },
  ]);
  assertNoLeak([after.stdout, JSON.stringify(afterJson)], fake.issued);

  const root2 = await status('--profile', 'default');
  assert.match(root2.stdout, /^Profile: default /, 'the root profile is separate');
  assert.match(row(root2.stdout, 'openai-codex'), /not connected$/);
});

test('status with a stray argument or a bad profile name exits 2', async (t) => {
  const root = tempDir(t, 'hermes-cli-status-');
  assert.equal((await runToEnd(t, root, ['status', 'extra', '--home', root])).code, 2);
  const bad = await runToEnd(t, root, ['status', '--home', root, '--profile', 'Bad/Name']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a valid profile name/);
});
