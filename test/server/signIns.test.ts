/**
 * The sign-ins beyond the device code over the HTTP API, against real fakes on 127.0.0.1: OpenRouter's PKCE
 * round trip through the token-free callback (an HTTP client following the authorize_url) and through a
 * pasted code, the callback's refusals (unknown, used, expired, another flow's nonce: HTML, nothing
 * written, the code never echoed), MiniMax in both regions, and the Claude Code link waiting for its file
 * (with and without clear_env_keys). Every file is read back by Hermes Agent's own code.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startMinimaxFake } from '../fakes/minimaxFake.js';
import { startOpenRouterFake, type OpenRouterFake } from '../fakes/openrouterFake.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { needHermesAgent, runHermes } from '../providers/hermesPython.js';

const TOKEN = 'test-token-0123456789abcdef';

interface PoolView {
  entries: Array<Record<string, unknown>>;
  selected: Record<string, unknown> | null;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hermes-signin-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openrouterHarness(t: TestContext, options: { token?: boolean; profiles?: string[] } = {}): Promise<{ h: Harness; fake: OpenRouterFake; base: string }> {
  const fake = await startOpenRouterFake();
  t.after(() => fake.close());
  const h = await useHarness(t, {
    env: { HERMES_ONBOARD_OPENROUTER_ISSUER: fake.site },
    ...(options.token && { configEnv: { HERMES_ONBOARD_TOKEN: TOKEN } }),
    ...(options.profiles && { profiles: options.profiles }),
  });
  return { h, fake, base: await h.listen() };
}

/** POSTs JSON over the real listener (so the Host header is the one a browser sends). */
async function post(base: string, route: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

test('OpenRouter: the browser follows authorize_url to the fake, comes back to the token-free callback, and the key lands where Hermes Agent reads it', async (t) => {
  const { h, fake, base } = await openrouterHarness(t, { token: true });
  await h.writeAuth({ version: 1, providers: {}, suppressed_sources: { openrouter: ['env:OPENROUTER_API_KEY'] } });
  const start = await post(base, '/api/onboarding/oauth/start', { provider: 'openrouter' }, TOKEN);
  assert.equal(start.status, 200, start.text);
  assert.equal(start.body.kind, 'authorization_code');
  const authorize = new URL(String(start.body.authorize_url));
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${fake.site}/auth`);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  const callback = new URL(authorize.searchParams.get('callback_url')!);
  assert.equal(callback.origin, base, 'the callback is this server as the browser reached it');
  assert.match(callback.pathname, new RegExp(`^/api/onboarding/oauth/callback/${String(start.body.flow_id)}\\.[A-Za-z0-9_-]{43}$`));

  // the browser: no bearer token (a navigation cannot carry it), redirects followed
  const page = await fetch(authorize, { redirect: 'follow' });
  const html = await page.text();
  assert.equal(page.status, 200, html);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.match(html, /Connected to OpenRouter/);
  const status = await h.waitForStatus(String(start.body.flow_id), 'success');
  assert.equal(status.account?.label, 'openrouter-oauth-1');

  const auth = await h.readAuth();
  const [entry] = auth.credential_pool.openrouter;
  assert.equal(entry.access_token, fake.keys[0]);
  assert.equal(entry.auth_type, 'api_key');
  assert.equal(entry.source, 'manual:openrouter_pkce');
  assert.equal(entry.base_url, 'https://openrouter.ai/api/v1');
  assert.equal(auth.suppressed_sources, undefined, 'a new credential clears the provider\'s suppressed sources');

  // the same link again: used, nothing new written, the code not echoed
  const before = await h.authBytes();
  const again = await fetch(callback.toString() + '?code=another-code-0123456789');
  const againHtml = await again.text();
  assert.equal(again.status, 400);
  assert.match(againHtml, /already used/);
  assert.doesNotMatch(againHtml, /another-code-0123456789/);
  assert.deepEqual(await h.authBytes(), before);

  // the API itself still needs the token; the callback route is the only one open
  assert.equal((await fetch(`${base}/api/onboarding/providers`)).status, 403);
  // the Host check still applies to the callback
  const foreignHost = await h.request({ url: `${callback.pathname}?code=x`, headers: { host: 'evil.example:8788' } });
  assert.equal(foreignHost.status, 403);

  h.assertNoSecrets([html, againHtml, start.text], fake.issued);
  if (!needHermesAgent(t)) return;
  const seen = runHermes<PoolView>(h.userHome, h.home, ['pool', 'openrouter']);
  assert.equal(seen.selected?.runtime_api_key, fake.keys[0]);
  assert.equal(seen.selected?.source, 'manual:openrouter_pkce');
  assert.equal(seen.selected?.runtime_base_url, 'https://openrouter.ai/api/v1');
});

test('OpenRouter: a code pasted through POST /oauth/submit signs in; a second submit is refused', async (t) => {
  const { h, fake } = await openrouterHarness(t);
  const start = await h.start({ provider: 'or' });
  assert.equal(start.status, 200, start.text);
  assert.equal(start.body.provider, 'openrouter');
  const challenge = new URL(start.body.authorize_url).searchParams.get('code_challenge')!;
  const code = fake.codeFor(challenge); // as OpenRouter shows it when the browser cannot come back
  const submitted = await h.request({ method: 'POST', url: '/api/onboarding/oauth/submit', json: { flow_id: start.body.flow_id, code } });
  assert.equal(submitted.status, 200, submitted.text);
  await h.waitForStatus(start.body.flow_id, 'success');
  const again = await h.request({ method: 'POST', url: '/api/onboarding/oauth/submit', json: { flow_id: start.body.flow_id, code } });
  assert.equal(again.status, 400);
  const auth = await h.readAuth();
  assert.equal(auth.credential_pool.openrouter.length, 1);
  assert.equal(auth.credential_pool.openrouter[0].access_token, fake.keys[0]);
  h.assertNoSecrets([], fake.issued);
});

test('OpenRouter callback refusals: an unknown nonce, another flow\'s nonce, an expired flow and a refusal at OpenRouter answer HTML and write nothing', async (t) => {
  const { h, fake } = await openrouterHarness(t, { profiles: ['work'] });
  const first = await h.start({ provider: 'openrouter' });
  const second = await h.start({ provider: 'openrouter', profile: 'work' });
  assert.notEqual(first.body.flow_id, second.body.flow_id);
  const pathOf = (start: typeof first) => new URL(new URL(start.body.authorize_url).searchParams.get('callback_url')!).pathname;
  const nonceOf = (start: typeof first) => pathOf(start).split('.').at(-1)!;
  const code = fake.codeFor(new URL(first.body.authorize_url).searchParams.get('code_challenge')!);

  const unknown = await h.request({ url: `/api/onboarding/oauth/callback/${first.body.flow_id}.${'x'.repeat(43)}?code=${code}` });
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /unknown or has expired/);
  const crossed = await h.request({ url: `/api/onboarding/oauth/callback/${second.body.flow_id}.${nonceOf(first)}?code=${code}` });
  assert.equal(crossed.status, 400, 'flow A\'s nonce does not open flow B');
  const malformed = await h.request({ url: `/api/onboarding/oauth/callback/not-a-token?code=${code}` });
  assert.equal(malformed.status, 400);
  for (const res of [unknown, crossed, malformed]) assert.ok(!res.text.includes(code), 'the code is never echoed');
  assert.equal((await h.poll(first.body.flow_id)).body.status, 'pending');
  assert.equal((await h.poll(second.body.flow_id)).body.status, 'pending');

  // OpenRouter sends the browser back with a refusal: the flow ends with OpenRouter's error code only
  const refused = await h.request({ url: `${pathOf(second)}?error=access_denied&error_description=%3Cscript%3E` });
  assert.equal(refused.status, 400);
  assert.doesNotMatch(refused.text, /<script>/);
  const secondEnd = await h.waitForStatus(second.body.flow_id, 'error');
  assert.match(secondEnd.error ?? '', /did not authorize.*access_denied/);

  // the first flow expires; its link then says so
  await h.clock.advance(16 * 60 * 1000);
  await h.waitForStatus(first.body.flow_id, 'expired');
  const expired = await h.request({ url: `${pathOf(first)}?code=${code}` });
  assert.equal(expired.status, 400);
  assert.match(expired.text, /expired/);
  assert.equal(await h.authBytes(), undefined, 'nothing was written');
  assert.equal(await h.authBytes('work'), undefined);
  assert.equal(fake.keys.length, 0, 'no code was exchanged');
  h.assertNoSecrets([], fake.issued);
});

test('MiniMax OAuth: region global by default and cn when asked, each saved where Hermes Agent reads it', async (t) => {
  const minimax = await startMinimaxFake({ now: () => h.clock.now() });
  t.after(() => minimax.close());
  const h: Harness = await useHarness(t, { env: { HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER: minimax.portal }, profiles: ['china'] });
  await h.writeAuth({ version: 1, active_provider: 'nous', suppressed_sources: { 'minimax-oauth': ['device_code'] } });
  // Hermes Agent judges the token's expiry by the real clock: start the test clock at the real time
  await h.clock.advance(Math.max(0, Date.now() - h.clock.now()));

  for (const [profile, region, inference] of [
    ['default', undefined, 'https://api.minimax.io/anthropic'],
    ['china', 'cn', 'https://api.minimaxi.com/anthropic'],
  ] as const) {
    const start = await h.start({ provider: 'minimax-oauth', profile, ...(region && { region }) });
    assert.equal(start.status, 200, start.text);
    assert.equal(start.body.kind, 'device_code');
    assert.match(start.body.verification_uri, /^https:\/\/platform\.minimaxi\.io\/oauth-authorize/, 'the stale address is rewritten');
    const tokens = minimax.approve(start.body.user_code);
    await h.advancePoll();
    const done = await h.waitForStatus(start.body.flow_id, 'success');
    assert.equal(done.account?.label, region === 'cn' ? 'MiniMax (China)' : 'MiniMax');
    const auth = await h.readAuth(profile);
    const state = auth.providers['minimax-oauth'];
    assert.equal(state.region, region ?? 'global');
    assert.equal(state.inference_base_url, inference);
    assert.equal(state.access_token, tokens.accessToken);
    assert.equal(auth.active_provider, 'minimax-oauth', 'as Hermes Agent\'s own MiniMax login does');
    assert.equal(auth.suppressed_sources, undefined);
    if (needHermesAgent(t)) {
      const seen = runHermes<{ runtime: Record<string, unknown>; status: Record<string, unknown> }>(h.userHome, h.profileHome(profile), ['minimax']);
      assert.equal(seen.runtime.api_key, tokens.accessToken);
      assert.equal(seen.runtime.base_url, inference);
      assert.equal(seen.status.region, region ?? 'global');
    }
  }
  const listed = await h.request({ url: '/api/onboarding/providers' });
  const item = listed.body.providers.find((p: { id: string }) => p.id === 'minimax-oauth');
  assert.deepEqual(item.methods, ['device_code']);
  assert.equal(item.connected, true);
  h.assertNoSecrets([], minimax.issued);
});

/** Writes Claude Code's credentials file the way Claude Code does (whole, by rename). */
async function writeClaudeCode(dir: string, accessToken: string, nowMs: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, '.credentials.json');
  await writeFile(`${file}.tmp`, JSON.stringify({ claudeAiOauth: { accessToken, refreshToken: 'sk-ant-ort01-refresh-never-copied-01', expiresAt: nowMs + 3_600_000 } }));
  await rename(`${file}.tmp`, file);
}

const ENV_BEFORE = '# keys\nOTHER=1\nANTHROPIC_API_KEY=sk-ant-api03-old-key-0000000000\r\nexport ANTHROPIC_TOKEN="tok en"\n\nLAST=x y  # kept';
const ENV_AFTER = '# keys\nOTHER=1\n\nLAST=x y  # kept';

for (const clear of [false, true]) {
  test(`Claude Code link ${clear ? 'with' : 'without'} clear_env_keys: waits for the file, then links it without copying the token`, async (t) => {
    const user = await tempDir(t);
    const claudeDir = path.join(user, '.claude');
    const h = await useHarness(t, { env: { CLAUDE_CONFIG_DIR: claudeDir } });
    await h.writeAuth({ version: 1, providers: {}, suppressed_sources: { anthropic: ['claude_code'] } });
    await writeFile(path.join(h.home, '.env'), ENV_BEFORE);
    const access = `sk-ant-oat01-claude-code-token-${clear ? 'a' : 'b'}-0123456789`;

    const start = await h.start({ provider: 'claude', ...(clear && { clear_env_keys: true }) });
    assert.equal(start.status, 200, start.text);
    assert.equal(start.body.kind, 'detect');
    assert.equal(start.body.provider, 'anthropic');
    assert.match(start.body.action_required, /claude login/);
    // the first look found nothing; the flow waits for the file
    const firstWait = await h.nextWait();
    assert.equal(firstWait, 5);
    assert.equal((await h.poll(start.body.flow_id)).body.status, 'pending');

    await writeClaudeCode(claudeDir, access, h.clock.now());
    await h.clock.advance(firstWait * 1000);
    const done = await h.waitForStatus(start.body.flow_id, 'success');
    assert.equal(done.account?.label, 'Claude Code (linked)');

    const auth = await h.readAuth();
    const [marker] = auth.credential_pool.anthropic;
    assert.equal(marker.source, 'claude_code_linked');
    assert.equal(marker.auth_type, 'oauth');
    assert.equal('access_token' in marker, false, 'the marker holds no secret');
    assert.equal(auth.suppressed_sources, undefined);
    assert.equal(await readFile(path.join(h.home, '.env'), 'utf8'), clear ? ENV_AFTER : ENV_BEFORE, 'every other byte of .env is kept');
    h.assertNoSecrets([JSON.stringify(auth)], [access, 'sk-ant-ort01-refresh-never-copied-01']);

    if (!needHermesAgent(t)) return;
    const seen = runHermes<{ claude_code_suppressed: boolean; anthropic_key_from_env: string | null; marker: Record<string, unknown> | null }>(user, h.home, ['anthropic']);
    assert.equal(seen.claude_code_suppressed, false);
    assert.ok(seen.marker);
    // Hermes Agent reads the key from the profile's .env: only without it does Claude Code's sign-in win
    if (clear) assert.ok(!seen.anthropic_key_from_env, 'no .env key wins over Claude Code any more');
    else assert.ok(seen.anthropic_key_from_env, 'the .env key was left, as asked');
  });
}

test('Claude Code link: a file already there links at once', async (t) => {
  const user = await tempDir(t);
  const claudeDir = path.join(user, '.claude');
  const h = await useHarness(t, { env: { CLAUDE_CONFIG_DIR: claudeDir } });
  await writeClaudeCode(claudeDir, 'sk-ant-oat01-present-at-start-0123456789', h.clock.now());
  const start = await h.start({ provider: 'anthropic' });
  assert.equal(start.status, 200, start.text);
  await h.waitForStatus(start.body.flow_id, 'success');
  const listed = await h.request({ url: '/api/onboarding/providers' });
  const item = listed.body.providers.find((p: { id: string }) => p.id === 'anthropic');
  assert.deepEqual(item.methods, ['detect', 'api_key']);
  assert.equal(item.kind, 'detect');
  assert.equal(item.connected, true);
  assert.equal(item.accounts[0].label, 'Claude Code (linked)');
  h.assertNoSecrets([], ['sk-ant-oat01-present-at-start-0123456789']);
});
