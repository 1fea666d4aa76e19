/**
 * MiniMax OAuth (`minimax-oauth`): MiniMax's user-code grant with PKCE, step for step as Hermes Agent's
 * `_minimax_oauth_login` (hermes_cli/auth.py, later hermes_cli/auth_minimax.py) runs it:
 *
 *   1. `POST {portal}/oauth/code` (form: response_type=code, client_id, scope, S256 challenge, state;
 *      header x-request-id) → `{user_code, verification_uri, expired_in, interval?, state}`; the echoed
 *      `state` must match, and the stale `www.minimaxi.io/oauth-authorize` address is rewritten to
 *      `platform.minimaxi.io` (Hermes Agent #19337);
 *   2. `POST {portal}/oauth/token` (form: grant_type=urn:ietf:params:oauth:grant-type:user_code,
 *      client_id, user_code, code_verifier) → `{status: "pending" | "success" | "error", …}`;
 *   3. the tokens land in auth.json `providers["minimax-oauth"]` with the fields Hermes Agent writes,
 *      and `active_provider` becomes `minimax-oauth` (Hermes Agent's `_save_provider_state` does that).
 *
 * `expired_in` is either epoch milliseconds or a TTL in seconds: a value above half of "now in ms" is
 * taken as epoch ms, anything else as seconds (at least 1), exactly as Hermes Agent decides. `interval`
 * is in milliseconds, at least 2 s (default 2 s). The portal is `HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER`
 * when set (for either region), else the region's.
 */
import type { ProviderConfig } from '../config.js';
import { randomUUID } from 'node:crypto';
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomState } from 'oauth4webapi';
import { readAuthStore, StoreShapeError, updateAuthStore } from '../store/index.js';
import { unsuppressSources } from '../store/providerState.js';
import { providerRequest, type ProviderResponse } from '../util/http.js';
import { safeMessage } from '../util/secrets.js';
import { MAX_EXPIRES_IN_SECONDS, nonEmptyString } from './answerFields.js';
import { ProviderError, TransientProviderError } from './errors.js';
import { resolveIssuer, type IssuerChoice } from './issuer.js';
import {
  defineProvider,
  type AccountSummary,
  type AccountView,
  type DeviceAuthorization,
  type DeviceCodeProvider,
  type ObtainedCredentials,
  type PollOutcome,
  type ProviderContext,
  type StepBounds,
} from './types.js';

/** The provider id, also the `providers` key in auth.json. */
export const MINIMAX_OAUTH_PROVIDER_ID = 'minimax-oauth';
/** MiniMax's public client id for Hermes Agent. */
export const MINIMAX_CLIENT_ID = '78257093-7e40-4613-99e0-527b14b39113';
export const MINIMAX_SCOPE = 'group_id profile model.completion';
export const MINIMAX_USER_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:user_code';
/** Poll interval used when MiniMax sends none, and the least one used (Hermes Agent: max(2 s, interval)). */
export const MINIMAX_MIN_INTERVAL_SECONDS = 2;

export type MinimaxRegion = 'global' | 'cn';

/** Each region's portal (the OAuth server) and the inference base Hermes Agent stores with the tokens. */
export const MINIMAX_REGIONS: Readonly<Record<MinimaxRegion, { portal: string; inference: string }>> = {
  global: { portal: 'https://api.minimax.io', inference: 'https://api.minimax.io/anthropic' },
  cn: { portal: 'https://api.minimaxi.com', inference: 'https://api.minimaxi.com/anthropic' },
};

/** The region asked for: undefined → `global`; `global` or `cn`; anything else is refused, naming the valid ones. */
export function parseMinimaxRegion(value: unknown): MinimaxRegion {
  if (value === undefined || value === null || value === '') return 'global';
  if (value === 'global' || value === 'cn') return value;
  throw new ProviderError(`Unknown MiniMax region ${JSON.stringify(String(value).slice(0, 20))}; use "global" or "cn".`);
}

/** The portal for `region`: HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER when set (checked), else the region's own. */
export function minimaxPortal(config: ProviderConfig, region: MinimaxRegion): IssuerChoice {
  return resolveIssuer(config, MINIMAX_OAUTH_PROVIDER_ID, MINIMAX_REGIONS[region].portal);
}

/** Server-side state of a started authorization (DeviceAuthorization.secret). Holds the PKCE verifier. */
export interface MinimaxSecret {
  portal: string;
  region: MinimaxRegion;
  codeVerifier: string;
}

/** What a successful poll hands to finish (PollOutcome.grant). Holds tokens. */
export interface MinimaxGrant {
  access_token: string;
  refresh_token: string;
  expired_in: number;
  token_type?: string;
  resource_url?: unknown;
}

/** auth.json `providers["minimax-oauth"]`, the fields Hermes Agent's `_minimax_oauth_login` writes. Holds secrets. */
export interface MinimaxState {
  provider: typeof MINIMAX_OAUTH_PROVIDER_ID;
  region: MinimaxRegion;
  portal_base_url: string;
  inference_base_url: string;
  client_id: string;
  scope: string;
  token_type: string;
  access_token: string;
  refresh_token: string;
  resource_url: unknown;
  obtained_at: string;
  expires_at: string;
  expires_in: number;
  [key: string]: unknown;
}

/** PKCE verifier, S256 challenge and `state` for one authorization. */
export async function createMinimaxPkce(): Promise<{ codeVerifier: string; codeChallenge: string; state: string }> {
  const codeVerifier = generateRandomCodeVerifier();
  return { codeVerifier, codeChallenge: await calculatePKCECodeChallenge(codeVerifier), state: generateRandomState() };
}

/** One HTTP request to send with providerRequest. */
export interface MinimaxRequest {
  url: string;
  init: { method: 'POST'; headers: Record<string, string>; body: string };
}

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } as const;

/** Builds step 1: POST {portal}/oauth/code with a fresh x-request-id. */
export function userCodeRequest(portal: string, codeChallenge: string, state: string, requestId: string = randomUUID()): MinimaxRequest {
  const body = new URLSearchParams({
    response_type: 'code',
    client_id: MINIMAX_CLIENT_ID,
    scope: MINIMAX_SCOPE,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
  });
  return { url: `${portal}/oauth/code`, init: { method: 'POST', headers: { ...FORM_HEADERS, 'x-request-id': requestId }, body: body.toString() } };
}

/**
 * Rewrites MiniMax's stale `https://www.minimaxi.io/oauth-authorize…` (which redirects to the marketing
 * homepage) to the live approval host `platform.minimaxi.io`, same port, path and query. Anything else,
 * malformed addresses included, is returned as it is (Hermes Agent's `_minimax_rewrite_verification_uri`).
 */
export function rewriteVerificationUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri;
  }
  if (url.hostname !== 'www.minimaxi.io' || !url.pathname.startsWith('/oauth-authorize')) return uri;
  url.hostname = 'platform.minimaxi.io';
  return url.toString();
}

/** An integer from a number or an integer string (Python's `int()` of what MiniMax sends); undefined otherwise. */
function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d{1,16}\s*$/.test(value)) return Number(value.trim());
  return undefined;
}

/** Epoch ms when something MiniMax stamped with `expired_in` expires: epoch ms when it looks like one, else now + TTL seconds (≥ 1). */
export function expiryFromExpiredIn(expiredIn: number, nowMs: number): number {
  if (expiredIn > Math.floor(nowMs / 2)) return expiredIn;
  return nowMs + Math.max(1, expiredIn) * 1000;
}

/** The JSON object of an answer, or a ProviderError naming `what` when the body is not one. */
function jsonObject(res: ProviderResponse, what: string): Record<string, unknown> {
  const body = res.json;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProviderError(`MiniMax's ${what} sent an answer that is not a JSON object; try again later.`);
  }
  return body as Record<string, unknown>;
}

/** MiniMax's own words about a failure (`base_resp.status_msg`), made safe to show: scrubbed, one line, short. */
function providerWords(res: ProviderResponse): string | undefined {
  const body = res.json;
  if (body === null || typeof body !== 'object') return undefined;
  const base = (body as Record<string, unknown>).base_resp;
  const msg = base && typeof base === 'object' ? (base as Record<string, unknown>).status_msg : undefined;
  return typeof msg === 'string' && msg.trim() !== '' ? safeMessage(msg, 120) : undefined;
}

/** Throws the error for a non-200 answer: transient for 429 and 5xx, fatal otherwise (with MiniMax's words, made safe). */
function throwForStatus(res: ProviderResponse, what: string): void {
  if (res.status === 200) return;
  if (res.status === 429 || res.status >= 500) {
    throw new TransientProviderError(`MiniMax's ${what} answered HTTP ${res.status}.`, { status: res.status, retryAfterSeconds: res.retryAfterSeconds });
  }
  const words = providerWords(res);
  throw new ProviderError(`MiniMax's ${what} answered HTTP ${res.status}${words ? ` ("${words}")` : ''}; try signing in again.`);
}

/**
 * Processes step 1 into a DeviceAuthorization. `user_code`, `verification_uri` and `expired_in` must be
 * present and `state` must echo ours (else "possible CSRF"); the address must be http(s). The lifetime
 * comes from `expired_in` (capped at 30 minutes); the interval from `interval` in ms (at least 2 s).
 */
export function processUserCodeResponse(
  res: ProviderResponse,
  expected: { state: string; secret: MinimaxSecret },
  nowMs: number,
): DeviceAuthorization {
  throwForStatus(res, 'sign-in service');
  const fields = jsonObject(res, 'sign-in service');
  for (const field of ['user_code', 'verification_uri', 'expired_in']) {
    if (!(field in fields)) throw new ProviderError(`MiniMax's sign-in service sent an answer without ${field}; try again later.`);
  }
  if (fields.state !== expected.state) {
    throw new ProviderError('MiniMax answered with a different state than was sent (possible CSRF); start the sign-in again.', 'state_mismatch');
  }
  const userCode = nonEmptyString(fields.user_code);
  const rawUri = nonEmptyString(fields.verification_uri);
  const expiredIn = integerOf(fields.expired_in);
  if (!userCode || userCode.length > 128) throw new ProviderError("MiniMax's sign-in service sent an unusable user code; try again later.");
  const verificationUri = rawUri === undefined ? undefined : rewriteVerificationUri(rawUri);
  if (!verificationUri || !/^https?:$/.test(safeProtocol(verificationUri))) {
    throw new ProviderError("MiniMax's sign-in service sent an unusable verification address; try again later.");
  }
  if (expiredIn === undefined) throw new ProviderError("MiniMax's sign-in service sent an unusable expired_in; try again later.");
  const lifetime = Math.floor((expiryFromExpiredIn(expiredIn, nowMs) - nowMs) / 1000);
  if (lifetime < 1) throw new ProviderError('MiniMax sent a user code that has already expired; try again.');
  const intervalMs = integerOf(fields.interval);
  return {
    userCode,
    verificationUri,
    expiresInSeconds: Math.min(lifetime, MAX_EXPIRES_IN_SECONDS),
    intervalSeconds: Math.max(MINIMAX_MIN_INTERVAL_SECONDS, Math.ceil((intervalMs && intervalMs > 0 ? intervalMs : 2000) / 1000)),
    secret: expected.secret,
  };
}

/** The protocol of a URL, or '' when it does not parse. */
function safeProtocol(uri: string): string {
  try {
    return new URL(uri).protocol;
  } catch {
    return '';
  }
}

/** Builds one poll: POST {portal}/oauth/token with the user-code grant and the PKCE verifier. */
export function tokenPollRequest(secret: MinimaxSecret, userCode: string): MinimaxRequest {
  const body = new URLSearchParams({
    grant_type: MINIMAX_USER_CODE_GRANT,
    client_id: MINIMAX_CLIENT_ID,
    user_code: userCode,
    code_verifier: secret.codeVerifier,
  });
  return { url: `${secret.portal}/oauth/token`, init: { method: 'POST', headers: { ...FORM_HEADERS }, body: body.toString() } };
}

/**
 * Classifies one poll answer. 200 with `status: "success"` must carry `access_token`, `refresh_token`
 * and `expired_in` (else fatal); `"error"` is a refusal (Hermes Agent's `authorization_denied`);
 * `"pending"` and any other status string mean keep polling. A 200 that is not a JSON object with a
 * string `status` is garbage and ends the flow (Hermes Agent would keep polling it until expiry).
 */
export function processTokenPollResponse(res: ProviderResponse): PollOutcome {
  throwForStatus(res, 'token endpoint');
  const fields = jsonObject(res, 'token endpoint');
  const status = fields.status;
  if (typeof status !== 'string') throw new ProviderError("MiniMax's token endpoint sent an answer without a status; try signing in again.");
  if (status === 'error') return { kind: 'denied' };
  if (status !== 'success') return { kind: 'pending' };
  const accessToken = nonEmptyString(fields.access_token);
  const refreshToken = nonEmptyString(fields.refresh_token);
  const expiredIn = integerOf(fields.expired_in);
  if (!accessToken || !refreshToken || !expiredIn) {
    throw new ProviderError("MiniMax approved the sign-in but its answer lacks the access token, refresh token or expiry; try signing in again.");
  }
  const grant: MinimaxGrant = {
    access_token: accessToken,
    refresh_token: refreshToken,
    expired_in: expiredIn,
    ...('token_type' in fields && { token_type: typeof fields.token_type === 'string' ? fields.token_type : 'Bearer' }),
    ...('resource_url' in fields && { resource_url: fields.resource_url }),
  };
  return { kind: 'approved', grant };
}

/** An instant as Python's `datetime.isoformat()` writes a UTC time: `…T…[.ffffff]+00:00`. */
export function pythonIsoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}${millis === '000' ? '' : `.${millis}000`}+00:00`;
}

/** Builds `providers["minimax-oauth"]` from an approved poll, as `_minimax_oauth_login` does, at `nowMs`. */
export function minimaxState(grant: MinimaxGrant, secret: MinimaxSecret, nowMs: number): MinimaxState {
  const expiresAtMs = expiryFromExpiredIn(grant.expired_in, nowMs);
  return {
    provider: MINIMAX_OAUTH_PROVIDER_ID,
    region: secret.region,
    portal_base_url: secret.portal,
    inference_base_url: MINIMAX_REGIONS[secret.region].inference,
    client_id: MINIMAX_CLIENT_ID,
    scope: MINIMAX_SCOPE,
    token_type: grant.token_type ?? 'Bearer',
    access_token: grant.access_token,
    refresh_token: grant.refresh_token,
    resource_url: grant.resource_url ?? null,
    obtained_at: pythonIsoUtc(nowMs),
    expires_at: pythonIsoUtc(expiresAtMs),
    expires_in: Math.max(0, Math.trunc((expiresAtMs - nowMs) / 1000)),
  };
}

function send(ctx: ProviderContext, bounds: StepBounds, request: MinimaxRequest): Promise<ProviderResponse> {
  return providerRequest(request.url, request.init, { signal: bounds.signal, deadline: bounds.deadline, clock: ctx.clock });
}

/** Step 1: asks MiniMax for a user code (region `global` unless told otherwise). */
export async function beginMinimax(ctx: ProviderContext, bounds: StepBounds, region: MinimaxRegion = 'global'): Promise<DeviceAuthorization> {
  const portal = minimaxPortal(ctx.config, region).url;
  const { codeVerifier, codeChallenge, state } = await createMinimaxPkce();
  const res = await send(ctx, bounds, userCodeRequest(portal, codeChallenge, state));
  return processUserCodeResponse(res, { state, secret: { portal, region, codeVerifier } }, ctx.clock.now());
}

/** The MinimaxSecret kept in a DeviceAuthorization (checked, since it arrives typed `unknown`). */
export function minimaxSecret(auth: DeviceAuthorization): MinimaxSecret {
  const s = auth.secret as Partial<MinimaxSecret> | undefined;
  if (typeof s?.portal !== 'string' || typeof s.codeVerifier !== 'string' || (s.region !== 'global' && s.region !== 'cn')) {
    throw new ProviderError('This MiniMax sign-in lost its authorization state; start it again.');
  }
  return { portal: s.portal, region: s.region, codeVerifier: s.codeVerifier };
}

/** Step 2, once: asks whether the person has approved. */
export async function pollMinimax(ctx: ProviderContext, auth: DeviceAuthorization, bounds: StepBounds): Promise<PollOutcome> {
  return processTokenPollResponse(await send(ctx, bounds, tokenPollRequest(minimaxSecret(auth), auth.userCode)));
}

/** The MinimaxGrant of an approved poll (checked). */
function minimaxGrant(grant: unknown): MinimaxGrant {
  const g = grant as Partial<MinimaxGrant> | undefined;
  if (typeof g?.access_token !== 'string' || typeof g.refresh_token !== 'string' || typeof g.expired_in !== 'number') {
    throw new ProviderError('This MiniMax sign-in has no tokens to finish with; start it again.');
  }
  return g as MinimaxGrant;
}

/** The account shown for a MiniMax sign-in. */
export function minimaxAccount(region: MinimaxRegion): AccountSummary {
  return { label: region === 'cn' ? 'MiniMax (China)' : 'MiniMax' };
}

/** Turns an approved poll into the state to save (no network: MiniMax's poll already carried the tokens). */
export function finishMinimax(ctx: ProviderContext, auth: DeviceAuthorization, grant: unknown): ObtainedCredentials {
  const secret = minimaxSecret(auth);
  return { account: minimaxAccount(secret.region), secret: minimaxState(minimaxGrant(grant), secret, ctx.clock.now()) };
}

function stateOf(secret: unknown): MinimaxState {
  const s = secret as Partial<MinimaxState> | undefined;
  if (s?.provider !== MINIMAX_OAUTH_PROVIDER_ID || typeof s.access_token !== 'string' || s.access_token === '') {
    throw new ProviderError('There are no MiniMax tokens to save; sign in again.');
  }
  return s as MinimaxState;
}

/**
 * Saves the state where Hermes Agent's MiniMax login saves it: the whole `providers["minimax-oauth"]`
 * replaced, and `active_provider` set to `minimax-oauth` (Hermes Agent's `_save_provider_state` always
 * does; `setActive: false` leaves it alone); the provider's `suppressed_sources` are cleared, as
 * `hermes auth add` does for every new credential. Under the auth.json lock.
 */
export async function saveMinimax(
  ctx: ProviderContext,
  home: string,
  credentials: ObtainedCredentials,
  opts: { setActive?: boolean } = {},
): Promise<AccountSummary> {
  const state = stateOf(credentials.secret);
  await updateAuthStore(
    home,
    (store) => {
      const providers: unknown = store.providers ?? {};
      if (typeof providers !== 'object' || providers === null || Array.isArray(providers)) throw new StoreShapeError('providers', 'an object');
      store.providers = { ...(providers as Record<string, Record<string, unknown>>), [MINIMAX_OAUTH_PROVIDER_ID]: { ...state } };
      if (opts.setActive !== false) store.active_provider = MINIMAX_OAUTH_PROVIDER_ID;
      // a new credential re-enables every source a `hermes auth remove` suppressed (`hermes auth add` does)
      unsuppressSources(store, MINIMAX_OAUTH_PROVIDER_ID);
    },
    { logger: ctx.logger, clock: ctx.clock },
  );
  return minimaxAccount(state.region);
}

/** The MiniMax account saved in `home`, without secrets (none when the state holds no access token). */
export async function minimaxAccounts(home: string): Promise<AccountView[]> {
  const state = (await readAuthStore(home)).providers?.[MINIMAX_OAUTH_PROVIDER_ID];
  if (!state || typeof state !== 'object' || typeof state.access_token !== 'string' || state.access_token === '') return [];
  const region = state.region === 'cn' ? 'cn' : 'global';
  const view: AccountView = { id: MINIMAX_OAUTH_PROVIDER_ID, label: minimaxAccount(region).label };
  if (typeof state.expires_at === 'string') view.expires_at = state.expires_at;
  return [view];
}

/** The MiniMax OAuth provider (`minimax-oauth`): a user code with PKCE, region `global` or `cn` from the start body. */
export const minimaxProvider: DeviceCodeProvider = defineProvider({
  id: MINIMAX_OAUTH_PROVIDER_ID,
  label: 'MiniMax (OAuth)',
  kind: 'device_code',
  signIn: 'device_code',
  savesTo: 'providers',
  aliases: ['minimax-portal', 'minimax-global', 'minimax_oauth'],
  supported: true,
  startOptions: ['region'],
  begin(ctx, bounds, options) {
    return beginMinimax(ctx, bounds, parseMinimaxRegion(options?.region));
  },
  poll: pollMinimax,
  async finish(ctx, auth, grant) {
    return finishMinimax(ctx, auth, grant);
  },
  save: (ctx, home, credentials) => saveMinimax(ctx, home, credentials),
  accounts: minimaxAccounts,
});
