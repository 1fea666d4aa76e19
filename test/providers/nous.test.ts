/** Nous Portal's device login against a Nous-style fake: its paths, the inference URL allowlist, the saved shape. */
import { loadConfig } from '../../src/config.js';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import { decodeJwt } from 'jose';
import { ProviderError } from '../../src/providers/errors.js';
import { acceptInferenceUrl, nousProvider } from '../../src/providers/nous.js';
import type { DeviceGrantSecret, TokenAnswer } from '../../src/providers/rfc8628.js';
import type { DeviceAuthorization, ProviderContext, StepBounds } from '../../src/providers/types.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startNousFake, type DeviceFake } from '../fakes/nousFake.js';
import { tempDir } from '../store/helpers.js';

describe('acceptInferenceUrl', () => {
  it('accepts https on nousresearch.com and its subdomains only', () => {
    assert.equal(acceptInferenceUrl('https://inference-api.nousresearch.com/v1/'), 'https://inference-api.nousresearch.com/v1');
    assert.equal(acceptInferenceUrl('https://nousresearch.com/v2'), 'https://nousresearch.com/v2');
    assert.equal(acceptInferenceUrl('https://eu.inference.nousresearch.com/v1'), 'https://eu.inference.nousresearch.com/v1');
    for (const bad of [
      'http://inference-api.nousresearch.com/v1',
      'https://nousresearch.com.evil.example/v1',
      'https://evilnousresearch.com/v1',
      'https://user:pw@inference-api.nousresearch.com/v1',
      'https://127.0.0.1/v1',
      'javascript:alert(1)',
      'not a url',
      '',
      42,
    ]) {
      assert.equal(acceptInferenceUrl(bad), undefined, String(bad));
    }
  });
});

describe('nous (Nous Portal device login)', () => {
  let clock: ManualClock;
  let fake: DeviceFake;
  let ctx: ProviderContext;
  let home: string;
  const bounds = (): StepBounds => ({ signal: new AbortController().signal, deadline: clock.now() + 60_000 });

  before(async () => {
    clock = new ManualClock(Date.now());
    fake = await startNousFake({ now: () => clock.now(), interval: '7' });
    ctx = { clock, config: loadConfig({ HERMES_ONBOARD_NOUS_ISSUER: fake.url }), logger: silentLogger() };
  });
  after(() => fake.close());
  // beforeEach gets the test's own context, so the folder goes when each test ends.
  beforeEach((t) => void (home = tempDir(t as TestContext, 'nous-')));

  async function approvedGrant(auth: DeviceAuthorization<DeviceGrantSecret>): Promise<TokenAnswer> {
    fake.approve(auth.userCode);
    const outcome = await nousProvider.poll(ctx, auth, bounds());
    assert.ok(outcome.kind === 'approved', `expected approved, got ${outcome.kind}`);
    return outcome.grant;
  }

  it('asks at /api/oauth/device/code with hermes-cli and inference:invoke; reads a string interval', async () => {
    const auth = await nousProvider.begin(ctx, bounds());
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/api/oauth/device/code');
    assert.match(String(req.headers['content-type']), /application\/x-www-form-urlencoded/);
    assert.deepEqual(req.form, { client_id: 'hermes-cli', scope: 'inference:invoke' });
    assert.equal(auth.intervalSeconds, 7);
    assert.equal(auth.verificationUri, `${fake.url}/device`);
    assert.equal(auth.verificationUriComplete, `${fake.url}/device?user_code=${auth.userCode}`);
    assert.deepEqual(await nousProvider.poll(ctx, auth, bounds()), { kind: 'pending' });
    assert.equal(fake.requests.at(-1)!.path, '/api/oauth/token');
  });

  it('saves providers.nous in the shape Hermes Agent writes, keeping the rest of auth.json', async () => {
    await fsp.writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({ version: 1, active_provider: 'openrouter', providers: { other: { x: 1 } }, credential_pool: { nous: [] }, extra: true }),
    );
    const auth = await nousProvider.begin(ctx, bounds());
    const grant = await approvedGrant(auth);
    const obtainedMs = clock.now();
    const creds = await nousProvider.finish(ctx, auth, grant, bounds());
    assert.deepEqual(await nousProvider.save(ctx, home, creds), { label: 'Nous Portal' });

    const store = JSON.parse(await fsp.readFile(path.join(home, 'auth.json'), 'utf8'));
    const issued = fake.record(auth.userCode).issued!;
    const exp = decodeJwt(String(issued.access_token)).exp!;
    assert.deepEqual(store.providers.nous, {
      portal_base_url: fake.url,
      inference_base_url: 'https://inference-api.nousresearch.com/v1',
      client_id: 'hermes-cli',
      scope: 'inference:invoke',
      token_type: 'Bearer',
      access_token: issued.access_token,
      refresh_token: issued.refresh_token,
      obtained_at: new Date(obtainedMs).toISOString(),
      expires_at: new Date(obtainedMs + 3600_000).toISOString(),
      expires_in: 3600,
      agent_key: issued.access_token,
      agent_key_id: null,
      agent_key_expires_at: new Date(exp * 1000).toISOString(),
      agent_key_expires_in: Math.floor(exp - obtainedMs / 1000),
      agent_key_reused: false,
      agent_key_obtained_at: new Date(obtainedMs).toISOString(),
      tls: { insecure: false, ca_bundle: null },
    });
    assert.deepEqual(store.providers.other, { x: 1 });
    assert.equal(store.active_provider, 'nous', 'as Hermes Agent\'s own Nous login (_save_provider_state) sets it');
    assert.equal(store.extra, true);
    assert.deepEqual(store.credential_pool, { nous: [] });
    assert.equal((await fsp.stat(path.join(home, 'auth.json'))).mode & 0o777, 0o600);
    assert.deepEqual(await nousProvider.accounts(home), [
      { id: 'nous', label: 'Nous Portal', expires_at: new Date(obtainedMs + 3600_000).toISOString() },
    ]);
  });

  it('takes a portal-sent inference URL only when it is https on nousresearch.com', async () => {
    const cases: Array<[string, string]> = [
      ['https://eu.inference-api.nousresearch.com/v1', 'https://eu.inference-api.nousresearch.com/v1'],
      ['https://attacker.example/v1', 'https://inference-api.nousresearch.com/v1'],
      ['http://inference-api.nousresearch.com/v1', 'https://inference-api.nousresearch.com/v1'],
    ];
    for (const [sent, kept] of cases) {
      const portal = await startNousFake({ now: () => clock.now(), inferenceBaseUrl: sent });
      try {
        const local = { ...ctx, config: loadConfig({ HERMES_ONBOARD_NOUS_ISSUER: portal.url }) };
        const auth = await nousProvider.begin(local, bounds());
        portal.approve(auth.userCode);
        const outcome = await nousProvider.poll(local, auth, bounds());
        assert.ok(outcome.kind === 'approved', `expected approved, got ${outcome.kind}`);
        const creds = await nousProvider.finish(local, auth, outcome.grant, bounds());
        assert.equal((creds.secret as { inference_base_url: string }).inference_base_url, kept, sent);
      } finally {
        await portal.close();
      }
    }
  });

  it('merges into an earlier login: fresh tokens and agent-key fields, its tls, label and unknown fields kept, its error record gone', async () => {
    const tls = { insecure: false, ca_bundle: '/etc/ssl/corp-ca.pem' };
    await fsp.writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({ providers: { nous: { access_token: 'old', agent_key_id: 'old-key', agent_key_reused: true, tls, label: 'Lab', future: 1, last_auth_error: { relogin_required: true } } } }),
    );
    const auth = await nousProvider.begin(ctx, bounds());
    const creds = await nousProvider.finish(ctx, auth, await approvedGrant(auth), bounds());
    await nousProvider.save(ctx, home, creds);
    const nous = JSON.parse(await fsp.readFile(path.join(home, 'auth.json'), 'utf8')).providers.nous;
    assert.equal(nous.agent_key_id, null, 'the new agent key has no id, as Hermes Agent\'s own login sets it');
    assert.equal(nous.agent_key_reused, false);
    assert.equal(nous.last_auth_error, undefined);
    assert.notEqual(nous.access_token, 'old');
    assert.deepEqual([nous.tls, nous.label, nous.future], [tls, 'Lab', 1]);
    assert.deepEqual((await nousProvider.accounts(home)).map((a) => a.label), ['Lab']);
  });

  it('lists no account before a login', async () => {
    assert.deepEqual(await nousProvider.accounts(home), []);
  });

  it('classifies denial, expiry and a reused device code', async () => {
    const denied = await nousProvider.begin(ctx, bounds());
    fake.deny(denied.userCode);
    assert.deepEqual(await nousProvider.poll(ctx, denied, bounds()), { kind: 'denied' });

    const expired = await nousProvider.begin(ctx, bounds());
    fake.expire(expired.userCode);
    assert.deepEqual(await nousProvider.poll(ctx, expired, bounds()), { kind: 'expired' });

    const used = await nousProvider.begin(ctx, bounds());
    await approvedGrant(used);
    await assert.rejects(nousProvider.poll(ctx, used, bounds()), (error: unknown) =>
      error instanceof ProviderError && error.code === 'invalid_grant' && /already used/.test(error.message));
  });

  it('refuses a device answer whose verification address is not an http(s) link', async () => {
    fake.inject('device', {
      status: 200,
      body: { device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: 'javascript:alert(1)', expires_in: 600 },
    });
    await assert.rejects(nousProvider.begin(ctx, bounds()), (error: unknown) =>
      error instanceof ProviderError && /not an https:\/\/ link/.test(error.message));
  });

  it('defaults a missing interval to 5 s, caps a huge lifetime and turns garbage into a clear error', async () => {
    fake.inject('device', {
      status: 200,
      body: { device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: `${fake.url}/device`, expires_in: '86400' },
    });
    const auth = await nousProvider.begin(ctx, bounds());
    assert.equal(auth.intervalSeconds, 5);
    assert.equal(auth.expiresInSeconds, 1800);
    fake.inject('device', { status: 200, body: '<html>maintenance</html>' });
    await assert.rejects(nousProvider.begin(ctx, bounds()), (error: unknown) =>
      error instanceof ProviderError && /not JSON/.test(error.message));
    fake.inject('device', { status: 200, body: { user_code: 'ABCD-EFGH', verification_uri: `${fake.url}/device` } });
    await assert.rejects(nousProvider.begin(ctx, bounds()), (error: unknown) =>
      error instanceof ProviderError && /device_code/.test(error.message));
  });

  it('says the portal does not know our client, and names the setting to check', async () => {
    fake.inject('device', { status: 401, body: { error: 'invalid_client' } });
    await assert.rejects(nousProvider.begin(ctx, bounds()), (error: unknown) =>
      error instanceof ProviderError && /does not know Hermes' client id/.test(error.message) && /HERMES_ONBOARD_NOUS_ISSUER/.test(error.message));
  });

  it('never looks a provider-chosen error code up on Object.prototype', async () => {
    for (const code of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      fake.inject('device', { status: 400, body: { error: code } });
      await assert.rejects(nousProvider.begin(ctx, bounds()), (error: unknown) =>
        error instanceof ProviderError && error.message === `Nous Portal refused the sign-in (${code}). Start the sign-in again; if it keeps failing, check HERMES_ONBOARD_NOUS_ISSUER if you set it.`);
    }
  });
});
