/**
 * A profile built with Hermes Agent's own writers (its Codex login save, `hermes auth add`'s add_entry,
 * persist_nous_credentials, a benched and a dead entry, suppressed_sources) survives each of this
 * program's writes: the new auth.json is, byte for byte, the old one with only the intended change
 * applied, and Hermes Agent reads the result as intended.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../store/helpers.js';
import { POOL_STATUS_RESET } from '../../src/store/providerState.js';
import { codexAccessToken, hermesRead, jwt, needHermes, refreshToken, runHermes, type HermesEntry } from './hermes.js';
import { saveCodex, saveCopilot, saveNous, saveXai, type CodexAccount } from './ours.js';

const ADA: CodexAccount = { accountId: 'acct-ada', sub: 'user-ada', email: 'ada@example.com', plan: 'pro' };
const BOB: CodexAccount = { accountId: 'acct-bob', sub: 'user-bob', email: 'bob@example.com' };
const CY: CodexAccount = { accountId: 'acct-cy', sub: 'user-cy', email: 'cy@example.com' };
const DEE: CodexAccount = { accountId: 'acct-dee', sub: 'user-dee', email: 'dee@example.com' };
const CODEX_URL = 'https://chatgpt.com/backend-api/codex';

type Json = Record<string, unknown>;
/** auth.json as the test knows it is (the keys it reads are there). */
type Store = Json & { credential_pool: { 'openai-codex': Json[]; 'xai-oauth': Json[]; nous: Json[] }; providers: { nous: Json } };

/** A profile as Hermes Agent's own commands leave it; returns the home and the Hermes-side tokens. */
async function hermesProfile(t: TestContext): Promise<{ home: string; bobAccess: string; cyAccess: string }> {
  const home = tempDir(t, 'interop-');
  const bobAccess = await codexAccessToken(BOB);
  const cyAccess = await codexAccessToken(CY);
  const run = await runHermes(t, home, [
    { op: 'codex_login_save', tokens: { access_token: await codexAccessToken(ADA), refresh_token: refreshToken('ada') } },
    { op: 'add_entry', provider: 'openai-codex', access_token: bobAccess, refresh_token: refreshToken('bob'), label: 'bob', base_url: CODEX_URL },
    { op: 'add_entry', provider: 'openai-codex', access_token: cyAccess, refresh_token: refreshToken('cy'), label: 'cy', base_url: CODEX_URL },
    { op: 'mark', provider: 'openai-codex', access_token: bobAccess, status_code: 429 },
    { op: 'mark', provider: 'openai-codex', access_token: cyAccess, status_code: 401, reason: 'token_invalidated' },
    { op: 'add_entry', provider: 'xai-oauth', access_token: await jwt({ sub: 'grok-1' }, 900), refresh_token: refreshToken('x'), label: 'grok', base_url: 'https://api.x.ai/v1' },
    {
      op: 'persist_nous',
      label: 'Lab',
      creds: {
        access_token: await jwt({ sub: 'nous-user', scope: 'inference:invoke' }),
        refresh_token: refreshToken('nous'),
        token_type: 'Bearer',
        scope: 'inference:invoke',
        tls: { insecure: false, ca_bundle: '/etc/ssl/corp-ca.pem' },
        agent_key_id: 'ak-1',
        hermes_future_field: { kept: true },
      },
    },
    { op: 'suppress', provider: 'anthropic', source: 'claude_code' },
    { op: 'read', provider: 'openai-codex' },
  ]);
  const statuses = (run.results.at(-1) as { entries: HermesEntry[] }).entries.map((e) => [e.label, e.last_status]);
  assert.deepEqual(statuses, [['device_code', null], ['bob', 'exhausted'], ['cy', 'dead']], 'the profile is what Hermes made');
  return { home, bobAccess, cyAccess };
}

async function bytes(home: string): Promise<string> {
  return readFile(path.join(home, 'auth.json'), 'utf8');
}

/** The text this program writes for a store (the format both programs use: two-space JSON and a newline). */
function serialize(store: unknown): string {
  return `${JSON.stringify(store, null, 2)}\n`;
}

describe('a profile written by Hermes Agent survives every write of this program', { timeout: 400_000 }, () => {
  it('Codex (new account, and again for a benched one), Nous, xAI and Copilot sign-ins change only what they mean to', async (t) => {
    if (!needHermes(t)) return;
    const { home, bobAccess } = await hermesProfile(t);
    const original = await bytes(home);
    assert.equal(serialize(JSON.parse(original)), original, 'Hermes Agent\'s file reads and writes back to the same bytes');

    // 1. a new Codex account: one entry appended at the next priority
    let before = JSON.parse(await bytes(home)) as Store;
    const dee = await saveCodex(home, DEE);
    let after = JSON.parse(await bytes(home)) as Store;
    const added = after.credential_pool['openai-codex'].at(-1)!;
    assert.equal(added.access_token, dee.accessToken);
    assert.equal(added.priority, 3);
    let expected = structuredClone(before);
    expected.updated_at = after.updated_at;
    expected.credential_pool['openai-codex'].push(added);
    assert.equal(await bytes(home), serialize(expected));

    // 2. Bob (benched by Hermes) signs in again: only his tokens and health fields change
    before = after;
    const bob = await saveCodex(home, BOB);
    after = JSON.parse(await bytes(home)) as Store;
    expected = structuredClone(before);
    expected.updated_at = after.updated_at;
    const bobEntry = expected.credential_pool['openai-codex'].find((e) => e.access_token === bobAccess)!;
    Object.assign(bobEntry, {
      access_token: bob.accessToken,
      refresh_token: bob.refreshToken,
      last_refresh: after.credential_pool['openai-codex'].find((e) => e.id === bobEntry.id)!.last_refresh,
      ...POOL_STATUS_RESET,
    });
    assert.equal(await bytes(home), serialize(expected));

    // 3. Nous: providers.nous merged, its seeded pool entry renewed, nothing else
    before = after;
    const nous = await saveNous(home);
    after = JSON.parse(await bytes(home)) as Store;
    expected = structuredClone(before);
    expected.updated_at = after.updated_at;
    expected.providers.nous = after.providers.nous;
    expected.credential_pool.nous = after.credential_pool.nous;
    assert.equal(await bytes(home), serialize(expected));
    for (const [key, value] of Object.entries(before.providers.nous)) {
      if (!(key in nous) && key !== 'last_auth_error') assert.deepEqual(after.providers.nous[key], value, `providers.nous.${key} is kept`);
    }
    assert.equal(after.providers.nous.access_token, nous.access_token);

    // 4. a new xAI account: one entry appended
    before = after;
    await saveXai(home, 'grok-2');
    after = JSON.parse(await bytes(home)) as Store;
    expected = structuredClone(before);
    expected.updated_at = after.updated_at;
    expected.credential_pool['xai-oauth'].push(after.credential_pool['xai-oauth'].at(-1)!);
    assert.equal(await bytes(home), serialize(expected));

    // 5. Copilot writes .env only: auth.json is not even rewritten
    const unchanged = await bytes(home);
    await saveCopilot(home);
    assert.equal(await bytes(home), unchanged);
    assert.ok(existsSync(path.join(home, '.env')));

    // Hermes Agent reads it all as intended
    const codex = await hermesRead(t, home, 'openai-codex');
    assert.deepEqual(codex.entries?.map((e) => [e.label, e.priority, e.last_status]), [
      ['device_code', 0, null],
      ['bob', 1, null],
      ['cy', 2, 'dead'],
      ['Codex OAuth (dee@example.com)', 3, null],
    ]);
    assert.equal(codex.entries?.[1]?.access_token, bob.accessToken, 'the renewed account is back in rotation');
    assert.equal(codex.resolved?.api_key, codex.entries?.[0]?.access_token, 'Hermes\' own login stays the one it resolves');
    assert.deepEqual(codex.suppressed, { anthropic: ['claude_code'] });
    assert.deepEqual(codex.refresh_calls, []);
    const nousRead = await hermesRead(t, home, 'nous');
    assert.equal(nousRead.resolved?.api_key, nous.access_token);
    assert.deepEqual(nousRead.entries?.map((e) => [e.label, e.access_token]), [['Lab', nous.access_token]]);
    const xaiRead = await hermesRead(t, home, 'xai-oauth');
    assert.deepEqual(xaiRead.entries?.map((e) => [e.label, e.priority]), [['grok', 0], ['xAI Grok', 1]]);
  });
});
