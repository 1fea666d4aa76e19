/**
 * The page's ways to connect beyond the device code, end to end in a real browser against the real server
 * and real fakes: OpenRouter's PKCE sign-in (a new tab, the provider, the server's callback page, the first
 * tab updating by itself; and the paste fallback), linking Claude Code (waiting until its sign-in appears,
 * with the opt-in .env clean-up), API keys (rejected with the provider's words, accepted, unreachable then
 * saved unchecked), MiniMax's region, and 25+ providers tidy at phone width with a working search box.
 */
import { allowedSkip } from '../helpers/requirements.js';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startMinimaxFake } from '../fakes/minimaxFake.js';
import { startModelsFake } from '../fakes/modelsFake.js';
import { startOpenRouterFake } from '../fakes/openrouterFake.js';
import { assertNoLeak } from '../helpers/harness.js';
import { browserSkipReason, flowPanel, screenshot, Worlds } from './browser.js';

const skip = allowedSkip(browserSkipReason());

type Entry = Record<string, unknown>;

/** The pool entries of `provider` in `<home>/auth.json` ([] when there is no file). */
async function poolEntries(home: string, provider: string): Promise<Entry[]> {
  try {
    const store = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as { credential_pool?: Record<string, Entry[]> };
    return store.credential_pool?.[provider] ?? [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

describe('onboarding page: OpenRouter, Claude Code, API keys, many providers', { skip }, () => {
  const worlds = new Worlds();
  before(() => worlds.launch());
  after(() => worlds.closeAll());

  test('OpenRouter: a new tab approves, the server’s callback page answers, the first tab turns connected', async () => {
    const fake = await startOpenRouterFake();
    const { page, context, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_OPENROUTER_ISSUER: fake.site } }, undefined, () => fake.close());
    const row = page.locator('[data-provider="openrouter"]');
    await row.locator('[data-action="sign-in"]').click();
    const pending = flowPanel(page, 'pending');
    await pending.waitFor();
    assert.equal(await pending.getAttribute('data-kind'), 'authorization_code');

    const link = page.locator('#authorize-link');
    const href = new URL((await link.getAttribute('href')) ?? '');
    assert.equal(`${href.origin}${href.pathname}`, `${fake.site}/auth`);
    assert.equal(href.searchParams.get('code_challenge_method'), 'S256');
    const callback = new URL(href.searchParams.get('callback_url') ?? '');
    assert.equal(callback.origin, server.url, 'the provider sends the browser back to this server, as the browser reached it');
    assert.match(callback.pathname, /^\/api\/onboarding\/oauth\/callback\/[\w.-]{16,}$/);
    assert.equal(await link.getAttribute('target'), '_blank');
    await screenshot(page, 'openrouter-1-pending');

    const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await tab.getByText(/Connected to OpenRouter/).waitFor();
    await screenshot(tab, 'openrouter-2-callback-tab');
    const callbackHtml = await tab.content();
    await tab.close();

    await flowPanel(page, 'success').waitFor();
    await row.getByText('Connected', { exact: true }).waitFor();
    await screenshot(page, 'openrouter-3-success');
    const [entry, ...others] = await poolEntries(server.home, 'openrouter');
    assert.equal(others.length, 0);
    assert.equal(entry?.source, 'manual:openrouter_pkce');
    assert.equal(entry?.access_token, fake.keys[0], 'the minted key is saved for Hermes Agent');
    assertNoLeak([await page.content(), callbackHtml], fake.issued);
    assert.deepEqual(problems.list, []);
  });

  test('OpenRouter: a pasted code finishes the sign-in when the other tab cannot come back', async () => {
    const fake = await startOpenRouterFake();
    const { page, context, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_OPENROUTER_ISSUER: fake.site } }, undefined, () => fake.close());
    await page.locator('[data-provider="openrouter"] [data-action="sign-in"]').click();
    await flowPanel(page, 'pending').waitFor();
    const challenge = new URL((await page.locator('#authorize-link').getAttribute('href')) ?? '').searchParams.get('code_challenge') ?? '';

    await page.locator('.paste summary').click();
    await page.locator('#paste-code').fill('not-a-code-the-provider-made');
    await page.locator('[data-action="submit-code"]').click();
    // the provider refuses an unknown code: the flow ends with its error, nothing is saved
    const refused = flowPanel(page, 'error');
    await refused.waitFor();
    assert.deepEqual(await poolEntries(server.home, 'openrouter'), []);

    await page.locator('[data-action="retry"]').click();
    await flowPanel(page, 'pending').waitFor();
    const fresh = new URL((await page.locator('#authorize-link').getAttribute('href')) ?? '').searchParams.get('code_challenge') ?? '';
    assert.notEqual(fresh, challenge, 'Try again starts a new PKCE sign-in');
    await page.locator('.paste summary').click();
    // the paste link asks the provider to show the code instead of calling this server back
    const pasteLink = new URL((await page.locator('#paste-link').getAttribute('href')) ?? '');
    assert.equal(pasteLink.searchParams.get('callback_url'), null);
    assert.equal(pasteLink.searchParams.get('code_challenge'), fresh, 'the same PKCE challenge as the flow');
    const [shown] = await Promise.all([context.waitForEvent('page'), page.locator('#paste-link').click()]);
    // the fake shows the code as OpenRouter's page does (served as text, so read from the page's text)
    const code = /<code id="auth-code">([^<]+)<\/code>/.exec(await shown.locator('body').innerText())?.[1] ?? '';
    assert.ok(code.length > 8, 'the provider showed a code');
    await shown.close();
    await page.locator('#paste-code').fill(code);
    await page.locator('[data-action="submit-code"]').click();
    await flowPanel(page, 'success').waitFor();
    assert.equal((await poolEntries(server.home, 'openrouter'))[0]?.access_token, fake.keys[0]);
    assertNoLeak([await page.content()], fake.issued);
    assert.deepEqual(problems.unexpected(/HTTP 4\d\d: POST .*\/oauth\/submit/, /status of 4\d\d/), []);
  });

  test('Claude Code: the page waits, then links the sign-in once it appears; the .env clean-up is opt-in', async () => {
    const claudeDir = await mkdtemp(join(tmpdir(), 'claude-config-'));
    const { page, server, problems } = await worlds.open(
      {
        env: { CLAUDE_CONFIG_DIR: claudeDir },
        prepare: (home) => writeFile(join(home, '.env'), '# my settings\nANTHROPIC_API_KEY=sk-ant-api03-old-key-that-would-win\nOTHER_SETTING=kept\n', { mode: 0o600 }),
      },
      undefined,
      () => rm(claudeDir, { recursive: true, force: true }),
    );
    const row = page.locator('[data-provider="anthropic"]');
    const clearEnv = row.locator('#clear-env-anthropic');
    assert.equal(await clearEnv.isChecked(), false, 'removing keys from .env is never the default');
    assert.match((await row.locator('label[for="clear-env-anthropic"]').textContent()) ?? '', /ANTHROPIC_API_KEY.*ANTHROPIC_TOKEN.*instead of the Claude Code sign-in/s);
    await clearEnv.check();
    await row.locator('[data-action="sign-in"][data-method="detect"]').click();
    const pending = flowPanel(page, 'pending');
    await pending.waitFor();
    assert.equal(await pending.getAttribute('data-kind'), 'detect');
    assert.match((await page.locator('#action-required').textContent()) ?? '', /claude/i);
    await screenshot(page, 'claude-1-waiting');

    const accessToken = `sk-ant-oat01-${'a'.repeat(40)}`;
    const refreshToken = `sk-ant-ort01-${'b'.repeat(40)}`;
    await writeFile(
      join(claudeDir, '.credentials.json'),
      JSON.stringify({ claudeAiOauth: { accessToken, refreshToken, expiresAt: Date.now() + 3_600_000, scopes: ['user:inference'], subscriptionType: 'max' } }),
      { mode: 0o600 },
    );
    await flowPanel(page, 'success').waitFor();
    await row.getByText(/^Connected/).waitFor();
    await screenshot(page, 'claude-2-linked');

    const [marker] = await poolEntries(server.home, 'anthropic');
    assert.equal(marker?.source, 'claude_code_linked');
    const store = await readFile(join(server.home, 'auth.json'), 'utf8');
    const env = await readFile(join(server.home, '.env'), 'utf8');
    assert.equal(env, '# my settings\nOTHER_SETTING=kept\n', 'the chosen keys left .env, every other byte stayed');
    assertNoLeak([store, await page.content()], [accessToken, refreshToken, 'sk-ant-api03-old-key-that-would-win']);
    assert.deepEqual(problems.list, []);
  });

  test('API key: a rejected key shows the provider’s words; an accepted one is saved and shown only as a hint', async () => {
    const good = `sk-good-${'1'.repeat(24)}a1b2`;
    const bad = `sk-bad-${'9'.repeat(24)}zz99`;
    const models = await startModelsFake(good);
    const { page, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_DEEPSEEK_BASE_URL: models.base('bearer') } }, undefined, () => models.close());
    const row = page.locator('[data-provider="deepseek"]');
    await row.locator('[data-action="add-key"]').click();
    const field = page.locator('#key-deepseek');
    assert.equal(await field.getAttribute('type'), 'password');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'key-deepseek', 'focus goes to the key field');

    await field.fill(bad);
    await page.locator('#key-label-deepseek').fill('work');
    await row.locator('[data-action="save-key"]').click();
    const error = row.locator('.key-form .inline-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /DeepSeek rejected the key.*Incorrect API key provided: \[redacted\]/);
    assert.deepEqual(await poolEntries(server.home, 'deepseek'), [], 'a rejected key is not saved');
    await screenshot(page, 'api-key-1-rejected');

    await field.fill(`  ${good}  `);
    await row.locator('[data-action="save-key"]').click();
    const saved = row.locator('.inline-ok');
    await saved.waitFor();
    assert.match((await saved.textContent()) ?? '', /Saved work \(.*a1b2\)/);
    await row.getByText('Connected', { exact: true }).waitFor();
    assert.match((await row.locator('.account').textContent()) ?? '', /a1b2/, 'the account shows the key’s hint');
    assert.equal(await page.locator('#key-deepseek').count(), 0, 'the form closed, the key gone from the page');
    await row.locator('[data-action="add-key"]').click();
    assert.equal(await page.locator('#key-deepseek').inputValue(), '', 'a reopened form is empty');
    await screenshot(page, 'api-key-2-saved');

    const [entry] = await poolEntries(server.home, 'deepseek');
    assert.equal(entry?.access_token, good, 'saved trimmed, as Hermes Agent reads it');
    assert.equal(entry?.label, 'work');
    assertNoLeak([await page.content()], [good, bad]);
    assert.deepEqual(problems.unexpected(/HTTP 422: POST .*\/api\/onboarding\/keys/, /status of 422/), []);
  });

  test('API key: when the provider cannot be reached, “Save without checking” saves it', async () => {
    const good = `sk-good-${'2'.repeat(24)}c3d4`;
    const models = await startModelsFake(good);
    const { page, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_DEEPSEEK_BASE_URL: models.base('bearer') } }, undefined, () => models.close());
    models.failNext('/models', { reset: true }, Infinity);
    const row = page.locator('[data-provider="deepseek"]');
    await row.locator('[data-action="add-key"]').click();
    await page.locator('#key-deepseek').fill(good);
    await row.locator('[data-action="save-key"]').click();
    const unchecked = row.locator('[data-action="save-unchecked"]');
    await unchecked.waitFor();
    assert.deepEqual(await poolEntries(server.home, 'deepseek'), [], 'nothing saved while unchecked');
    await screenshot(page, 'api-key-3-unreachable');
    await unchecked.click();
    await row.locator('.inline-ok').getByText(/not checked/).waitFor();
    assert.equal((await poolEntries(server.home, 'deepseek'))[0]?.access_token, good);
    assert.deepEqual(problems.unexpected(/HTTP 502: POST .*\/api\/onboarding\/keys/, /status of 502/), []);
  });

  test('MiniMax: the region chosen on the page goes to the server', async () => {
    const fake = await startMinimaxFake();
    const { page, problems } = await worlds.open({ env: { HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER: fake.portal } }, undefined, () => fake.close());
    const row = page.locator('[data-provider="minimax-oauth"]');
    assert.equal(await row.locator('#region-minimax-oauth').inputValue(), 'global', 'global by default');
    await row.locator('#region-minimax-oauth').selectOption('cn');
    const [request] = await Promise.all([page.waitForRequest('**/api/onboarding/oauth/start'), row.locator('[data-action="sign-in"]').click()]);
    assert.equal((request.postDataJSON() as { region?: string }).region, 'cn');
    await flowPanel(page, 'pending').waitFor();
    assert.deepEqual(fake.userCodes(), [(await page.locator('#user-code').textContent())?.trim()]);
    assert.deepEqual(problems.list, []);
  });

  test('25+ providers at phone width: grouped rows, a search box, no sideways scrolling, no other host', async () => {
    const { page, problems } = await worlds.open({}, { viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
    const rows = page.locator('[data-provider]');
    const total = await rows.count();
    assert.ok(total >= 25, `${total} providers listed`);
    const overflow = () => page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;
    assert.ok((await overflow()) <= 0, 'the list fits the width');
    assert.ok((await page.locator('.provider-group').count()) >= 2, 'providers are grouped');
    await screenshot(page, 'phone-providers-1-all');

    // "terminal only" names a command that exists in Hermes Agent: Qwen is under `hermes auth add`, Google's login under `hermes model`
    const notes = await page.locator('[data-provider] .provider-note code').allTextContents();
    assert.ok(notes.includes('hermes auth add qwen-oauth'), `Qwen's note: ${notes.join(' | ')}`);
    assert.ok(notes.includes('hermes model'), `Google Gemini's note: ${notes.join(' | ')}`);

    await page.locator('#provider-filter').fill('deep');
    const visible = await Promise.all((await page.locator('[data-provider]:visible').all()).map((el) => el.getAttribute('data-provider')));
    assert.deepEqual(visible.sort(), ['deepinfra', 'deepseek']);
    await page.locator('#filter-count').getByText(/^2 of \d+ providers shown$/).waitFor();
    await screenshot(page, 'phone-providers-2-search');
    await page.locator('#provider-filter').fill('no such provider');
    await page.locator('.filter-empty').waitFor();
    assert.ok((await overflow()) <= 0);
    assert.deepEqual(problems.list, []);
  });
});
