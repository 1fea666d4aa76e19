/** What the engine asks of the driver of a sign-in kind: start it, then wait until credentials are obtained. */
import type { BeginOptions, ObtainedCredentials, ProviderContext, StepBounds } from '../../providers/types.js';
import type { FlowPublic } from '../flow.js';
import type { PollObserver } from './poller.js';

/**
 * A started sign-in: what the user sees, the provider's state (copied into the record's secrets), its
 * lifetime, and how to wait for its credentials (a closure over the provider's own typed state).
 */
export interface Started {
  public: FlowPublic;
  secret: unknown;
  /** The nonce a callback to this flow must carry (authorization-code flows with a callback). */
  callbackNonce?: string;
  expiresInSeconds: number;
  obtain(run: DriverRun): Promise<Obtained>;
}

/** How waiting ended, short of an exception (ProviderError / TransientProviderError end the flow with their message). */
export type Obtained = { kind: 'credentials'; credentials: ObtainedCredentials } | { kind: 'denied' } | { kind: 'expired' };

/** What a driver gets to run a started flow. */
export interface DriverRun {
  ctx: ProviderContext;
  /** Aborted when the flow ends (cancel, expiry, shutdown); `deadline` is the flow's expiresAt. */
  bounds: StepBounds;
  observer: PollObserver;
  /** Resolves with the authorization code once one is submitted (callback or paste); rejects on abort. */
  code(): Promise<string>;
  /** Resolves after `ms` of the flow's clock; rejects on abort. Cheaper than `clock.sleep` with the signal. */
  sleep(ms: number): Promise<void>;
}

/** Starts a sign-in with one provider bound in, so the engine never sees its secret types. */
export type BeginSignIn = (ctx: ProviderContext, bounds: StepBounds, options: BeginOptions) => Promise<Started>;
