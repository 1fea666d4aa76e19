/**
 * The new sign-ins from the terminal, as real child processes against the real fakes: `login openrouter`
 * through its 127.0.0.1 callback and with a pasted code read from stdin, `login minimax-oauth --region cn`,
 * `login anthropic --clear-env-keys` waiting for Claude Code's file, and `add-key` reading the key from
 * stdin (never argv). No secret is ever printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startMinimaxFake } from '../fakes/minimaxFake.js';
import { startModelsFake } from '../fakes/modelsFake.js';
import { startOpenRouterFake } from '../fakes/openrouterFake.js';
import { assertNoLeak, guarded } from '../helpers/harness.js';
import { tempDir } from '../store/helpers.js';
import { runCli, waitForCode } from './cliRun.js';

const END_GUARD_MS = 20_000;
/** Not in an SSH session, whatever the machine running the tests is in. */
const LOCAL = { SSH_CONNECTION: '', SSH_TTY: '', SSH_CLIENT: '' };
const AUTH_URL_RE = /Open this address[^\n]*\n\n\s+(\S+)\n/;

async function authJson(home: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'));
}

test('login openrouter on the same machine: the browser comes back to a 127.0.0.1 callback and the key is saved', async (t) => {
  const fake = await startOpenRouterFake();
  t.after(() => fake.close());
  const home = tempDir(t, 'hermes-cli-or-');
  const run = runCli(t, home, ['login', 'openrouter', '--home', home], { ...LOCAL, HERMES_ONBOARD_OPENROUTER_ISSUER: fake.site });
  const address = (await run.waitFor(AUTH_URL_RE))[1]!;
  const callback = new URL(new URL(address).searchParams.get('callback_url')!);
  assert.equal(callback.hostname, '127.0.0.1');
  const page = await fetch(address);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Connected to OpenRouter/);
  assert.deepEqual(await guarded(run.exited, 'login to finish', END_GUARD_MS), { code: 0, signal: null }, run.stderr());
  assert.match(run.stdout(), /Signed in as openrouter-oauth-1/);
  const auth = await authJson(home);
  assert.equal(auth.credential_pool.openrouter[0].access_token, fake.keys[0]);
  assert.equal(auth.credential_pool.openrouter[0].source, 'manual:openrouter_pkce');
  assertNoLeak([run.stdout(), run.stderr()], fake.issued);
});

test('login openrouter --paste: no callback in the address; the code is read from stdin and never printed', async (t) => {
  const fake = await startOpenRouterFake();
  t.after(() => fake.close());
  const home = tempDir(t, 'hermes-cli-or-');
  const run = runCli(t, home, ['login', 'openrouter', '--paste', '--home', home], { ...LOCAL, HERMES_ONBOARD_OPENROUTER_ISSUER: fake.site });
  const address = new URL((await run.waitFor(AUTH_URL_RE))[1]!);
  assert.equal(address.searchParams.get('callback_url'), null, 'OpenRouter shows the code instead');
  assert.equal(address.searchParams.get('key_label'), 'hermes-agent');
  const code = fake.codeFor(address.searchParams.get('code_challenge')!);
  run.proc.stdin.end(`${code}\n`);
  assert.deepEqual(await guarded(run.exited, 'login to finish', END_GUARD_MS), { code: 0, signal: null }, run.stderr());
  assert.equal((await authJson(home)).credential_pool.openrouter[0].access_token, fake.keys[0]);
  assertNoLeak([run.stdout(), run.stderr()], fake.issued);
});

test('login minimax-oauth --region cn: device code against the fake, saved with the China region; a bad region exits 2', async (t) => {
  const fake = await startMinimaxFake();
  t.after(() => fake.close());
  const home = tempDir(t, 'hermes-cli-mm-');
  const env = { HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER: fake.portal };
  const bad = runCli(t, home, ['login', 'minimax-oauth', '--region', 'eu', '--home', home], env);
  assert.equal((await guarded(bad.exited, 'login to refuse', END_GUARD_MS)).code, 2);
  assert.match(bad.stderr(), /--region global or --region cn/);

  const run = runCli(t, home, ['login', 'minimax-oauth', '--region', 'cn', '--home', home], env);
  const code = await waitForCode(run);
  const tokens = fake.approve(code);
  assert.deepEqual(await guarded(run.exited, 'login to finish', END_GUARD_MS), { code: 0, signal: null }, run.stderr());
  const state = (await authJson(home)).providers['minimax-oauth'];
  assert.equal(state.region, 'cn');
  assert.equal(state.access_token, tokens.accessToken);
  assertNoLeak([run.stdout(), run.stderr()], fake.issued);
});

test('login anthropic --clear-env-keys: waits for Claude Code\'s file with progress, then links it and drops the .env keys', async (t) => {
  const user = tempDir(t, 'hermes-cli-cc-');
  const home = path.join(user, '.hermes');
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, '.env'), 'KEEP=1\nANTHROPIC_API_KEY=sk-ant-api03-old\n');
  const claudeDir = path.join(user, '.claude');
  const run = runCli(t, user, ['login', 'anthropic', '--clear-env-keys', '--home', home], { CLAUDE_CONFIG_DIR: claudeDir });
  await run.waitFor(/claude login/);
  await run.waitFor(/Waiting for the credential to appear/);
  mkdirSync(claudeDir, { recursive: true });
  const access = 'sk-ant-oat01-cli-linked-token-0123456789';
  writeFileSync(path.join(claudeDir, '.credentials.tmp'), JSON.stringify({ claudeAiOauth: { accessToken: access, refreshToken: 'rt-cli-0123456789', expiresAt: Date.now() + 3_600_000 } }));
  renameSync(path.join(claudeDir, '.credentials.tmp'), path.join(claudeDir, '.credentials.json'));
  assert.deepEqual(await guarded(run.exited, 'login to finish', END_GUARD_MS), { code: 0, signal: null }, run.stderr());
  assert.match(run.stdout(), /Signed in as Claude Code \(linked\)/);
  assert.equal(await readFile(path.join(home, '.env'), 'utf8'), 'KEEP=1\n');
  assert.equal((await authJson(home)).credential_pool.anthropic[0].source, 'claude_code_linked');
  assertNoLeak([run.stdout(), run.stderr(), await readFile(path.join(home, 'auth.json'), 'utf8')], [access, 'rt-cli-0123456789']);
});

test('add-key reads the key from stdin, checks it, saves it with only a hint printed; a rejected key exits 1; a key in argv is refused', async (t) => {
  const good = 'sk-cli-deepseek-good-0123456789';
  const models = await startModelsFake(good);
  t.after(() => models.close());
  const home = tempDir(t, 'hermes-cli-key-');
  const env = { HERMES_ONBOARD_DEEPSEEK_BASE_URL: models.base('bearer') };

  // (a throwaway value: even a test keeps real keys out of argv)
  const argv = runCli(t, home, ['add-key', 'deepseek', 'sk-throwaway-in-argv-0000', '--home', home], env);
  assert.equal((await guarded(argv.exited, 'add-key to refuse', END_GUARD_MS)).code, 2);
  assert.match(argv.stderr(), /never from the command line/);
  assert.doesNotMatch(argv.stderr(), /sk-throwaway/);

  const bad = runCli(t, home, ['add-key', 'deepseek', '--home', home], env);
  bad.proc.stdin.end('sk-cli-deepseek-wrong-000000000\n');
  assert.equal((await guarded(bad.exited, 'add-key to fail', END_GUARD_MS)).code, 1);
  assert.match(bad.stderr(), /rejected the key \(HTTP 401\).*Nothing was saved/);

  const run = runCli(t, home, ['add-key', 'deepseek', '--label', 'laptop', '--home', home], env);
  run.proc.stdin.end(`${good}\n`);
  assert.deepEqual(await guarded(run.exited, 'add-key to finish', END_GUARD_MS), { code: 0, signal: null }, run.stderr());
  assert.match(run.stdout(), /Added DeepSeek key sk-…6789 as "laptop"/);
  const [entry] = (await authJson(home)).credential_pool.deepseek;
  assert.equal(entry.access_token, good);
  assert.equal(entry.source, 'manual');
  assert.equal(entry.label, 'laptop');
  assertNoLeak([run.stdout(), run.stderr(), bad.stdout(), bad.stderr(), argv.stderr()], [good, 'sk-cli-deepseek-wrong-000000000']);
});
