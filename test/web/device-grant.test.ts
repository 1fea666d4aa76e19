/**
 * The onboarding page with the standard device-grant providers (RFC 8628), end to end in a real browser:
 * Nous Portal (sends verification_uri_complete, so the QR code and link carry the code) and GitHub
 * Copilot (GitHub's habits: errors with HTTP 200, no complete URI, the token saved in .env).
 */
import { allowedSkip } from '../helpers/requirements.js';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGithubFake } from '../fakes/githubFake.js';
import { startNousFake } from '../fakes/nousFake.js';
import { browserSkipReason, clickSignIn, decodePageQr, flowPanel, screenshot, Worlds } from './browser.js';

const skip = allowedSkip(browserSkipReason());

describe('onboarding page: device-grant providers', { skip }, () => {
  const worlds = new Worlds();
  before(() => worlds.launch());
  after(() => worlds.closeAll());

  test('Nous Portal: sign in by clicking, QR of the complete address, saved to auth.json', async () => {
    const fake = await startNousFake({ interval: 1 });
    const { page, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_NOUS_ISSUER: fake.url } }, undefined, () => fake.close());
    const code = await clickSignIn(page, 'nous');
    const complete = `${fake.url}/device?user_code=${code}`;
    assert.equal(await decodePageQr(page), complete, 'the QR code carries the code, so a phone needs no typing');
    assert.equal(await page.locator('#verification-link').getAttribute('href'), complete);
    assert.equal((await page.locator('.url').textContent())?.trim(), `${fake.url}/device`, 'the short address is shown for typing');
    await screenshot(page, 'nous-1-pending');

    fake.approve(code, 'nous-user');
    await flowPanel(page, 'success').waitFor();
    await page.locator('[data-provider="nous"]').getByText('Connected', { exact: true }).waitFor();
    await screenshot(page, 'nous-2-success');

    const store = JSON.parse(await readFile(join(server.home, 'auth.json'), 'utf8')) as { providers?: { nous?: { access_token?: string } } };
    assert.equal(store.providers?.nous?.access_token, fake.record(code).issued?.access_token, 'auth.json holds the issued token');
    assert.ok(!(await page.content()).includes(String(fake.record(code).issued?.access_token)), 'the token never reaches the page');
    assert.deepEqual(problems.list, []);
  });

  test('GitHub Copilot: sign in by clicking, QR of the verification address, token saved in .env', async () => {
    const fake = await startGithubFake({ interval: 1 });
    const { page, server, problems } = await worlds.open({ env: { HERMES_ONBOARD_COPILOT_ISSUER: fake.url } }, undefined, () => fake.close());
    const code = await clickSignIn(page, 'copilot');
    assert.equal(await decodePageQr(page), `${fake.url}/login/device`);
    await screenshot(page, 'copilot-1-pending');

    fake.approve(code);
    await flowPanel(page, 'success').waitFor();
    await page.locator('[data-provider="copilot"]').getByText('Connected', { exact: true }).waitFor();
    const env = await readFile(join(server.home, '.env'), 'utf8');
    assert.match(env, new RegExp(`^COPILOT_GITHUB_TOKEN=${String(fake.record(code).issued?.access_token)}$`, 'm'));
    assert.deepEqual(problems.list, []);
  });

  test('GitHub Copilot: a denied sign-in shows the refusal', async () => {
    const fake = await startGithubFake({ interval: 1 });
    const { page, problems } = await worlds.open({ env: { HERMES_ONBOARD_COPILOT_ISSUER: fake.url } }, undefined, () => fake.close());
    const code = await clickSignIn(page, 'copilot');
    fake.deny(code);
    await flowPanel(page, 'error').waitFor();
    assert.match((await page.locator('#flow-message').textContent()) ?? '', /denied/i);
    await screenshot(page, 'copilot-2-denied');
    assert.deepEqual(problems.list, []);
  });
});
