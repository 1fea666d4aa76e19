/**
 * The wire types of the HTTP API (docs/api.md), shared by the server and the page. Types only: no
 * runtime code and no imports, so the browser bundle can use them too.
 */

/** How a provider is connected here: a sign-in kind, an API key, or (providers not supported here) Hermes Agent's own way. */
export type ProviderKind = 'device_code' | 'authorization_code' | 'detect' | 'api_key' | 'link' | 'paste';
/** One way to connect a provider here (GET /api/onboarding/providers `methods`). */
export type SignInMethod = 'device_code' | 'authorization_code' | 'detect' | 'api_key';
export type FlowStatus = 'pending' | 'success' | 'error' | 'expired' | 'cancelled';

/** A saved account, as listed by GET /api/onboarding/providers. No secrets. */
export interface AccountView {
  id: string;
  label: string;
  email?: string;
  plan?: string;
  expires_at?: string | number;
  last_status?: string;
}

/** The signed-in account of a successful flow. */
export interface FlowAccount {
  label: string;
  email?: string;
  plan?: string;
}

/** POST /api/onboarding/oauth/start. */
export interface StartPayload {
  ok: true;
  provider: string;
  flow_id: string;
  status: 'pending';
  kind: 'device_code';
  verification_uri: string;
  verification_uri_complete?: string;
  user_code: string;
  expires_at: number;
  poll_interval_seconds: number;
}

/** The poll and cancel payload, also the data of every `status` server-sent event. */
export interface StatusPayload {
  ok: true;
  provider: string;
  flow_id: string;
  status: FlowStatus;
  error?: string;
  account?: FlowAccount;
}

/** One provider of GET /api/onboarding/providers; `supported` says whether it can sign in from the browser. */
export interface ProviderView {
  id: string;
  label: string;
  kind: ProviderKind;
  /** Every way to connect it here, the interactive sign-in first (empty when `supported` is false). */
  methods: SignInMethod[];
  supported: boolean;
  connected: boolean;
  accounts: AccountView[];
}

/** GET /api/onboarding/providers. */
export interface ProvidersPayload {
  ok: true;
  profile: string;
  providers: ProviderView[];
}

/** GET /api/onboarding/profiles. */
export interface ProfilesPayload {
  ok: true;
  active: string;
  profiles: string[];
}
