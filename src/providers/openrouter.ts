/**
 * OpenRouter sign-in: OAuth PKCE that mints a plain API key, as Hermes Agent's
 * `hermes auth add openrouter --type oauth` does (hermes_cli/auth_openrouter.py and
 * auth/providers/openrouter.py; contract: https://openrouter.ai/docs/guides/overview/auth/oauth).
 *
 *   1. the browser goes to `{site}/auth?callback_url=<cb>&code_challenge=<S256>&code_challenge_method=S256`
 *      (without `callback_url`, OpenRouter shows the code for the person to paste);
 *   2. OpenRouter sends the browser back to `<cb>?code=…`. It echoes no `state`, so an unguessable
 *      nonce rides in the callback PATH and binds the callback to one flow (as Hermes Agent does);
 *   3. `POST {site}/api/v1/auth/keys` JSON `{code, code_verifier, code_challenge_method: "S256"}` →
 *      `{key}`: a user-controlled API key, no refresh token.
 *
 * Each step is a plain function (in the manner of oauth4webapi), so a flow can call them in any order.
 * The site is `HERMES_ONBOARD_OPENROUTER_ISSUER` when set (a proxy or a test server), else openrouter.ai.
 */
import type { ProviderConfig } from '../config.js';
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomState } from 'oauth4webapi';
import { providerRequest, type ProviderResponse } from '../util/http.js';
import { ProviderError, TransientProviderError } from './errors.js';
import { resolveIssuer, type IssuerChoice } from './issuer.js';
import type { ProviderContext, StepBounds } from './types.js';

/** The provider id, also the credential_pool key. */
export const OPENROUTER_PROVIDER_ID = 'openrouter';
/** OpenRouter's site: `/auth` (the consent page) and `/api/v1/auth/keys` (the exchange) live here. */
export const OPENROUTER_SITE = 'https://openrouter.ai';
/** The inference API base Hermes Agent stores with the key (hermes_constants.OPENROUTER_BASE_URL). */
export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';
/** `source` of the pool entry `hermes auth add openrouter --type oauth` writes. */
export const OPENROUTER_PKCE_SOURCE = 'manual:openrouter_pkce';
/** How long OpenRouter honours an authorization code (its 403 says "older than 10 minutes"). */
export const OPENROUTER_CODE_LIFETIME_SECONDS = 10 * 60;
/** Path prefix of this server's callback; the flow's nonce follows it. */
export const OPENROUTER_CALLBACK_PREFIX = '/api/onboarding/oauth/callback/';
/** `key_label` Hermes Agent sends in the paste (headless) mode; OpenRouter shows it on its keys page. */
export const OPENROUTER_PASTE_KEY_LABEL = 'hermes-agent';

/** Longest code or key accepted (both are short opaque strings; anything longer is not one). */
const MAX_CODE_LENGTH = 1024;
const MAX_KEY_LENGTH = 4096;
/** A nonce this module made: 43 base64url characters (32 random bytes). */
const NONCE_RE = /^[A-Za-z0-9_-]{43}$/;
/** A callback path segment: `<flow id>.<nonce>` (the flow id finds the flow in any store; the nonce proves the caller), or a bare nonce. */
const TOKEN_RE = /^(?:([A-Za-z0-9_-]{1,128})\.)?([A-Za-z0-9_-]{43})$/;
/** A mount prefix this server may live under (the embedding app's), e.g. `/onboard`. */
const PREFIX_RE = /^(?:\/[A-Za-z0-9._~-]+)*$/;

/** A PKCE pair (RFC 7636). The verifier is a secret: it stays on the server. */
export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
}

/** The site to use: HERMES_ONBOARD_OPENROUTER_ISSUER when set (checked: plain http only on loopback), else openrouter.ai. */
export function openrouterSite(config: ProviderConfig): IssuerChoice {
  return resolveIssuer(config, OPENROUTER_PROVIDER_ID, OPENROUTER_SITE);
}

/** A fresh PKCE verifier (32 random bytes, base64url) and its S256 challenge. */
export async function createPkce(): Promise<PkcePair> {
  const codeVerifier = generateRandomCodeVerifier();
  return { codeVerifier, codeChallenge: await calculatePKCECodeChallenge(codeVerifier) };
}

/** A fresh, unguessable callback nonce (32 random bytes, base64url). It is the callback's only credential. */
export function newCallbackNonce(): string {
  return generateRandomState();
}

/** True for a string shaped like a nonce from newCallbackNonce (a cheap filter before any lookup). */
export function isCallbackNonce(value: string): boolean {
  return NONCE_RE.test(value);
}

/** The callback path segment of one flow: its id and its nonce. */
export function callbackToken(flowId: string, nonce: string): string {
  return `${flowId}.${nonce}`;
}

/** Splits a callback path segment into the flow id and the nonce; undefined when it is not one this module makes. */
export function parseCallbackToken(segment: string): { flowId: string; nonce: string } | undefined {
  const match = TOKEN_RE.exec(segment);
  return match?.[1] !== undefined && match[2] !== undefined ? { flowId: match[1], nonce: match[2] } : undefined;
}

/**
 * The callback address for one flow: `origin` (this server as the browser reached it, e.g.
 * `http://127.0.0.1:8788`; the caller validates the Host), the mount `prefix` when the API is embedded
 * under one, then `/api/onboarding/oauth/callback/<token>` (see callbackToken).
 */
export function callbackUrl(origin: string, token: string, prefix = ''): string {
  let base: URL;
  try {
    base = new URL(origin);
  } catch {
    throw new ProviderError('The server address for the OpenRouter callback is not a valid URL.');
  }
  if ((base.protocol !== 'http:' && base.protocol !== 'https:') || base.username || base.password) {
    throw new ProviderError('The server address for the OpenRouter callback must be a plain http(s) origin.');
  }
  if (!TOKEN_RE.test(token)) throw new ProviderError('The OpenRouter callback nonce is malformed.');
  if (!PREFIX_RE.test(prefix)) throw new ProviderError('The mount prefix of the OpenRouter callback is malformed.');
  return `${base.origin}${prefix}${OPENROUTER_CALLBACK_PREFIX}${token}`;
}

/**
 * The consent address. With `callback`, OpenRouter redirects the browser there with `?code=`; without
 * it (paste mode) OpenRouter shows the code, and `key_label` names the minted key, as Hermes Agent's
 * headless flow does. Parameter order follows Hermes Agent's.
 */
export function authorizeUrl(site: string, codeChallenge: string, callback?: string): string {
  const params = new URLSearchParams();
  if (callback !== undefined) params.set('callback_url', callback);
  params.set('code_challenge', codeChallenge);
  params.set('code_challenge_method', 'S256');
  if (callback === undefined) params.set('key_label', OPENROUTER_PASTE_KEY_LABEL);
  return `${site}/auth?${params.toString()}`;
}

/** Throws unless `value` is a single printable token (no whitespace, no control characters) of at most `max` characters. */
function checkToken(value: string, max: number, what: string): string {
  if (value === '') throw new ProviderError(`The ${what} is empty.`);
  if (value.length > max) throw new ProviderError(`The ${what} is too long (over ${max} characters).`);
  if (/[\s\x00-\x1f\x7f]/.test(value)) throw new ProviderError(`The ${what} contains spaces or control characters.`);
  return value;
}

/**
 * The code a callback carries. OpenRouter's `error` / `error_description` (a refusal) end the flow with
 * a message that names the error code only (never the description, which the browser controls).
 */
export function codeFromCallback(query: URLSearchParams): string {
  const error = query.get('error');
  if (error !== null) {
    const code = /^[a-z_]{1,40}$/.test(error) ? error : undefined;
    throw new ProviderError(`OpenRouter did not authorize the sign-in${code ? ` (${code})` : ''}; start it again.`, code ?? 'access_denied');
  }
  const code = query.get('code');
  if (code === null) throw new ProviderError('The OpenRouter callback carried no authorization code; start the sign-in again.');
  return checkToken(code.trim(), MAX_CODE_LENGTH, 'OpenRouter authorization code');
}

/** A code pasted by a person: trimmed; empty, inner whitespace, control characters or over 1 KiB refused. */
export function checkPastedCode(raw: string): string {
  return checkToken(raw.trim(), MAX_CODE_LENGTH, 'pasted authorization code');
}

/** One HTTP request to send with providerRequest. */
export interface OpenRouterRequest {
  url: string;
  init: { method: 'POST'; headers: Record<string, string>; body: string };
}

/** Builds the exchange: POST {site}/api/v1/auth/keys, JSON `{code, code_verifier, code_challenge_method: "S256"}`. */
export function keyExchangeRequest(site: string, code: string, codeVerifier: string): OpenRouterRequest {
  return {
    url: `${site}/api/v1/auth/keys`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ code, code_verifier: codeVerifier, code_challenge_method: 'S256' }),
    },
  };
}

/**
 * Reads the exchange answer: 2xx with a JSON object whose `key` is one printable token → the key.
 * 403 is OpenRouter's "invalid, already used or older than 10 minutes"; 429 and 5xx are transient;
 * anything else (another status, a non-JSON body, no key, a key with spaces) ends the flow. Messages
 * carry the status only, never the body (it may echo the code).
 */
export function processKeyExchangeResponse(res: ProviderResponse): string {
  if (res.status === 403) {
    throw new ProviderError(
      'OpenRouter rejected the authorization code (invalid, already used, or older than 10 minutes); start the sign-in again.',
      'invalid_grant',
    );
  }
  if (res.status === 429 || res.status >= 500) {
    throw new TransientProviderError(`OpenRouter's key exchange answered HTTP ${res.status}.`, {
      status: res.status,
      retryAfterSeconds: res.retryAfterSeconds,
    });
  }
  if (res.status < 200 || res.status >= 300) {
    throw new ProviderError(`OpenRouter's key exchange answered HTTP ${res.status}; start the sign-in again.`);
  }
  const body = res.json;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProviderError("OpenRouter's key exchange sent an answer that is not a JSON object; start the sign-in again.");
  }
  const key = (body as Record<string, unknown>).key;
  if (typeof key !== 'string' || key.trim() === '') {
    throw new ProviderError("OpenRouter's key exchange sent no key; start the sign-in again.");
  }
  try {
    return checkToken(key.trim(), MAX_KEY_LENGTH, 'key OpenRouter sent');
  } catch (error) {
    throw new ProviderError(`${(error as Error).message} Start the sign-in again.`);
  }
}

/**
 * Swaps the code for an API key under the step's bounds. The code is single-use, so a failure that
 * would otherwise be retried (network, 429, 5xx) ends the flow too, as for Codex's exchange.
 */
export async function exchangeCodeForKey(
  ctx: ProviderContext,
  bounds: StepBounds,
  site: string,
  code: string,
  codeVerifier: string,
): Promise<string> {
  const request = keyExchangeRequest(site, code, codeVerifier);
  try {
    const res = await providerRequest(request.url, request.init, { signal: bounds.signal, deadline: bounds.deadline, clock: ctx.clock });
    return processKeyExchangeResponse(res);
  } catch (error) {
    if (error instanceof TransientProviderError) throw new ProviderError(`${error.message} Start the sign-in again.`);
    throw error;
  }
}
