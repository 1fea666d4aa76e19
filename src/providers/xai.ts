/**
 * xAI Grok: the standard device grant at the endpoints xAI's OpenID Connect discovery names (which must
 * be on x.ai), saved like the Codex login (store/oauthLogin.ts): one entry per account, or Hermes Agent's
 * own `providers.xai-oauth` singleton when the account came from its login.
 */
import type { PoolEntry } from '../store/index.js';
import { issuerEnvName } from '../util/http.js';
import { ProviderError } from './errors.js';
import { claimText, jwtClaims } from '../store/hermesPool.js';
import { sameAccount, storedIdentity } from '../store/identity.js';
import { poolAccountViews, repairPoolLogin, savePoolLogin, type PoolLogin } from './poolCredentials.js';
import {
  discoverServer,
  pollDeviceToken,
  requestDeviceAuthorization,
  type DeviceGrantClient,
  type DeviceGrantSecret,
  type TokenAnswer,
} from './rfc8628.js';
import { resolveIssuer, type IssuerChoice } from './issuer.js';
import { defineProvider, type AccountSummary, type AccountView } from './types.js';

export const XAI_ISSUER = 'https://auth.x.ai';
export const XAI_CLIENT_ID = 'b1a00492-073a-47ea-816f-4c329264a828';
export const XAI_SCOPE = 'openid profile email offline_access grok-cli:access api:access';
/** Where Hermes Agent sends requests made with these tokens. */
export const XAI_BASE_URL = 'https://api.x.ai/v1';
/** `source` of the entries this login writes (as for Codex). */
export const XAI_DEVICE_SOURCE = 'manual:device_code';

const PROVIDER_ID = 'xai-oauth';
const LABEL = 'xAI Grok';

const client: DeviceGrantClient = {
  name: 'xAI',
  clientId: XAI_CLIENT_ID,
  scope: XAI_SCOPE,
  issuerEnv: issuerEnvName(PROVIDER_ID),
};

/** The tokens and account of a finished sign-in. Holds secrets. */
export interface XaiTokens {
  accessToken: string;
  refreshToken: string;
  /** The ID token's subject: who the account is. */
  sub?: string;
  email?: string;
  /** Kept, with the two below, in `providers.xai-oauth.tokens` when the login is Hermes Agent's singleton. */
  idToken?: string;
  expiresIn?: number;
  tokenType?: string;
}

/** True for x.ai and its subdomains. */
function isXaiHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'x.ai' || host.endsWith('.x.ai');
}

/**
 * Vets an endpoint from xAI's discovery before anything is sent to it: https on x.ai or *.x.ai; when the
 * issuer was overridden to a loopback address, also that same origin (a local test or gateway).
 */
export function xaiEndpointCheck(issuer: IssuerChoice): (url: string, field: string) => void {
  return (value, field) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url?.protocol === 'https:' && isXaiHost(url.hostname)) return;
    if (url && issuer.loopback && url.origin === new URL(issuer.url).origin) return;
    throw new ProviderError(
      `xAI's server description names a ${field} outside x.ai (${url ? url.host : 'not a URL'}); refusing to send sign-in codes there. ` +
        `Check ${issuer.envName} if you set it, or try again later.`,
    );
  };
}

/** The tokens to keep from an approved answer: both an access and a refresh token are required. */
export function xaiTokens(answer: TokenAnswer): XaiTokens {
  if (typeof answer.refresh_token !== 'string' || answer.refresh_token === '') {
    throw new ProviderError('xAI answered without a refresh token, so the sign-in would not last; start the sign-in again.');
  }
  const claimSets = [jwtClaims(answer.id_token), jwtClaims(answer.access_token)];
  const sub = claimSets.map((c) => claimText(c, 'sub')).find((v) => v !== undefined);
  const email = claimSets.map((c) => claimText(c, 'email')).find((v) => v !== undefined);
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    ...(sub !== undefined && { sub }),
    ...(email !== undefined && { email }),
    ...(typeof answer.id_token === 'string' && answer.id_token !== '' && { idToken: answer.id_token }),
    ...(typeof answer.expires_in === 'number' && { expiresIn: answer.expires_in }),
    ...(typeof answer.token_type === 'string' && answer.token_type !== '' && { tokenType: bearer(answer.token_type) }),
  };
}

/** "Bearer" for a bearer token (oauth4webapi lower-cases it), else the type as sent. */
function bearer(value: string): string {
  return value.toLowerCase() === 'bearer' ? 'Bearer' : value;
}

/** The account as shown to the user. */
function xaiAccount(tokens: XaiTokens): AccountSummary {
  return tokens.email ? { label: `${LABEL} (${tokens.email})`, email: tokens.email } : { label: LABEL };
}

/**
 * Whether a stored credential belongs to the account `sub`, by the one identity rule (store/identity.ts):
 * the stored access token's claims, its saved `sub` hint only when the token has no readable claims.
 * Undefined when either side is unknown.
 */
export function xaiSameAccount(sub: string | undefined, stored: Readonly<Record<string, unknown>>): boolean | undefined {
  return sameAccount(sub === undefined ? undefined : { sub }, storedIdentity(stored));
}

/** What an entry shows besides its label: the email its access token names. */
export function xaiEntryDetails(entry: PoolEntry): { email?: string } {
  const email = claimText(jwtClaims(entry.access_token), 'email');
  return email ? { email } : {};
}

/** The login to save for these tokens (see store/oauthLogin.ts for where it lands). */
export function xaiLogin(tokens: XaiTokens, account: AccountSummary): PoolLogin {
  // judged like the stored entries it is compared with: the access token first (the id token is not kept)
  const sub = storedIdentity({ access_token: tokens.accessToken, id_token: tokens.idToken, sub: tokens.sub }).sub;
  return {
    provider: PROVIDER_ID,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    // what Hermes Agent's own xAI login keeps in providers.xai-oauth.tokens
    singletonTokens: {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      id_token: tokens.idToken ?? '',
      expires_in: tokens.expiresIn ?? null,
      token_type: tokens.tokenType ?? 'Bearer',
    },
    authMode: 'oauth_device_code',
    baseUrl: XAI_BASE_URL,
    sameAccount: (stored) => xaiSameAccount(sub, stored),
    ownerUnknown: sub === undefined,
    ownerHints: { sub },
    label: account.label,
  };
}

/** xAI Grok, signed in through xAI's device grant; saved as credential_pool["xai-oauth"] entries. */
export const xaiProvider = defineProvider<DeviceGrantSecret, TokenAnswer, XaiTokens>({
  id: PROVIDER_ID,
  label: LABEL,
  kind: 'device_code',
  signIn: 'device_code',
  savesTo: 'pool',
  aliases: ['xai'],
  supported: true,

  async begin(ctx, bounds) {
    const issuer = resolveIssuer(ctx.config, PROVIDER_ID, XAI_ISSUER);
    const server = await discoverServer(client, issuer, ctx, bounds, xaiEndpointCheck(issuer));
    return requestDeviceAuthorization(client, server, ctx, bounds);
  },

  poll(ctx, auth, bounds) {
    return pollDeviceToken(client, auth, ctx, bounds);
  },

  async finish(_ctx, _auth, answer) {
    const tokens = xaiTokens(answer);
    return { account: xaiAccount(tokens), secret: tokens };
  },

  async save(ctx, home, credentials, options) {
    const tokens = credentials.secret;
    const account = xaiAccount(tokens);
    const login = xaiLogin(tokens, account);
    if (options?.repairAccountId) return repairPoolLogin(ctx, home, login, account, options.repairAccountId);
    return savePoolLogin(ctx, home, login, account);
  },

  accounts(home): Promise<AccountView[]> {
    return poolAccountViews(home, PROVIDER_ID, xaiEntryDetails);
  },
});
