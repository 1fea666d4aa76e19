/**
 * Round trips: this program's sign-in, then Hermes Agent's own writes (a bench on 429, a refresh with the
 * network answer simulated), then this program's status and a second sign-in of the same account: still
 * one entry per account, its details shown, and Hermes Agent uses the newest token.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { codexProvider } from '../../src/providers/codex.js';
import { nousProvider } from '../../src/providers/nous.js';
import { xaiProvider } from '../../src/providers/xai.js';
import { tempDir } from '../store/helpers.js';
import { codexAccessToken, hermesRead, jwt, needHermes, readStore, refreshToken, runHermes, type HermesEntry } from './hermes.js';
import { saveCodex, saveNous, saveXai, type CodexAccount } from './ours.js';

const ADA: CodexAccount = { accountId: 'acct-ada', sub: 'user-ada', email: 'ada@example.com', plan: 'team' };
const BOB: CodexAccount = { accountId: 'acct-bob', sub: 'user-bob', email: 'bob@example.com', plan: 'plus' };

describe('round trips between this program and Hermes Agent', { timeout: 400_000 }, () => {
  it('Codex: sign-in, Hermes benches and refreshes, status, sign-in again', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    const first = await saveCodex(home, ADA);
    const bob = await saveCodex(home, BOB);
    const refreshed = await codexAccessToken(ADA);
    const run = await runHermes(t, home, [
      { op: 'mark', provider: 'openai-codex', access_token: first.accessToken, status_code: 429 },
      { op: 'refresh', provider: 'openai-codex', access_token: first.accessToken, new_access_token: refreshed, new_refresh_token: refreshToken('r') },
    ]);
    assert.deepEqual(run.refresh_calls, ['refresh_codex_oauth_pure'], 'Hermes refreshed through its own pool code');

    const status = await codexProvider.accounts(home);
    assert.deepEqual(status.map((a) => [a.label, a.email, a.plan]), [
      ['Codex OAuth (ada@example.com)', 'ada@example.com', 'team'],
      ['Codex OAuth (bob@example.com)', 'bob@example.com', 'plus'],
    ]);

    const second = await saveCodex(home, ADA);
    const read = await hermesRead(t, home, 'openai-codex');
    assert.deepEqual(read.entries?.map((e) => e.access_token), [second.accessToken, bob.accessToken]);
    assert.equal(read.selected?.access_token, second.accessToken);
    assert.equal(read.resolved?.api_key, second.accessToken);
    assert.deepEqual(read.refresh_calls, []);
    assert.equal((await codexProvider.accounts(home)).length, 2);
  });

  it('Codex from Hermes Agent\'s own login: sign-in here, Hermes refreshes, sign-in again', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    await runHermes(t, home, [
      { op: 'codex_login_save', tokens: { access_token: await codexAccessToken(ADA), refresh_token: refreshToken('h') } },
      { op: 'read', provider: 'openai-codex' },
    ]);
    const ours = await saveCodex(home, ADA);
    const refreshed = await codexAccessToken(ADA);
    await runHermes(t, home, [
      { op: 'refresh', provider: 'openai-codex', access_token: ours.accessToken, new_access_token: refreshed, new_refresh_token: refreshToken('r') },
    ]);
    const singleton = (await readStore(home)).providers?.['openai-codex']?.tokens as Record<string, unknown>;
    assert.equal(singleton.access_token, refreshed, 'Hermes wrote its refresh back to the singleton');
    assert.deepEqual((await codexProvider.accounts(home)).map((a) => [a.email, a.plan]), [['ada@example.com', 'team']]);

    const again = await saveCodex(home, ADA);
    const read = await hermesRead(t, home, 'openai-codex');
    assert.deepEqual(read.entries?.map((e) => [e.source, e.access_token]), [['device_code', again.accessToken]]);
    assert.equal(read.resolved?.api_key, again.accessToken);
    assert.deepEqual(read.refresh_calls, []);
  });

  it('xAI: sign-in, Hermes benches and refreshes, status, sign-in again', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    const first = await saveXai(home, 'grok-1', 'one@example.com');
    const refreshed = await jwt({ sub: 'grok-1', email: 'one@example.com' }, 900);
    const run = await runHermes(t, home, [
      { op: 'mark', provider: 'xai-oauth', access_token: first.access_token, status_code: 429 },
      { op: 'refresh', provider: 'xai-oauth', access_token: first.access_token, new_access_token: refreshed, new_refresh_token: refreshToken('r') },
    ]);
    assert.deepEqual(run.refresh_calls, ['refresh_xai_oauth_pure']);
    assert.deepEqual((await xaiProvider.accounts(home)).map((a) => a.email), ['one@example.com']);

    const second = await saveXai(home, 'grok-1', 'one@example.com');
    const read = await hermesRead(t, home, 'xai-oauth');
    assert.deepEqual(read.entries?.map((e) => e.access_token), [second.access_token]);
    assert.equal(read.resolved?.api_key, second.access_token);
    assert.deepEqual(read.refresh_calls, []);
  });

  it('Nous: sign-in, Hermes resolves and benches, status, sign-in again', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    const first = await saveNous(home);
    const run = await runHermes(t, home, [
      { op: 'read', provider: 'nous' },
      { op: 'mark', provider: 'nous', access_token: first.access_token, status_code: 429 },
      { op: 'read', provider: 'nous' },
    ]);
    assert.equal((run.results[2] as { entries: HermesEntry[] }).entries[0]?.last_status, 'exhausted');
    assert.equal((await nousProvider.accounts(home)).length, 1);

    const second = await saveNous(home);
    const read = await runHermes(t, home, [{ op: 'read', provider: 'nous' }, { op: 'nous_shared' }]);
    const nous = read.results[0] as { entries: HermesEntry[]; selected: HermesEntry | null; resolved: { api_key?: string } };
    assert.deepEqual(nous.entries.map((e) => [e.access_token, e.last_status]), [[second.access_token, null]]);
    assert.equal(nous.selected?.access_token, second.access_token);
    assert.equal(nous.resolved.api_key, second.access_token);
    assert.equal((read.results[1] as { shared: { refresh_token: string } }).shared.refresh_token, second.refresh_token);
    assert.deepEqual(read.refresh_calls, []);
  });
});
