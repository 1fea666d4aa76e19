/** xAI Grok's device login against a real authorization server (oidc-provider with features.deviceFlow). */
import type { AccountView } from '../../src/providers/types.js';
import { loadConfig } from '../../src/config.js';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import { UnsecuredJWT } from 'jose';
import { pollUntilDone, SLOW_DOWN_STEP_SECONDS, type PollObserver } from '../../src/flows/drivers/poller.js';
import { ProviderError } from '../../src/providers/errors.js';
import type { DeviceGrantSecret, TokenAnswer } from '../../src/providers/rfc8628.js';
import type { DeviceAuthorization, ProviderContext, StepBounds } from '../../src/providers/types.js';
import { xaiEndpointCheck, xaiEntryDetails, xaiProvider, xaiSameAccount } from '../../src/providers/xai.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startOidcDeviceServer, type FakeAccount, type OidcDeviceServer } from '../fakes/oidcDeviceServer.js';
import { tempDir } from '../store/helpers.js';

/** What a listing shows of a provider's account: id, label, email and plan (never a secret). */
const shown = ({ id, label, email, plan }: AccountView) => ({ id, label, ...(email && { email }), ...(plan && { plan }) });

const ALICE: FakeAccount = { sub: 'alice-sub', email: 'alice@example.com' };
const BOB: FakeAccount = { sub: 'bob-sub', email: 'bob@example.com' };

describe('xai-oauth (against oidc-provider)', () => {
  let clock: ManualClock;
  let server: OidcDeviceServer;
  let ctx: ProviderContext;
  let home: string;
  const bounds = (): StepBounds => ({ signal: new AbortController().signal, deadline: clock.now() + 60_000 });

  before(async () => {
    clock = new ManualClock(Date.now());
    server = await startOidcDeviceServer({ now: () => clock.now() });
    ctx = { clock, config: loadConfig({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: server.url }), logger: silentLogger() };
  });
  after(() => server.close());
  // beforeEach gets the test's own context, so the folder goes when each test ends.
  beforeEach((t) => void (home = tempDir(t as TestContext, 'xai-')));

  /** Starts, approves as `account`, and returns the approved grant. */
  async function signIn(account: FakeAccount): Promise<{ auth: DeviceAuthorization<DeviceGrantSecret>; grant: TokenAnswer }> {
    const auth = await xaiProvider.begin(ctx, bounds());
    assert.deepEqual(await xaiProvider.poll(ctx, auth, bounds()), { kind: 'pending' });
    await server.approve(auth.userCode, account);
    const outcome = await xaiProvider.poll(ctx, auth, bounds());
    assert.ok(outcome.kind === 'approved', `expected approved, got ${outcome.kind}`);
    return { auth, grant: outcome.grant };
  }

  async function pool(): Promise<Array<Record<string, unknown>>> {
    const store = JSON.parse(await fsp.readFile(path.join(home, 'auth.json'), 'utf8'));
    return store.credential_pool['xai-oauth'];
  }

  it('discovers the endpoints and starts with the user code and complete verification address', async () => {
    const auth = await xaiProvider.begin(ctx, bounds());
    assert.match(auth.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.ok(auth.verificationUri.startsWith(`${server.url}/`));
    assert.equal(auth.verificationUriComplete, `${auth.verificationUri}?user_code=${auth.userCode}`);
    assert.equal(auth.intervalSeconds, 5);
    assert.equal(auth.expiresInSeconds, 600);
    const secret = auth.secret as DeviceGrantSecret;
    assert.equal(secret.server.as.token_endpoint, `${server.url}/token`);
  });

  it('signs in: the entry is saved in credential_pool["xai-oauth"] shaped like Codex\'s', async () => {
    const { auth, grant } = await signIn(ALICE);
    const creds = await xaiProvider.finish(ctx, auth, grant, bounds());
    assert.deepEqual(creds.account, { label: 'xAI Grok (alice@example.com)', email: 'alice@example.com' });
    assert.deepEqual(await xaiProvider.save(ctx, home, creds), creds.account);

    const [entry, ...rest] = await pool();
    assert.equal(rest.length, 0);
    const nowIso = new Date(clock.now()).toISOString();
    const tokens = grant as { access_token: string; refresh_token: string };
    assert.deepEqual(entry, {
      id: entry!.id,
      label: 'xAI Grok (alice@example.com)',
      auth_type: 'oauth',
      priority: 0,
      source: 'manual:device_code',
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      base_url: 'https://api.x.ai/v1',
      created_at: nowIso,
      last_refresh: nowIso,
      updated_at: nowIso,
      sub: 'alice-sub',
    });
    assert.match(String(entry!.id), /^[0-9a-f]{6}$/);
    assert.ok(tokens.refresh_token, 'offline_access gave a refresh token');
    // this server's access tokens are opaque, so only the label names the account (xAI's own are JWTs)
    assert.deepEqual((await xaiProvider.accounts(home)).map(shown), [{ id: entry!.id, label: 'xAI Grok (alice@example.com)' }]);
  });

  it('keeps one entry per account: the same account updates in place, another gets its own', async () => {
    for (const account of [ALICE, BOB, ALICE]) {
      const { auth, grant } = await signIn(account);
      await clock.advance(60_000);
      await xaiProvider.save(ctx, home, await xaiProvider.finish(ctx, auth, grant, bounds()));
    }
    const entries = await pool();
    assert.deepEqual(entries.map((e) => e.sub), ['alice-sub', 'bob-sub']);
    assert.notEqual(entries[0]!.created_at, entries[0]!.updated_at, 'the first entry was updated, not recreated');
  });

  it('reports denial', async () => {
    const auth = await xaiProvider.begin(ctx, bounds());
    await server.deny(auth.userCode);
    assert.deepEqual(await xaiProvider.poll(ctx, auth, bounds()), { kind: 'denied' });
  });

  it('reports expiry with a short device-code lifetime', async () => {
    const shortLived = await startOidcDeviceServer({ deviceCodeTtl: 1 });
    try {
      const local = { ...ctx, config: loadConfig({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: shortLived.url }) };
      const auth = await xaiProvider.begin(local, bounds());
      assert.equal(auth.expiresInSeconds, 1);
      assert.deepEqual(await xaiProvider.poll(local, auth, bounds()), { kind: 'pending' });
      // oidc-provider reads the wall clock (whole seconds), so this one test waits out the 1 s lifetime
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.deepEqual(await xaiProvider.poll(local, auth, bounds()), { kind: 'expired' });
    } finally {
      await shortLived.close();
    }
  });

  it('refuses a reused device code', async () => {
    const { auth } = await signIn(ALICE);
    await assert.rejects(xaiProvider.poll(ctx, auth, bounds()), (error: unknown) =>
      error instanceof ProviderError && error.code === 'invalid_grant' && !error.message.includes((auth.secret as DeviceGrantSecret).deviceCode));
  });

  it('passes on slow_down, with a new interval when sent, and polls on afterwards', async () => {
    const auth = await xaiProvider.begin(ctx, bounds());
    server.injectSlowDown(1);
    server.injectSlowDown(1, 12);
    assert.deepEqual(await xaiProvider.poll(ctx, auth, bounds()), { kind: 'slow_down' });
    assert.deepEqual(await xaiProvider.poll(ctx, auth, bounds()), { kind: 'slow_down', intervalSeconds: 12 });
    assert.deepEqual(await xaiProvider.poll(ctx, auth, bounds()), { kind: 'pending' });
  });

  it('spaces polls by the interval, +5 s for good after slow_down (the flow poller over oidc-provider)', async () => {
    const auth = await xaiProvider.begin(ctx, bounds());
    const startedAt = clock.now();
    const first = server.tokenRequests.length;
    server.injectSlowDown(2);
    const waits = waitQueue();
    const flowBounds = { signal: new AbortController().signal, deadline: startedAt + auth.expiresInSeconds * 1000 };
    const done = pollUntilDone(xaiProvider, ctx, auth, flowBounds, waits.observer);
    const endedEarly = done.then(() => Promise.reject(new Error('polling ended early')));
    const step = SLOW_DOWN_STEP_SECONDS;
    // interval first; +5 s after each slow_down; the raised interval kept for good
    const expected = [5, 5 + step, 5 + 2 * step, 5 + 2 * step, 5 + 2 * step];
    for (const [i, seconds] of expected.entries()) {
      assert.equal(await Promise.race([waits.next(), endedEarly]), seconds);
      if (i === expected.length - 1) await server.approve(auth.userCode, ALICE);
      await clock.advance(seconds * 1000);
    }
    assert.equal((await done).kind, 'approved');
    const times = [startedAt, ...server.tokenRequests.slice(first)];
    assert.deepEqual(times.slice(1).map((t, i) => (t - times[i]!) / 1000), expected);
  });

  it('refuses discovery that points an endpoint off x.ai', async () => {
    const evil = await startOidcDeviceServer();
    try {
      evil.overrideDiscovery({ device_authorization_endpoint: 'https://auth.evil.example/device/auth' });
      const local = { ...ctx, config: loadConfig({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: evil.url }) };
      await assert.rejects(xaiProvider.begin(local, bounds()), (error: unknown) =>
        error instanceof ProviderError && /outside x\.ai \(auth\.evil\.example\)/.test(error.message));
      assert.equal(evil.tokenRequests.length, 0);
    } finally {
      await evil.close();
    }
  });

  it('accepts only https x.ai endpoints for the real issuer, plus the same origin for a loopback override', () => {
    const real = xaiEndpointCheck({ url: 'https://auth.x.ai', overridden: false, loopback: false, insecure: false, envName: 'E' });
    real('https://auth.x.ai/oauth2/token', 'token_endpoint');
    real('https://x.ai/device', 'device_authorization_endpoint');
    for (const bad of ['http://auth.x.ai/token', 'https://auth.x.ai.evil.example/token', 'https://evilx.ai/token', 'https://127.0.0.1/token', 'nope']) {
      assert.throws(() => real(bad, 'token_endpoint'), ProviderError, bad);
    }
    const local = xaiEndpointCheck({ url: 'http://127.0.0.1:4000', overridden: true, loopback: true, insecure: true, envName: 'E' });
    local('http://127.0.0.1:4000/token', 'token_endpoint');
    assert.throws(() => local('http://127.0.0.1:4001/token', 'token_endpoint'), ProviderError);
    assert.throws(() => local('https://evil.example/token', 'token_endpoint'), ProviderError);
  });

  it('requires a refresh token', async () => {
    const { auth, grant } = await signIn(ALICE);
    const { refresh_token: _dropped, ...withoutRefresh } = grant;
    await assert.rejects(xaiProvider.finish(ctx, auth, withoutRefresh, bounds()), (error: unknown) =>
      error instanceof ProviderError && /without a refresh token/.test(error.message));
  });
});

describe('xaiSameAccount', () => {
  const jwt = (claims: Record<string, string>) => new UnsecuredJWT(claims).encode();
  it('judges by the access token\'s sub; the stored sub counts only when the token has no claims', () => {
    assert.equal(xaiSameAccount('s1', { access_token: jwt({ sub: 's1' }) }), true);
    assert.equal(xaiSameAccount('s1', { access_token: jwt({ sub: 's2' }), sub: 's1' }), false, 'the token wins over a stale field');
    assert.equal(xaiSameAccount('s1', { access_token: 'opaque', sub: 's1' }), true);
    assert.equal(xaiSameAccount('s1', { access_token: 'opaque' }), undefined);
    assert.equal(xaiSameAccount(undefined, { access_token: jwt({ sub: 's1' }) }), undefined);
  });
  it('shows the email the access token names', () => {
    assert.deepEqual(xaiEntryDetails({ id: 'a', access_token: jwt({ sub: 's', email: 'e@example.com' }), email: 'stale@example.com' }), { email: 'e@example.com' });
    assert.deepEqual(xaiEntryDetails({ id: 'a', access_token: 'opaque', email: 'stale@example.com' }), {});
  });
});

/** The poller's waits as a queue: `next()` resolves with each wait the moment the poller starts it. */
function waitQueue(): { observer: PollObserver; next(): Promise<number> } {
  const seen: number[] = [];
  let waiter: ((seconds: number) => void) | undefined;
  return {
    observer: {
      onWait(seconds) {
        if (waiter) {
          const wake = waiter;
          waiter = undefined;
          wake(seconds);
        } else seen.push(seconds);
      },
    },
    next() {
      const seconds = seen.shift();
      return seconds !== undefined ? Promise.resolve(seconds) : new Promise((resolve) => (waiter = resolve));
    },
  };
}
