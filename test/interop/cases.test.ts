/**
 * The four disagreements of issue 15, each replayed against Hermes Agent's own code
 * (../shared/hermes-agent): each test fails on the code before the fix.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { codexProvider } from '../../src/providers/codex.js';
import { nousProvider } from '../../src/providers/nous.js';
import { xaiProvider } from '../../src/providers/xai.js';
import { tempDir } from '../store/helpers.js';
import { codexAccessToken, hermesRead, jwt, needHermes, readStore, refreshToken, runHermes, type HermesEntry } from './hermes.js';
import { codexTokens, saveCodex, saveCopilot, saveNous, saveXai, type CodexAccount } from './ours.js';

const ADA: CodexAccount = { accountId: 'acct-ada', sub: 'user-ada', email: 'ada@example.com', plan: 'pro' };
const BOB: CodexAccount = { accountId: 'acct-bob', sub: 'user-bob', email: 'bob@example.com', plan: 'plus' };
const CY: CodexAccount = { accountId: 'acct-cy', sub: 'user-cy', email: 'cy@example.com' };

function home(t: TestContext): string {
  return tempDir(t, 'interop-');
}

describe('1. signing in again to an account from Hermes Agent\'s own login', { timeout: 300_000 }, () => {
  it('Codex: providers.openai-codex and its seeded entry get the new token; Hermes uses it, one entry', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const old = await codexTokens(ADA);
    const before = await runHermes(t, h, [
      { op: 'codex_login_save', tokens: { access_token: old.accessToken, refresh_token: old.refreshToken } },
      { op: 'read', provider: 'openai-codex' },
    ]);
    const seeded = (before.results[1] as { entries: HermesEntry[] }).entries;
    assert.deepEqual(seeded.map((e) => e.source), ['device_code'], 'Hermes seeded its device_code entry');

    const fresh = await saveCodex(h, ADA);
    const store = await readStore(h);
    assert.equal(store.providers?.['openai-codex']?.tokens && (store.providers['openai-codex'].tokens as Record<string, unknown>).access_token, fresh.accessToken);

    const read = await hermesRead(t, h, 'openai-codex');
    assert.equal(read.entries?.length, 1, 'no duplicate entry');
    assert.equal(read.entries?.[0]?.id, seeded[0]!.id, 'the seeded entry kept its id');
    assert.equal(read.entries?.[0]?.source, 'device_code');
    assert.equal(read.entries?.[0]?.access_token, fresh.accessToken);
    assert.equal(read.selected?.access_token, fresh.accessToken);
    assert.equal(read.resolved?.api_key, fresh.accessToken, 'resolve_codex_runtime_credentials returns the new token');
    assert.deepEqual(read.refresh_calls, []);
  });

  it('Codex: before Hermes ever seeded its pool entry, the sign-in lands in the singleton and is listed at once', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const old = await codexTokens(ADA);
    await runHermes(t, h, [{ op: 'codex_login_save', tokens: { access_token: old.accessToken, refresh_token: old.refreshToken }, label: 'Mine' }]);
    const fresh = await saveCodex(h, ADA);
    assert.deepEqual((await codexProvider.accounts(h)).map((a) => [a.label, a.email]), [['Mine', 'ada@example.com']]);
    const read = await hermesRead(t, h, 'openai-codex');
    assert.deepEqual(read.entries?.map((e) => [e.source, e.label, e.access_token]), [['device_code', 'Mine', fresh.accessToken]]);
    assert.equal(read.resolved?.api_key, fresh.accessToken);
    assert.deepEqual(read.refresh_calls, []);
  });

  it('xAI: providers.xai-oauth and its seeded entry get the new token; Hermes uses it, one entry', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const oldAccess = await jwt({ sub: 'grok-1', email: 'g@example.com' }, 900);
    await runHermes(t, h, [
      { op: 'xai_login_save', tokens: { access_token: oldAccess, refresh_token: refreshToken('old'), token_type: 'Bearer' } },
      { op: 'read', provider: 'xai-oauth' },
    ]);
    const fresh = await saveXai(h, 'grok-1', 'g@example.com');

    const read = await hermesRead(t, h, 'xai-oauth');
    assert.equal(read.entries?.length, 1, 'no duplicate entry');
    assert.equal(read.entries?.[0]?.source, 'device_code');
    assert.equal(read.selected?.access_token, fresh.access_token);
    assert.equal(read.resolved?.api_key, fresh.access_token, 'resolve_xai_oauth_runtime_credentials returns the new token');
    assert.deepEqual(read.refresh_calls, []);
  });
});

describe('2. Nous: the shared store and providers.nous', { timeout: 300_000 }, () => {
  it('writes <root>/shared/nous_auth.json, so Hermes never merges a stale login over the new one', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const oldCreds = {
      access_token: await jwt({ sub: 'nous-user', scope: 'inference:invoke' }),
      refresh_token: refreshToken('nous-old'),
      token_type: 'Bearer',
      scope: 'inference:invoke',
      client_id: 'hermes-cli',
      portal_base_url: 'https://portal.nousresearch.com',
      inference_base_url: 'https://inference-api.nousresearch.com/v1',
      obtained_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      expires_in: 3600,
    };
    await runHermes(t, h, [{ op: 'persist_nous', creds: oldCreds }]);
    const fresh = await saveNous(h);

    const run = await runHermes(t, h, [{ op: 'nous_shared' }, { op: 'read', provider: 'nous' }]);
    const shared = run.results[0] as { shared: Record<string, unknown> | null; merge_changes_state: boolean; after_merge_refresh_token: string };
    assert.equal(shared.shared?.refresh_token, fresh.refresh_token, 'the shared store holds the new refresh token');
    assert.equal(shared.merge_changes_state, false, '_merge_shared_nous_oauth_state leaves providers.nous alone');
    assert.equal(shared.after_merge_refresh_token, fresh.refresh_token);
    const read = run.results[1] as { resolved: { api_key?: string }; entries: HermesEntry[] };
    assert.equal(read.resolved.api_key, fresh.access_token);
    assert.deepEqual(read.entries.map((e) => [e.source, e.access_token]), [['device_code', fresh.access_token]]);
    assert.deepEqual(run.refresh_calls, []);
  });

  it('merges providers.nous: tls, a label and fields it does not know are kept', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const creds = {
      access_token: await jwt({ sub: 'nous-user', scope: 'inference:invoke' }),
      refresh_token: refreshToken('nous-old'),
      tls: { insecure: false, ca_bundle: '/etc/ssl/private-ca.pem' },
      agent_key_id: 'ak-123',
      future_field: { kept: true },
    };
    await runHermes(t, h, [{ op: 'persist_nous', creds, label: 'Lab account' }]);
    await saveNous(h);
    const state = (await readStore(h)).providers?.nous ?? {};
    assert.deepEqual(state.tls, { insecure: false, ca_bundle: '/etc/ssl/private-ca.pem' });
    assert.equal(state.label, 'Lab account');
    assert.deepEqual(state.future_field, { kept: true });
    assert.ok('agent_key_id' in state && 'agent_key_expires_in' in state && 'agent_key_obtained_at' in state, 'agent_key_* fields are there');
    assert.deepEqual((await nousProvider.accounts(h)).map((a) => a.label), ['Lab account']);
  });
});

describe('3. details and identity survive Hermes Agent dropping fields', { timeout: 300_000 }, () => {
  it('Codex: after a Hermes write, status still shows email and plan, and signing in again adds no duplicate', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const first = await saveCodex(h, ADA);
    await runHermes(t, h, [{ op: 'mark', provider: 'openai-codex', access_token: first.accessToken, status_code: 429 }]);
    const entry = (await readStore(h)).credential_pool?.['openai-codex']?.[0] ?? {};
    assert.ok(!('email' in entry) && !('account_id' in entry), 'Hermes dropped the fields it does not know');

    const accounts = await codexProvider.accounts(h);
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]!.email, 'ada@example.com');
    assert.equal(accounts[0]!.plan, 'pro');
    assert.equal(accounts[0]!.last_status, 'exhausted');

    const second = await saveCodex(h, ADA);
    const read = await hermesRead(t, h, 'openai-codex');
    assert.equal(read.entries?.length, 1);
    assert.equal(read.selected?.access_token, second.accessToken);
  });

  it('xAI: after a Hermes write, status still shows the email', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const first = await saveXai(h, 'grok-7', 'seven@example.com');
    await runHermes(t, h, [{ op: 'mark', provider: 'xai-oauth', access_token: first.access_token, status_code: 429 }]);
    assert.ok(!('email' in ((await readStore(h)).credential_pool?.['xai-oauth']?.[0] ?? {})));
    assert.deepEqual((await xaiProvider.accounts(h)).map((a) => a.email), ['seven@example.com']);
  });
});

describe('4. active_provider, priorities, labels, suppressed_sources', { timeout: 300_000 }, () => {
  it('the first Codex or xAI credential sets active_provider when none is set, and only then', async (t) => {
    if (!needHermes(t)) return;
    const codexHome = home(t);
    await saveCodex(codexHome, ADA);
    assert.equal((await hermesRead(t, codexHome, 'openai-codex')).active_provider, 'openai-codex');
    const xaiHome = home(t);
    await saveXai(xaiHome, 'grok-1');
    await saveCodex(xaiHome, ADA);
    assert.equal((await hermesRead(t, xaiHome, 'xai-oauth')).active_provider, 'xai-oauth', 'a later credential leaves it');
  });

  it('a new account takes the next priority, after the ones Hermes added', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    const ops = [];
    for (const [account, label] of [[BOB, 'bob'], [CY, 'cy']] as const) {
      ops.push({ op: 'add_entry', provider: 'openai-codex', access_token: await codexAccessToken(account), refresh_token: refreshToken(label), label, base_url: 'https://chatgpt.com/backend-api/codex', activate_first: true });
    }
    await runHermes(t, h, ops);
    const ada = await saveCodex(h, ADA);
    const read = await hermesRead(t, h, 'openai-codex');
    assert.deepEqual(read.entries?.map((e) => [e.label, e.priority]), [['bob', 0], ['cy', 1], ['Codex OAuth (ada@example.com)', 2]]);
    assert.notEqual(read.selected?.access_token, ada.accessToken, 'the older account stays first');
  });

  it('signing in again keeps the label the user gave the account in Hermes', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    await runHermes(t, h, [{ op: 'add_entry', provider: 'openai-codex', access_token: await codexAccessToken(ADA), refresh_token: refreshToken('ada'), label: 'Work account', base_url: 'https://chatgpt.com/backend-api/codex' }]);
    const fresh = await saveCodex(h, ADA);
    const read = await hermesRead(t, h, 'openai-codex');
    assert.deepEqual(read.entries?.map((e) => [e.label, e.access_token]), [['Work account', fresh.accessToken]]);
  });

  it('a new credential clears the provider\'s suppressed_sources (Codex, xAI, Nous, Copilot), and only that provider\'s', async (t) => {
    if (!needHermes(t)) return;
    const h = home(t);
    await runHermes(t, h, [
      { op: 'suppress', provider: 'openai-codex', source: 'device_code' },
      { op: 'suppress', provider: 'xai-oauth', source: 'device_code' },
      { op: 'suppress', provider: 'nous', source: 'device_code' },
      { op: 'suppress', provider: 'copilot', source: 'env:COPILOT_GITHUB_TOKEN' },
      { op: 'suppress', provider: 'anthropic', source: 'claude_code' },
    ]);
    await saveCodex(h, ADA);
    await saveXai(h, 'grok-1');
    await saveNous(h);
    const token = await saveCopilot(h);
    const read = await hermesRead(t, h, 'copilot');
    assert.deepEqual(read.suppressed, { anthropic: ['claude_code'] });
    assert.equal(read.resolved?.api_key, token);
    const nous = await hermesRead(t, h, 'nous');
    assert.equal(nous.entries?.length, 1, 'Hermes seeds the Nous login again');
  });
});
