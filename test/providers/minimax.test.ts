/** MiniMax OAuth (user code + PKCE) steps and save, against the loopback fake, on an injected clock. */
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  beginMinimax,
  expiryFromExpiredIn,
  finishMinimax,
  MINIMAX_CLIENT_ID,
  minimaxAccounts,
  minimaxSecret,
  parseMinimaxRegion,
  pollMinimax,
  pythonIsoUtc,
  rewriteVerificationUri,
  saveMinimax,
  type MinimaxGrant,
  type MinimaxState,
} from '../../src/providers/minimax.js';
import { ProviderError, TransientProviderError } from '../../src/providers/errors.js';
import type { DeviceAuthorization, ProviderContext, StepBounds } from '../../src/providers/types.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startMinimaxFake, type MinimaxFake } from '../fakes/minimaxFake.js';
import { s256 } from '../fakes/openrouterFake.js';
import { tempDir } from '../store/helpers.js';
import { loadConfig } from '../../src/config.js';

// a clock shared with the fake, so epoch-ms expiries are exact
const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
let fake: MinimaxFake;
before(async () => {
  fake = await startMinimaxFake({ now: () => clock.now() });
});
after(() => fake.close());
beforeEach(() => {
  fake.clearFaults();
  fake.configure({ expiredIn: 'epoch_ms', codeTtlSeconds: 600, tokenTtlSeconds: 900, intervalMs: 2000, wrongState: false, verificationUri: 'https://www.minimaxi.io/oauth-authorize?user_code={code}&client=hermes' });
});

const ctx = (): ProviderContext => ({ clock, config: loadConfig({ HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER: fake.portal }), logger: silentLogger() });
const bounds = (signal = new AbortController().signal): StepBounds => ({ signal, deadline: clock.now() + 15 * 60_000 });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e as Error,
  );
}

function assertNoSecrets(text: string, auth?: DeviceAuthorization): void {
  const extra = auth ? [minimaxSecret(auth).codeVerifier] : [];
  for (const secret of [...fake.issued, ...extra]) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
}

async function approved(region: 'global' | 'cn' = 'global') {
  const auth = await beginMinimax(ctx(), bounds(), region);
  const tokens = fake.approve(auth.userCode);
  const outcome = await pollMinimax(ctx(), auth, bounds());
  assert.equal(outcome.kind, 'approved');
  return { auth, tokens, grant: (outcome as { grant: MinimaxGrant }).grant };
}

describe('minimax begin', () => {
  it('sends the form Hermes Agent sends, checks the state, rewrites the stale address, reads expiry and interval', async () => {
    const auth = await beginMinimax(ctx(), bounds());
    const req = fake.requests.at(-1)!;
    assert.equal(req.path, '/oauth/code');
    assert.match(req.contentType ?? '', /application\/x-www-form-urlencoded/);
    assert.match(String(req.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const secret = minimaxSecret(auth);
    assert.deepEqual(
      { ...req.body, state: 'S', code_challenge: 'C' },
      { response_type: 'code', client_id: MINIMAX_CLIENT_ID, scope: 'group_id profile model.completion', code_challenge: 'C', code_challenge_method: 'S256', state: 'S' },
    );
    assert.equal(req.body?.code_challenge, s256(secret.codeVerifier));
    assert.equal(auth.userCode, fake.userCodes().at(-1));
    assert.equal(auth.verificationUri, `https://platform.minimaxi.io/oauth-authorize?user_code=${auth.userCode}&client=hermes`);
    assert.equal(auth.expiresInSeconds, 600);
    assert.equal(auth.intervalSeconds, 2);
    assert.deepEqual({ portal: secret.portal, region: secret.region }, { portal: fake.portal, region: 'global' });
  });

  it('reads expired_in as a TTL in seconds as well as epoch ms', async () => {
    fake.configure({ expiredIn: 'ttl_seconds', codeTtlSeconds: 480 });
    assert.equal((await beginMinimax(ctx(), bounds())).expiresInSeconds, 480);
  });

  it('reads interval as milliseconds, never below 2 s', async () => {
    fake.configure({ intervalMs: 5000 });
    assert.equal((await beginMinimax(ctx(), bounds())).intervalSeconds, 5);
    fake.configure({ intervalMs: 300 });
    assert.equal((await beginMinimax(ctx(), bounds())).intervalSeconds, 2);
    fake.configure({ intervalMs: null });
    assert.equal((await beginMinimax(ctx(), bounds())).intervalSeconds, 2);
  });

  it('refuses an answer whose state is not ours (possible CSRF)', async () => {
    fake.configure({ wrongState: true });
    const error = await rejection(beginMinimax(ctx(), bounds()));
    assert.ok(error instanceof ProviderError);
    assert.equal(error.code, 'state_mismatch');
  });

  const garbage: Array<[string, Parameters<MinimaxFake['failNext']>[1], RegExp, 'fatal' | 'transient']> = [
    ['a non-JSON 200', { status: 200, text: 'ok' }, /not a JSON object/, 'fatal'],
    ['no user_code', { status: 200, body: { verification_uri: 'https://x', expired_in: 600 } }, /without user_code/, 'fatal'],
    ['a javascript: address', { status: 200, body: { user_code: 'AB', verification_uri: 'javascript:alert(1)', expired_in: 600, state: 'ignored' } }, /state|address/, 'fatal'],
    ['HTTP 400 with MiniMax words', { status: 400, body: { base_resp: { status_code: 1, status_msg: 'client not allowed' } } }, /HTTP 400 \("client not allowed"\)/, 'fatal'],
    ['HTTP 503', { status: 503, body: {} }, /HTTP 503/, 'transient'],
    ['HTTP 429', { status: 429, body: {} }, /HTTP 429/, 'transient'],
  ];
  for (const [name, fault, pattern, kind] of garbage) {
    it(`ends or retries clearly on ${name}`, async () => {
      fake.failNext('/oauth/code', fault);
      const error = await rejection(beginMinimax(ctx(), bounds()));
      assert.ok(error instanceof (kind === 'fatal' ? ProviderError : TransientProviderError), String(error));
      assert.match(error.message, pattern);
    });
  }

  it('refuses an address that is not http(s) even when the state matches', async () => {
    fake.configure({ verificationUri: 'javascript:alert("{code}")' });
    const error = await rejection(beginMinimax(ctx(), bounds()));
    assert.match(error.message, /unusable verification address/);
  });

  it('refuses a user code that has already expired', async () => {
    fake.configure({ expiredIn: 'epoch_ms', codeTtlSeconds: -5 });
    assert.match((await rejection(beginMinimax(ctx(), bounds()))).message, /already expired/);
  });
});

describe('minimax poll', () => {
  it('is pending until approved, then hands over the tokens; the verifier and grant are what Hermes Agent sends', async () => {
    const auth = await beginMinimax(ctx(), bounds());
    assert.deepEqual(await pollMinimax(ctx(), auth, bounds()), { kind: 'pending' });
    const req = fake.requests.at(-1)!;
    assert.deepEqual(req.body, {
      grant_type: 'urn:ietf:params:oauth:grant-type:user_code',
      client_id: MINIMAX_CLIENT_ID,
      user_code: auth.userCode,
      code_verifier: minimaxSecret(auth).codeVerifier,
    });
    const tokens = fake.approve(auth.userCode);
    const outcome = await pollMinimax(ctx(), auth, bounds());
    assert.equal(outcome.kind, 'approved');
    const grant = (outcome as { grant: MinimaxGrant }).grant;
    assert.equal(grant.access_token, tokens.accessToken);
    assert.equal(grant.refresh_token, tokens.refreshToken);
  });

  it('reports a refusal (status "error") as denied', async () => {
    const auth = await beginMinimax(ctx(), bounds());
    fake.deny(auth.userCode);
    assert.deepEqual(await pollMinimax(ctx(), auth, bounds()), { kind: 'denied' });
  });

  it('ends with MiniMax words (scrubbed) when the verifier is wrong, without the verifier', async () => {
    const auth = await beginMinimax(ctx(), bounds());
    const tampered = { ...auth, secret: { ...minimaxSecret(auth), codeVerifier: 'x'.repeat(43) } };
    const error = await rejection(pollMinimax(ctx(), tampered, bounds()));
    assert.ok(error instanceof ProviderError);
    assert.match(error.message, /code_verifier mismatch/);
    assertNoSecrets(error.message, auth);
    assert.ok(!error.message.includes('x'.repeat(43)));
  });

  const garbage: Array<[string, Parameters<MinimaxFake['failNext']>[1], RegExp, 'fatal' | 'transient']> = [
    ['a non-JSON 200', { status: 200, text: '<html>' }, /not a JSON object/, 'fatal'],
    ['a 200 without status', { status: 200, body: { ok: true } }, /without a status/, 'fatal'],
    ['a success without a refresh token', { status: 200, body: { status: 'success', access_token: 'at', expired_in: 900 } }, /lacks/, 'fatal'],
    ['a success with expired_in 0', { status: 200, body: { status: 'success', access_token: 'at', refresh_token: 'rt', expired_in: 0 } }, /lacks/, 'fatal'],
    ['HTTP 500', { status: 500, body: {} }, /HTTP 500/, 'transient'],
    ['a reset connection', { reset: true }, /Could not reach/, 'transient'],
  ];
  for (const [name, fault, pattern, kind] of garbage) {
    it(`classifies ${name}`, async () => {
      const auth = await beginMinimax(ctx(), bounds());
      fake.failNext('/oauth/token', fault);
      const error = await rejection(pollMinimax(ctx(), auth, bounds()));
      assert.ok(error instanceof (kind === 'fatal' ? ProviderError : TransientProviderError), String(error));
      assert.match(error.message, pattern);
      assertNoSecrets(error.message, auth);
    });
  }

  it('keeps polling on an unknown status string, as Hermes Agent does', async () => {
    const auth = await beginMinimax(ctx(), bounds());
    fake.failNext('/oauth/token', { status: 200, body: { status: 'authorizing' } });
    assert.deepEqual(await pollMinimax(ctx(), auth, bounds()), { kind: 'pending' });
  });
});

describe('minimax finish and save', () => {
  for (const mode of ['epoch_ms', 'ttl_seconds'] as const) {
    it(`builds exactly the state Hermes Agent writes (token expired_in as ${mode})`, async () => {
      fake.configure({ expiredIn: mode, tokenTtlSeconds: 900 });
      const { auth, tokens, grant } = await approved();
      await clock.advance(1500);
      const { account, secret } = finishMinimax(ctx(), auth, grant);
      const now = clock.now();
      assert.deepEqual(account, { label: 'MiniMax' });
      const expectedExpiry = mode === 'epoch_ms' ? now - 1500 + 900_000 : now + 900_000;
      assert.deepEqual(secret, {
        provider: 'minimax-oauth',
        region: 'global',
        portal_base_url: fake.portal,
        inference_base_url: 'https://api.minimax.io/anthropic',
        client_id: MINIMAX_CLIENT_ID,
        scope: 'group_id profile model.completion',
        token_type: 'Bearer',
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        resource_url: 'https://api.minimax.io',
        obtained_at: pythonIsoUtc(now),
        expires_at: pythonIsoUtc(expectedExpiry),
        expires_in: Math.trunc((expectedExpiry - now) / 1000),
      } satisfies MinimaxState);
    });
  }

  it('uses the China inference base for region cn', async () => {
    const { auth, grant } = await approved('cn');
    const { secret, account } = finishMinimax(ctx(), auth, grant);
    assert.equal((secret as MinimaxState).inference_base_url, 'https://api.minimaxi.com/anthropic');
    assert.equal((secret as MinimaxState).region, 'cn');
    assert.equal(account.label, 'MiniMax (China)');
  });

  it('saves providers["minimax-oauth"] (0600), sets active_provider, keeps everything else', async (t: TestContext) => {
    const home = tempDir(t);
    await writeFile(path.join(home, 'auth.json'), JSON.stringify({ active_provider: 'nous', providers: { nous: { access_token: 'keep' } }, custom: 1 }));
    const { auth, grant } = await approved();
    const credentials = finishMinimax(ctx(), auth, grant);
    assert.deepEqual(await saveMinimax(ctx(), home, credentials), { label: 'MiniMax' });
    const store = JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'));
    assert.deepEqual(store.providers['minimax-oauth'], credentials.secret);
    assert.deepEqual(store.providers.nous, { access_token: 'keep' });
    assert.equal(store.active_provider, 'minimax-oauth');
    assert.equal(store.custom, 1);
    assert.equal((await stat(path.join(home, 'auth.json'))).mode & 0o777, 0o600);
    const views = await minimaxAccounts(home);
    assert.deepEqual(views, [{ id: 'minimax-oauth', label: 'MiniMax', expires_at: (credentials.secret as MinimaxState).expires_at }]);
    assert.ok(!JSON.stringify(views).includes((credentials.secret as MinimaxState).access_token));
  });

  it('leaves active_provider alone when told to', async (t: TestContext) => {
    const home = tempDir(t);
    await writeFile(path.join(home, 'auth.json'), JSON.stringify({ active_provider: 'nous' }));
    const { auth, grant } = await approved();
    await saveMinimax(ctx(), home, finishMinimax(ctx(), auth, grant), { setActive: false });
    assert.equal(JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8')).active_provider, 'nous');
  });

  it('refuses to save without tokens, writing nothing', async (t: TestContext) => {
    const home = tempDir(t);
    await assert.rejects(saveMinimax(ctx(), home, { account: { label: 'x' }, secret: {} }), ProviderError);
    await assert.rejects(readFile(path.join(home, 'auth.json')), { code: 'ENOENT' });
  });
});

describe('minimax helpers', () => {
  it('tells epoch ms from TTL seconds by half of now, as Hermes Agent does', () => {
    const now = Date.UTC(2026, 0, 1);
    assert.equal(expiryFromExpiredIn(now + 60_000, now), now + 60_000);
    assert.equal(expiryFromExpiredIn(600, now), now + 600_000);
    assert.equal(expiryFromExpiredIn(0, now), now + 1000);
    assert.equal(expiryFromExpiredIn(Math.floor(now / 2) + 1, now), Math.floor(now / 2) + 1);
  });

  it('rewrites only www.minimaxi.io/oauth-authorize, keeping port, path and query', () => {
    assert.equal(rewriteVerificationUri('https://www.minimaxi.io/oauth-authorize?a=1'), 'https://platform.minimaxi.io/oauth-authorize?a=1');
    assert.equal(rewriteVerificationUri('https://www.minimaxi.io:8443/oauth-authorize/x'), 'https://platform.minimaxi.io:8443/oauth-authorize/x');
    assert.equal(rewriteVerificationUri('https://www.minimaxi.io/other'), 'https://www.minimaxi.io/other');
    assert.equal(rewriteVerificationUri('https://platform.minimax.io/oauth-authorize'), 'https://platform.minimax.io/oauth-authorize');
    assert.equal(rewriteVerificationUri('not a url'), 'not a url');
  });

  it('accepts the two regions and names them for anything else', () => {
    assert.equal(parseMinimaxRegion(undefined), 'global');
    assert.equal(parseMinimaxRegion('cn'), 'cn');
    assert.throws(() => parseMinimaxRegion('eu'), /"global" or "cn"/);
  });

  it('writes times the way Python isoformat does', () => {
    assert.equal(pythonIsoUtc(Date.UTC(2026, 0, 2, 3, 4, 5)), '2026-01-02T03:04:05+00:00');
    assert.equal(pythonIsoUtc(Date.UTC(2026, 0, 2, 3, 4, 5, 120)), '2026-01-02T03:04:05.120000+00:00');
  });
});
