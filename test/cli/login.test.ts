/**
 * `hermes-onboard login <provider>` as a real child process against the real fakes: it prints the address and
 * the code, waits, saves on approval (exit 0), reports a denial (exit 1), cancels on Ctrl-C (exit 130, nothing
 * written), refuses unknown providers (exit 2), and never prints a secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import QRCode from 'qrcode';
import { startCodexFake } from '../fakes/codexFake.js';
import { startNousFake } from '../fakes/nousFake.js';
import { assertNoLeak, guarded } from '../helpers/harness.js';
import { tempDir } from '../store/helpers.js';
import { runCli, runToEnd, waitForCode, type CliRun } from './cliRun.js';

/** The address line under "Open this address". */
const ADDRESS_RE = /Open this address[^\n]*\n\n\s+(\S+)\n/;
/** Longest a sign-in with a 1 s poll interval may take to end after approval. */
const END_GUARD_MS = 15_000;

/** Waits for the printed code and address. */
async function instructions(run: CliRun): Promise<{ code: string; address: string }> {
  const code = await waitForCode(run);
  const address = (await run.waitFor(ADDRESS_RE))[1]!;
  return { code, address };
}

test('login openai-codex: prints the address, code and QR, saves on approval, exits 0, prints no secret', async (t) => {
  const fake = await startCodexFake({ interval: 1 });
  t.after(() => fake.close());
  const home = tempDir(t, 'hermes-cli-login-');
  const run = runCli(t, home, ['login', 'codex', '--home', home, '--qr'], { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer });

  const { code, address } = await instructions(run);
  assert.deepEqual(fake.userCodes(), [code], 'the printed code is the one the provider issued');
  assert.match(address, /^https?:\/\//);
  await run.waitFor(/Waiting for you to approve/);
  const qr = await QRCode.toString(address, { type: 'terminal', small: true });
  assert.ok(run.stdout().includes(qr), 'the QR code of the printed address is drawn (--qr)');

  fake.approve(code, { email: 'ada@example.com' });
  const end = await guarded(run.exited, 'login to finish after approval', END_GUARD_MS);
  assert.deepEqual(end, { code: 0, signal: null }, run.stderr());
  const authFile = path.join(home, 'auth.json');
  assert.match(run.stdout(), new RegExp(`Signed in as Codex OAuth \\(ada@example\\.com\\) — saved to ${authFile.replace(/[.\\]/g, '\\$&')}\\n$`));
  const store = JSON.parse(await readFile(authFile, 'utf8')) as { credential_pool: Record<string, Array<{ label: string }>> };
  assert.deepEqual(store.credential_pool['openai-codex']?.map((e) => e.label), ['Codex OAuth (ada@example.com)']);
  assert.ok(fake.issued.length > 0);
  assertNoLeak([run.stdout(), run.stderr()], fake.issued);
  assert.equal(run.stdout().split('Waiting for you to approve').length, 2, 'off a terminal the status line is printed once');
  assert.equal(run.stderr(), '', 'nothing below warn is logged');
});

test('login nous: a denied sign-in exits 1 with the message; the device code is never printed', async (t) => {
  const fake = await startNousFake({ interval: 1 });
  t.after(() => fake.close());
  const home = tempDir(t, 'hermes-cli-login-');
  const run = runCli(t, home, ['login', 'nous', '--home', home], { HERMES_ONBOARD_NOUS_ISSUER: fake.url });

  const { code, address } = await instructions(run);
  const record = fake.record(code);
  assert.equal(address, `${fake.url}/device?user_code=${code}`, 'the complete verification address is shown');
  assert.ok(!run.stdout().includes('▄'), 'no QR code off a terminal without --qr');
  fake.deny(code);
  const end = await guarded(run.exited, 'login to finish after the denial', END_GUARD_MS);
  assert.deepEqual(end, { code: 1, signal: null });
  assert.match(run.stderr(), /The sign-in was denied\. Try again and approve it\./);
  assert.equal(existsSync(path.join(home, 'auth.json')), false);
  assert.ok(!(run.stdout() + run.stderr()).includes(record.deviceCode), 'the device code is never printed');
});

test('login: Ctrl-C while waiting cancels the flow, writes nothing, prints "Cancelled." and exits 130', async (t) => {
  const fake = await startCodexFake({ interval: 1 });
  t.after(() => fake.close());
  const home = tempDir(t, 'hermes-cli-login-');
  const run = runCli(t, home, ['login', 'openai-codex', '--home', home], { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer });

  await instructions(run);
  await run.waitFor(/Waiting for you to approve/);
  run.proc.kill('SIGINT');
  const end = await guarded(run.exited, 'login to exit after SIGINT');
  assert.deepEqual(end, { code: 130, signal: null }, 'handled SIGINT instead of dying of it');
  assert.match(run.stderr(), /^Cancelled\.\n$/);
  assert.equal(existsSync(path.join(home, 'auth.json')), false, 'nothing written');
});

test('login: unknown, unsupported or missing providers exit 2 and list the supported ids', async (t) => {
  const home = tempDir(t, 'hermes-cli-login-');
  for (const args of [['login', 'nope'], ['login', 'qwen'], ['login']]) {
    const end = await runToEnd(t, home, [...args, '--home', home]);
    assert.equal(end.code, 2, `${args.join(' ')}: ${end.stderr}`);
    assert.match(end.stderr, /openai-codex, openrouter, anthropic, nous, xai-oauth, copilot, minimax-oauth/);
    assert.equal(end.stdout, '');
  }
  // a provider that takes only a key points to add-key; a flag for another provider is refused
  const keyOnly = await runToEnd(t, home, ['login', 'deepseek', '--home', home]);
  assert.equal(keyOnly.code, 2);
  assert.match(keyOnly.stderr, /hermes-onboard add-key deepseek/);
  const wrongFlag = await runToEnd(t, home, ['login', 'codex', '--region', 'cn', '--home', home]);
  assert.equal(wrongFlag.code, 2);
  assert.match(wrongFlag.stderr, /--region applies to minimax-oauth only/);
});

test('login into a profile that does not exist exits 2 and says how to create it', async (t) => {
  const home = tempDir(t, 'hermes-cli-login-');
  const end = await runToEnd(t, home, ['login', 'codex', '--home', home, '--profile', 'work']);
  assert.equal(end.code, 2);
  assert.match(end.stderr, /Profile "work" does not exist.*hermes profile create work/);
});
