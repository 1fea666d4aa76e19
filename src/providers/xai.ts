/**
 * xAI Grok: the standard device grant at the endpoints xAI's OpenID Connect discovery names (which must
 * be on x.ai), saved as a `credential_pool["xai-oauth"]` entry shaped like the Codex one, one per account.
 */
import type { PoolEntry } from '../store/index.js';
import { issuerEnvName } from '../util/http.js';
import { ProviderError } from './errors.js';
import { claimString, readClaims } from './jwtClaims.js';
import { findAccountEntry, oauthPoolEntry, poolAccountViews, savePoolAccount } from './poolCredentials.js';
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
  const claimSets = [readClaims(answer.id_token), readClaims(answer.access_token)];
  const sub = claimSets.map((c) => claimString(c, 'sub')).find((v) => v !== undefined);
  const email = claimSets.map((c) => claimString(c, 'email')).find((v) => v !== undefined);
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    ...(sub !== undefined && { sub }),
    ...(email !== undefined && { email }),
  };
}

/** The account as shown to the user. */
function xaiAccount(tokens: XaiTokens): AccountSummary {
  return tokens.email ? { label: `${LABEL} (${tokens.email})`, email: tokens.email } : { label: LABEL };
}

/** Who a stored entry belongs to: its tokens' `sub`, else its stored `sub` field. */
function entrySub(entry: PoolEntry): string | undefined {
  const fromTokens = [entry.id_token, entry.access_token].map((t) => claimString(readClaims(t), 'sub')).find((v) => v);
  return fromTokens ?? (typeof entry.sub === 'string' && entry.sub !== '' ? entry.sub : undefined);
}

/**
 * The entry a new sign-in replaces: the one of the same account (same `sub`); else a device-code entry
 * whose owner cannot be read; when the new owner cannot be read either, the first device-code entry.
 * Undefined means a new entry.
 */
export function findXaiEntry(entries: readonly unknown[], sub: string | undefined): PoolEntry | undefined {
  return findAccountEntry(entries, sub, entrySub, (a, b) => a === b, (e) => e.source === XAI_DEVICE_SOURCE);
}

/** The credential_pool entry, shaped like Codex's (docs/api.md, "Files"), plus the non-secret `sub` and `email`. */
export function xaiPoolEntry(tokens: XaiTokens, account: AccountSummary, nowIso: string, priority = 0): PoolEntry {
  return oauthPoolEntry(
    {
      label: account.label,
      source: XAI_DEVICE_SOURCE,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      baseUrl: XAI_BASE_URL,
      extra: { sub: tokens.sub, email: tokens.email },
    },
    nowIso,
    priority,
  );
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

  async save(ctx, home, credentials) {
    const tokens = credentials.secret;
    const account = xaiAccount(tokens);
    return savePoolAccount(ctx, home, PROVIDER_ID, account, (entries) => findXaiEntry(entries, tokens.sub), (nowIso, priority) =>
      xaiPoolEntry(tokens, account, nowIso, priority),
    );
  },

  accounts(home): Promise<AccountView[]> {
    return poolAccountViews(home, PROVIDER_ID);
  },
});
