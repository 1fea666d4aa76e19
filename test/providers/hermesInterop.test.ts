/**
 * What Hermes Agent's own code (../shared/hermes-agent, run in Python with the network closed and HOME a
 * temp folder) reads from what these provider modules save: the OpenRouter PKCE key, API keys, MiniMax
 * OAuth state, and the Claude Code link.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { API_KEY_PROVIDERS, findApiKeyProvider, saveApiKey, saveOpenRouterPkceKey, verifyApiKey, baseUrlEnvName } from '../../src/providers/apiKeys.js';
import { ANTHROPIC_ENV_KEYS, linkClaudeCode } from '../../src/providers/claudeCode.js';
import { beginMinimax, finishMinimax, pollMinimax, saveMinimax, type MinimaxGrant, type MinimaxState } from '../../src/providers/minimax.js';
import { authorizeUrl, callbackUrl, codeFromCallback, createPkce, exchangeCodeForKey, newCallbackNonce, OPENROUTER_BASE_URL } from '../../src/providers/openrouter.js';
import type { ProviderContext, StepBounds } from '../../src/providers/types.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startMinimaxFake, type MinimaxFake } from '../fakes/minimaxFake.js';
import { startModelsFake, type ModelsFake } from '../fakes/modelsFake.js';
import { startOpenRouterFake, type OpenRouterFake } from '../fakes/openrouterFake.js';
import { tempDir } from '../store/helpers.js';
import { needHermesAgent, runHermes } from './hermesPython.js';
import { loadConfig } from '../../src/config.js';

interface EntryView {
  id: string;
  label: string;
  auth_type: string;
  source: string;
  priority: number;
  access_token: string;
  base_url: string | null;
  runtime_api_key: string;
  runtime_base_url: string | null;
}
interface PoolView {
  entries: EntryView[];
  selected: EntryView | null;
}

let openrouter: OpenRouterFake;
let minimax: MinimaxFake;
let models: ModelsFake;
before(async () => {
  [openrouter, minimax, models] = await Promise.all([startOpenRouterFake(), startMinimaxFake(), startModelsFake('sk-placeholder-000000000000')]);
});
after(() => Promise.all([openrouter.close(), minimax.close(), models.close()]));

const bounds = (): StepBounds => ({ signal: new AbortController().signal, deadline: Date.now() + 60_000 });
const ctx = (env: NodeJS.ProcessEnv = {}): ProviderContext => ({ clock: systemClock, config: loadConfig(env), logger: silentLogger() });

/** A temp user home with an empty Hermes home inside, as Hermes Agent lays them out. */
async function homes(t: TestContext): Promise<{ userHome: string; home: string }> {
  const userHome = tempDir(t, 'hermes-interop-');
  const home = path.join(userHome, '.hermes');
  await mkdir(home, { recursive: true });
  return { userHome, home };
}

describe('Hermes Agent reads the OpenRouter PKCE key', () => {
  it('load_pool("openrouter") selects the key the PKCE round trip minted, with OpenRouter\'s API base', async (t) => {
    if (!needHermesAgent(t)) return;
    const { userHome, home } = await homes(t);
    const { codeVerifier, codeChallenge } = await createPkce();
    const res = await fetch(authorizeUrl(openrouter.site, codeChallenge, callbackUrl('http://127.0.0.1:8788', newCallbackNonce())), { redirect: 'manual' });
    const code = codeFromCallback(new URL(res.headers.get('location')!).searchParams);
    const key = await exchangeCodeForKey(ctx(), bounds(), openrouter.site, code, codeVerifier);
    const saved = await saveOpenRouterPkceKey(ctx(), home, key);

    const seen = runHermes<PoolView>(userHome, home, ['pool', 'openrouter']);
    assert.equal(seen.selected?.id, saved.id);
    assert.equal(seen.selected?.runtime_api_key, key);
    assert.equal(seen.selected?.runtime_base_url, OPENROUTER_BASE_URL);
    assert.equal(seen.selected?.auth_type, 'api_key');
    assert.equal(seen.selected?.source, 'manual:openrouter_pkce');
    // Hermes Agent's load keeps the entry on disk
    const store = JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'));
    assert.equal(store.credential_pool.openrouter[0].access_token, key);
  });
});

describe('Hermes Agent reads API keys', () => {
  it('our registry matches Hermes Agent\'s PROVIDER_REGISTRY (ids, base URLs, key variables)', (t) => {
    if (!needHermesAgent(t)) return;
    const { userHome, home } = { userHome: tempDir(t), home: tempDir(t) };
    const seen = runHermes<{ providers: Record<string, { id: string; auth_type: string; base_url: string; env_vars: string[] }>; openrouter_base_url: string }>(userHome, home, ['registry']);
    for (const spec of API_KEY_PROVIDERS) {
      if (spec.id === 'openrouter') {
        assert.equal(spec.baseUrl, seen.openrouter_base_url);
        continue;
      }
      const theirs = seen.providers[spec.id];
      assert.ok(theirs, `${spec.id} is not in Hermes Agent's registry`);
      assert.equal(theirs.auth_type, 'api_key', spec.id);
      assert.equal(spec.baseUrl, theirs.base_url, spec.id);
      assert.deepEqual(spec.envVars, theirs.env_vars, spec.id);
    }
    // every API-key provider of Hermes Agent with a fixed remote base is offered, save the deliberate exceptions
    const ours = new Set(API_KEY_PROVIDERS.map((p) => p.id));
    const missing = Object.entries(seen.providers)
      .filter(([key, p]) => key === p.id && p.auth_type === 'api_key' && !ours.has(p.id))
      .map(([key]) => key)
      .sort();
    assert.deepEqual(missing, ['azure-foundry', 'copilot', 'lmstudio']);
  });

  for (const id of ['deepseek', 'gemini', 'kimi-coding', 'zai', 'minimax', 'xai']) {
    it(`${id}: saved exactly as Hermes Agent's own \`hermes auth add ${id} --type api-key\` saves it, and selected by load_pool`, async (t) => {
      if (!needHermesAgent(t)) return;
      const spec = findApiKeyProvider(id)!;
      const key = `sk-${id}-interop-0123456789abcdef`;
      const ours = await homes(t);
      const theirs = await homes(t);
      const saved = await saveApiKey(ctx(), ours.home, spec, key);
      await saveApiKey(ctx(), ours.home, spec, key); // the same key twice stays one entry

      const added = runHermes<{ pool: Record<string, unknown>[] }>(theirs.userHome, theirs.home, ['add-api-key', id], {}, key);
      const ourPool = JSON.parse(await readFile(path.join(ours.home, 'auth.json'), 'utf8')).credential_pool[id] as Record<string, unknown>[];
      assert.equal(ourPool.length, 1);
      const strip = (e: Record<string, unknown>) => ({ ...e, id: '<id>' });
      assert.deepEqual(ourPool.map(strip), added.pool.map(strip), 'same fields, same values, same order of keys');
      assert.deepEqual(Object.keys(ourPool[0]!), Object.keys(added.pool[0]!));

      const seen = runHermes<PoolView>(ours.userHome, ours.home, ['pool', id]);
      assert.equal(seen.entries.length, 1);
      assert.equal(seen.selected?.id, saved.id);
      assert.equal(seen.selected?.runtime_api_key, key);
      assert.equal(seen.selected?.runtime_base_url, spec.baseUrl);
    });
  }

  it('a key checked live against the /models fake, then saved, is the key Hermes Agent uses', async (t) => {
    if (!needHermesAgent(t)) return;
    const { userHome, home } = await homes(t);
    const key = 'sk-live-checked-0123456789abcdef';
    models.accept(key);
    const spec = findApiKeyProvider('deepseek')!;
    await verifyApiKey(ctx({ [baseUrlEnvName('deepseek')]: models.base('bearer') }), bounds(), spec, key);
    await saveApiKey(ctx(), home, spec, key, { label: 'work' });
    const seen = runHermes<PoolView>(userHome, home, ['pool', 'deepseek']);
    assert.equal(seen.selected?.label, 'work');
    assert.equal(seen.selected?.runtime_api_key, key);
  });
});

describe('Hermes Agent reads MiniMax OAuth', () => {
  it('resolve_minimax_oauth_runtime_credentials() serves the saved token (no refresh, network closed), status logged in', async (t) => {
    if (!needHermesAgent(t)) return;
    const { userHome, home } = await homes(t);
    const env = { HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER: minimax.portal };
    const auth = await beginMinimax(ctx(env), bounds());
    const tokens = minimax.approve(auth.userCode);
    const outcome = await pollMinimax(ctx(env), auth, bounds());
    assert.equal(outcome.kind, 'approved');
    const credentials = finishMinimax(ctx(env), auth, (outcome as { grant: MinimaxGrant }).grant);
    await saveMinimax(ctx(env), home, credentials);

    const seen = runHermes<{ runtime: Record<string, unknown>; status: Record<string, unknown>; active_provider: string; state: MinimaxState }>(userHome, home, ['minimax']);
    assert.deepEqual(seen.runtime, { provider: 'minimax-oauth', api_key: tokens.accessToken, base_url: 'https://api.minimax.io/anthropic', source: 'oauth' });
    assert.equal(seen.status.logged_in, true);
    assert.equal(seen.status.region, 'global');
    assert.equal(seen.status.expires_at, (credentials.secret as MinimaxState).expires_at);
    assert.equal(seen.active_provider, 'minimax-oauth');
    assert.deepEqual(seen.state, credentials.secret);
  });
});

describe('Hermes Agent and the Claude Code link', () => {
  it('sees claude_code unsuppressed, no .env key winning over Claude Code, and a secret-free marker', async (t) => {
    if (!needHermesAgent(t)) return;
    const { userHome, home } = await homes(t);
    await mkdir(path.join(userHome, '.claude'), { recursive: true });
    const access = 'sk-ant-oat01-claude-code-token-never-copied-0123';
    await writeFile(path.join(userHome, '.claude', '.credentials.json'), JSON.stringify({ claudeAiOauth: { accessToken: access, refreshToken: 'rt-x', expiresAt: Date.now() + 3_600_000 } }));
    await writeFile(path.join(home, 'auth.json'), JSON.stringify({ version: 1, providers: {}, suppressed_sources: { anthropic: ['claude_code'] } }));
    await writeFile(path.join(home, '.env'), 'ANTHROPIC_API_KEY=sk-ant-api03-old-key\nOTHER=1\n');

    const beforeLink = runHermes<Record<string, unknown>>(userHome, home, ['anthropic']);
    assert.equal(beforeLink.claude_code_suppressed, true);
    assert.equal(beforeLink.anthropic_key_from_env, 'sk-ant-api03-old-key', 'an .env key wins over Claude Code in Hermes Agent');

    await linkClaudeCode(ctx({ HOME: userHome }), home, { clearEnvKeys: true });
    const afterLink = runHermes<{
      claude_code_suppressed: boolean;
      suppressed_sources: unknown;
      anthropic_key_from_env: string;
      explicitly_configured: boolean;
      marker: Record<string, unknown> | null;
      marker_is_borrowed_source: boolean;
      marker_unchanged_by_sanitizer: boolean;
      raw_after_load: Record<string, unknown>[];
    }>(userHome, home, ['anthropic']);
    assert.equal(afterLink.claude_code_suppressed, false);
    assert.equal(afterLink.suppressed_sources ?? null, null);
    assert.equal(afterLink.anthropic_key_from_env, '', `${ANTHROPIC_ENV_KEYS.join(' / ')} no longer win`);
    assert.equal(afterLink.marker?.source, 'claude_code_linked');
    assert.equal(afterLink.marker_unchanged_by_sanitizer, true, "Hermes Agent's disk-boundary sanitizer finds no secret to strip");
    assert.ok(!JSON.stringify(afterLink.marker).includes(access));
    // What Hermes Agent does with the WebUI marker: it is a borrowed source it cannot hydrate, so its own
    // load_pool("anthropic") prunes it from auth.json (the link itself, the unsuppressed file, remains).
    assert.equal(afterLink.marker_is_borrowed_source, true);
    assert.equal(afterLink.explicitly_configured, false, 'the marker alone does not make anthropic "explicitly configured"');
    assert.deepEqual(afterLink.raw_after_load.filter((e) => e.source === 'claude_code_linked'), []);
    assert.equal(await readFile(path.join(home, '.env'), 'utf8'), 'OTHER=1\n');
  });
});
