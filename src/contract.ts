/**
 * The wire types of the HTTP API (docs/api.md), shared by the server and the page. Types only: no
 * runtime code and no imports, so the browser bundle can use them too.
 */

/** How a provider is connected here: a sign-in kind, an API key, or (providers not supported here) Hermes Agent's own way. */
export type ProviderKind = 'device_code' | 'authorization_code' | 'detect' | 'api_key' | 'link' | 'paste';
/** One way to connect a provider here (GET /api/onboarding/providers `methods`). */
export type SignInMethod = 'device_code' | 'authorization_code' | 'detect' | 'api_key';
export type FlowStatus = 'pending' | 'success' | 'error' | 'expired' | 'cancelled';

/** An account's health as Hermes Agent's pool sees it (docs/api.md, GET /api/onboarding/providers). */
export type AccountHealth = 'ok' | 'exhausted' | 'dead' | 'expired' | 'unknown';
/** How an account was signed in. */
export type AccountSource = 'device_code' | 'pkce' | 'linked' | 'api_key' | 'env' | 'config' | 'other';

/**
 * A saved account, as listed by GET /api/onboarding/providers. No secrets. The lifecycle fields are
 * optional here because providers describe accounts with this type too; the providers payload always
 * carries `source`, `health` and `relogin_required`.
 */
export interface AccountView {
  id: string;
  label: string;
  email?: string;
  plan?: string;
  /** When the access token expires, epoch seconds. */
  expires_at?: string | number;
  source?: AccountSource;
  /** `…` and the last four characters of an API key. */
  key_hint?: string;
  health?: AccountHealth;
  health_detail?: string;
  /** When Hermes Agent may use an exhausted account again, epoch seconds. */
  retry_at?: number;
  relogin_required?: boolean;
  /** True on the account Hermes Agent will use first. */
  used_first?: boolean;
}

/** `providers.<id>.last_auth_error`: why Hermes Agent gave up on a login. */
export interface LastAuthErrorView {
  code?: string;
  reason?: string;
  message?: string;
  at?: string;
  relogin_required: boolean;
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
  /**
   * A successful "sign in again" (start with `account_id`): the repaired account, the account now holding the
   * credentials, and whether they are the same (false: a different account was added beside the old one).
   */
  relogin?: { repaired_id: string; account_id: string; same_account: boolean };
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
  /** What Hermes Agent recorded when it last gave up on this provider's login. */
  last_auth_error?: LastAuthErrorView;
  /** When `supported` is false: the Hermes Agent command that connects it in a terminal. */
  terminal_command?: string;
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

/** An account as a removal names it. */
export interface RemovedAccountView {
  id: string;
  label: string;
}

/** DELETE /api/onboarding/accounts/<provider>/<account_id>. */
export interface RemovePayload {
  ok: true;
  provider: string;
  removed: RemovedAccountView;
  /** true: revoked at the provider; false: revoking failed (removed anyway); null: not asked, or not possible. */
  revoked: boolean | null;
  /** What the user may still need to do elsewhere, and how revoking went. */
  hints: string[];
}

/** POST /api/onboarding/logout. */
export interface LogoutPayload {
  ok: true;
  provider: string;
  removed: RemovedAccountView[];
  /** Only when revoking was asked for (as in RemovePayload). */
  revoked?: boolean | null;
  hints: string[];
}
