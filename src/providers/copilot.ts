/**
 * GitHub Copilot: GitHub's device flow (RFC 8628 with GitHub's habits: errors sent with HTTP 200,
 * form-encoded answers unless asked for JSON). The token is saved as COPILOT_GITHUB_TOKEN in the
 * profile's `.env`, which is where Hermes Agent looks for it.
 */
import path from 'node:path';
import { readAuthStore, updateAuthStore } from '../store/index.js';
import { readEnvValue, setEnvValue } from '../store/envFile.js';
import { unsuppressSources, hasSuppressedSources } from '../store/providerState.js';
import { issuerEnvName } from '../util/http.js';
import { ProviderError } from './errors.js';
import { fixedServer, pollDeviceToken, requestDeviceAuthorization, type DeviceGrantClient, type TokenAnswer } from './rfc8628.js';
import { resolveIssuer } from './issuer.js';
import { defineProvider, type AccountView } from './types.js';
import type { DeviceGrantSecret } from './rfc8628.js';

/** GitHub's host (a GitHub Enterprise host through HERMES_ONBOARD_COPILOT_ISSUER). */
export const GITHUB_HOST = 'https://github.com';
/** The OAuth app Copilot clients sign in with. */
export const COPILOT_CLIENT_ID = 'Iv1.b507a08c87ecfe98';
export const COPILOT_SCOPE = 'read:user';
/** The variable Hermes Agent reads the Copilot token from. */
export const COPILOT_ENV_KEY = 'COPILOT_GITHUB_TOKEN';

const PROVIDER_ID = 'copilot';
const ISSUER_ENV = issuerEnvName(PROVIDER_ID);

const client: DeviceGrantClient = {
  name: 'GitHub',
  clientId: COPILOT_CLIENT_ID,
  scope: COPILOT_SCOPE,
  issuerEnv: ISSUER_ENV,
  errorMessages: {
    device_flow_disabled:
      'Device flow is disabled for this GitHub OAuth app. The app owner must enable "Device Flow" in its settings; on GitHub Enterprise, ask your administrator.',
    incorrect_device_code: 'GitHub did not recognise this sign-in code. Start the sign-in again.',
    incorrect_client_credentials: `GitHub does not know Hermes' client id. If ${ISSUER_ENV} is set, check that it points at your GitHub host.`,
    unsupported_grant_type: `GitHub does not support device sign-in at this address. If ${ISSUER_ENV} is set, check that it points at your GitHub host.`,
  },
};

/** The `.env` file of a Hermes home. */
function envPath(home: string): string {
  return path.join(home, '.env');
}

/** What a finished sign-in keeps: GitHub's access token. */
export interface CopilotToken {
  token: string;
}

/** The token to save; refuses an empty one. */
function tokenOf(credentials: CopilotToken): string {
  if (credentials.token === '') throw new ProviderError('GitHub gave no token to save; start the sign-in again.');
  return credentials.token;
}

/** GitHub Copilot, signed in through GitHub's device flow; the token lands in `$HERMES_HOME/.env`. */
export const copilotProvider = defineProvider<DeviceGrantSecret, TokenAnswer, CopilotToken>({
  id: PROVIDER_ID,
  label: 'GitHub Copilot',
  kind: 'device_code',
  signIn: 'device_code',
  savesTo: 'env',
  aliases: ['github-copilot'],
  supported: true,

  async begin(ctx, bounds) {
    const host = resolveIssuer(ctx.config, PROVIDER_ID, GITHUB_HOST);
    const server = fixedServer(host, '/login/device/code', '/login/oauth/access_token');
    return requestDeviceAuthorization(client, server, ctx, bounds);
  },

  poll(ctx, auth, bounds) {
    return pollDeviceToken(client, auth, ctx, bounds);
  },

  async finish(_ctx, _auth, answer) {
    return { account: { label: 'GitHub Copilot' }, secret: { token: answer.access_token } };
  },

  async save(ctx, home, credentials) {
    await setEnvValue(envPath(home), COPILOT_ENV_KEY, tokenOf(credentials.secret), { clock: ctx.clock });
    // a new credential re-enables the provider, as `hermes auth add` does: a `hermes auth remove copilot`
    // marker (suppressed_sources.copilot, e.g. env:COPILOT_GITHUB_TOKEN) would otherwise keep it hidden
    if (hasSuppressedSources(await readAuthStore(home, { logger: ctx.logger }), PROVIDER_ID)) {
      await updateAuthStore(home, (store) => unsuppressSources(store, PROVIDER_ID), { logger: ctx.logger, clock: ctx.clock });
    }
    return credentials.account;
  },

  async accounts(home) {
    const token = await readEnvValue(envPath(home), COPILOT_ENV_KEY);
    const views: AccountView[] = token ? [{ id: 'env', label: 'GitHub token in .env' }] : [];
    return views;
  },
});
