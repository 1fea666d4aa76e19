/**
 * Revocation: OpenAI Codex's JSON revoke against a fake of it, RFC 7009 against a real authorization server
 * (oidc-provider with its revocation feature, discovered as xAI's). A revoked refresh token no longer works;
 * failures are reported with a safe reason, never a token; providers without revocation say so.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CODEX_CLIENT_ID } from '../../src/providers/codex.js';
import { revokeTokens, supportsRevocation, type RevocationOutcome } from '../../src/providers/revoke.js';
import type { ProviderContext, StepBounds } from '../../src/providers/types.js';
import { xaiProvider } from '../../src/providers/xai.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startCodexRevokeFake, type CodexRevokeFake } from '../fakes/codexRevokeFake.js';
import { startOidcDeviceServer, XAI_FAKE_CLIENT_ID, type OidcDeviceServer } from '../fakes/oidcDeviceServer.js';
import { loadConfig } from '../../src/config.js';

const clock = new ManualClock(Date.now());
const bounds = (): StepBounds => ({ signal: new AbortController().signal, deadline: clock.now() + 30_000 });
const ctxFor = (env: NodeJS.ProcessEnv): ProviderContext => ({ clock, config: loadConfig(env), logger: silentLogger() });

/** Asserts a failed outcome whose reason matches `pattern` and holds none of `secrets`. */
function assertFailed(outcome: RevocationOutcome, pattern: RegExp, secrets: string[]): void {
  assert.equal(outcome.outcome, 'failed', JSON.stringify(outcome));
  const reason = (outcome as { reason: string }).reason;
  assert.match(reason, pattern);
  for (const s of secrets) assert.ok(!reason.includes(s), 'a token leaked into the reason');
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('revokeTokens: OpenAI Codex', () => {
  let fake: CodexRevokeFake;
  let ctx: ProviderContext;
  before(async () => {
    fake = await startCodexRevokeFake();
    ctx = ctxFor({ HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer });
  });
  after(() => fake.close());

  it('POSTs {token, token_type_hint: "refresh_token", client_id} as JSON to {issuer}/oauth/revoke; the token is dead after', async () => {
    fake.grant('rt-codex-live-0123456789');
    const outcome = await revokeTokens(ctx, 'openai-codex', { refreshToken: 'rt-codex-live-0123456789', accessToken: 'at-unused' }, bounds());
    assert.deepEqual(outcome, { outcome: 'revoked' });
    assert.equal(fake.isLive('rt-codex-live-0123456789'), false);
    const last = fake.requests.at(-1)!;
    assert.equal(last.path, '/oauth/revoke');
    assert.match(last.contentType ?? '', /^application\/json/);
    assert.deepEqual(last.body, { token: 'rt-codex-live-0123456789', token_type_hint: 'refresh_token', client_id: CODEX_CLIENT_ID });
  });

  it('an error answer is a failed outcome with the status and error code, never the token', async () => {
    fake.failNext(400, { error: 'invalid_request', error_description: 'bad token rt-codex-secret-9999999999' });
    assertFailed(await revokeTokens(ctx, 'openai-codex', { refreshToken: 'rt-codex-secret-9999999999' }, bounds()), /HTTP 400 \(invalid_request\)/, ['rt-codex-secret-9999999999']);
    fake.failNext(503, { error: 'temporarily_unavailable' });
    assertFailed(await revokeTokens(ctx, 'openai-codex', { refreshToken: 'rt-codex-secret-9999999999' }, bounds()), /HTTP 503/, ['rt-codex-secret-9999999999']);
  });

  it('an unreachable server or an unusable issuer override is a failed outcome, not an exception', async () => {
    const port = await deadPort();
    const down = ctxFor({ HERMES_ONBOARD_OPENAI_CODEX_ISSUER: `http://127.0.0.1:${port}` });
    assertFailed(await revokeTokens(down, 'openai-codex', { refreshToken: 'rt-x-0123456789abcdef' }, bounds()), /Could not reach 127\.0\.0\.1/, ['rt-x-0123456789abcdef']);
    const plainHttp = ctxFor({ HERMES_ONBOARD_OPENAI_CODEX_ISSUER: 'http://auth.example.com' });
    assertFailed(await revokeTokens(plainHttp, 'openai-codex', { refreshToken: 'rt-x-0123456789abcdef' }, bounds()), /plain http/, ['rt-x-0123456789abcdef']);
  });

  it('unsupported: a provider without revocation, or an account without a refresh token; nothing is sent', async () => {
    const sent = fake.requests.length;
    for (const provider of ['nous', 'copilot', 'anthropic', 'openrouter']) {
      assert.equal(supportsRevocation(provider), false);
      assert.equal((await revokeTokens(ctx, provider, { refreshToken: 'rt' }, bounds())).outcome, 'unsupported', provider);
    }
    assert.equal((await revokeTokens(ctx, 'openai-codex', { accessToken: 'at-only' }, bounds())).outcome, 'unsupported');
    assert.equal(fake.requests.length, sent);
    assert.equal(supportsRevocation('openai-codex'), true);
    assert.equal(supportsRevocation('xai-oauth'), true);
  });
});

describe('revokeTokens: RFC 7009 at the discovered revocation_endpoint (xAI, against oidc-provider)', () => {
  let server: OidcDeviceServer;
  let plain: OidcDeviceServer;
  before(async () => {
    server = await startOidcDeviceServer({ now: () => clock.now(), revocation: true });
    plain = await startOidcDeviceServer({ now: () => clock.now() });
  });
  after(async () => {
    await server.close();
    await plain.close();
  });

  /** Signs in through xAI's device grant on `at` and returns the refresh token. */
  async function signIn(at: OidcDeviceServer, sub: string): Promise<string> {
    const ctx = ctxFor({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: at.url });
    const auth = await xaiProvider.begin(ctx, bounds());
    await at.approve(auth.userCode, { sub, email: `${sub}@example.com` });
    const outcome = await xaiProvider.poll(ctx, auth, bounds());
    assert.equal(outcome.kind, 'approved');
    const refresh = (outcome as { grant: { refresh_token?: string } }).grant.refresh_token;
    assert.ok(refresh);
    return refresh;
  }

  /** The token endpoint's answer to a refresh grant with `refreshToken`. */
  async function refreshStatus(at: OidcDeviceServer, refreshToken: string): Promise<{ status: number; error?: string }> {
    const res = await fetch(`${at.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: XAI_FAKE_CLIENT_ID }).toString(),
    });
    const body = (await res.json()) as { error?: string };
    return { status: res.status, ...(body.error && { error: body.error }) };
  }

  it('revokes the refresh token: the server no longer accepts it, while another grant still works', async () => {
    const revoked = await signIn(server, 'alice-sub');
    const kept = await signIn(server, 'bob-sub');
    const ctx = ctxFor({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: server.url });
    assert.deepEqual(await revokeTokens(ctx, 'xai-oauth', { refreshToken: revoked }, bounds()), { outcome: 'revoked' });
    assert.deepEqual(await refreshStatus(server, revoked), { status: 400, error: 'invalid_grant' });
    assert.equal((await refreshStatus(server, kept)).status, 200);
  });

  it('a discovery document without revocation_endpoint: unsupported, and the token still works', async () => {
    const refresh = await signIn(plain, 'carol-sub');
    const ctx = ctxFor({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: plain.url });
    const outcome = await revokeTokens(ctx, 'xai-oauth', { refreshToken: refresh }, bounds());
    assert.equal(outcome.outcome, 'unsupported');
    assert.match((outcome as { reason: string }).reason, /names no revocation endpoint/);
    assert.equal((await refreshStatus(plain, refresh)).status, 200);
  });

  it('a revocation_endpoint outside x.ai is refused before anything is sent: failed, and the token still works', async () => {
    const refresh = await signIn(server, 'dave-sub');
    server.overrideDiscovery({ revocation_endpoint: 'https://collector.example.net/revoke' });
    try {
      const ctx = ctxFor({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: server.url });
      assertFailed(await revokeTokens(ctx, 'xai-oauth', { refreshToken: refresh }, bounds()), /outside x\.ai \(collector\.example\.net\)/, [refresh]);
      assert.equal((await refreshStatus(server, refresh)).status, 200);
    } finally {
      server.overrideDiscovery({ revocation_endpoint: `${server.url}/token/revocation` });
    }
  });
});
