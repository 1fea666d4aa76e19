/**
 * Revoking a refresh token at the provider before its account is removed (opt-in: it signs out every device
 * using that grant). OpenAI Codex: `POST {issuer}/oauth/revoke` with JSON `{token, token_type_hint, client_id}`,
 * as the Codex CLI does on logout. Providers whose OpenID Connect discovery names a `revocation_endpoint`
 * (xAI): RFC 7009 through oauth4webapi. Outcomes are `revoked`, `failed` (with a reason safe to show) or
 * `unsupported`; no token ever reaches a message or a log line.
 */
import type { ProviderConfig } from '../config.js';
import * as oauth from 'oauth4webapi';
import { describeUrl, parseBodyFields, providerRequest } from '../util/http.js';
import { safeMessage } from '../util/secrets.js';
import { CODEX_CLIENT_ID, CODEX_PROVIDER_ID, codexIssuer } from './codex.js';
import { ProviderError, TransientProviderError } from './errors.js';
import { resolveIssuer, type IssuerChoice } from './issuer.js';
import { discoverServer, type DeviceGrantClient } from './rfc8628.js';
import type { ProviderContext, StepBounds } from './types.js';
import { XAI_CLIENT_ID, XAI_ISSUER, XAI_SCOPE, xaiEndpointCheck } from './xai.js';

/** How a revocation ended. `reason` is ours (never a provider body) and holds no secret. */
export type RevocationOutcome =
  | { outcome: 'revoked' }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'unsupported'; reason: string };

/** The tokens of the account being removed (server-only). */
export interface RevocableTokens {
  refreshToken?: string;
  accessToken?: string;
}

/** A provider revoking by RFC 7009 at the endpoint its discovery document names. */
export interface DiscoveryRevoker {
  /** The provider's name as a person knows it. */
  name: string;
  clientId: string;
  scope: string;
  /** The issuer (its override already applied). */
  issuer: IssuerChoice;
  /** Vets each endpoint before anything is sent there. */
  checkEndpoint: (url: string, field: string) => void;
}

/** Providers that revoke by RFC 7009, by provider id. */
const DISCOVERY_REVOKERS: Readonly<Record<string, (config: ProviderConfig) => DiscoveryRevoker>> = {
  'xai-oauth': (config) => {
    const issuer = resolveIssuer(config, 'xai-oauth', XAI_ISSUER);
    return { name: 'xAI', clientId: XAI_CLIENT_ID, scope: XAI_SCOPE, issuer, checkEndpoint: xaiEndpointCheck(issuer) };
  },
};

/** True when `provider` can revoke at all (the page and CLI say so before asking). */
export function supportsRevocation(provider: string): boolean {
  return provider === CODEX_PROVIDER_ID || Object.hasOwn(DISCOVERY_REVOKERS, provider);
}

/**
 * Revokes the account's refresh token at `provider`. Never throws for a provider's answer or a network
 * failure: those are `failed` outcomes (a failed revoke still lets the removal go on).
 */
export async function revokeTokens(ctx: ProviderContext, provider: string, tokens: RevocableTokens, bounds: StepBounds): Promise<RevocationOutcome> {
  if (!supportsRevocation(provider)) {
    return { outcome: 'unsupported', reason: `${provider} offers no way to revoke a sign-in; only the local credential is removed.` };
  }
  if (!tokens.refreshToken) {
    return { outcome: 'unsupported', reason: 'No refresh token is saved for this account, so there is nothing to revoke.' };
  }
  try {
    if (provider === CODEX_PROVIDER_ID) return await revokeCodex(ctx, tokens.refreshToken, bounds);
    return await revokeByDiscovery(ctx, DISCOVERY_REVOKERS[provider]!(ctx.config), tokens.refreshToken, bounds);
  } catch (error) {
    if (bounds.signal.aborted) throw bounds.signal.reason;
    return failed(error);
  }
}

/** OpenAI's revocation: POST {issuer}/oauth/revoke, JSON `{token, token_type_hint: "refresh_token", client_id}`; 200 means revoked. */
export function codexRevocationRequest(issuer: string, refreshToken: string): { url: string; init: { method: 'POST'; headers: Record<string, string>; body: string } } {
  return {
    url: `${issuer}/oauth/revoke`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: refreshToken, token_type_hint: 'refresh_token', client_id: CODEX_CLIENT_ID }),
    },
  };
}

async function revokeCodex(ctx: ProviderContext, refreshToken: string, bounds: StepBounds): Promise<RevocationOutcome> {
  const request = codexRevocationRequest(codexIssuer(ctx.config), refreshToken);
  const res = await providerRequest(request.url, request.init, { signal: bounds.signal, deadline: bounds.deadline, clock: ctx.clock });
  if (res.status >= 200 && res.status < 300) return { outcome: 'revoked' };
  const code = errorCode(parseBodyFields(res));
  return { outcome: 'failed', reason: `OpenAI answered the revocation with HTTP ${res.status}${code ? ` (${code})` : ''}.` };
}

/** RFC 7009 §2.1 at the `revocation_endpoint` of the issuer's discovery document; `unsupported` when it names none. */
export async function revokeByDiscovery(ctx: ProviderContext, revoker: DiscoveryRevoker, refreshToken: string, bounds: StepBounds): Promise<RevocationOutcome> {
  const client: DeviceGrantClient = { name: revoker.name, clientId: revoker.clientId, scope: revoker.scope, issuerEnv: revoker.issuer.envName };
  const server = await discoverServer(client, revoker.issuer, ctx, bounds, revoker.checkEndpoint);
  const endpoint = server.as.revocation_endpoint;
  if (typeof endpoint !== 'string' || endpoint === '') {
    return { outcome: 'unsupported', reason: `${revoker.name}'s server description names no revocation endpoint; only the local credential is removed.` };
  }
  revoker.checkEndpoint(endpoint, 'revocation_endpoint');
  let status = 0;
  const response = await oauth.revocationRequest(server.as, { client_id: revoker.clientId }, oauth.None(), refreshToken, {
    additionalParameters: { token_type_hint: 'refresh_token' },
    [oauth.allowInsecureRequests]: server.insecure,
    [oauth.customFetch]: async (url, init) => {
      const res = await providerRequest(
        url,
        { method: 'POST', headers: init.headers as Record<string, string>, body: init.body?.toString() },
        { signal: bounds.signal, deadline: bounds.deadline, clock: ctx.clock },
      );
      status = res.status;
      return new Response(res.status === 204 || res.status === 205 ? null : res.text, { status: res.status, headers: [...res.headers] });
    },
  });
  try {
    await oauth.processRevocationResponse(response);
    return { outcome: 'revoked' };
  } catch (error) {
    const code = error instanceof oauth.ResponseBodyError ? safeCode(error.error) : undefined;
    return { outcome: 'failed', reason: `${revoker.name} answered the revocation at ${describeUrl(endpoint)} with HTTP ${status}${code ? ` (${code})` : ''}.` };
  }
}

/** A failure turned into a reason fit to show: our own messages pass (scrubbed), anything else is named by its kind. */
function failed(error: unknown): RevocationOutcome {
  if (error instanceof ProviderError || error instanceof TransientProviderError) {
    return { outcome: 'failed', reason: safeMessage(error.message, 200) };
  }
  return { outcome: 'failed', reason: `The revocation could not be sent (${safeMessage(error instanceof Error ? error.name : 'error', 40)}).` };
}

function errorCode(fields: Record<string, unknown> | undefined): string | undefined {
  const value = fields?.error;
  const nested = value && typeof value === 'object' ? (value as Record<string, unknown>).code : undefined;
  return safeCode(typeof value === 'string' ? value : nested);
}

/** An RFC 6749 style error code (lower-case letters, digits and underscores), never free text. */
function safeCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z0-9_]{1,40}$/.test(value) ? value : undefined;
}

