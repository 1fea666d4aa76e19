/**
 * The page's client for the public onboarding API (docs/api.md, HTTP API). Only this module talks to the server;
 * it adds the Bearer token when the page was opened with one and turns every failure into an ApiError
 * whose message a person can act on.
 */
import { serverClock } from './time.js';

export type {
  AccountHealth,
  AccountView,
  FlowAccount,
  FlowStatus,
  LastAuthErrorView,
  LogoutPayload,
  ProfilesPayload,
  ProviderKind,
  ProvidersPayload,
  ProviderView,
  RemovePayload,
  SignInMethod,
  StartPayload,
  StatusPayload,
} from '../contract.js';
import type { AccountView, LogoutPayload, ProfilesPayload, ProvidersPayload, ProviderView, RemovePayload, SignInMethod, StartPayload, StatusPayload } from '../contract.js';

/** A saved account as the page reads it. */
export type PageAccount = AccountView;
/** A provider as the page reads it. */
export type PageProvider = ProviderView;

/** The start answer of a device-code flow (`kind` may be absent in a flow saved by an older page). */
export type DeviceStart = Omit<StartPayload, 'kind'> & { kind?: 'device_code' };

/** The start answer of an authorization-code flow (OpenRouter): the address to open in a new tab. */
export interface CodeStart {
  ok: true;
  provider: string;
  flow_id: string;
  status: 'pending';
  kind: 'authorization_code';
  authorize_url: string;
  /** The address for the paste fallback (the provider shows the code instead of calling back), when given. */
  paste_url?: string;
  expires_at: number;
  poll_interval_seconds?: number;
}

/** The start answer of a detect flow (Claude Code link): what the person must do elsewhere. */
export interface DetectStart {
  ok: true;
  provider: string;
  flow_id: string;
  status: 'pending';
  kind: 'detect';
  action_required: string;
  expires_at: number;
  poll_interval_seconds?: number;
}

/** Any start answer. */
export type AnyStart = DeviceStart | CodeStart | DetectStart;

/** Options of a start request beyond the provider and profile. */
export interface StartOptions {
  method?: SignInMethod;
  region?: 'global' | 'cn';
  clear_env_keys?: boolean;
  /** The account a "Sign in again" repairs. */
  account_id?: string;
}

/** POST /api/onboarding/keys: the saved account, with only a hint of the key. */
export interface KeyPayload {
  ok: true;
  provider: string;
  account: { id: string; label: string; key_hint?: string };
}

/** A failed API call: `status` is the HTTP status, 0 when the server could not be reached. */
export class ApiError extends Error {
  /** Builds the error; `message` is already fit to show. */
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** True when the server refused us for want of (a valid) access token. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

const UNREACHABLE = 'Cannot reach the onboarding server. Check that `hermes-onboard serve` is still running, then try again.';

/** Reads the server's `{ok:false, error}` message, falling back to the HTTP status. */
async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string' && body.error.trim()) return body.error;
  } catch {
    // Not JSON: fall through to the generic message.
  }
  return `The server answered ${res.status} ${res.statusText}`.trim() + '. Try again in a moment.';
}

/** A thin typed client over fetch for the onboarding endpoints. */
export class Api {
  /** `token` returns the Bearer token in use, or null. */
  constructor(private readonly token: () => string | null) {}

  /** True when requests carry a Bearer token (EventSource cannot, so the page polls instead). */
  get usesToken(): boolean {
    return this.token() !== null;
  }

  /** Sends one request and returns the parsed JSON body, or throws ApiError. */
  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiError(0, UNREACHABLE);
    }
    serverClock.observe(res.headers.get('Date'));
    if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(res.status, 'The server sent an answer this page cannot read. Reload the page and try again.');
    }
  }

  /** GET /api/onboarding/profiles. */
  profiles(): Promise<ProfilesPayload> {
    return this.request('GET', '/api/onboarding/profiles');
  }

  /** GET /api/onboarding/providers for one profile (the active one when omitted). */
  providers(profile?: string): Promise<ProvidersPayload> {
    const query = profile ? `?profile=${encodeURIComponent(profile)}` : '';
    return this.request('GET', `/api/onboarding/providers${query}`);
  }

  /** POST /api/onboarding/oauth/start; a pending flow for the same provider and profile comes back as is. */
  start(provider: string, profile: string, options: StartOptions = {}): Promise<AnyStart> {
    return this.request('POST', '/api/onboarding/oauth/start', { provider, profile, ...options });
  }

  /** POST /api/onboarding/oauth/submit: a pasted authorization code for a flow that awaits one. */
  submit(flowId: string, code: string): Promise<StatusPayload> {
    return this.request('POST', '/api/onboarding/oauth/submit', { flow_id: flowId, code });
  }

  /** POST /api/onboarding/keys: checks (unless `verify` is false) and saves an API key. */
  addKey(body: { provider: string; api_key: string; label?: string; profile: string; verify?: boolean }): Promise<KeyPayload> {
    return this.request('POST', '/api/onboarding/keys', body);
  }

  /** DELETE /api/onboarding/accounts/<provider>/<id>: removes one account (revoking it first when asked). */
  removeAccount(provider: string, accountId: string, profile: string, revoke: boolean): Promise<RemovePayload> {
    const query = new URLSearchParams({ profile });
    if (revoke) query.set('revoke', '1');
    return this.request('DELETE', `/api/onboarding/accounts/${encodeURIComponent(provider)}/${encodeURIComponent(accountId)}?${query.toString()}`);
  }

  /** POST /api/onboarding/logout: removes every credential of a provider in the profile. */
  logout(provider: string, profile: string, revoke: boolean): Promise<LogoutPayload> {
    return this.request('POST', '/api/onboarding/logout', { provider, profile, ...(revoke ? { revoke: true } : {}) });
  }

  /** The address of the profile's providers stream (a fresh providers payload on every change on disk). */
  providersEventsUrl(profile: string): string {
    return `/api/onboarding/providers/events?profile=${encodeURIComponent(profile)}`;
  }

  /** GET /api/onboarding/oauth/poll. */
  poll(flowId: string): Promise<StatusPayload> {
    return this.request('GET', `/api/onboarding/oauth/poll?flow_id=${encodeURIComponent(flowId)}`);
  }

  /** POST /api/onboarding/oauth/cancel; answers the flow's true status. */
  cancel(flowId: string): Promise<StatusPayload> {
    return this.request('POST', '/api/onboarding/oauth/cancel', { flow_id: flowId });
  }

  /** The address of the flow's server-sent events stream. */
  eventsUrl(flowId: string): string {
    return `/api/onboarding/oauth/events?flow_id=${encodeURIComponent(flowId)}`;
  }
}
