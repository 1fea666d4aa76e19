/**
 * Nous Portal: the standard device grant at the portal's own paths, saved in auth.json `providers.nous`
 * and the shared `<root>/shared/nous_auth.json` the way Hermes Agent's own Nous login saves them (the
 * access token doubles as the agent key).
 */
import { readAuthStore, updateAuthStore } from '../store/index.js';
import { saveNousLogin } from '../store/nousLogin.js';
import { nousSharedPath, writeNousShared } from '../store/nousShared.js';
import { issuerEnvName } from '../util/http.js';
import { ProviderError } from './errors.js';
import { jwtClaims } from '../store/hermesPool.js';
import { fixedServer, pollDeviceToken, requestDeviceAuthorization, type DeviceGrantClient, type DeviceGrantSecret, type TokenAnswer } from './rfc8628.js';
import { resolveIssuer } from './issuer.js';
import { defineProvider, type AccountSummary, type AccountView } from './types.js';
import { jsonNumber } from '../store/jsonText.js';

export const NOUS_PORTAL_URL = 'https://portal.nousresearch.com';
export const NOUS_INFERENCE_URL = 'https://inference-api.nousresearch.com/v1';
export const NOUS_CLIENT_ID = 'hermes-cli';
export const NOUS_SCOPE = 'inference:invoke';

const PROVIDER_ID = 'nous';
const LABEL = 'Nous Portal';

const client: DeviceGrantClient = {
  name: LABEL,
  clientId: NOUS_CLIENT_ID,
  scope: NOUS_SCOPE,
  issuerEnv: issuerEnvName(PROVIDER_ID),
};

/** The state Hermes Agent keeps in auth.json `providers.nous`. Holds secrets. */
export interface NousState {
  portal_base_url: string;
  inference_base_url: string;
  client_id: string;
  scope: string;
  token_type: string;
  access_token: string;
  refresh_token: string | null;
  obtained_at: string;
  expires_at: string;
  expires_in: number;
  agent_key: string;
  agent_key_id: null;
  agent_key_expires_at: string;
  agent_key_expires_in: number;
  agent_key_reused: false;
  agent_key_obtained_at: string;
  [key: string]: unknown;
}

/**
 * The inference URL from a token answer, accepted only over https on nousresearch.com or a subdomain
 * (with no credentials in it); anything else gives undefined, so the default is used. A bearer token is
 * sent to this address on every request, so a planted value must never be kept.
 */
export function acceptInferenceUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  const host = url.hostname.toLowerCase();
  const nousHost = host === 'nousresearch.com' || host.endsWith('.nousresearch.com');
  if (url.protocol !== 'https:' || !nousHost || url.username || url.password) return undefined;
  return url.toString().replace(/\/+$/, '');
}

/** "Bearer" for a bearer token (oauth4webapi lower-cases it), else the type as sent. */
function tokenType(value: string): string {
  return value.toLowerCase() === 'bearer' ? 'Bearer' : value;
}

/**
 * Builds `providers.nous` from a token answer, as Hermes Agent's device-code login does (its
 * `_set_nous_agent_key_from_invoke_jwt` makes the access token the agent key).
 */
export function nousState(answer: TokenAnswer, portalBaseUrl: string, nowMs: number): NousState {
  const expiresIn = Math.max(0, Math.floor(answer.expires_in ?? 0));
  const obtainedAt = new Date(nowMs).toISOString();
  const expiresAt = new Date(nowMs + expiresIn * 1000).toISOString();
  const exp = jwtClaims(answer.access_token)?.exp;
  const hasExp = typeof exp === 'number' && Number.isFinite(exp);
  const agentKeyExpiresAt = hasExp ? new Date(exp * 1000).toISOString() : expiresAt;
  const agentKeyExpiresIn = hasExp ? Math.max(0, Math.floor(exp - nowMs / 1000)) : expiresIn;
  return {
    portal_base_url: portalBaseUrl,
    inference_base_url: acceptInferenceUrl(answer.inference_base_url) ?? NOUS_INFERENCE_URL,
    client_id: NOUS_CLIENT_ID,
    scope: typeof answer.scope === 'string' && answer.scope !== '' ? answer.scope : NOUS_SCOPE,
    token_type: tokenType(answer.token_type),
    access_token: answer.access_token,
    refresh_token: typeof answer.refresh_token === 'string' ? answer.refresh_token : null,
    obtained_at: obtainedAt,
    expires_at: expiresAt,
    expires_in: expiresIn,
    agent_key: answer.access_token,
    agent_key_id: null,
    agent_key_expires_at: agentKeyExpiresAt,
    agent_key_expires_in: agentKeyExpiresIn,
    agent_key_reused: false,
    agent_key_obtained_at: obtainedAt,
  };
}

/** The state to save; refuses one without an access token. */
function stateOf(state: NousState): NousState {
  if (state.access_token === '') throw new ProviderError('There are no Nous Portal tokens to save; sign in again.');
  return state;
}

const account: AccountSummary = { label: LABEL };

/** Nous Portal, signed in through its device grant; saved in auth.json `providers.nous`. */
export const nousProvider = defineProvider<DeviceGrantSecret, TokenAnswer, NousState>({
  id: PROVIDER_ID,
  label: LABEL,
  kind: 'device_code',
  signIn: 'device_code',
  savesTo: 'providers',
  aliases: [],
  supported: true,

  async begin(ctx, bounds) {
    const portal = resolveIssuer(ctx.config, PROVIDER_ID, NOUS_PORTAL_URL);
    return requestDeviceAuthorization(client, fixedServer(portal, '/api/oauth/device/code', '/api/oauth/token'), ctx, bounds);
  },

  poll(ctx, auth, bounds) {
    return pollDeviceToken(client, auth, ctx, bounds);
  },

  async finish(ctx, auth, answer) {
    const portal = auth.secret.server.as.issuer;
    if (answer.inference_base_url !== undefined && acceptInferenceUrl(answer.inference_base_url) === undefined) {
      ctx.logger.warn({ provider: PROVIDER_ID }, 'ignored an inference_base_url outside https://*.nousresearch.com; using the default');
    }
    return { account, secret: nousState(answer, portal, ctx.clock.now()) };
  },

  async save(ctx, home, credentials) {
    const state = stateOf(credentials.secret);
    const saved = await updateAuthStore(home, (store) => saveNousLogin(store, state), { logger: ctx.logger, clock: ctx.clock });
    // after auth.json, as persist_nous_credentials does; best-effort like Hermes Agent's own write, but said aloud
    try {
      await writeNousShared(home, ctx.config, saved, { clock: ctx.clock });
    } catch (err) {
      ctx.logger.warn(
        { provider: PROVIDER_ID, file: nousSharedPath(home, ctx.config), code: (err as NodeJS.ErrnoException | null)?.code },
        'could not update the shared Nous store; other profiles may later replace this sign-in with an older one',
      );
    }
    return account;
  },

  async accounts(home) {
    const state = (await readAuthStore(home)).providers?.[PROVIDER_ID];
    if (!state || typeof state !== 'object') return [];
    const expires = jsonNumber(state.expires_at) ?? state.expires_at;
    // a label set with `hermes auth add nous --label` is the user's name for this login
    const label = typeof state.label === 'string' && state.label.trim() !== '' ? state.label.trim() : LABEL;
    const view: AccountView = {
      id: PROVIDER_ID,
      label,
      ...((typeof expires === 'string' || typeof expires === 'number') && { expires_at: expires }),
    };
    return [view];
  },
});
