/** GitHub Copilot's device flow against a GitHub-style fake: 200 errors, form bodies, slow_down, GitHub's own codes. */
import { loadConfig } from '../../src/config.js';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { copilotProvider } from '../../src/providers/copilot.js';
import { ProviderError, TransientProviderError } from '../../src/providers/errors.js';
import type { DeviceGrantSecret } from '../../src/providers/rfc8628.js';
import type { DeviceAuthorization, ProviderContext, StepBounds } from '../../src/providers/types.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startGithubFake, type GithubFake } from '../fakes/githubFake.js';
import { tempDir } from '../store/helpers.js';

describe('copilot (GitHub device flow)', () => {
  let clock: ManualClock;
  let fake: GithubFake;
  let ctx: ProviderContext;
  const bounds = (): StepBounds => ({ signal: new AbortController().signal, deadline: clock.now() + 60_000 });

  before(async () => {
    clock = new ManualClock(Date.now());
    fake = await startGithubFake({ now: () => clock.now() });
    ctx = { clock, config: loadConfig({ HERMES_ONBOARD_COPILOT_ISSUER: fake.url }), logger: silentLogger() };
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.settings.formAnswers = false;
    fake.settings.deviceFlowDisabled = false;
    fake.requests.length = 0;
  });

  /** Begins, and moves the clock past the interval so the first poll is not "too fast". */
  async function begin(): Promise<DeviceAuthorization<DeviceGrantSecret>> {
    const auth = await copilotProvider.begin(ctx, bounds());
    await clock.advance(auth.intervalSeconds * 1000);
    return auth;
  }

  it('asks for a code at /login/device/code with the Copilot client, read:user and Accept: application/json', async () => {
    const auth = await copilotProvider.begin(ctx, bounds());
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/login/device/code');
    assert.equal(req.form.client_id, 'Iv1.b507a08c87ecfe98');
    assert.equal(req.form.scope, 'read:user');
    assert.match(String(req.headers.accept), /application\/json/);
    assert.equal(auth.verificationUri, `${fake.url}/login/device`);
    assert.equal(auth.verificationUriComplete, undefined);
    assert.equal(auth.intervalSeconds, 5);
    assert.equal(auth.expiresInSeconds, 899);
    assert.equal(fake.record(auth.userCode).state, 'pending');
  });

  it('reads a pending answer sent with HTTP 200 as pending, not success', async () => {
    const auth = await begin();
    assert.deepEqual(await copilotProvider.poll(ctx, auth, bounds()), { kind: 'pending' });
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/login/oauth/access_token');
    assert.equal(req.form.grant_type, 'urn:ietf:params:oauth:grant-type:device_code');
    assert.match(String(req.headers.accept), /application\/json/);
  });

  it('passes on slow_down with the new interval GitHub sends', async () => {
    const auth = await begin();
    assert.deepEqual(await copilotProvider.poll(ctx, auth, bounds()), { kind: 'pending' });
    // polled again at once: too fast for GitHub, which answers slow_down with interval 10
    assert.deepEqual(await copilotProvider.poll(ctx, auth, bounds()), { kind: 'slow_down', intervalSeconds: 10 });
    await clock.advance(10_000);
    assert.deepEqual(await copilotProvider.poll(ctx, auth, bounds()), { kind: 'pending' });
  });

  it('understands form-encoded answers (string interval, errors and tokens)', async () => {
    fake.settings.formAnswers = true;
    const auth = await begin();
    assert.equal(auth.intervalSeconds, 5);
    assert.deepEqual(await copilotProvider.poll(ctx, auth, bounds()), { kind: 'pending' });
    assert.deepEqual(await copilotProvider.poll(ctx, auth, bounds()), { kind: 'slow_down', intervalSeconds: 10 });
    await clock.advance(10_000);
    fake.approve(auth.userCode);
    const outcome = await copilotProvider.poll(ctx, auth, bounds());
    assert.ok(outcome.kind === 'approved', `expected approved, got ${outcome.kind}`);
    const issued = fake.record(auth.userCode).issued!;
    assert.equal((outcome as { grant: { access_token: string } }).grant.access_token, issued.access_token);
  });

  it('signs in end to end: the token lands in .env as COPILOT_GITHUB_TOKEN, 0600, other lines kept', async (t) => {
    const home = tempDir(t, 'copilot-');
    const before = '# my keys\nOPENROUTER_API_KEY=sk-or-1\n\nexport COPILOT_GITHUB_TOKEN=old-token # stale\nTAIL=1';
    await fsp.writeFile(path.join(home, '.env'), before, { mode: 0o644 });
    assert.deepEqual(await copilotProvider.accounts(home), [{ id: 'env', label: 'GitHub token in .env' }]);

    const auth = await begin();
    fake.approve(auth.userCode);
    const outcome = await copilotProvider.poll(ctx, auth, bounds());
    assert.ok(outcome.kind === 'approved', `expected approved, got ${outcome.kind}`);
    const creds = await copilotProvider.finish(ctx, auth, outcome.grant, bounds());
    assert.deepEqual(creds.account, { label: 'GitHub Copilot' });
    assert.deepEqual(await copilotProvider.save(ctx, home, creds), { label: 'GitHub Copilot' });

    const token = String(fake.record(auth.userCode).issued!.access_token);
    const text = await fsp.readFile(path.join(home, '.env'), 'utf8');
    assert.equal(text, `# my keys\nOPENROUTER_API_KEY=sk-or-1\n\nexport COPILOT_GITHUB_TOKEN=${token}\nTAIL=1`);
    assert.equal((await fsp.stat(path.join(home, '.env'))).mode & 0o777, 0o600);
    assert.deepEqual(await copilotProvider.accounts(home), [{ id: 'env', label: 'GitHub token in .env' }]);
  });

  it('lists no account when .env has no token', async (t) => {
    const home = tempDir(t, 'copilot-');
    assert.deepEqual(await copilotProvider.accounts(home), []);
    await fsp.writeFile(path.join(home, '.env'), '# COPILOT_GITHUB_TOKEN=commented-out\nCOPILOT_GITHUB_TOKEN=\n');
    assert.deepEqual(await copilotProvider.accounts(home), []);
  });

  it('maps incorrect_device_code to a message that says to start again, without the code', async () => {
    const auth = await begin();
    const secret = auth.secret as DeviceGrantSecret;
    const forged = { ...auth, secret: { ...secret, deviceCode: 'not-a-code-we-issued-0123456789abcdef' } };
    await assert.rejects(copilotProvider.poll(ctx, forged, bounds()), (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.code, 'incorrect_device_code');
      assert.match(error.message, /did not recognise this sign-in code.*start the sign-in again/i);
      assert.ok(!error.message.includes('not-a-code-we-issued'));
      return true;
    });
  });

  it('explains device_flow_disabled, at the start and while polling', async () => {
    const auth = await begin();
    fake.settings.deviceFlowDisabled = true;
    const disabled = (error: unknown) =>
      error instanceof ProviderError &&
      error.code === 'device_flow_disabled' &&
      /^Device flow is disabled for this GitHub OAuth app/.test(error.message);
    await assert.rejects(copilotProvider.begin(ctx, bounds()), disabled);
    await assert.rejects(copilotProvider.poll(ctx, auth, bounds()), disabled);
  });

  it('reports denial and expiry as outcomes', async () => {
    const denied = await begin();
    fake.deny(denied.userCode);
    assert.deepEqual(await copilotProvider.poll(ctx, denied, bounds()), { kind: 'denied' });
    const expired = await begin();
    fake.expire(expired.userCode);
    assert.deepEqual(await copilotProvider.poll(ctx, expired, bounds()), { kind: 'expired' });
  });

  it('never takes a 200 without an access token as success', async () => {
    const auth = await begin();
    fake.inject('token', { status: 200, body: { token_type: 'bearer', scope: 'read:user' } });
    await assert.rejects(copilotProvider.poll(ctx, auth, bounds()), (error: unknown) =>
      error instanceof ProviderError && /without an access token/.test(error.message));
  });

  it('treats 503 as transient with its Retry-After, and 429 as slow_down', async () => {
    const auth = await begin();
    fake.inject('token', { status: 503, body: 'maintenance', headers: { 'retry-after': '7' } });
    await assert.rejects(copilotProvider.poll(ctx, auth, bounds()), (error: unknown) =>
      error instanceof TransientProviderError && error.retryAfterSeconds === 7 && error.status === 503);
    fake.inject('token', { status: 429, body: 'slow', headers: { 'retry-after': '30' } });
    assert.deepEqual(await copilotProvider.poll(ctx, auth, bounds()), { kind: 'slow_down', retryAfterSeconds: 30 });
    fake.inject('token', { status: 502, body: '<html>bad gateway</html>' });
    await assert.rejects(copilotProvider.poll(ctx, auth, bounds()), TransientProviderError);
  });

  it('keeps provider text out of errors for unknown codes', async () => {
    const auth = await begin();
    fake.inject('token', { status: 200, body: { error: 'weird_thing', error_description: 'token ghu_SECRETSECRETSECRET leaked' } });
    await assert.rejects(copilotProvider.poll(ctx, auth, bounds()), (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.match(error.message, /weird_thing/);
      assert.ok(!error.message.includes('SECRET'));
      return true;
    });
  });

  it('refuses a plain-http issuer override that is not loopback', async () => {
    const env = { HERMES_ONBOARD_COPILOT_ISSUER: 'http://github.example.com' };
    await assert.rejects(copilotProvider.begin({ ...ctx, config: loadConfig(env) }, bounds()), (error: unknown) =>
      error instanceof ProviderError && /HERMES_ONBOARD_COPILOT_ISSUER.*https/.test(error.message));
  });

  it('rejects with the abort reason when the flow is cancelled', async () => {
    const auth = await begin();
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    controller.abort(reason);
    await assert.rejects(copilotProvider.poll(ctx, auth, { signal: controller.signal, deadline: clock.now() + 60_000 }), reason);
  });
});
