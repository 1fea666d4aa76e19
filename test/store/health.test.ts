/**
 * The health read-out against Hermes Agent's own code: entries benched and killed by its pool's failure path
 * (mark_exhausted_and_rotate) must read back as `hermes auth list` classifies them, with the same retry time
 * and the same account used first. Plus expiry (expires_at, expires_at_ms, JWT exp), singletons, Copilot's
 * `.env`, strategies, bad input, and that nothing is refreshed, written or leaked.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { classifyExhausted, providerHealth, readProviderHealth, type ProviderHealth } from '../../src/store/health.js';
import { LifecycleInputError } from '../../src/store/hermesPool.js';
import { ManualClock } from '../helpers/clock.js';
import { tempDir } from './helpers.js';
import { needHermes, runHermes, runHermesBatch, type HermesList } from './hermesAgent.js';
import { apiKeyEntry, bytes, codexToken, jwt, writeStore } from './lifecycleFixtures.js';

const NOW_S = () => Date.now() / 1000;

/** The health as read by us right now (Hermes Agent's own code runs on the wall clock too). */
function healthNow(home: string, provider: string): Promise<ProviderHealth> {
  return readProviderHealth(home, provider, { clock: new ManualClock(Date.now()) });
}

function account(h: ProviderHealth, id: string) {
  const found = h.accounts.find((a) => a.id === id);
  assert.ok(found, `no account ${id} in ${JSON.stringify(h.accounts.map((a) => a.id))}`);
  return found;
}

describe('health read-out agrees with Hermes Agent', () => {
  it("classifies entries Hermes' pool benched and killed exactly as `hermes auth list` does, and picks the same first account", async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'health-');
    const keys = ['sk-or-v1-aaaaaaaaaaaaaaaaaaaa1111', 'sk-or-v1-bbbbbbbbbbbbbbbbbbbb2222', 'sk-or-v1-cccccccccccccccccccc3333', 'sk-or-v1-dddddddddddddddddddd4444', 'sk-or-v1-eeeeeeeeeeeeeeeeeeee5555', 'sk-or-v1-ffffffffffffffffffff6666'];
    await writeStore(home, { credential_pool: { openrouter: keys.map((k, i) => apiKeyEntry(`e${i}`, i, k)) } });
    const resetAt = Math.floor(NOW_S()) + 7200;
    // each failure goes through Hermes' own path: lease the entry, then mark_exhausted_and_rotate
    const results = runHermesBatch(t, home, [
      ['mark', 'openrouter', 'e0', '429', JSON.stringify({ reason: 'rate_limit_exceeded', message: 'Too many requests', reset_at: resetAt })],
      ['mark', 'openrouter', 'e1', '401', JSON.stringify({ reason: 'token_revoked', message: 'Token has been revoked' })],
      ['mark', 'openrouter', 'e2', '401', JSON.stringify({ message: 'Unauthorized' })],
      ['mark', 'openrouter', 'e3', '402', JSON.stringify({ message: 'Insufficient credits' })],
      ['mark', 'openrouter', 'e4', '403', JSON.stringify({ reason: 'usage_limit_reached' })],
      ['list', 'openrouter'],
    ]);
    const hermes = results.at(-1) as HermesList;
    const ours = await healthNow(home, 'openrouter');
    assert.equal(ours.accounts.length, hermes.entries.length);
    for (const h of hermes.entries) {
      const a = account(ours, h.id);
      assert.equal(a.priority, h.priority, h.id);
      if (h.last_status === 'dead') {
        assert.equal(a.health, 'dead', h.id);
        assert.equal(a.reloginRequired, true);
      } else if (h.last_status === 'exhausted') {
        assert.equal(a.health, 'exhausted', h.id);
        assert.equal(a.healthDetail, h.classified, h.id);
        assert.equal(a.reloginRequired, h.show_retry === false, h.id);
        if (h.show_retry) assert.ok(Math.abs(a.retryAt! - h.exhausted_until!) < 1e-3, `${h.id}: ${a.retryAt} vs ${h.exhausted_until}`);
        else assert.equal(a.retryAt, undefined);
      } else {
        assert.equal(a.health, 'ok', h.id);
      }
    }
    // what this fixture was built to cover, so the agreement above is not vacuous
    assert.deepEqual(
      hermes.entries.map((e) => [e.id, e.last_status, e.classified]),
      [
        ['e0', 'exhausted', 'rate-limited'],
        ['e1', 'dead', null],
        ['e2', 'exhausted', 'auth failed'],
        ['e3', 'exhausted', 'exhausted'],
        ['e4', 'exhausted', 'rate-limited'],
        ['e5', null, null],
      ],
    );
    assert.equal(account(ours, 'e0').retryAt, resetAt);
    assert.equal(hermes.current, 'e5');
    assert.equal(ours.firstAccountId, hermes.current);
    assert.deepEqual(ours.accounts.filter((a) => a.usedFirst).map((a) => a.id), ['e5']);
    assert.equal(account(ours, 'e5').keyHint, '…6666');
  });

  it('an exhausted entry whose retry time has passed is Hermes\' first choice again, and reads "ready to retry"', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'health-');
    const past = NOW_S() - 60;
    await writeStore(home, {
      credential_pool: {
        openrouter: [
          apiKeyEntry('a1', 0, 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa1111', { last_status: 'exhausted', last_status_at: past - 3600, last_error_code: 429, last_error_reset_at: past }),
          apiKeyEntry('b2', 1, 'sk-or-v1-bbbbbbbbbbbbbbbbbbbb2222'),
        ],
      },
    });
    const hermes = runHermes<HermesList>(t, home, ['list', 'openrouter']);
    assert.match(hermes.entries[0]!.shown, /ready to retry/);
    const ours = await healthNow(home, 'openrouter');
    assert.equal(hermes.current, 'a1');
    assert.equal(ours.firstAccountId, 'a1');
    assert.equal(account(ours, 'a1').healthDetail, 'rate-limited (ready to retry)');
    assert.equal(account(ours, 'a1').retryAt, past);
  });

  it('an exhausted entry without a reset time is retried after the status time plus Hermes\' cooldown (1 h for 429, 5 min for 401)', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'health-');
    const at = NOW_S() - 10;
    await writeStore(home, {
      credential_pool: {
        openrouter: [
          apiKeyEntry('r1', 0, 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa1111', { last_status: 'exhausted', last_status_at: at, last_error_code: 429 }),
          apiKeyEntry('u2', 1, 'sk-or-v1-bbbbbbbbbbbbbbbbbbbb2222', { last_status: 'exhausted', last_status_at: at, last_error_code: 500 }),
        ],
      },
    });
    const hermes = runHermes<HermesList>(t, home, ['list', 'openrouter']);
    const ours = await healthNow(home, 'openrouter');
    for (const h of hermes.entries) assert.ok(Math.abs(account(ours, h.id).retryAt! - h.exhausted_until!) < 1e-3);
    assert.ok(Math.abs(account(ours, 'r1').retryAt! - (at + 3600)) < 1e-3);
    assert.equal(hermes.current, null);
    assert.equal(ours.firstAccountId, undefined);
  });

  it('a providers.openai-codex login not seeded yet is an account, and is the entry Hermes seeds on its next load', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'health-');
    const exp = Math.floor(NOW_S()) + 86_400;
    const access = codexToken({ accountId: 'acct-1', sub: 'user-1', email: 'ada@example.com', exp, plan: 'plus' });
    await writeStore(home, { providers: { 'openai-codex': { tokens: { access_token: access, refresh_token: 'rt-codex-1' }, last_refresh: '2026-01-01T00:00:00Z', auth_mode: 'chatgpt' } } });
    const ours = await healthNow(home, 'openai-codex');
    assert.deepEqual(
      ours.accounts.map((a) => ({ id: a.id, source: a.source, hermesSource: a.hermesSource, health: a.health, email: a.email, expiresAt: a.expiresAt, label: a.label })),
      [{ id: 'openai-codex', source: 'device_code', hermesSource: 'device_code', health: 'ok', email: 'ada@example.com', expiresAt: exp, label: 'ada@example.com' }],
    );
    assert.equal(ours.firstAccountId, 'openai-codex');
    const hermes = runHermes<HermesList>(t, home, ['list', 'openai-codex']);
    assert.deepEqual(hermes.entries.map((e) => [e.source, e.label]), [['device_code', 'ada@example.com']]);
    // once seeded, the same account reads the same (now by its pool id)
    const seeded = await healthNow(home, 'openai-codex');
    assert.equal(seeded.accounts.length, 1);
    assert.equal(seeded.accounts[0]!.id, hermes.entries[0]!.id);
    assert.equal(seeded.accounts[0]!.expiresAt, exp);
    assert.equal(seeded.accounts[0]!.plan, 'plus');
  });

  it('a quarantined Nous login (tokens wiped, last_auth_error.relogin_required) is dead: sign in again', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'health-');
    await writeStore(home, {
      providers: {
        nous: {
          portal_base_url: 'https://portal.nousresearch.com',
          client_id: 'hermes-cli',
          last_auth_error: { provider: 'nous', code: 'invalid_grant', message: 'Refresh token was revoked', reason: 'runtime_refresh_failure', relogin_required: true, at: '2026-11-30T10:00:00+00:00' },
        },
      },
      active_provider: 'nous',
    });
    const ours = await healthNow(home, 'nous');
    assert.equal(ours.reloginRequired, true);
    assert.deepEqual(ours.lastAuthError, { code: 'invalid_grant', reason: 'runtime_refresh_failure', message: 'Refresh token was revoked', at: '2026-11-30T10:00:00+00:00', reloginRequired: true });
    assert.deepEqual(ours.accounts.map((a) => [a.id, a.health, a.reloginRequired]), [['nous', 'dead', true]]);
    assert.equal(ours.firstAccountId, undefined);
    // Hermes agrees there is nothing to use
    const hermes = runHermes<HermesList>(t, home, ['list', 'nous']);
    assert.deepEqual(hermes.entries, []);
  });
});

describe('health read-out on its own', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  const nowS = clock.now() / 1000;

  it('expired: an OAuth entry past its expiry (JWT exp, expires_at, expires_at_ms) without a refresh token; with one it is ok', () => {
    const past = nowS - 60;
    const future = nowS + 3600;
    const entry = (id: string, priority: number, fields: Record<string, unknown>) => ({ id, label: id, auth_type: 'oauth', priority, source: 'manual:device_code', ...fields });
    const h = providerHealth(
      {
        credential_pool: {
          'openai-codex': [
            entry('jw', 0, { access_token: codexToken({ accountId: 'a', sub: 's', exp: past }) }),
            entry('ia', 1, { access_token: 'opaque-1', expires_at: new Date(past * 1000).toISOString() }),
            entry('ms', 2, { access_token: 'opaque-2', expires_at_ms: past * 1000 }),
            entry('rt', 3, { access_token: codexToken({ accountId: 'b', sub: 't', exp: past }), refresh_token: 'rt-1' }),
            entry('fu', 4, { access_token: codexToken({ accountId: 'c', sub: 'u', exp: future }) }),
          ],
        },
      },
      'openai-codex',
      { nowMs: clock.now() },
    );
    assert.deepEqual(
      h.accounts.map((a) => [a.id, a.health, a.expiresAt, a.reloginRequired]),
      [
        ['jw', 'expired', Math.floor(past), true],
        ['ia', 'expired', Math.floor(past), true],
        ['ms', 'expired', Math.floor(past), true],
        ['rt', 'ok', Math.floor(past), false],
        ['fu', 'ok', Math.floor(future), false],
      ],
    );
    assert.equal(h.firstAccountId, 'rt');
  });

  it("classifies like _classify_exhausted_status: code, reason and message tokens, in Hermes' order", () => {
    const cases: Array<[Record<string, unknown>, string, boolean]> = [
      [{ last_error_code: 429 }, 'rate-limited', true],
      [{ last_error_reason: 'usage_limit_reached' }, 'rate-limited', true],
      [{ last_error_message: 'You exceeded your current QUOTA' }, 'rate-limited', true],
      [{ last_error_code: 401, last_error_message: 'too many requests' }, 'rate-limited', true],
      [{ last_error_code: 403 }, 'auth failed', false],
      [{ last_error_reason: 'invalid_grant' }, 'auth failed', false],
      [{ last_error_message: 'Token revoked' }, 'auth failed', false],
      [{ last_error_code: 500, last_error_message: 'upstream error' }, 'exhausted', true],
    ];
    for (const [fields, kind, showRetry] of cases) assert.deepEqual(classifyExhausted(fields), { kind, showRetry }, JSON.stringify(fields));
  });

  it('Copilot: the token in .env is an account used first; a pool entry for it is not counted twice', async (t: TestContext) => {
    const home = tempDir(t, 'health-');
    await fsp.writeFile(path.join(home, '.env'), 'OTHER=1\nCOPILOT_GITHUB_TOKEN=gho_abcdefghijklmnopqrstuvwxyz0123\n');
    const h = await readProviderHealth(home, 'copilot', { clock });
    assert.deepEqual(h.accounts.map((a) => [a.id, a.source, a.health, a.usedFirst]), [['env', 'env', 'ok', true]]);
    await writeStore(home, { credential_pool: { copilot: [{ id: 'c0pi10', label: 'COPILOT_GITHUB_TOKEN', auth_type: 'api_key', priority: 0, source: 'env:COPILOT_GITHUB_TOKEN', secret_fingerprint: 'sha256:0011' }] } });
    const again = await readProviderHealth(home, 'copilot', { clock });
    assert.deepEqual(again.accounts.map((a) => [a.id, a.source, a.health]), [['c0pi10', 'env', 'ok']]);
    await fsp.writeFile(path.join(home, '.env'), 'OTHER=1\n');
    const gone = await readProviderHealth(home, 'copilot', { clock });
    assert.equal(gone.accounts[0]!.health, 'unknown');
    assert.equal(gone.firstAccountId, undefined);
  });

  it('strategies: least_used takes the lowest request_count, random cannot be told, fill_first the first usable', () => {
    const store = { credential_pool: { openrouter: [apiKeyEntry('a', 0, 'sk-or-v1-aaaaaaaaaaaa', { request_count: 9 }), apiKeyEntry('b', 1, 'sk-or-v1-bbbbbbbbbbbb', { request_count: 2 })] } };
    assert.equal(providerHealth(store, 'openrouter', { nowMs: clock.now() }).firstAccountId, 'a');
    assert.equal(providerHealth(store, 'openrouter', { nowMs: clock.now(), strategy: 'round_robin' }).firstAccountId, 'a');
    assert.equal(providerHealth(store, 'openrouter', { nowMs: clock.now(), strategy: 'least_used' }).firstAccountId, 'b');
    assert.equal(providerHealth(store, 'openrouter', { nowMs: clock.now(), strategy: 'random' }).firstAccountId, undefined);
  });

  it('reads without writing, refreshing or leaking: auth.json is byte-identical and no token is in the result', async (t: TestContext) => {
    const home = tempDir(t, 'health-');
    const access = codexToken({ accountId: 'acct', sub: 'sub', email: 'x@example.com', exp: nowS - 5 });
    await writeStore(home, { credential_pool: { 'openai-codex': [{ id: 'aa11bb', label: 'Codex', auth_type: 'oauth', priority: 0, source: 'manual:device_code', access_token: access, refresh_token: 'rt-secret-value-123456789' }] } });
    const before = await bytes(path.join(home, 'auth.json'));
    const h = await readProviderHealth(home, 'openai-codex', { clock });
    assert.deepEqual(await bytes(path.join(home, 'auth.json')), before);
    const text = JSON.stringify(h);
    for (const secret of [access, 'rt-secret-value-123456789']) assert.ok(!text.includes(secret));
    assert.equal(h.accounts[0]!.health, 'ok'); // expired access token, but a refresh token: Hermes refreshes it
  });

  it('a malformed provider id is a LifecycleInputError', async (t: TestContext) => {
    const home = tempDir(t, 'health-');
    for (const bad of ['', '../etc', '__proto__', 'a b', 'x'.repeat(200)]) {
      await assert.rejects(readProviderHealth(home, bad, { clock }), LifecycleInputError, bad);
    }
    await assert.rejects(fsp.stat(path.join(home, 'auth.json')), { code: 'ENOENT' });
  });

  it('an entry whose status Hermes does not know is unknown, not ok', () => {
    const h = providerHealth({ credential_pool: { openrouter: [apiKeyEntry('q', 0, 'sk-or-v1-qqqqqqqqqqqq', { last_status: 'frozen' })] } }, 'openrouter', { nowMs: clock.now() });
    assert.deepEqual([h.accounts[0]!.health, h.accounts[0]!.healthDetail], ['unknown', 'frozen']);
  });

  it('a JWT label: email claim of the singleton token names the account', () => {
    const h = providerHealth({ providers: { 'xai-oauth': { tokens: { access_token: jwt({ sub: 's', email: 'grok@example.com', exp: nowS + 60 }), refresh_token: 'r' } } } }, 'xai-oauth', { nowMs: clock.now() });
    assert.deepEqual(h.accounts.map((a) => [a.id, a.label, a.email]), [['xai-oauth', 'grok@example.com', 'grok@example.com']]);
  });
});
