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
  /**
   * Waits for the credentials and reports how waiting ended to `done`, once (a failure as `done.reject`, never
   * thrown). A callback, not a promise: a pending flow would otherwise keep a promise chain alive per level.
   */
  obtain(run: DriverRun, done: Done<Obtained>): void;
}

/** Where an outcome is reported: exactly one of the two, once. */
export interface Done<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Reports `promise`'s outcome to `done` (for drivers written as async functions). */
export function settle<T>(promise: Promise<T>, done: Done<T>): void {
  promise.then(
    (value) => done.resolve(value),
    (error: unknown) => done.reject(error),
  );
}

/** How waiting ended, short of an exception (ProviderError / TransientProviderError end the flow with their message). */
export type Obtained = { kind: 'credentials'; credentials: ObtainedCredentials } | { kind: 'denied' } | { kind: 'expired' };

/** What waits in a DriverRun's `sleep`: told when the wait is over, or that the flow ended during it. */
export interface Sleeper {
  wake(): void;
  /** The flow ended (cancel, expiry, shutdown) before the wait was over; `reason` is the abort reason. */
  interrupt(reason: unknown): void;
}

/** Waits between steps: after `ms`, calls `sleeper.wake()`; calls `sleeper.interrupt(reason)` instead once the flow ends first. */
export interface Sleeps {
  sleep(ms: number, sleeper: Sleeper): void;
}

/** What a driver gets to run a started flow. */
export interface DriverRun extends Sleeps {
  ctx: ProviderContext;
  /** Aborted when the flow ends (cancel, expiry, shutdown); `deadline` is the flow's expiresAt. */
  bounds: StepBounds;
  observer: PollObserver;
  /** Resolves with the authorization code once one is submitted (callback or paste); rejects on abort. */
  code(): Promise<string>;
  /**
   * Waits between two steps (Sleeps). A pending flow spends nearly all its life here, so the wait holds no
   * timer, promise or suspended frame of its own: the sleeper is the only thing kept (see runner.ts). Call it
   * as a method of the run.
   */
  sleep(ms: number, sleeper: Sleeper): void;
}

/** `run.sleep` as a promise, for drivers whose waits are rare enough to spend one on (rejects with the abort reason). */
export function sleepFor(run: Sleeps, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => run.sleep(ms, { wake: resolve, interrupt: reject }));
}

/** Starts a sign-in with one provider bound in, so the engine never sees its secret types. */
export type BeginSignIn = (ctx: ProviderContext, bounds: StepBounds, options: BeginOptions) => Promise<Started>;
