/**
 * The OAuth 2.0 Device Authorization Grant (RFC 8628), one request at a time, for every provider that
 * speaks it (Nous Portal, xAI, GitHub). The polling loop (interval, slow_down, backoff, deadline) lives in
 * flows/poller.ts; this module asks and classifies.
 *
 * oauth4webapi builds every request (client authentication `none`, form encoding, grant type) and
 * validates every successful answer (required fields, token type, ID token claims). What it does not
 * handle is done here by hand, before its processors see the answer: GitHub's errors sent with HTTP 200,
 * form-encoded answers, intervals sent as strings, Retry-After, and the split between fatal and
 * retryable failures. Requests go through providerRequest (proxy-aware, bounded by the flow's deadline
 * and aborted on cancel) via oauth4webapi's `customFetch`.
 */
import * as oauth from 'oauth4webapi';
import { describeUrl, parseBodyFields, providerRequest, type ProviderResponse } from '../util/http.js';
import { normalizeExpiresIn, normalizeInterval, parseSeconds } from './answerFields.js';
import type { IssuerChoice } from './issuer.js';
import { safeMessage } from '../util/secrets.js';
import { ProviderError, TransientProviderError } from './errors.js';
import type { DeviceAuthorization, PollOutcome, ProviderContext, StepBounds } from './types.js';

/** The OAuth client a provider signs in with, and how to name it in messages. */
export interface DeviceGrantClient {
  /** The provider's name as a person knows it, e.g. "GitHub". */
  name: string;
  clientId: string;
  scope: string;
  /** The environment variable that overrides the issuer, named in messages. */
  issuerEnv: string;
  /** Messages for provider-specific error codes (they win over the standard ones). */
  errorMessages?: Readonly<Record<string, string>>;
}

/** The authorization server: its metadata (issuer, endpoints) and whether plain http is allowed (loopback only). */
export interface DeviceGrantServer {
  as: oauth.AuthorizationServer;
  insecure: boolean;
}

/** What begin() keeps for poll(): server-only, never shown. */
export interface DeviceGrantSecret {
  deviceCode: string;
  server: DeviceGrantServer;
}

/** A validated token answer (RFC 6749 §5.1); holds secrets. */
export type TokenAnswer = oauth.TokenEndpointResponse;

/** The oauth4webapi options that route a request through providerRequest, bounded by the flow. */
function transport(
  ctx: ProviderContext,
  bounds: StepBounds,
  insecure: boolean,
  seen: { res?: ProviderResponse },
): oauth.HttpRequestOptions<'GET' | 'POST', URLSearchParams | undefined> {
  return {
    headers: { 'user-agent': 'hermes-onboard' },
    [oauth.allowInsecureRequests]: insecure,
    [oauth.customFetch]: async (url, init) => {
      const res = await providerRequest(
        url,
        { method: init.method, headers: init.headers, body: init.body?.toString() },
        { signal: bounds.signal, deadline: bounds.deadline, clock: ctx.clock },
      );
      seen.res = res;
      const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
      return new Response(nullBody ? null : res.text, { status: res.status, headers: [...res.headers] });
    },
  };
}

/**
 * Sends one request built by oauth4webapi and returns the raw answer. Errors oauth4webapi raises before
 * sending (an endpoint that is not a usable URL) become ProviderError; network failures stay transient.
 */
async function send(
  ctx: ProviderContext,
  bounds: StepBounds,
  server: { insecure: boolean },
  client: DeviceGrantClient,
  build: (options: oauth.HttpRequestOptions<'GET' | 'POST', URLSearchParams | undefined>) => Promise<Response>,
): Promise<ProviderResponse> {
  const seen: { res?: ProviderResponse } = {};
  try {
    await build(transport(ctx, bounds, server.insecure, seen));
  } catch (error) {
    if (bounds.signal.aborted) throw bounds.signal.reason;
    if (error instanceof ProviderError || error instanceof TransientProviderError) throw error;
    throw new ProviderError(
      `${client.name}'s server address is not usable (${libraryMessage(error)}). Check ${client.issuerEnv} if you set it.`,
    );
  }
  if (!seen.res) throw new ProviderError(`${client.name} could not be asked; check ${client.issuerEnv} if you set it.`);
  return seen.res;
}

/** A message written by oauth4webapi (never a provider body), made safe and short. */
function libraryMessage(error: unknown): string {
  return safeMessage(error instanceof Error ? error.message : String(error), 120);
}

/** Wraps normalized fields as the JSON answer oauth4webapi's processors expect. */
function jsonResponse(fields: Record<string, unknown>): Response {
  return new Response(JSON.stringify(fields), { status: 200, headers: { 'content-type': 'application/json' } });
}

/** The error code in an answer, when it has one that looks like a code (never free text from the body). */
function errorCode(fields: Record<string, unknown> | undefined): string | undefined {
  const code = fields?.error;
  if (typeof code !== 'string' || code === '') return undefined;
  return /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'unrecognised_error';
}

/** Error codes that mean "try again later" (RFC 6749 §4.1.2.1). */
const TRANSIENT_CODES = new Set(['temporarily_unavailable', 'server_error']);

/** What to tell a person for the standard error codes (RFC 6749 §5.2, RFC 8628 §3.5). */
const STANDARD_MESSAGES: Readonly<Record<string, (c: DeviceGrantClient) => string>> = {
  invalid_grant: (c) => `${c.name} no longer accepts this sign-in code (it was already used, or revoked). Start the sign-in again.`,
  invalid_client: (c) => `${c.name} does not know Hermes' client id. If ${c.issuerEnv} is set, check that it points at the right server.`,
  unauthorized_client: (c) => `${c.name} does not allow device sign-in for Hermes' client id. If ${c.issuerEnv} is set, check it; otherwise report this.`,
  unsupported_grant_type: (c) => `${c.name} does not support device sign-in at this address. If ${c.issuerEnv} is set, check that it points at the right server.`,
  invalid_scope: (c) => `${c.name} refused the requested permissions (${c.scope}). Check that your account can use them, then try again.`,
  invalid_request: (c) => `${c.name} refused the sign-in request as malformed. Start the sign-in again; if it keeps happening, report it.`,
  access_denied: (c) => `${c.name} denied the sign-in. Try again and approve it.`,
  expired_token: (c) => `The ${c.name} sign-in code expired. Start the sign-in again.`,
};

/** A fatal error with a message we wrote for this code. */
function errorForCode(client: DeviceGrantClient, code: string): ProviderError {
  // own keys only: a provider-chosen code such as "__proto__" or "constructor" must not reach Object.prototype
  const message =
    (client.errorMessages && Object.hasOwn(client.errorMessages, code) ? client.errorMessages[code] : undefined) ??
    (Object.hasOwn(STANDARD_MESSAGES, code) ? STANDARD_MESSAGES[code]!(client) : undefined) ??
    `${client.name} refused the sign-in (${code}). Start the sign-in again; if it keeps failing, check ${client.issuerEnv} if you set it.`;
  return new ProviderError(message, code);
}

/**
 * Classifies an answer that is not a success: 429 and 5xx (and `temporarily_unavailable`) are transient,
 * an error code is fatal with our message, anything else is fatal with the HTTP status.
 */
function failure(client: DeviceGrantClient, res: ProviderResponse, fields: Record<string, unknown> | undefined, url: string): Error {
  const code = errorCode(fields);
  if (res.status === 429 || res.status >= 500 || (code && TRANSIENT_CODES.has(code))) {
    const busy = res.status === 429 ? 'is busy (HTTP 429)' : `had a problem (HTTP ${res.status}${code ? `, ${code}` : ''})`;
    return new TransientProviderError(`${client.name} ${busy}.`, {
      status: res.status,
      retryAfterSeconds: res.retryAfterSeconds,
    });
  }
  if (code) return errorForCode(client, code);
  return new ProviderError(
    `${client.name} answered HTTP ${res.status} at ${describeUrl(url)} without an explanation. Check ${client.issuerEnv} if you set it, then try again.`,
  );
}

/** Refuses a verification address that is not http(s) (it is shown to the user as a link). */
function checkVerificationUri(value: unknown, server: DeviceGrantServer, client: DeviceGrantClient): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || (url.protocol === 'http:' && server.insecure)) return url.toString();
  } catch {
    // fall through
  }
  throw new ProviderError(`${client.name} sent a sign-in address that is not an https:// link; refusing it. Try again later.`);
}

/**
 * Asks for a device code and user code (RFC 8628 §3.1–3.2). Returns what the user needs (user code,
 * verification address, lifetime, interval) and keeps the device code in `secret`.
 */
export async function requestDeviceAuthorization(
  client: DeviceGrantClient,
  server: DeviceGrantServer,
  ctx: ProviderContext,
  bounds: StepBounds,
): Promise<DeviceAuthorization<DeviceGrantSecret>> {
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const url = server.as.device_authorization_endpoint ?? '';
  const res = await send(ctx, bounds, server, client, (options) =>
    oauth.deviceAuthorizationRequest(server.as, oauthClient, oauth.None(), { scope: client.scope }, options),
  );
  const fields = parseBodyFields(res);
  if (res.status !== 200 || errorCode(fields)) throw failure(client, res, fields, url);
  if (!fields) throw new ProviderError(`${client.name} answered the sign-in request with something that is not JSON; try again later.`);

  const normalized = {
    device_code: fields.device_code,
    user_code: fields.user_code,
    verification_uri: fields.verification_uri ?? fields.verification_url,
    verification_uri_complete: fields.verification_uri_complete ?? undefined,
    expires_in: normalizeExpiresIn(fields.expires_in),
    interval: normalizeInterval(fields.interval),
  };
  let answer: oauth.DeviceAuthorizationResponse;
  try {
    answer = await oauth.processDeviceAuthorizationResponse(server.as, oauthClient, jsonResponse(normalized));
  } catch (error) {
    throw new ProviderError(`${client.name} answered the sign-in request without what it needs (${libraryMessage(error)}); try again later.`);
  }
  const verificationUri = checkVerificationUri(answer.verification_uri, server, client)!;
  const verificationUriComplete = checkVerificationUri(answer.verification_uri_complete, server, client);
  const secret: DeviceGrantSecret = { deviceCode: answer.device_code, server };
  return {
    userCode: answer.user_code,
    verificationUri,
    ...(verificationUriComplete ? { verificationUriComplete } : {}),
    expiresInSeconds: answer.expires_in,
    intervalSeconds: normalized.interval,
    secret,
  };
}

/**
 * Asks the token endpoint once whether the user has approved (RFC 8628 §3.4–3.5) and classifies the
 * answer. `authorization_pending` → pending; `slow_down` → slow_down (with the new `interval` when sent);
 * `expired_token` → expired; `access_denied` → denied. A 429 without a known code is treated as
 * slow_down (with its Retry-After), so a rate-limited poller slows for good instead of counting it as a
 * failure. 503/5xx and network errors throw TransientProviderError (with Retry-After). Errors sent with
 * HTTP 200 are errors; a 200 without an access token is never success. Other codes throw ProviderError.
 */
export async function pollDeviceToken(
  client: DeviceGrantClient,
  auth: DeviceAuthorization<DeviceGrantSecret>,
  ctx: ProviderContext,
  bounds: StepBounds,
): Promise<PollOutcome<TokenAnswer>> {
  const { deviceCode, server } = auth.secret;
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const res = await send(ctx, bounds, server, client, (options) =>
    oauth.deviceCodeGrantRequest(server.as, oauthClient, oauth.None(), deviceCode, options),
  );
  const fields = parseBodyFields(res);
  switch (errorCode(fields)) {
    case 'authorization_pending':
      return { kind: 'pending' };
    case 'slow_down': {
      const intervalSeconds = parseSeconds(fields?.interval);
      return {
        kind: 'slow_down',
        ...(intervalSeconds !== undefined ? { intervalSeconds: normalizeInterval(intervalSeconds) } : {}),
        ...(res.retryAfterSeconds !== undefined ? { retryAfterSeconds: res.retryAfterSeconds } : {}),
      };
    }
    case 'expired_token':
      return { kind: 'expired' };
    case 'access_denied':
      return { kind: 'denied' };
    case undefined:
      if (res.status === 429) {
        return { kind: 'slow_down', ...(res.retryAfterSeconds !== undefined ? { retryAfterSeconds: res.retryAfterSeconds } : {}) };
      }
      break;
  }
  if (res.status !== 200 || errorCode(fields)) throw failure(client, res, fields, server.as.token_endpoint ?? '');
  if (typeof fields?.access_token !== 'string' || fields.access_token === '') {
    throw new ProviderError(`${client.name} answered the approval without an access token; start the sign-in again.`);
  }
  return { kind: 'approved', grant: await processTokenAnswer(client, server, fields) };
}

/**
 * Validates a successful token answer with oauth4webapi (token type, expires_in, refresh token, ID token
 * claims). A missing token_type is taken as Bearer, as Hermes Agent does for the Nous Portal.
 */
async function processTokenAnswer(
  client: DeviceGrantClient,
  server: DeviceGrantServer,
  fields: Record<string, unknown>,
): Promise<TokenAnswer> {
  const normalized = { ...fields, token_type: fields.token_type ?? 'bearer' };
  try {
    return await oauth.processDeviceCodeResponse(server.as, { client_id: client.clientId }, jsonResponse(normalized));
  } catch (error) {
    throw new ProviderError(`${client.name} answered with tokens that cannot be used (${libraryMessage(error)}). Start the sign-in again.`);
  }
}

/**
 * Reads the issuer's OpenID Connect discovery document (`<issuer>/.well-known/openid-configuration`),
 * checking that it names this issuer; `checkEndpoint` vets every endpoint used before anything is sent there.
 */
export async function discoverServer(
  client: DeviceGrantClient,
  issuer: IssuerChoice,
  ctx: ProviderContext,
  bounds: StepBounds,
  checkEndpoint: (url: string, field: string) => void,
): Promise<DeviceGrantServer> {
  const issuerUrl = new URL(issuer.url);
  const { insecure } = issuer;
  const res = await send(ctx, bounds, { insecure }, client, (options) =>
    oauth.discoveryRequest(issuerUrl, { ...options, algorithm: 'oidc' }),
  );
  const fields = parseBodyFields(res);
  if (res.status !== 200) throw failure(client, res, fields, `${issuer.url}/.well-known/openid-configuration`);
  let as: oauth.AuthorizationServer;
  try {
    as = await oauth.processDiscoveryResponse(issuerUrl, jsonResponse(fields ?? {}));
  } catch (error) {
    throw new ProviderError(`${client.name}'s server description could not be used (${libraryMessage(error)}). Check ${issuer.envName} if you set it.`);
  }
  for (const field of ['device_authorization_endpoint', 'token_endpoint'] as const) {
    const value = as[field];
    if (typeof value !== 'string' || value === '') {
      throw new ProviderError(`${client.name}'s server description has no ${field}; device sign-in is not available there.`);
    }
    checkEndpoint(value, field);
  }
  return { as, insecure };
}

/** Server metadata for a provider without discovery: fixed endpoints under its base URL. */
export function fixedServer(issuer: IssuerChoice, devicePath: string, tokenPath: string): DeviceGrantServer {
  return {
    as: {
      issuer: issuer.url,
      device_authorization_endpoint: `${issuer.url}${devicePath}`,
      token_endpoint: `${issuer.url}${tokenPath}`,
    },
    insecure: issuer.insecure,
  };
}
