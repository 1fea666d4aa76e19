/**
 * "Sign in again": an account Hermes Agent killed is repaired in place (same id, same priority, label kept,
 * health fields cleared, other accounts untouched) and Hermes Agent uses it again; a sign-in as another
 * account is added as a new entry and reported; a gone account or a malformed id writes nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { AccountNotFoundError, LifecycleInputError } from '../../src/store/hermesPool.js';
import { differentAccounts, entryIdentity, reloginAccount } from '../../src/store/relogin.js';
import { ManualClock } from '../helpers/clock.js';
import { tempDir } from './helpers.js';
import { needHermes, runHermes, runHermesBatch, type HermesList } from './hermesAgent.js';
import { bytes, codexEntry, codexToken, readStore, writeStore } from './lifecycleFixtures.js';

const FAR = () => Math.floor(Date.now() / 1000) + 86_400;
const clock = new ManualClock(Date.UTC(2026, 10, 30, 13, 0, 0));

const ADA = { accountId: 'acct-ada', sub: 'sub-ada', email: 'ada@example.com' };
const BOB = { accountId: 'acct-bob', sub: 'sub-bob', email: 'bob@example.com' };
const EVE = { accountId: 'acct-eve', sub: 'sub-eve', email: 'eve@example.com' };

describe('reloginAccount', () => {
  it('repairs the account Hermes killed in place; Hermes Agent then uses it again', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'relogin-');
    await writeStore(home, {
      credential_pool: { 'openai-codex': [codexEntry('ada001', 0, ADA, { exp: FAR(), refresh: 'rt-ada-old', label: 'My work account' }), codexEntry('bob002', 1, BOB, { exp: FAR(), refresh: 'rt-bob' })] },
    });
    // Hermes' pool kills ada001 as its failure path does (401 token_revoked → dead)
    const [, killed] = runHermesBatch(t, home, [
      ['mark', 'openai-codex', 'ada001', '401', JSON.stringify({ reason: 'token_revoked', message: 'revoked' })],
      ['list', 'openai-codex'],
    ]) as [unknown, HermesList];
    assert.deepEqual(killed.entries.map((e) => [e.id, e.last_status]), [['ada001', 'dead'], ['bob002', null]]);
    assert.equal(killed.current, 'bob002');
    const bobBefore = (await readStore(home)).credential_pool!['openai-codex']!.find((e) => e.id === 'bob002');

    const fresh = codexEntry('zzz999', 7, ADA, { exp: FAR(), refresh: 'rt-ada-new', label: 'Codex OAuth (ada@example.com)' });
    fresh.priority = 0;
    const outcome = await reloginAccount(home, 'openai-codex', 'ada001', fresh, { clock });
    assert.deepEqual(outcome, { provider: 'openai-codex', id: 'ada001', repairedId: 'ada001', replaced: true, differentAccount: false, label: 'My work account' });

    const pool = (await readStore(home)).credential_pool!['openai-codex']!;
    const ada = pool.find((e) => e.id === 'ada001')!;
    assert.equal(ada.priority, 0);
    assert.equal(ada.label, 'My work account');
    assert.equal(ada.refresh_token, 'rt-ada-new');
    assert.equal(ada.access_token, fresh.access_token);
    assert.equal(ada.created_at, '2026-11-01T00:00:00.000Z');
    assert.equal(ada.updated_at, new Date(clock.now()).toISOString());
    for (const f of ['last_status', 'last_status_at', 'last_error_code', 'last_error_reason', 'last_error_message', 'last_error_reset_at']) assert.equal(ada[f], null, f);
    assert.deepEqual(pool.find((e) => e.id === 'bob002'), bobBefore);
    assert.equal(pool.length, 2);

    const after = runHermes<HermesList>(t, home, ['list', 'openai-codex']);
    assert.deepEqual(after.entries.map((e) => [e.id, e.last_status]), [['ada001', null], ['bob002', null]]);
    assert.equal(after.current, 'ada001');
  });

  it('a sign-in as a different account is added as a new entry (next priority) and the repaired one is left as it was', async (t: TestContext) => {
    const home = tempDir(t, 'relogin-');
    const dead = { ...codexEntry('ada001', 0, ADA, { exp: FAR(), refresh: 'rt-ada' }), last_status: 'dead', last_status_at: 1_700_000_000, last_error_code: 401, last_error_reason: 'token_revoked' };
    await writeStore(home, { credential_pool: { 'openai-codex': [dead, codexEntry('bob002', 1, BOB, { exp: FAR(), refresh: 'rt-bob' })] } });
    const outcome = await reloginAccount(home, 'openai-codex', 'ada001', codexEntry('new000', 0, EVE, { exp: FAR(), refresh: 'rt-eve' }), { clock });
    assert.equal(outcome.replaced, false);
    assert.equal(outcome.differentAccount, true);
    assert.notEqual(outcome.id, 'ada001');
    const pool = (await readStore(home)).credential_pool!['openai-codex']!;
    assert.deepEqual(pool[0], dead);
    const added = pool.find((e) => e.id === outcome.id)!;
    assert.equal(added.priority, 2);
    assert.equal(added.refresh_token, 'rt-eve');
    assert.equal(pool.length, 3);
  });

  it('repairing a Hermes-seeded entry renews its providers.<id> login too, so Hermes does not sync the old tokens back', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'relogin-');
    const oldAccess = codexToken({ ...ADA, exp: FAR() });
    await writeStore(home, { providers: { 'openai-codex': { tokens: { access_token: oldAccess, refresh_token: 'rt-old' }, last_refresh: '2026-11-01T00:00:00Z' } } });
    const [seeded] = runHermesBatch(t, home, [['list', 'openai-codex']]) as [HermesList];
    const id = seeded.entries[0]!.id;
    runHermes(t, home, ['mark', 'openai-codex', id, '401', JSON.stringify({ reason: 'invalid_grant' })]);
    const newAccess = codexToken({ ...ADA, exp: FAR() + 60 });
    const singleton = { tokens: { access_token: newAccess, refresh_token: 'rt-new' }, last_refresh: new Date(clock.now()).toISOString(), auth_mode: 'chatgpt' };
    const outcome = await reloginAccount(home, 'openai-codex', id, { id: 'x', source: 'device_code', auth_type: 'oauth', access_token: newAccess, refresh_token: 'rt-new' }, { clock, singleton });
    assert.equal(outcome.replaced, true);
    const store = await readStore(home);
    assert.deepEqual(store.providers, { 'openai-codex': singleton });
    const after = runHermes<HermesList>(t, home, ['list', 'openai-codex']);
    assert.deepEqual(after.entries.map((e) => [e.id, e.source, e.last_status]), [[id, 'device_code', null]]);
    assert.equal(after.current, id);
    const entry = (await readStore(home)).credential_pool!['openai-codex']![0]!;
    assert.equal(entry.access_token, newAccess);
    assert.equal(entry.refresh_token, 'rt-new');
  });

  it('a gone account is AccountNotFoundError and a malformed id LifecycleInputError; nothing is written', async (t: TestContext) => {
    const home = tempDir(t, 'relogin-');
    await writeStore(home, { credential_pool: { 'openai-codex': [codexEntry('ada001', 0, ADA, { exp: FAR(), refresh: 'rt-ada' })] } });
    const before = await bytes(path.join(home, 'auth.json'));
    const fresh = codexEntry('n', 0, ADA, { exp: FAR(), refresh: 'rt' });
    await assert.rejects(reloginAccount(home, 'openai-codex', 'gone00', fresh, { clock }), AccountNotFoundError);
    await assert.rejects(reloginAccount(home, 'openai-codex', '../ada', fresh, { clock }), LifecycleInputError);
    await assert.rejects(reloginAccount(home, 'open ai', 'ada001', fresh, { clock }), LifecycleInputError);
    assert.deepEqual(await bytes(path.join(home, 'auth.json')), before);
  });

  it('identity: account id and subject decide, then the email; an unknown side counts as the same account', () => {
    const ada = entryIdentity({ access_token: codexToken({ ...ADA, exp: 1 }) });
    assert.deepEqual(ada, { accountId: 'acct-ada', sub: 'sub-ada', email: 'ada@example.com' });
    assert.equal(differentAccounts(ada, entryIdentity({ access_token: codexToken({ ...BOB, exp: 1 }) })), true);
    assert.equal(differentAccounts(ada, { accountId: 'acct-ada', sub: 'sub-ada' }), false);
    // same person, another ChatGPT workspace: a different account
    assert.equal(differentAccounts(ada, { accountId: 'acct-team', sub: 'sub-ada' }), true);
    assert.equal(differentAccounts({ email: 'Ada@Example.com' }, { email: 'ada@example.com' }), false);
    assert.equal(differentAccounts({ email: 'a@x.com' }, { email: 'b@x.com' }), true);
    assert.equal(differentAccounts({}, ada), false);
    assert.deepEqual(entryIdentity({ access_token: 'opaque', sub: 'stored-sub', account_id: 'stored-acct' }), { accountId: 'stored-acct', sub: 'stored-sub' });
  });
});
