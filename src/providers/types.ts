/**
 * The one interface every provider protocol implements. `flows/` drives it (begin → poll… → finish →
 * save) and owns every status change; a provider never touches flow state.
 */
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

import type { AccountView, ProviderKind } from '../contract.js';

export type { AccountView, ProviderKind };

/** What every provider step gets: the clock, the environment (issuer overrides) and a logger. */
export interface ProviderContext {
  clock: Clock;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** Bounds for one step: aborted on cancel/expiry; no request may run past `deadline` (epoch ms). */
export interface StepBounds {
  signal: AbortSignal;
  deadline: number;
}

/** A started device authorization. `secret` is the provider's own state (device code…), server-only. */
export interface DeviceAuthorization {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds until the code expires, as the provider said (already capped by the provider module). */
  expiresInSeconds: number;
  /** Seconds to wait between polls, at least 1. */
  intervalSeconds: number;
  secret: unknown;
}

/** One poll's classified answer. Fatal answers are thrown as ProviderError; transient ones as TransientProviderError. */
export type PollOutcome =
  | { kind: 'pending' }
  /** Poll less often: the new interval when the provider sent one (else the poller adds 5 s), and any Retry-After. */
  | { kind: 'slow_down'; intervalSeconds?: number; retryAfterSeconds?: number }
  | { kind: 'approved'; grant: unknown }
  | { kind: 'denied' }
  | { kind: 'expired' };

/** The signed-in account, as shown to the user. No secrets. */
export interface AccountSummary {
  label: string;
  email?: string;
  plan?: string;
}

/** Tokens obtained by `finish`, ready to be saved. `secret` never leaves the server. */
export interface ObtainedCredentials {
  account: AccountSummary;
  secret: unknown;
}

/** A provider login Hermes Agent knows. Unsupported ones carry no protocol methods. */
export interface ProviderInfo {
  id: string;
  label: string;
  kind: ProviderKind;
  /** Other names Hermes Agent accepts for this provider. */
  aliases: readonly string[];
}

/** A provider that can be signed in to from the browser. */
export interface Provider extends ProviderInfo {
  supported: true;
  /** Asks the provider for a device code / user code. */
  begin(ctx: ProviderContext, bounds: StepBounds): Promise<DeviceAuthorization>;
  /** Asks once whether the user has approved. */
  poll(ctx: ProviderContext, auth: DeviceAuthorization, bounds: StepBounds): Promise<PollOutcome>;
  /** Turns an approval into tokens (network only; nothing is saved). */
  finish(ctx: ProviderContext, auth: DeviceAuthorization, grant: unknown, bounds: StepBounds): Promise<ObtainedCredentials>;
  /** Saves the tokens into the Hermes home (called once, after the commit point). */
  save(ctx: ProviderContext, home: string, credentials: ObtainedCredentials): Promise<AccountSummary>;
  /** Lists the accounts saved in the Hermes home, without secrets. */
  accounts(home: string): Promise<AccountView[]>;
}

/** A provider Hermes Agent knows that cannot be signed in to here (yet). */
export interface UnsupportedProvider extends ProviderInfo {
  supported: false;
}

export type AnyProvider = Provider | UnsupportedProvider;
