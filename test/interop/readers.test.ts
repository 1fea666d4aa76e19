/**
 * For every provider this program writes: a real sign-in against the provider's fake, then Hermes Agent's
 * own readers (load_pool, the resolve_*_runtime_credentials functions with refresh disabled, its dotenv
 * loader for Copilot) select the credential just saved, with no refresh attempted and no duplicate entry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { codexProvider } from '../../src/providers/codex.js';
import { copilotProvider } from '../../src/providers/copilot.js';
import { nousProvider } from '../../src/providers/nous.js';
import { xaiProvider } from '../../src/providers/xai.js';
import type { ObtainedCredentials, DeviceCodeProvider, ProviderContext, StepBounds } from '../../src/providers/types.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startCodexFake, type CodexFake } from '../fakes/codexFake.js';
import { startGithubFake } from '../fakes/githubFake.js';
import { startNousFake, type DeviceFake } from '../fakes/nousFake.js';
import { startOidcDeviceServer, type OidcDeviceServer } from '../fakes/oidcDeviceServer.js';
import { tempDir } from '../store/helpers.js';
import { hermesRead, needHermes, readStore } from './hermes.js';
import { loadConfig } from '../../src/config.js';

const bounds = (): StepBounds => ({ signal: new AbortController().signal, deadline: Date.now() + 60_000 });

/** begin → approve → poll → finish, as a flow runs them; returns what finish obtained. */
async function signIn<B, G, C>(
  provider: DeviceCodeProvider<B, G, C>,
  ctx: ProviderContext,
  approve: (userCode: string) => Promise<void> | void,
): Promise<ObtainedCredentials<C>> {
  const auth = await provider.begin(ctx, bounds());
  await approve(auth.userCode);
  const outcome = await provider.poll(ctx, auth, bounds());
  if (outcome.kind !== 'approved') throw new Error(`not approved: ${outcome.kind}`);
  return provider.finish(ctx, auth, outcome.grant, bounds());
}

describe('Hermes Agent reads back a fresh sign-in of every provider', { timeout: 400_000 }, () => {
  let codex: CodexFake;
  let nous: DeviceFake;
  let xai: OidcDeviceServer;
  let github: DeviceFake;
  let ctx: ProviderContext;

  before(async () => {
    [codex, nous, xai, github] = await Promise.all([startCodexFake(), startNousFake(), startOidcDeviceServer(), startGithubFake()]);
    ctx = {
      clock: systemClock,
      logger: silentLogger(),
      config: loadConfig({
        HERMES_ONBOARD_OPENAI_CODEX_ISSUER: codex.issuer,
        HERMES_ONBOARD_NOUS_ISSUER: nous.url,
        HERMES_ONBOARD_XAI_OAUTH_ISSUER: xai.url,
        HERMES_ONBOARD_COPILOT_ISSUER: github.url,
      }),
    };
  });
  after(() => Promise.all([codex.close(), nous.close(), xai.close(), github.close()]));

  it('OpenAI Codex', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    const creds = await signIn(codexProvider, ctx, (code) => void codex.approve(code, { email: 'ada@example.com' }));
    await codexProvider.save(ctx, home, creds);
    const token = (creds.secret as { accessToken: string }).accessToken;
    const read = await hermesRead(t, home, 'openai-codex');
    assert.deepEqual(read.entries?.map((e) => e.access_token), [token], 'one entry, ours');
    assert.equal(read.selected?.access_token, token);
    assert.equal(read.resolved?.api_key, token);
    assert.equal(read.active_provider, 'openai-codex');
    assert.deepEqual(read.refresh_calls, []);
  });

  it('xAI Grok', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    const creds = await signIn(xaiProvider, ctx, (code) => xai.approve(code, { sub: 'grok-sub', email: 'g@example.com' }));
    await xaiProvider.save(ctx, home, creds);
    const token = (creds.secret as { accessToken: string }).accessToken;
    const read = await hermesRead(t, home, 'xai-oauth');
    assert.deepEqual(read.entries?.map((e) => e.access_token), [token]);
    assert.equal(read.selected?.access_token, token);
    assert.equal(read.resolved?.api_key, token);
    assert.equal(read.active_provider, 'xai-oauth');
    assert.deepEqual(read.refresh_calls, []);
  });

  it('Nous Portal (profile and shared store)', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    const creds = await signIn(nousProvider, ctx, (code) => nous.approve(code, 'nous-user'));
    await nousProvider.save(ctx, home, creds);
    const token = (creds.secret as { access_token: string }).access_token;
    const read = await hermesRead(t, home, 'nous');
    assert.deepEqual(read.entries?.map((e) => [e.source, e.access_token]), [['device_code', token]]);
    assert.equal(read.selected?.access_token, token);
    assert.equal(read.resolved?.api_key, token, 'resolve_nous_runtime_credentials uses the new invoke JWT as it is');
    assert.deepEqual(read.refresh_calls, []);
    const store = await readStore(home);
    assert.equal(store.providers?.nous?.access_token, token);
  });

  it('GitHub Copilot (.env)', async (t) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'interop-');
    const creds = await signIn(copilotProvider, ctx, (code) => github.approve(code));
    await copilotProvider.save(ctx, home, creds);
    const read = await hermesRead(t, home, 'copilot');
    assert.equal(read.resolved?.api_key, (creds.secret as { token: string }).token);
    assert.equal(read.resolved?.source, 'COPILOT_GITHUB_TOKEN');
  });
});
