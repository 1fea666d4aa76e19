/**
 * The onboarding page in a real browser (Debian chromium), against the real server (a child process)
 * and the fake OpenAI device-auth server: sign-in, cancel, expiry, provider errors, copy, QR code,
 * reload, stream fallback, profiles, keyboard use, the access token, and phone/dark layouts.
 */
import { allowedSkip } from '../helpers/requirements.js';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { faults, startCodexFake, type CodexFake, type CodexFakeOptions } from '../fakes/codexFake.js';
import { assertNoLeak } from '../helpers/harness.js';
import {
  browserSkipReason,
  clickSignIn,
  decodePageQr,
  flowPanel,
  screenshot,
  watchPage,
  Worlds,
  type OpenPageOptions,
  type ServerOptions,
  type World,
} from './browser.js';

const skip = allowedSkip(browserSkipReason());

/** One test's world: the fake, the server pointed at it, and the page. */
interface CodexWorld extends World {
  fake: CodexFake;
}

/** Reads a JSON file of the server's Hermes home. */
async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/** The Codex entries of an auth.json, or [] when the file does not exist. */
async function codexEntries(home: string): Promise<Record<string, unknown>[]> {
  try {
    const store = await readJson(join(home, 'auth.json'));
    return ((store.credential_pool as Record<string, unknown[]> | undefined)?.['openai-codex'] ?? []) as Record<string, unknown>[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

describe('onboarding page: OpenAI Codex', { skip }, () => {
  const worlds = new Worlds();
  before(() => worlds.launch());
  after(() => worlds.closeAll());

  /** Starts a Codex fake (1 s interval), the server pointed at it, and the page. */
  async function world(options: { fake?: CodexFakeOptions; server?: ServerOptions; page?: OpenPageOptions } = {}): Promise<CodexWorld> {
    const fake = await startCodexFake({ interval: '1', ...options.fake });
    const env = { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer, ...options.server?.env };
    return { ...(await worlds.open({ ...options.server, env }, options.page, () => fake.close())), fake };
  }

  test('signs in by clicking: code, link, QR, copy, live success, account listed, auth.json written', async () => {
    const { page, fake, server, problems } = await world();
    const card = page.locator('[data-provider="openai-codex"]');
    await assert.doesNotReject(card.getByText('Not connected').waitFor());
    assert.match((await page.locator('#profile-name').textContent()) ?? '', /default/);
    await screenshot(page, 'codex-1-list');

    const code = await clickSignIn(page, 'openai-codex');
    assert.deepEqual(fake.userCodes(), [code], 'the page shows the code the provider issued');
    assert.equal(fake.counts.usercode, 1);

    const link = page.locator('#verification-link');
    assert.equal(await link.getAttribute('href'), `${fake.issuer}/codex/device`);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.deepEqual((await link.getAttribute('rel'))?.split(' ').sort(), ['noopener', 'noreferrer']);
    assert.equal(await decodePageQr(page), `${fake.issuer}/codex/device`, 'the QR code holds the verification address');
    assert.match((await page.locator('#qr').getAttribute('aria-label')) ?? '', /QR code/);
    assert.match((await page.locator('.countdown-value').textContent()) ?? '', /^1[45]:\d\d$/, 'a 15-minute countdown');

    await page.locator('[data-action="copy"]').click();
    await page.locator('[data-action="copy"].copied').waitFor();
    assert.match((await page.locator('[data-action="copy"]').textContent()) ?? '', /Copied/);
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), code, 'the copy button put the code on the clipboard');
    await screenshot(page, 'codex-2-pending');

    fake.approve(code, { email: 'ada@example.com', plan: 'plus' });
    const success = flowPanel(page, 'success');
    await success.waitFor();
    assert.match((await success.textContent()) ?? '', /Codex OAuth \(ada@example\.com\)/);
    await card.getByText('Connected', { exact: true }).waitFor();
    assert.match((await card.textContent()) ?? '', /ada@example\.com/, 'the refreshed list shows the account');
    await screenshot(page, 'codex-3-success');

    const entries = await codexEntries(server.home);
    assert.equal(entries.length, 1);
    assert.ok(fake.issued.includes(String(entries[0]?.access_token)), 'auth.json holds the token the provider issued');
    const text = await page.content();
    assertNoLeak([text], fake.issued);

    await page.locator('[data-action="done"]').click();
    assert.equal(await flowPanel(page, 'success').count(), 0);
    assert.deepEqual(problems.list, []);
  });

  test('Cancel cancels the flow on the server and nothing is saved', async () => {
    const { page, fake, server, problems } = await world();
    const code = await clickSignIn(page, 'openai-codex');
    const flowId = await page.evaluate('JSON.parse(sessionStorage.getItem("hermes-onboard.flow")).start.flow_id');
    await page.locator('[data-action="cancel"]').click();
    await page.locator('#notice').getByText(/cancelled/).waitFor();
    assert.equal(await page.locator('.flow').count(), 0, 'back to the list');
    const focused = await page.evaluate('document.activeElement?.closest("[data-provider]")?.dataset.provider');
    assert.equal(focused, 'openai-codex', 'focus returns to the provider');
    assert.equal(await page.evaluate('sessionStorage.getItem("hermes-onboard.flow")'), null, 'the page forgot the flow');
    await screenshot(page, 'codex-4-cancelled');

    const poll = await fetch(`${server.url}/api/onboarding/oauth/poll?flow_id=${String(flowId)}`);
    assert.equal(((await poll.json()) as { status: string }).status, 'cancelled', 'the server cancelled the flow');
    assert.deepEqual(await codexEntries(server.home), []);
    assert.equal(fake.userCodes()[0], code);
    assert.deepEqual(problems.list, []);
  });

  test('an expired code says so, and Try again gets a fresh code', async () => {
    const { page, fake, problems } = await world({ fake: { expiresIn: 10 } });
    const first = await clickSignIn(page, 'openai-codex');
    await flowPanel(page, 'expired').waitFor();
    assert.match((await page.locator('#flow-title').textContent()) ?? '', /expired/i);
    await screenshot(page, 'codex-5-expired');

    await page.locator('[data-action="retry"]').click();
    await flowPanel(page, 'pending').waitFor();
    const second = (await page.locator('#user-code').textContent())?.trim();
    assert.notEqual(second, first);
    assert.deepEqual(fake.userCodes(), [first, second]);
    assert.deepEqual(problems.list, []);
  });

  test('a denied sign-in shows the provider’s refusal and offers Try again', async () => {
    const { page, fake, server, problems } = await world();
    const code = await clickSignIn(page, 'openai-codex');
    fake.deny(code);
    await flowPanel(page, 'error').waitFor();
    assert.match((await page.locator('#flow-message').textContent()) ?? '', /denied/i);
    assert.equal(await page.locator('[data-action="retry"]').count(), 1);
    await screenshot(page, 'codex-6-denied');
    assert.deepEqual(await codexEntries(server.home), []);
    assert.deepEqual(problems.list, []);
  });

  test('a failing token exchange shows a safe message and no provider secret', async () => {
    const { page, fake, problems } = await world();
    const code = await clickSignIn(page, 'openai-codex');
    fake.failNext('exchange', faults.leakyError(400), Infinity);
    fake.approve(code);
    await flowPanel(page, 'error').waitFor();
    const message = (await page.locator('#flow-message').textContent()) ?? '';
    assert.ok(message.length > 10, 'an explanation is shown');
    const html = await page.content();
    assertNoLeak([html], fake.issued);
    assert.doesNotMatch(html, /code_verifier=|Bearer ey/);
    await screenshot(page, 'codex-7-provider-error');
    assert.deepEqual(problems.list, []);
  });

  test('a provider outage at start is explained on the provider’s card', async () => {
    const { page, fake, problems } = await world();
    fake.failNext('usercode', faults.outage(), Infinity);
    await page.locator('[data-provider="openai-codex"] [data-action="sign-in"]').click();
    const error = page.locator('[data-provider="openai-codex"] .inline-error');
    await error.waitFor();
    assert.ok(((await error.textContent()) ?? '').length > 10);
    assert.equal(await page.locator('.flow').count(), 0);
    assert.equal(await page.locator('[data-provider="openai-codex"] [data-action="sign-in"]').isEnabled(), true, 'the user can try again');
    await screenshot(page, 'codex-8-start-error');
    assert.deepEqual(problems.unexpected(/HTTP 502: POST .*\/oauth\/start/, /status of 502/), []);
  });

  test('reloading mid-flow shows the same flow and asks the provider for nothing new', async () => {
    const { page, fake, problems } = await world();
    const code = await clickSignIn(page, 'openai-codex');
    await page.reload();
    await flowPanel(page, 'pending').waitFor();
    assert.equal((await page.locator('#user-code').textContent())?.trim(), code);
    assert.equal(fake.counts.usercode, 1, 'no second code was requested');

    // A second tab asking for the same provider joins the same flow (single flight).
    const other = await page.context().newPage();
    await other.goto(page.url());
    await other.locator('[data-provider="openai-codex"] [data-action="sign-in"]').click();
    await flowPanel(other, 'pending').waitFor();
    assert.equal((await other.locator('#user-code').textContent())?.trim(), code);
    assert.equal(fake.counts.usercode, 1);

    fake.approve(code);
    await flowPanel(page, 'success').waitFor();
    await flowPanel(other, 'success').waitFor();
    // The reload cut the first load's event streams (the flow's and the providers'); nothing else may fail.
    assert.deepEqual(problems.unexpected(/request failed: GET .*\/(oauth|providers)\/events\?(flow_id|profile)=.*ERR_ABORTED/), []);
  });

  test('falls back to polling when the event stream breaks', async () => {
    const { page, fake, problems } = await world();
    let aborted = 0;
    await page.route('**/api/onboarding/oauth/events**', (route) => {
      aborted += 1;
      return route.abort('failed');
    });
    const code = await clickSignIn(page, 'openai-codex');
    fake.approve(code, { email: 'poll@example.com' });
    await flowPanel(page, 'success').waitFor();
    assert.match((await flowPanel(page, 'success').textContent()) ?? '', /poll@example\.com/);
    assert.equal(aborted, 1, 'the page tried the stream once, then polled');
    // Only the broken stream itself may show up as a failure.
    assert.deepEqual(problems.unexpected(/^request failed: GET \S+\/oauth\/events\?flow_id=\w+ \(net::ERR_FAILED\)$/, /^console error: Failed to load resource: net::ERR_FAILED$/), []);
  });

  test('the profile switcher shows and signs in to the chosen profile', async () => {
    const { page, fake, server, problems } = await world({ server: { profiles: ['work'] } });
    const select = page.locator('#profile-select');
    assert.deepEqual(await select.locator('option').allTextContents(), ['default', 'work']);
    await select.selectOption('work');
    await page.waitForURL(/profile=work/);
    await page.locator('#providers-summary').waitFor();
    const code = await clickSignIn(page, 'openai-codex');
    assert.match((await flowPanel(page, 'pending').textContent()) ?? '', /profile work/);
    assert.equal(await select.isDisabled(), true, 'no switching in the middle of a flow');
    fake.approve(code, { email: 'work@example.com' });
    await flowPanel(page, 'success').waitFor();
    assert.equal((await codexEntries(join(server.home, 'profiles', 'work'))).length, 1, 'saved into the work profile');
    assert.deepEqual(await codexEntries(server.home), [], 'the default profile is untouched');

    await page.locator('[data-action="done"]').click();
    await select.selectOption('default');
    await page.locator('[data-provider="openai-codex"]').getByText('Not connected').waitFor();
    // Switching profiles closes the first profile's providers stream; nothing else may fail.
    assert.deepEqual(problems.unexpected(/^request failed: GET \S+\/providers\/events\?profile=\w+ \(net::ERR_ABORTED\)$/), []);
  });

  test('works with the keyboard alone', async () => {
    const { page, fake, problems } = await world();
    const focusedText = () => page.evaluate('document.activeElement?.textContent ?? ""') as Promise<string>;
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await focusedText()).includes('Sign in to OpenAI Codex');
    }
    assert.ok(found, 'Tab reaches the Codex sign-in button');
    await page.keyboard.press('Enter');
    await flowPanel(page, 'pending').waitFor();
    assert.equal(await page.evaluate('document.activeElement?.id'), 'flow-title', 'focus moves to the panel');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'verification-link');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.dataset.action'), 'copy');
    await page.keyboard.press('Enter');
    await page.locator('[data-action="copy"].copied').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.dataset.action'), 'cancel');
    const code = (await page.locator('#user-code').textContent())?.trim() ?? '';
    fake.approve(code);
    await flowPanel(page, 'success').waitFor();
    assert.equal(await page.evaluate('document.activeElement?.id'), 'flow-title');
    // a locator, not waitForFunction(string): the page's CSP (rightly) forbids string eval
    await page.locator('#announcer', { hasText: /^Connected to/ }).waitFor({ state: 'attached' });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('.flow').count(), 0, 'Done closes the panel');
    assert.deepEqual(problems.list, []);
  });

  test('with HERMES_ONBOARD_TOKEN: explains how to open the page, then works with #token=', async () => {
    const token = 'test-token-0123456789abcdef';
    const { page, fake, context, server, problems } = await world({ server: { env: { HERMES_ONBOARD_TOKEN: token } } });
    const notice = page.locator('#notice');
    await notice.getByText('This server needs an access token').waitFor();
    assert.match((await notice.textContent()) ?? '', /#token=<HERMES_ONBOARD_TOKEN>/);
    await screenshot(page, 'codex-9-token-needed');
    assert.deepEqual(problems.unexpected(/HTTP 40[13]/, /status of 40[13]/), []);

    const tokened = await context.newPage();
    const tokenedProblems = watchPage(tokened, server.url);
    await tokened.goto(`${server.url}/#token=${token}`);
    await tokened.locator('#providers-title').waitFor();
    assert.equal(new URL(tokened.url()).hash, '', 'the token is removed from the address bar');
    const code = await clickSignIn(tokened, 'openai-codex');
    fake.approve(code);
    await flowPanel(tokened, 'success').waitFor();
    assert.deepEqual(tokenedProblems.list, []);
  });

  test('phone width and dark mode: no sideways scrolling, everything reachable', async () => {
    const { page, fake, problems } = await world({ page: { viewport: { width: 375, height: 740 }, colorScheme: 'dark' } });
    const overflow = () => page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;
    assert.ok((await overflow()) <= 0, 'the list fits the width');
    await screenshot(page, 'phone-dark-1-list');
    const code = await clickSignIn(page, 'openai-codex');
    assert.ok((await overflow()) <= 0, 'the panel fits the width');
    assert.equal(await page.locator('[data-action="copy"]').isVisible(), true);
    await screenshot(page, 'phone-dark-2-pending');
    fake.approve(code, { email: 'phone@example.com', plan: 'pro' });
    await flowPanel(page, 'success').waitFor();
    await screenshot(page, 'phone-dark-3-success');
    assert.deepEqual(problems.list, []);
  });
});
