/** Claude Code link: locating and judging the credentials file (without reading the token out), waiting for it, linking. */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  claudeCodeActionRequired,
  claudeCodeCredentialsPath,
  inspectClaudeCodeCredentials,
  linkClaudeCode,
  pollClaudeCode,
  waitForClaudeCodeCredentials,
  CLAUDE_CODE_LINK_LABEL,
  type ClaudeCodeCredentialState,
} from '../../src/providers/claudeCode.js';
import { removeEnvLines } from '../../src/store/envFile.js';
import { ProviderError } from '../../src/providers/errors.js';
import type { ProviderContext } from '../../src/providers/types.js';
import { ManualClock } from '../helpers/clock.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { deferred } from '../helpers/deferred.js';
import { tempDir } from '../store/helpers.js';
import { loadConfig } from '../../src/config.js';

const ACCESS = 'sk-ant-oat01-ACCESS-TOKEN-NEVER-SHOWN-0123456789';
const REFRESH = 'sk-ant-ort01-REFRESH-TOKEN-NEVER-SHOWN-0123456789';
const NOW = Date.UTC(2026, 5, 1);

function credentials(fields: Record<string, unknown>): string {
  return JSON.stringify({ claudeAiOauth: { scopes: ['user:inference'], subscriptionType: 'max', ...fields }, other: 1 });
}

async function writeCredentials(dir: string, fields: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, '.credentials.json');
  await writeFile(`${file}.tmp`, credentials(fields));
  await rename(`${file}.tmp`, file); // appears whole, as Claude Code's atomic write does
  return file;
}

/** Fails when the token or refresh token shows up in `value`. */
function assertNoToken(value: unknown): void {
  const text = JSON.stringify(value) ?? String(value);
  assert.ok(!text.includes(ACCESS) && !text.includes(REFRESH), `a Claude Code token leaked into: ${text}`);
}

describe('claude code credentials file', () => {
  it('is $CLAUDE_CONFIG_DIR/.credentials.json (with ~ expanded), else ~/.claude/.credentials.json', () => {
    assert.equal(claudeCodeCredentialsPath(loadConfig({ HOME: '/home/ada' })), '/home/ada/.claude/.credentials.json');
    assert.equal(claudeCodeCredentialsPath(loadConfig({ HOME: '/home/ada', CLAUDE_CONFIG_DIR: '/etc/claude' })), '/etc/claude/.credentials.json');
    assert.equal(claudeCodeCredentialsPath(loadConfig({ HOME: '/home/ada', CLAUDE_CONFIG_DIR: '~/cc' })), '/home/ada/cc/.credentials.json');
    assert.equal(claudeCodeCredentialsPath(loadConfig({ CLAUDE_CONFIG_DIR: '  ', HOME: '/u' })), '/u/.claude/.credentials.json');
  });

  const cases: Array<[string, Record<string, unknown> | string | null, Partial<ClaudeCodeCredentialState>]> = [
    ['missing', null, { linkable: false, reason: 'missing' }],
    ['not JSON', '{oops', { linkable: false, reason: 'malformed' }],
    ['without claudeAiOauth', JSON.stringify({ primaryApiKey: 'x' }), { linkable: false, reason: 'no_oauth' }],
    ['with a refresh token but no access token (Hermes Agent reads nothing then)', { refreshToken: REFRESH }, { linkable: false, reason: 'no_oauth' }],
    ['expired without a refresh token', { accessToken: ACCESS, expiresAt: NOW - 1 }, { linkable: false, reason: 'expired' }],
    ['within the one-minute margin, no refresh token', { accessToken: ACCESS, expiresAt: NOW + 59_000 }, { linkable: false, reason: 'expired' }],
    ['expired with a refresh token', { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: NOW - 1 }, { linkable: true, accessTokenValid: false, refreshable: true }],
    ['unexpired', { accessToken: ACCESS, expiresAt: NOW + 61_000 }, { linkable: true, accessTokenValid: true, refreshable: false }],
    ['without expiresAt (a managed key)', { accessToken: ACCESS }, { linkable: true, accessTokenValid: true }],
  ];
  for (const [name, content, expected] of cases) {
    it(`judges a file ${name}, returning no token`, async (t: TestContext) => {
      const dir = tempDir(t);
      const file = path.join(dir, '.credentials.json');
      if (content !== null) await writeFile(file, typeof content === 'string' ? content : credentials(content));
      const state = await inspectClaudeCodeCredentials(file, NOW);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(state[key as keyof ClaudeCodeCredentialState], value, key);
      assert.equal(state.file, file);
      assertNoToken(state);
      if (!state.linkable) assertNoToken(claudeCodeActionRequired(state, 'box1'));
    });
  }

  it('refuses a FIFO at once (it could hold a thread forever) and a link (it could point anywhere)', { timeout: 10_000 }, async (t: TestContext) => {
    const dir = tempDir(t);
    const fifo = path.join(dir, '.credentials.json');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    assert.deepEqual(await inspectClaudeCodeCredentials(fifo, NOW), { linkable: false, file: fifo, reason: 'malformed' });
    const real = path.join(tempDir(t), 'real.json');
    await writeFile(real, credentials({ accessToken: ACCESS }));
    const link = path.join(tempDir(t), '.credentials.json');
    await symlink(real, link);
    assert.deepEqual(await inspectClaudeCodeCredentials(link, NOW), { linkable: false, file: link, reason: 'unreadable' });
  });

  it('tolerates a BOM, and says what to run on which host when nothing is linkable', async (t: TestContext) => {
    const dir = tempDir(t);
    const file = path.join(dir, '.credentials.json');
    await writeFile(file, `\uFEFF${credentials({ accessToken: ACCESS })}`);
    assert.equal((await inspectClaudeCodeCredentials(file, NOW)).linkable, true);
    const text = claudeCodeActionRequired({ linkable: false, file: '/x/.credentials.json', reason: 'missing' }, 'box1');
    assert.match(text, /claude login/);
    assert.match(text, /on box1/);
  });

  it('polls as a detect step: pending, then approved once the file appears (the grant names the file only)', async (t: TestContext) => {
    const home = tempDir(t);
    const ctx: ProviderContext = { clock: systemClock, config: loadConfig({ HOME: home }), logger: silentLogger() };
    assert.deepEqual(await pollClaudeCode(ctx), { kind: 'pending' });
    const file = await writeCredentials(path.join(home, '.claude'), { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: Date.now() + 3_600_000 });
    const outcome = await pollClaudeCode(ctx);
    assert.deepEqual(outcome, { kind: 'approved', grant: { file } });
  });
});

describe('waiting for claude code', () => {
  it('notices the file through fs.watch, even when its folder appears later', async (t: TestContext) => {
    const home = tempDir(t);
    const dir = path.join(home, '.claude');
    const clock = new ManualClock(NOW);
    const checks: ClaudeCodeCredentialState[] = [];
    const firstLook = deferred();
    const waiting = waitForClaudeCodeCredentials({
      file: path.join(dir, '.credentials.json'),
      clock,
      signal: new AbortController().signal,
      pollIntervalMs: 3_600_000, // the poll would not fire during this test: only watch events can end it
      onCheck: (s) => {
        checks.push(s);
        firstLook.resolve();
      },
    });
    await firstLook.promise;
    assert.equal(checks[0]?.linkable, false);
    await writeCredentials(dir, { accessToken: ACCESS, expiresAt: NOW + 3_600_000 });
    const state = await waiting;
    assert.equal(state.linkable, true);
    assertNoToken(state);
    assert.equal(clock.pendingTimers, 0, 'the poll timer is released');
  });

  it('falls back to polling on the injected clock when watching is off', async (t: TestContext) => {
    const home = tempDir(t);
    const dir = path.join(home, '.claude');
    const clock = new ManualClock(NOW);
    let checks = 0;
    const waiting = waitForClaudeCodeCredentials({ file: path.join(dir, '.credentials.json'), clock, signal: new AbortController().signal, watch: false, onCheck: () => checks++ });
    await clock.untilTimers(1);
    await writeCredentials(dir, { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: NOW - 1 });
    assert.equal(checks, 1, 'nothing looks again before the poll interval');
    await clock.advance(5_000);
    const state = await waiting;
    assert.equal(state.linkable, true);
    assert.equal(checks, 2);
    assert.equal(clock.pendingTimers, 0);
  });

  it('stops at once when aborted, releasing its timer, with the abort reason', async (t: TestContext) => {
    const home = tempDir(t);
    const clock = new ManualClock(NOW);
    const controller = new AbortController();
    const waiting = waitForClaudeCodeCredentials({ file: path.join(home, '.claude', '.credentials.json'), clock, signal: controller.signal });
    await clock.untilTimers(1);
    const reason = new Error('flow expired');
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('linking claude code', () => {
  async function setup(t: TestContext, clock: Clock = new ManualClock(NOW)) {
    const userHome = tempDir(t);
    const home = path.join(userHome, '.hermes');
    await mkdir(home, { recursive: true });
    const ctx: ProviderContext = { clock, config: loadConfig({ HOME: userHome }), logger: silentLogger() };
    return { userHome, home, ctx };
  }
  const readStore = async (home: string) => JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'));

  it('writes only the secret-free marker and clears the claude_code suppression, keeping other suppressions', async (t: TestContext) => {
    const { userHome, home, ctx } = await setup(t);
    await writeCredentials(path.join(userHome, '.claude'), { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: NOW + 3_600_000 });
    await writeFile(path.join(home, 'auth.json'), JSON.stringify({
      suppressed_sources: { anthropic: ['claude_code', 'env:ANTHROPIC_API_KEY'], nous: ['device_code'] },
      credential_pool: { anthropic: [{ id: 'm1', source: 'manual', access_token: 'sk-ant-api-kept' }] },
    }));
    const result = await linkClaudeCode(ctx, home);
    assert.deepEqual(result.account, { label: CLAUDE_CODE_LINK_LABEL });
    assert.deepEqual(result.clearedEnvKeys, []);
    assert.match(result.entryId, /^anthropic-claude-code-[0-9a-f]{12}$/);
    const store = await readStore(home);
    const iso = new Date(NOW).toISOString();
    assert.deepEqual(store.credential_pool.anthropic, [
      { id: 'm1', source: 'manual', access_token: 'sk-ant-api-kept' },
      { id: result.entryId, label: 'Claude Code (linked)', auth_type: 'oauth', priority: 0, source: 'claude_code_linked', created_at: iso, updated_at: iso },
    ]);
    assert.deepEqual(store.suppressed_sources, { anthropic: ['env:ANTHROPIC_API_KEY'], nous: ['device_code'] });
    assertNoToken(store);
  });

  it('links again into the same marker, and drops an emptied suppression list', async (t: TestContext) => {
    const clock = new ManualClock(NOW);
    const { userHome, home, ctx } = await setup(t, clock);
    await writeCredentials(path.join(userHome, '.claude'), { accessToken: ACCESS });
    await writeFile(path.join(home, 'auth.json'), JSON.stringify({ suppressed_sources: { anthropic: ['claude_code'] } }));
    const first = await linkClaudeCode(ctx, home);
    await clock.advance(60_000);
    const second = await linkClaudeCode(ctx, home);
    assert.equal(second.entryId, first.entryId);
    const store = await readStore(home);
    assert.equal(store.credential_pool.anthropic.length, 1);
    assert.equal(store.credential_pool.anthropic[0].created_at, new Date(NOW).toISOString());
    assert.equal(store.credential_pool.anthropic[0].updated_at, new Date(NOW + 60_000).toISOString());
    assert.equal('suppressed_sources' in store, false);
  });

  it('removes ANTHROPIC_API_KEY / ANTHROPIC_TOKEN from .env only when asked, keeping every other byte', async (t: TestContext) => {
    const { userHome, home, ctx } = await setup(t);
    await writeCredentials(path.join(userHome, '.claude'), { accessToken: ACCESS });
    const env = '\uFEFFANTHROPIC_TOKEN=sk-ant-oat-old\r\n# keep me\r\nOPENAI_API_KEY=sk-open  # note\r\n  export ANTHROPIC_API_KEY="sk-ant-api-old"\nANTHROPIC_API_KEY_BACKUP=x\nTAIL=1';
    await writeFile(path.join(home, '.env'), env);
    await linkClaudeCode(ctx, home);
    assert.equal(await readFile(path.join(home, '.env'), 'utf8'), env, 'not asked: untouched');
    const result = await linkClaudeCode(ctx, home, { clearEnvKeys: true });
    assert.deepEqual(result.clearedEnvKeys.sort(), ['ANTHROPIC_API_KEY', 'ANTHROPIC_TOKEN']);
    assert.equal(await readFile(path.join(home, '.env'), 'utf8'), '\uFEFF# keep me\r\nOPENAI_API_KEY=sk-open  # note\r\nANTHROPIC_API_KEY_BACKUP=x\nTAIL=1');
  });

  it('writes nothing when the sign-in is gone by the time it is linked', async (t: TestContext) => {
    const { home, ctx } = await setup(t);
    await writeFile(path.join(home, '.env'), 'ANTHROPIC_API_KEY=keep\n');
    const error = await linkClaudeCode(ctx, home, { clearEnvKeys: true }).then(() => assert.fail('expected a refusal'), (e: unknown) => e as Error);
    assert.ok(error instanceof ProviderError);
    assert.match(error.message, /claude login/);
    await assert.rejects(readFile(path.join(home, 'auth.json')), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(home, '.env'), 'utf8'), 'ANTHROPIC_API_KEY=keep\n');
  });

  it('removeEnvLines leaves look-alike keys, comments and a file without the key alone', () => {
    assert.deepEqual(removeEnvLines('A=1\nANTHROPIC_API_KEYS=2\n#ANTHROPIC_API_KEY=3\n', 'ANTHROPIC_API_KEY'), { content: 'A=1\nANTHROPIC_API_KEYS=2\n#ANTHROPIC_API_KEY=3\n', removed: 0 });
    assert.deepEqual(removeEnvLines('ANTHROPIC_API_KEY = 1', 'ANTHROPIC_API_KEY'), { content: '', removed: 1 });
    assert.deepEqual(removeEnvLines('X=1\nANTHROPIC_API_KEY=1\nANTHROPIC_API_KEY=2\n', 'ANTHROPIC_API_KEY'), { content: 'X=1\n', removed: 2 });
    assert.throws(() => removeEnvLines('', 'BAD KEY'), /not a valid/);
  });
});
