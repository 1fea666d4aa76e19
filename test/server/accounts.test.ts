/**
 * The credential lifecycle over HTTP: every account's health in GET /api/onboarding/providers (fixture
 * auth.json files in Hermes Agent's own shapes), DELETE /api/onboarding/accounts and POST
 * /api/onboarding/logout (with Hermes Agent's side effects, read back by its own code; bad input changes
 * nothing; a removal waits for a Python process holding auth.lock and loses nothing of a Hermes Agent write
 * racing it), revocation against the Codex fake, and sign-in-again through the device-code fake.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { useHarness, type Harness } from '../helpers/harness.js';
import { startCodexRevokeFake } from '../fakes/codexRevokeFake.js';
import { hermesChild, needHermes, runHermes } from '../store/hermesAgent.js';
import { needPython, pythonChild } from '../store/helpers.js';
import { codexEntry, codexToken, jwt } from '../store/lifecycleFixtures.js';

/** The harness clock's start (2026-01-01T00:00:00Z), epoch seconds. */
const NOW = Date.UTC(2026, 0, 1) / 1000;
const ANTHROPIC_KEY = 'sk-ant-api03-abcdefghijklmnopWXYZ';

/** A profile as Hermes Agent leaves it after some trouble: a benched, a dead and a healthy Codex account, an expired xAI login, a quarantined Nous login, an Anthropic API key. */
function troubledStore() {
  return {
    version: 1,
    active_provider: 'openai-codex',
    providers: {
      nous: {
        access_token: null,
        refresh_token: null,
        agent_key: null,
        last_auth_error: { code: 'invalid_grant', reason: 'refresh_failed', message: 'Refresh token was revoked', at: '2025-12-31T23:00:00Z', relogin_required: true },
      },
    },
    credential_pool: {
      'openai-codex': [
        codexEntry('ada001', 0, 'ada@example.com', {
          exp: NOW + 3600,
          refresh: 'rt-ada-0123456789',
          extra: { last_status: 'exhausted', last_status_at: NOW - 60, last_error_code: 429, last_error_reason: 'usage_limit_reached', last_error_reset_at: NOW + 7200 },
        }),
        codexEntry('bob002', 1, 'bob@example.com', { exp: NOW + 3600, refresh: 'rt-bob-0123456789', extra: { last_status: 'dead', last_status_at: NOW - 30, last_error_code: 401, last_error_reason: 'token_revoked' } }),
        codexEntry('eve003', 2, 'eve@example.com', { exp: NOW + 3600, refresh: 'rt-eve-0123456789' }),
      ],
      'xai-oauth': [
        { id: 'xai001', label: 'xAI Grok', auth_type: 'oauth', priority: 0, source: 'manual:device_code', access_token: jwt({ sub: 'x-sub', exp: NOW - 10 }), expires_at_ms: (NOW - 10) * 1000 },
      ],
      anthropic: [{ id: 'ant001', label: 'work key', auth_type: 'api_key', priority: 0, source: 'manual', access_token: ANTHROPIC_KEY }],
    },
  };
}

const SECRETS = ['rt-ada-0123456789', 'rt-bob-0123456789', 'rt-eve-0123456789', ANTHROPIC_KEY];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function providerOf(body: any, id: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const p = body.providers.find((x: any) => x.id === id);
  assert.ok(p, `provider ${id} is listed`);
  return p;
}

test('providers: every account shows its health, expiry, source and whether Hermes Agent uses it first; no secret', async (t) => {
  const h = await useHarness(t);
  await h.writeAuth(troubledStore());
  const res = await h.request({ url: '/api/onboarding/providers' });
  assert.equal(res.status, 200);

  const codex = providerOf(res.body, 'openai-codex');
  assert.deepEqual(codex.accounts[0], {
    id: 'ada001',
    label: 'Codex OAuth (ada@example.com)',
    email: 'ada@example.com',
    source: 'device_code',
    expires_at: NOW + 3600,
    health: 'exhausted',
    health_detail: 'rate-limited',
    retry_at: NOW + 7200,
    relogin_required: false,
  });
  assert.deepEqual(
    codex.accounts.slice(1).map((a: Record<string, unknown>) => [a.id, a.health, a.health_detail, a.relogin_required, a.used_first]),
    [
      ['bob002', 'dead', 'token_revoked', true, undefined],
      ['eve003', 'ok', undefined, false, true],
    ],
    'the benched and the dead account are skipped: Hermes Agent takes eve003 first',
  );

  const xai = providerOf(res.body, 'xai-oauth');
  assert.deepEqual(
    { health: xai.accounts[0].health, detail: xai.accounts[0].health_detail, relogin: xai.accounts[0].relogin_required, expires: xai.accounts[0].expires_at },
    { health: 'expired', detail: 'sign in again', relogin: true, expires: NOW - 10 },
  );

  const nous = providerOf(res.body, 'nous');
  assert.deepEqual(nous.last_auth_error, { code: 'invalid_grant', reason: 'refresh_failed', message: 'Refresh token was revoked', at: '2025-12-31T23:00:00Z', relogin_required: true });
  assert.deepEqual(nous.accounts.map((a: Record<string, unknown>) => [a.id, a.health, a.relogin_required]), [['nous', 'dead', true]]);

  const anthropic = providerOf(res.body, 'anthropic');
  assert.deepEqual(anthropic.accounts[0], { id: 'ant001', label: 'work key', source: 'api_key', key_hint: '…WXYZ', health: 'ok', relogin_required: false, used_first: true });
  h.assertNoSecrets([], SECRETS);
});

test('DELETE: an unknown account is 404, a malformed provider, id or revoke is 400, and nothing is written', async (t) => {
  const h = await useHarness(t);
  await h.writeAuth(troubledStore());
  await writeFile(path.join(h.home, '.env'), 'COPILOT_GITHUB_TOKEN=ghu_keepme\n');
  const before = [await h.authBytes(), await readFile(path.join(h.home, '.env'))];
  const del = (url: string) => h.request({ method: 'DELETE', url });

  const unknown = await del('/api/onboarding/accounts/openai-codex/nope00');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error, /no account "nope00"/);
  assert.equal((await del('/api/onboarding/accounts/nous/nous00')).status, 404);
  for (const url of [
    '/api/onboarding/accounts/openai-codex/__proto__',
    '/api/onboarding/accounts/open%20ai/ada001',
    '/api/onboarding/accounts/openai-codex/..%2Fada001',
    `/api/onboarding/accounts/openai-codex/${'a'.repeat(150)}`,
    '/api/onboarding/accounts/openai-codex/ada001?revoke=maybe',
    '/api/onboarding/accounts/openai-codex/ada001?profile=nope',
  ]) {
    const res = await del(url);
    assert.equal(res.status, 400, `${url} answered ${res.status}: ${res.text}`);
    assert.equal(res.body.ok, false);
  }
  assert.deepEqual([await h.authBytes(), await readFile(path.join(h.home, '.env'))], before, 'auth.json and .env are untouched');
});

test('DELETE removes one account as `hermes auth remove` does: the rest renumbered, Hermes Agent reads it so', async (t) => {
  const h = await useHarness(t);
  await h.writeAuth(troubledStore());
  const res = await h.request({ method: 'DELETE', url: '/api/onboarding/accounts/codex/ada001' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, {
    ok: true,
    provider: 'openai-codex',
    removed: { id: 'ada001', label: 'Codex OAuth (ada@example.com)' },
    revoked: null,
    hints: ['Suppressed openai-codex device_code source — it will not be re-seeded.', 'Note: Codex CLI credentials still live in ~/.codex/auth.json'],
  });
  assert.deepEqual((await h.readAuth()).suppressed_sources, { 'openai-codex': ['device_code', 'manual:device_code'] }, "Hermes Agent's removal steps for a device-code entry");
  const pool = (await h.readAuth()).credential_pool['openai-codex'];
  assert.deepEqual(pool.map((e: Record<string, unknown>) => [e.id, e.priority]), [['bob002', 0], ['eve003', 1]]);
  assert.equal((await h.readAuth()).active_provider, 'openai-codex', 'accounts are left, so the provider stays active');
  if (!needHermes(t)) return;
  const view = runHermes<{ entries: Array<{ id: string }>; active: string | null }>(t, h.home, ['view', 'openai-codex']);
  assert.deepEqual(view.entries.map((e) => e.id), ['bob002', 'eve003']);
  assert.equal(view.active, 'openai-codex');
});

test('logout signs Codex out as `hermes logout` does (pool, Hermes login, active_provider), and Hermes Agent seeds nothing back', async (t) => {
  const h = await useHarness(t);
  const store = troubledStore();
  Object.assign(store.providers, {
    'openai-codex': { tokens: { access_token: codexToken({ accountId: 'acct-h', sub: 'sub-h', exp: NOW + 3600 }), refresh_token: 'rt-hermes-0123456789' }, last_refresh: '2025-12-31T00:00:00Z' },
  });
  await h.writeAuth(store);
  const res = await h.request({ method: 'POST', url: '/api/onboarding/logout', json: { provider: 'openai-codex' } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.removed.map((a: { id: string }) => a.id).sort(), ['ada001', 'bob002', 'eve003']);
  assert.equal(res.body.revoked, undefined, 'no revocation was asked for');
  assert.ok(res.body.hints.some((hint: string) => /Codex CLI credentials/.test(hint)));
  const saved = await h.readAuth();
  assert.equal(saved.active_provider, null);
  assert.equal(saved.providers['openai-codex'], undefined);
  assert.deepEqual(saved.suppressed_sources, { 'openai-codex': ['device_code', 'manual:device_code'] });
  assert.ok(saved.providers.nous, 'other providers are kept');
  assert.equal(saved.credential_pool['xai-oauth'].length, 1);

  const again = await h.request({ method: 'POST', url: '/api/onboarding/logout', json: { provider: 'openai-codex' } });
  assert.deepEqual(again.body, { ok: true, provider: 'openai-codex', removed: [], hints: ['Nothing of openai-codex was saved in this profile.'] });
  const bad = await h.request({ method: 'POST', url: '/api/onboarding/logout', json: { provider: '__proto__' } });
  assert.equal(bad.status, 400);
  h.assertNoSecrets([], [...SECRETS, 'rt-hermes-0123456789']);
  if (!needHermes(t)) return;
  const view = runHermes<{ entries: unknown[]; suppressed: Record<string, string[]>; providers: string[]; active: string | null }>(t, h.home, ['view', 'openai-codex']);
  assert.deepEqual(view.entries, []);
  assert.equal(view.active, null);
  assert.ok(!view.providers.includes('openai-codex'));
});

test("logout of Copilot removes COPILOT_GITHUB_TOKEN from .env keeping every other byte; revoking it is not possible, and the answer says so", async (t) => {
  const h = await useHarness(t);
  const env = '# mine\r\nOPENAI_API_KEY="sk-keep me"\nCOPILOT_GITHUB_TOKEN=ghu_abcdefghijklmnop\nexport OTHER=1 # trailing\n';
  await writeFile(path.join(h.home, '.env'), env);
  const res = await h.request({ method: 'POST', url: '/api/onboarding/logout', json: { provider: 'copilot', revoke: true } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.removed, [{ id: 'env', label: 'GitHub token in .env' }]);
  assert.equal(res.body.revoked, null);
  assert.ok(res.body.hints.some((hint: string) => /copilot offers no way to revoke/.test(hint)), res.text);
  assert.equal(await readFile(path.join(h.home, '.env'), 'latin1'), '# mine\r\nOPENAI_API_KEY="sk-keep me"\nexport OTHER=1 # trailing\n');
  h.assertNoSecrets([], ['ghu_abcdefghijklmnop']);
});

test('revoke=1 revokes the refresh token at OpenAI first; a failed revoke still removes the account and says so', async (t) => {
  const revoke = await startCodexRevokeFake();
  t.after(() => revoke.close());
  const h = await useHarness(t, { env: { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: revoke.issuer } });
  await h.writeAuth(troubledStore());
  revoke.grant('rt-eve-0123456789');
  revoke.grant('rt-bob-0123456789');

  const ok = await h.request({ method: 'DELETE', url: '/api/onboarding/accounts/openai-codex/eve003?revoke=1' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.revoked, true);
  assert.deepEqual(revoke.revoked, ['rt-eve-0123456789']);
  assert.equal(revoke.isLive('rt-bob-0123456789'), true, 'another account is not touched');

  revoke.failNext(503, { error: 'temporarily_unavailable' });
  const failed = await h.request({ method: 'DELETE', url: '/api/onboarding/accounts/openai-codex/bob002?revoke=true' });
  assert.equal(failed.status, 200, failed.text);
  assert.equal(failed.body.revoked, false);
  assert.ok(failed.body.hints.some((hint: string) => /Revoking at the provider failed: OpenAI answered the revocation with HTTP 503/.test(hint)), failed.text);
  assert.equal(revoke.isLive('rt-bob-0123456789'), true);
  const pool = (await h.readAuth()).credential_pool['openai-codex'];
  assert.deepEqual(pool.map((e: Record<string, unknown>) => e.id), ['ada001'], 'both were removed locally');
  h.assertNoSecrets([], SECRETS);
});

test('a removal waits while a Python process holds auth.lock, then removes', async (t) => {
  if (!needPython(t)) return;
  const h = await useHarness(t);
  await h.writeAuth(troubledStore());
  const before = await h.authBytes();
  const python = pythonChild(t, ['hold', h.home]);
  await python.waitFor('locked');
  let done = false;
  const removal = h.request({ method: 'DELETE', url: '/api/onboarding/accounts/openai-codex/eve003' }).finally(() => (done = true));
  await h.waitForLog('auth.lock is held by another process; waiting');
  assert.equal(done, false, 'the removal is still waiting');
  assert.deepEqual(await h.authBytes(), before, 'nothing written while Python holds the lock');
  python.send('release');
  await python.waitFor('released');
  const res = await removal;
  assert.equal(res.status, 200, res.text);
  assert.deepEqual((await h.readAuth()).credential_pool['openai-codex'].map((e: Record<string, unknown>) => e.id), ['ada001', 'bob002']);
});

test('a removal racing a Hermes Agent write under auth.lock loses neither change', async (t) => {
  if (!needHermes(t)) return;
  const h = await useHarness(t);
  const store = troubledStore();
  // tokens valid by the wall clock, which Hermes Agent reads (it would try to refresh expired ones)
  const exp = Math.floor(Date.now() / 1000) + 86_400;
  store.credential_pool['openai-codex'] = [
    codexEntry('ada001', 0, 'ada@example.com', { exp, refresh: 'rt-ada-0123456789' }),
    codexEntry('bob002', 1, 'bob@example.com', { exp, refresh: 'rt-bob-0123456789' }),
    codexEntry('eve003', 2, 'eve@example.com', { exp, refresh: 'rt-eve-0123456789' }),
  ];
  await h.writeAuth(store);
  // Hermes Agent holds its own auth.lock, and benches bob002 while still holding it
  const hermes = hermesChild(t, h.home, ['hold-mark', 'openai-codex', 'bob002', '429', JSON.stringify({ reason: 'rate_limit_exceeded' })]);
  await hermes.waitFor('locked');
  const removal = h.request({ method: 'DELETE', url: '/api/onboarding/accounts/openai-codex/eve003' });
  await h.waitForLog('auth.lock is held by another process; waiting');
  hermes.send();
  await hermes.waitFor('released');
  await hermes.succeeded();
  assert.equal((await removal).status, 200);
  const pool = (await h.readAuth()).credential_pool['openai-codex'];
  assert.deepEqual(
    pool.map((e: Record<string, unknown>) => [e.id, e.priority, e.last_status ?? null, e.last_error_code ?? null]),
    [
      ['ada001', 0, null, null],
      ['bob002', 1, 'exhausted', 429],
    ],
    "our removal of eve003 and Hermes Agent's benching of bob002 are both there",
  );
});

/** Writes one dead Codex account signed in through the harness fake, plus a healthy one after it; returns the dead one's id. */
async function deadAccount(h: Harness): Promise<string> {
  await h.signIn({ accountId: 'acct-ada', sub: 'sub-ada', email: 'ada@example.com' });
  await h.signIn({ accountId: 'acct-bob', sub: 'sub-bob', email: 'bob@example.com' });
  const store = await h.readAuth();
  const [ada] = store.credential_pool['openai-codex'];
  Object.assign(ada, { label: 'my work account', last_status: 'dead', last_status_at: NOW, last_error_code: 401, last_error_reason: 'token_revoked' });
  await h.writeAuth(store);
  return ada.id;
}

test('sign in again: the flow updates that same entry (same id, priority and label, health cleared) and leaves the others alone', async (t: TestContext) => {
  const h = await useHarness(t);
  const adaId = await deadAccount(h);
  const before = (await h.readAuth()).credential_pool['openai-codex'];
  const listed = await h.request({ url: '/api/onboarding/providers' });
  assert.equal(providerOf(listed.body, 'openai-codex').accounts[0].health, 'dead');

  const { status } = await h.signIn({ accountId: 'acct-ada', sub: 'sub-ada', email: 'ada@example.com' }, { provider: 'openai-codex', account_id: adaId });
  assert.deepEqual(status.relogin, { repaired_id: adaId, account_id: adaId, same_account: true });
  const after = (await h.readAuth()).credential_pool['openai-codex'];
  assert.equal(after.length, 2);
  assert.deepEqual([after[0].id, after[0].priority, after[0].label, after[0].last_status, after[0].last_error_code], [adaId, 0, 'my work account', null, null]);
  assert.notEqual(after[0].access_token, before[0].access_token, 'the new tokens are in the repaired entry');
  assert.deepEqual(after[1], before[1], 'the other account is untouched');
  const relisted = await h.request({ url: '/api/onboarding/providers' });
  assert.equal(providerOf(relisted.body, 'openai-codex').accounts[0].health, 'ok');
  h.assertNoSecrets([JSON.stringify(status)]);
});

test('sign in again as a different account: added as a new account, the repaired one left as it was, and the answer says so', async (t) => {
  const h = await useHarness(t);
  const adaId = await deadAccount(h);
  const { status } = await h.signIn({ accountId: 'acct-eve', sub: 'sub-eve', email: 'eve@example.com' }, { provider: 'openai-codex', account_id: adaId });
  assert.equal(status.relogin?.same_account, false);
  assert.equal(status.relogin?.repaired_id, adaId);
  const pool = (await h.readAuth()).credential_pool['openai-codex'];
  assert.deepEqual(pool.map((e: Record<string, unknown>) => [e.priority, e.last_status ?? null]), [[0, 'dead'], [1, null], [2, null]]);
  assert.equal(pool[2].id, status.relogin?.account_id);
  assert.equal(pool[0].id, adaId);
});

test('sign in again for an account that is not there is 404, a malformed one 400, and no flow starts', async (t) => {
  const h = await useHarness(t);
  const unknown = await h.start({ provider: 'openai-codex', account_id: 'gone00' });
  assert.equal(unknown.status, 404, unknown.text);
  const malformed = await h.start({ provider: 'openai-codex', account_id: '../x' });
  assert.equal(malformed.status, 400, malformed.text);
  assert.equal(h.fake.issued.length, 0);
  assert.equal(await h.engine.pendingCount(), 0);
});
