/**
 * The life of a credential on the page, in a real browser against the real server: health badges read from
 * an auth.json in Hermes Agent's own shapes, removing an account behind a confirmation that names it,
 * signing a provider out with an opt-in revoke (the real revocation fake), the page updating by itself when
 * Hermes Agent's own code (another process) marks an account dead, and "Sign in again" repairing that same
 * account through the Codex fake.
 */
import { allowedSkip } from '../helpers/requirements.js';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startCodexFake } from '../fakes/codexFake.js';
import { startCodexRevokeFake } from '../fakes/codexRevokeFake.js';
import { needHermes, runHermes } from '../store/hermesAgent.js';
import { codexEntry, writeStore } from '../store/lifecycleFixtures.js';
import type { PoolEntry } from '../../src/store/pool.js';
import { assertNoLeak } from '../helpers/harness.js';
import { browserSkipReason, flowPanel, screenshot, Worlds } from './browser.js';

const skip = allowedSkip(browserSkipReason());

const NOW_S = () => Math.floor(Date.now() / 1000);
const ADA = { accountId: 'acct-ada', sub: 'sub-ada', email: 'ada@example.com' };
const BOB = { accountId: 'acct-bob', sub: 'sub-bob', email: 'bob@example.com' };
const EVE = { accountId: 'acct-eve', sub: 'sub-eve', email: 'eve@example.com' };
const MAY = { accountId: 'acct-may', sub: 'sub-may', email: 'may@example.com' };

type Store = { credential_pool?: Record<string, PoolEntry[]>; providers?: Record<string, unknown> };

async function readStore(home: string): Promise<Store> {
  return JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as Store;
}

/** Every token of a store, to check none reaches the page. */
function tokensOf(store: Store): string[] {
  return Object.values(store.credential_pool ?? {})
    .flat()
    .flatMap((e) => [e.access_token, e.refresh_token])
    .filter((t): t is string => typeof t === 'string');
}

/** The fixture: four Codex accounts (working, benched for a rate limit, dead, expired) and a Nous login Hermes gave up on. */
function healthFixture(): Store {
  const now = NOW_S();
  return {
    credential_pool: {
      'openai-codex': [
        codexEntry('ada001', 0, ADA, { exp: NOW_S() + 86_400, label: 'Work account' }),
        codexEntry('bob002', 1, BOB, {
          exp: NOW_S() + 86_400, extra: { last_status: 'exhausted', last_status_at: now - 60, last_error_code: 429, last_error_reason: 'rate_limit_exceeded', last_error_message: 'Too many requests', last_error_reset_at: now + 7200 },
        }),
        codexEntry('eve003', 2, EVE, { exp: NOW_S() + 86_400, extra: { last_status: 'dead', last_status_at: now - 600, last_error_code: 401, last_error_reason: 'token_revoked', last_error_message: 'Token has been revoked' } }),
        codexEntry('may004', 3, MAY, { refresh: null, exp: now - 3600 }),
      ],
    },
    providers: {
      nous: {
        portal_base_url: 'https://portal.nousresearch.com',
        client_id: 'hermes-cli',
        last_auth_error: { code: 'invalid_grant', message: 'Refresh token has been revoked', relogin_required: true, at: '2026-11-30T09:00:00Z' },
      },
    },
  };
}

describe('onboarding page: credential lifecycle', { skip }, () => {
  const worlds = new Worlds();
  before(() => worlds.launch());
  after(() => worlds.closeAll());

  test('health badges: working, benched with its retry time, dead, expired; used first; Hermes’ last sign-in error', async () => {
    const store = healthFixture();
    const { page, problems } = await worlds.open({ prepare: (home) => writeStore(home, store) });
    const row = page.locator('[data-provider="openai-codex"]');
    const account = (id: string) => row.locator(`[data-account="${id}"]`);
    assert.equal(await account('ada001').getAttribute('data-health'), 'ok');
    assert.match((await account('ada001').textContent()) ?? '', /Work account.*Used first.*Working/);
    assert.equal(await account('bob002').getAttribute('data-health'), 'exhausted');
    assert.match((await account('bob002').textContent()) ?? '', /Paused until .*\(in 2 hours\).*rate-limited/);
    assert.equal(await account('eve003').getAttribute('data-health'), 'dead');
    assert.equal(await account('may004').getAttribute('data-health'), 'expired');
    assert.match((await account('may004').textContent()) ?? '', /token expired 1 hour ago/);
    for (const id of ['eve003', 'may004']) assert.equal(await account(id).locator('[data-action="relogin"]').count(), 1, `${id} offers Sign in again`);
    for (const id of ['ada001', 'bob002']) assert.equal(await account(id).locator('[data-action="relogin"]').count(), 0, `${id} needs no new sign-in`);
    assert.match((await account('ada001').textContent()) ?? '', /via device code/);

    const nous = page.locator('[data-provider="nous"] [data-role="last-auth-error"]');
    assert.match((await nous.textContent()) ?? '', /Refresh token has been revoked.*Sign in again/);
    await screenshot(page, 'lifecycle-1-health');
    assertNoLeak([await page.content()], tokensOf(store));

    await page.setViewportSize({ width: 375, height: 740 });
    assert.ok(((await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number) <= 0, 'fits a phone');
    await screenshot(page, 'lifecycle-2-health-phone');
    assert.deepEqual(problems.list, []);
  });

  test('Remove asks first, naming the account; Cancel keeps it, Remove removes only it', async () => {
    const store = healthFixture();
    const { page, server, problems } = await worlds.open({ prepare: (home) => writeStore(home, store) });
    const before = await readFile(join(server.home, 'auth.json'), 'utf8');
    const bob = page.locator('[data-account="bob002"]');
    await bob.locator('[data-action="remove"]').click();
    const dialog = page.locator('#confirm-dialog');
    await dialog.waitFor();
    assert.match((await dialog.locator('#confirm-title').textContent()) ?? '', /Remove Codex OAuth \(bob@example\.com\)\?/);
    assert.equal(await page.evaluate('document.activeElement?.dataset.action'), 'confirm-cancel', 'focus starts on the safe choice');
    await screenshot(page, 'lifecycle-3-confirm-remove');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await readFile(join(server.home, 'auth.json'), 'utf8'), before, 'cancelled: nothing written');

    await bob.locator('[data-action="remove"]').click();
    await dialog.locator('[data-action="confirm"]').click();
    await page.locator('#notice').getByText(/Removed Codex OAuth \(bob@example\.com\)/).waitFor();
    await bob.waitFor({ state: 'detached' });
    const after = await readStore(server.home);
    assert.deepEqual(after.credential_pool?.['openai-codex']?.map((e) => e.id), ['ada001', 'eve003', 'may004']);
    await screenshot(page, 'lifecycle-4-removed');
    assert.deepEqual(problems.list, []);
  });

  test('Sign out with revoke: the warning is shown, the grant is revoked at the provider, every account goes', async () => {
    const revoke = await startCodexRevokeFake();
    const store = { credential_pool: { 'openai-codex': [codexEntry('ada001', 0, ADA, { exp: NOW_S() + 86_400, refresh: 'rt-ada-live-0123456789' })] } };
    revoke.grant('rt-ada-live-0123456789');
    const { page, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: revoke.issuer }, prepare: (home) => writeStore(home, store) }, undefined, () => revoke.close());
    await page.locator('[data-provider="openai-codex"] [data-action="logout"]').click();
    const dialog = page.locator('#confirm-dialog');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /signs out every device and app using that sign-in grant/);
    assert.equal(await dialog.locator('#confirm-revoke').isChecked(), false, 'revoking is opt-in');
    await dialog.locator('#confirm-revoke').check();
    await screenshot(page, 'lifecycle-5-confirm-logout');
    await dialog.locator('[data-action="confirm"]').click();
    await page.locator('#notice .notice-title').getByText(/^Removed Codex OAuth \(ada@example\.com\) from OpenAI Codex/).waitFor();
    assert.match((await page.locator('#notice').textContent()) ?? '', /revoked at the provider/);
    await page.locator('[data-provider="openai-codex"]').getByText('Not connected').waitFor();
    assert.deepEqual(revoke.revoked, ['rt-ada-live-0123456789']);
    assert.deepEqual((await readStore(server.home)).credential_pool?.['openai-codex'] ?? [], []);
    assert.deepEqual(problems.list, []);
  });

  test('the page updates by itself when Hermes Agent (another process) marks an account dead', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const store = { credential_pool: { 'openai-codex': [codexEntry('ada001', 0, ADA, { exp: NOW_S() + 86_400 }), codexEntry('bob002', 1, BOB, { exp: NOW_S() + 86_400 })] } };
    const { page, server, problems } = await worlds.open({ prepare: (home) => writeStore(home, store) });
    const ada = page.locator('[data-account="ada001"]');
    assert.equal(await ada.getAttribute('data-health'), 'ok');
    runHermes(t, server.home, ['mark', 'openai-codex', 'ada001', '401', JSON.stringify({ reason: 'token_revoked', message: 'Token has been revoked' })]);
    await page.locator('[data-account="ada001"][data-health="dead"]').waitFor();
    await page.locator('#announcer', { hasText: /Codex OAuth \(ada@example\.com\) is now signed out/ }).waitFor({ state: 'attached' });
    await page.locator('[data-account="bob002"]').getByText('Used first').waitFor();
    await screenshot(page, 'lifecycle-6-live-dead');
    assert.deepEqual(problems.list, []);
  });

  test('Sign in again repairs the dead account in place and leaves the others alone', async () => {
    const fake = await startCodexFake({ interval: '1' });
    const store = {
      credential_pool: {
        'openai-codex': [
          codexEntry('ada001', 0, ADA, { exp: NOW_S() + 86_400, label: 'Work account', extra: { last_status: 'dead', last_status_at: NOW_S() - 60, last_error_code: 401, last_error_reason: 'token_revoked' } }),
          codexEntry('bob002', 1, BOB, { exp: NOW_S() + 86_400 }),
        ],
      },
    };
    const { page, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer }, prepare: (home) => writeStore(home, store) }, undefined, () => fake.close());
    const bobBefore = JSON.stringify((await readStore(server.home)).credential_pool?.['openai-codex']?.[1]);
    const [request] = await Promise.all([
      page.waitForRequest('**/api/onboarding/oauth/start'),
      page.locator('[data-account="ada001"] [data-action="relogin"]').click(),
    ]);
    assert.equal((request.postDataJSON() as { account_id?: string }).account_id, 'ada001', 'the start names the account to repair');
    const pending = flowPanel(page, 'pending');
    await pending.waitFor();
    assert.match((await pending.textContent()) ?? '', /Sign in to OpenAI Codex.* again.*Repairing the account Work account/s);
    const code = (await page.locator('#user-code').textContent())?.trim() ?? '';
    fake.approve(code, { ...ADA, plan: 'pro' });
    await flowPanel(page, 'success').waitFor();
    assert.match((await page.locator('#flow-title').textContent()) ?? '', /^Repaired Work account$/);
    await page.locator('[data-action="done"]').click();
    await page.locator('[data-account="ada001"][data-health="ok"]').waitFor();

    const entries = (await readStore(server.home)).credential_pool?.['openai-codex'] ?? [];
    assert.deepEqual(entries.map((e) => [e.id, e.priority, e.label]), [['ada001', 0, 'Work account'], ['bob002', 1, 'Codex OAuth (bob@example.com)']]);
    assert.equal(entries[0]?.last_status ?? null, null, 'health fields cleared');
    assert.ok(fake.issued.includes(String(entries[0]?.access_token)), 'the repaired entry holds the new token');
    assert.equal(JSON.stringify(entries[1]), bobBefore, 'the other account is untouched');
    assertNoLeak([await page.content()], fake.issued);
    await screenshot(page, 'lifecycle-7-repaired');
    assert.deepEqual(problems.list, []);
  });

  test('Sign in again as a different account adds it and says the dead one still needs a sign-in', async () => {
    const fake = await startCodexFake({ interval: '1' });
    const store = {
      credential_pool: { 'openai-codex': [codexEntry('ada001', 0, ADA, { exp: NOW_S() + 86_400, label: 'Work account', extra: { last_status: 'dead', last_status_at: NOW_S() - 60, last_error_code: 401 } })] },
    };
    const { page, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer }, prepare: (home) => writeStore(home, store) }, undefined, () => fake.close());
    await page.locator('[data-account="ada001"] [data-action="relogin"]').click();
    await flowPanel(page, 'pending').waitFor();
    fake.approve((await page.locator('#user-code').textContent())?.trim() ?? '', { ...EVE, plan: 'plus' });
    const done = flowPanel(page, 'success');
    await done.waitFor();
    assert.match((await page.locator('#flow-title').textContent()) ?? '', /as another account/);
    assert.match((await page.locator('#flow-message').textContent()) ?? '', /not Work account, so it was added as a new account.*Work account still needs a new sign-in/);
    await screenshot(page, 'lifecycle-8-other-account');
    const entries = (await readStore(server.home)).credential_pool?.['openai-codex'] ?? [];
    assert.equal(entries.length, 2, 'the new account is added');
    assert.equal(entries.find((e) => e.id === 'ada001')?.last_status, 'dead', 'the dead account is left as it was');
    assert.deepEqual(problems.list, []);
  });
});
