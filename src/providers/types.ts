/**
 * What a provider module declares. A provider is typed by its sign-in kind, and its secrets are typed
 * end to end: what `begin` keeps is what `poll`/`finish`/`exchange`/`detect` get back, and what they
 * obtain is what `save` writes. `flows/` drives it through the driver of its kind and owns every status
 * change; a provider never touches flow state.
 */
import type { ProviderConfig } from '../config.js';
import type { AccountView as WireAccountView, FlowAccount, ProviderKind, SignInMethod } from '../contract.js';
import type { ApiKeyProviderSpec } from './apiKeyProviders.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { AbortLike } from '../util/abort.js';

export type { ProviderKind, SignInMethod };

/**
 * A saved account as a provider module describes it (no secrets). The providers list shows accounts from
 * the health read-out instead (store/health.ts, server/presenters.ts), which covers every source.
 */
export type AccountView = Pick<WireAccountView, 'id' | 'label' | 'email' | 'plan' | 'expires_at'> & {
  /** Hermes Agent's own `last_status` of a pool entry, as stored. */
  last_status?: string;
};

/** The signed-in account, as shown to the user. No secrets. (One type for the domain and the wire.) */
export type AccountSummary = FlowAccount;

/** How a sign-in meant to repair one account ended (docs/api.md, "Sign in again"). */
export interface ReloginNote {
  /** The account that was being repaired. */
  repairedId: string;
  /** The entry now holding the new credentials: the repaired one, or a new one. */
  id: string;
  /** False when the sign-in was a different account, so it was added as a new account beside the old one. */
  sameAccount: boolean;
}

/** What a save reports: the account, and for a repairing sign-in what happened to the repaired account. */
export interface SavedAccount extends AccountSummary {
  relogin?: ReloginNote;
}

/** How a save is asked to land. */
export interface SaveOptions {
  /** "Sign in again": the id of the account (pool entry, or a `providers.<id>` login) these credentials repair. */
  repairAccountId?: string;
}

/** How a sign-in runs: a device code, a PKCE authorization code (callback or paste), or a credential to detect. */
export type SignInKind = 'device_code' | 'authorization_code' | 'detect';

/** Where a provider saves what it obtains: the auth.json credential pool, auth.json `providers.<id>`, or the profile's `.env`. */
export type SaveTarget = 'pool' | 'providers' | 'env';

/** The file (relative to the Hermes home) a save target lives in. */
export function savedFile(target: SaveTarget): string {
  return target === 'env' ? '.env' : 'auth.json';
}

/** What every provider step gets: the clock, the provider settings (issuer overrides…) and a logger. */
export interface ProviderContext {
  clock: Clock;
  config: ProviderConfig;
  logger: Logger;
}

/**
 * What one start asks of a provider's `begin`, beside its context: the flow it starts, and the choices of
 * the start body (validated by the route; a provider reads only those it knows).
 */
export interface BeginOptions {
  /** The flow being started (an authorization-code provider binds its callback to it). */
  flowId: string;
  /**
   * This server's own origin as the browser reached it (e.g. `http://127.0.0.1:8788`, Host validated): an
   * authorization-code provider sends the browser back there. Undefined: no callback can reach this
   * process, so the provider shows the code for the person to paste.
   */
  callbackOrigin?: string;
  /** The mount prefix of the API under that origin (an embedding app's, e.g. `/onboard`; default none). */
  callbackPrefix?: string;
  /** MiniMax's region (`global` | `cn`). */
  region?: string;
  /** The Claude Code link also removes ANTHROPIC_API_KEY / ANTHROPIC_TOKEN from the profile's `.env`. */
  clearEnvKeys?: boolean;
}

/** A provider-specific choice of the start body: MiniMax's `region`, the Claude Code link's `clear_env_keys`. */
export type StartOption = 'region' | 'clear_env_keys';

/** Bounds for one step: aborted on cancel/expiry; no request may run past `deadline` (epoch ms). */
export interface StepBounds {
  /** An AbortSignal will do; a flow's runner is a lighter one (util/abort.ts). */
  signal: AbortLike;
  deadline: number;
}

/** A started device authorization. `secret` is the provider's own state (device code…), server-only. */
export interface DeviceAuthorization<Secret = unknown> {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds until the code expires, as the provider said (already capped by the provider module). */
  expiresInSeconds: number;
  /** Seconds to wait between polls, at least 1. */
  intervalSeconds: number;
  secret: Secret;
}

/** One poll's classified answer. Fatal answers are thrown as ProviderError; transient ones as TransientProviderError. */
export type PollOutcome<Grant = unknown> =
  | { kind: 'pending' }
  /** Poll less often: the new interval when the provider sent one (else the poller adds 5 s), and any Retry-After. */
  | { kind: 'slow_down'; intervalSeconds?: number; retryAfterSeconds?: number }
  | { kind: 'approved'; grant: Grant }
  | { kind: 'denied' }
  | { kind: 'expired' };

/** Credentials obtained by a sign-in, ready to be saved. `secret` never leaves the server. */
export interface ObtainedCredentials<Creds = unknown> {
  account: AccountSummary;
  secret: Creds;
}

/** A provider login Hermes Agent knows. Unsupported ones carry no protocol methods. */
export interface ProviderInfo {
  id: string;
  label: string;
  /** How the providers list shows it (docs/api.md). */
  kind: ProviderKind;
  /** Other names Hermes Agent accepts for this provider. */
  aliases: readonly string[];
}

/** What every provider that can sign in here declares, whatever its kind. */
export interface ProviderBase<Creds> extends ProviderInfo {
  supported: true;
  /** Set when the provider takes an API key too (POST /api/onboarding/keys, `add-key`). */
  apiKey?: ApiKeyProviderSpec;
  /** The start-body choices it reads (BeginOptions); a start giving another is refused. */
  startOptions?: readonly StartOption[];
  /** Where `save` writes (the CLI names the file; docs/api.md lists them). */
  savesTo: SaveTarget;
  /**
   * Saves the credentials into the Hermes home (called once, after the commit point). Providers that keep
   * several accounts honour `options.repairAccountId`; the others have one place per profile, which a
   * sign-in always renews.
   */
  save(ctx: ProviderContext, home: string, credentials: ObtainedCredentials<Creds>, options?: SaveOptions): Promise<SavedAccount>;
  /** Lists the accounts saved in the Hermes home, without secrets. */
  accounts(home: string): Promise<AccountView[]>;
}

/** A device-code sign-in (RFC 8628 or alike): begin → poll… → finish → save. */
export interface DeviceCodeProvider<Begin = unknown, Grant = unknown, Creds = unknown> extends ProviderBase<Creds> {
  signIn: 'device_code';
  /** Asks the provider for a device code / user code. */
  begin(ctx: ProviderContext, bounds: StepBounds, options?: BeginOptions): Promise<DeviceAuthorization<Begin>>;
  /** Asks once whether the user has approved. */
  poll(ctx: ProviderContext, auth: DeviceAuthorization<Begin>, bounds: StepBounds): Promise<PollOutcome<Grant>>;
  /** Turns an approval into credentials (network only; nothing is saved). */
  finish(ctx: ProviderContext, auth: DeviceAuthorization<Begin>, grant: Grant, bounds: StepBounds): Promise<ObtainedCredentials<Creds>>;
}

/** A started authorization-code sign-in: the address to open, and the provider's state (PKCE verifier…). */
export interface CodeAuthorization<Secret = unknown> {
  authorizeUrl: string;
  /** The nonce in the callback path, when the authorization address carries a callback to this server. */
  callbackNonce?: string;
  expiresInSeconds: number;
  secret: Secret;
}

/** A PKCE authorization-code sign-in: the code comes back on a callback or is pasted (engine.submitCode). */
export interface AuthorizationCodeProvider<Begin = unknown, Creds = unknown> extends ProviderBase<Creds> {
  signIn: 'authorization_code';
  /** Builds the authorization address (and its PKCE verifier and state). */
  begin(ctx: ProviderContext, bounds: StepBounds, options?: BeginOptions): Promise<CodeAuthorization<Begin>>;
  /** Exchanges the code for credentials (network only; nothing is saved). */
  exchange(ctx: ProviderContext, secret: Begin, code: string, bounds: StepBounds): Promise<ObtainedCredentials<Creds>>;
}

/** A started detection: what the person must do elsewhere, and how often to look. */
export interface DetectAuthorization<Secret = unknown> {
  actionRequired: string;
  expiresInSeconds: number;
  /** Seconds between looks, at least 1. */
  intervalSeconds: number;
  secret: Secret;
}

/** A sign-in that waits for a credential another program writes (e.g. Claude Code's file). */
export interface DetectProvider<Begin = unknown, Creds = unknown> extends ProviderBase<Creds> {
  signIn: 'detect';
  begin(ctx: ProviderContext, bounds: StepBounds, options?: BeginOptions): Promise<DetectAuthorization<Begin>>;
  /** Looks once: the credential when it is there, else undefined. */
  detect(ctx: ProviderContext, secret: Begin, bounds: StepBounds): Promise<ObtainedCredentials<Creds> | undefined>;
}

/** A provider that can be signed in to here, of any kind (its secrets typed inside its own module). */
export type Provider = DeviceCodeProvider | AuthorizationCodeProvider | DetectProvider;

/** A provider connected here by an API key only (POST /api/onboarding/keys, `add-key`); it has no sign-in to start. */
export interface KeyProvider extends ProviderInfo {
  supported: true;
  signIn: 'api_key';
  apiKey: ApiKeyProviderSpec;
  savesTo: 'pool';
  accounts(home: string): Promise<AccountView[]>;
}

/** A provider Hermes Agent knows that cannot be signed in to here (yet). */
export interface UnsupportedProvider extends ProviderInfo {
  supported: false;
  /** The Hermes Agent command that connects it in a terminal (not every provider is under `hermes auth add`). */
  terminalCommand: string;
}

export type AnyProvider = Provider | KeyProvider | UnsupportedProvider;

/** True for a provider whose sign-in can be started (POST /api/onboarding/oauth/start, `login`). */
export function isInteractive(provider: AnyProvider): provider is Provider {
  return provider.supported && provider.signIn !== 'api_key';
}

/** Every way to connect `provider` here: its interactive sign-in first, then `api_key` when it takes one. */
export function methodsOf(provider: AnyProvider): SignInMethod[] {
  if (!provider.supported) return [];
  if (provider.signIn === 'api_key') return ['api_key'];
  return provider.apiKey ? [provider.signIn, 'api_key'] : [provider.signIn];
}

/**
 * Declares a provider with its secrets typed end to end; the result fits wherever a `Provider` goes.
 * (Methods are checked against the provider's own types here; the engine only hands each provider back
 * what that same provider produced.)
 */
export function defineProvider<B, G, C>(provider: DeviceCodeProvider<B, G, C>): DeviceCodeProvider<B, G, C>;
export function defineProvider<B, C>(provider: AuthorizationCodeProvider<B, C>): AuthorizationCodeProvider<B, C>;
export function defineProvider<B, C>(provider: DetectProvider<B, C>): DetectProvider<B, C>;
export function defineProvider(provider: Provider): Provider {
  return provider;
}
