/**
 * The device-grant polling loop shared by every device-code provider (RFC 8628 §3.4–3.5, and OpenAI's
 * own device auth which follows the same rhythm): wait the interval first, never poll faster than it,
 * slow down for good when told to, back off on transient failures, and stop at the deadline.
 */
import { ProviderError, TransientProviderError, TRY_AGAIN_LATER } from '../../providers/errors.js';
import type { DeviceAuthorization, DeviceCodeProvider, PollOutcome, ProviderContext, StepBounds } from '../../providers/types.js';
import type { Done, Sleeper, Sleeps } from './driver.js';
import type { AbortLike } from '../../util/abort.js';

/** Seconds added to the interval on every `slow_down` (RFC 8628 §3.5). */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** Transient failures in a row that end the flow. */
export const MAX_TRANSIENT_FAILURES = 6;
/** Longest backoff between retries after transient failures. */
export const MAX_BACKOFF_SECONDS = 60;

/** How the polling ended, short of an exception. */
export type PollEnd<Grant = unknown> = { kind: 'approved'; grant: Grant } | { kind: 'denied' } | { kind: 'expired' };

/** Observes the loop (tests and logs): the interval in force and each wait chosen. */
export interface PollObserver {
  onWait?(seconds: number, reason: 'interval' | 'slow_down' | 'retry'): void;
}

/** Backoff after `failures` transient failures in a row, never below the interval or Retry-After. */
export function backoffSeconds(intervalSeconds: number, failures: number, retryAfterSeconds?: number): number {
  const exponential = Math.min(intervalSeconds * 2 ** Math.max(0, failures - 1), MAX_BACKOFF_SECONDS);
  return Math.max(intervalSeconds, exponential, retryAfterSeconds ?? 0);
}

/** `clock`'s timer, ended by `signal`: the sleep of a loop run outside a flow runner (tests, tools). */
export function clockSleeps(clock: ProviderContext['clock'], signal: AbortLike): Sleeps {
  const sleep = (ms: number, sleeper: Sleeper): void => {
    if (signal.aborted) return sleeper.interrupt(signal.reason);
    const onAbort = (): void => {
      cancel();
      sleeper.interrupt(signal.reason);
    };
    const cancel = clock.setTimer(
      ms,
      () => {
        signal.removeEventListener('abort', onAbort);
        sleeper.wake();
      },
      true,
    );
    signal.addEventListener('abort', onAbort, { once: true });
  };
  return { sleep };
}

/**
 * Polls `provider` until the user approves, denies, or the code expires. Rejects with ProviderError for a
 * fatal answer or after MAX_TRANSIENT_FAILURES transient failures in a row, and with the abort reason when
 * the flow ends. `waits` sleeps between polls (default: the clock's, ended by the signal).
 */
export function pollUntilDone<B, G>(
  provider: Pick<DeviceCodeProvider<B, G>, 'poll' | 'label'>,
  ctx: ProviderContext,
  auth: DeviceAuthorization<B>,
  bounds: StepBounds,
  observer: PollObserver = {},
  waits: Sleeps = clockSleeps(ctx.clock, bounds.signal),
): Promise<PollEnd<G>> {
  return new Promise<PollEnd<G>>((resolve, reject) => new PollLoop(provider, ctx, auth, bounds, observer, waits, { resolve, reject }).next());
}

/**
 * The loop as a plain object rather than an async function: between two polls a flow holds only this (its
 * sleeper), not a suspended frame per level with their promises (≈ 1.5 KiB a flow, bench/README.md). It
 * reports to `done` once; `next()` starts it.
 */
export class PollLoop<B, G> implements Sleeper {
  #interval: number;
  /** Seconds until the next poll, and why. */
  #wait: number;
  #reason: 'interval' | 'slow_down' | 'retry' = 'interval';
  #failures = 0;
  /** The current sleep runs to the deadline: waking from it means the code expired. */
  #expiring = false;

  constructor(
    private readonly provider: Pick<DeviceCodeProvider<B, G>, 'poll' | 'label'>,
    private readonly ctx: ProviderContext,
    private readonly auth: DeviceAuthorization<B>,
    private readonly bounds: StepBounds,
    private readonly observer: PollObserver,
    private readonly waits: Sleeps,
    private readonly done: Done<PollEnd<G>>,
  ) {
    this.#interval = Math.max(1, auth.intervalSeconds);
    this.#wait = this.#interval;
  }

  /** Sleeps until the next poll, or until the deadline when the next poll would fall after it. */
  next(): void {
    const now = this.ctx.clock.now();
    if (now + this.#wait * 1000 >= this.bounds.deadline) {
      this.#expiring = true;
      this.waits.sleep(Math.max(0, this.bounds.deadline - now), this);
      return;
    }
    this.observer.onWait?.(this.#wait, this.#reason);
    this.waits.sleep(this.#wait * 1000, this);
  }

  wake(): void {
    if (this.#expiring) return this.done.resolve({ kind: 'expired' });
    this.#poll().catch((error: unknown) => this.done.reject(error));
  }

  interrupt(reason: unknown): void {
    this.done.reject(reason);
  }

  async #poll(): Promise<void> {
    let outcome: PollOutcome<G>;
    try {
      outcome = await this.provider.poll(this.ctx, this.auth, this.bounds);
    } catch (error) {
      return this.#failed(error);
    }
    this.#failures = 0;
    switch (outcome.kind) {
      case 'pending':
        this.#wait = this.#interval;
        this.#reason = 'interval';
        break;
      case 'slow_down':
        // the provider's new interval when it sends one (never faster than now), else +5 s for good
        this.#interval = outcome.intervalSeconds !== undefined
          ? Math.max(this.#interval, outcome.intervalSeconds)
          : this.#interval + SLOW_DOWN_STEP_SECONDS;
        this.#wait = Math.max(this.#interval, outcome.retryAfterSeconds ?? 0);
        this.#reason = 'slow_down';
        break;
      default:
        return this.done.resolve(outcome);
    }
    this.next();
  }

  #failed(error: unknown): void {
    if (this.bounds.signal.aborted) return this.done.reject(this.bounds.signal.reason);
    if (!(error instanceof TransientProviderError)) return this.done.reject(error);
    this.#failures += 1;
    if (this.#failures >= MAX_TRANSIENT_FAILURES) {
      return this.done.reject(new ProviderError(`${this.provider.label} failed ${this.#failures} times in a row: ${error.message} ${TRY_AGAIN_LATER}`));
    }
    this.#wait = backoffSeconds(this.#interval, this.#failures, error.retryAfterSeconds);
    this.#reason = 'retry';
    this.next();
  }
}
