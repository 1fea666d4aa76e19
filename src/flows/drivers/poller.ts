/**
 * The device-grant polling loop shared by every device-code provider (RFC 8628 §3.4–3.5, and OpenAI's
 * own device auth which follows the same rhythm): wait the interval first, never poll faster than it,
 * slow down for good when told to, back off on transient failures, and stop at the deadline.
 */
import { ProviderError, TransientProviderError, TRY_AGAIN_LATER } from '../../providers/errors.js';
import type { DeviceAuthorization, DeviceCodeProvider, ProviderContext, StepBounds } from '../../providers/types.js';

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

/**
 * Polls `provider` until the user approves, denies, or the code expires. Throws ProviderError for a
 * fatal answer or after MAX_TRANSIENT_FAILURES transient failures in a row; rethrows the abort reason
 * when the signal fires. `sleep` waits between polls (default: the clock's, ended by the signal).
 */
export async function pollUntilDone<B, G>(
  provider: Pick<DeviceCodeProvider<B, G>, 'poll' | 'label'>,
  ctx: ProviderContext,
  auth: DeviceAuthorization<B>,
  bounds: StepBounds,
  observer: PollObserver = {},
  sleep: (ms: number) => Promise<void> = (ms) => ctx.clock.sleep(ms, bounds.signal),
): Promise<PollEnd<G>> {
  let interval = Math.max(1, auth.intervalSeconds);
  let wait = interval;
  let reason: 'interval' | 'slow_down' | 'retry' = 'interval';
  let failures = 0;
  for (;;) {
    if (ctx.clock.now() + wait * 1000 >= bounds.deadline) {
      await sleep(Math.max(0, bounds.deadline - ctx.clock.now()));
      return { kind: 'expired' };
    }
    observer.onWait?.(wait, reason);
    await sleep(wait * 1000);
    try {
      const outcome = await provider.poll(ctx, auth, bounds);
      failures = 0;
      switch (outcome.kind) {
        case 'pending':
          wait = interval;
          reason = 'interval';
          break;
        case 'slow_down':
          // the provider's new interval when it sends one (never faster than now), else +5 s for good
          interval = outcome.intervalSeconds !== undefined
            ? Math.max(interval, outcome.intervalSeconds)
            : interval + SLOW_DOWN_STEP_SECONDS;
          wait = Math.max(interval, outcome.retryAfterSeconds ?? 0);
          reason = 'slow_down';
          break;
        default:
          return outcome;
      }
    } catch (error) {
      if (bounds.signal.aborted) throw bounds.signal.reason;
      if (!(error instanceof TransientProviderError)) throw error;
      failures += 1;
      if (failures >= MAX_TRANSIENT_FAILURES) {
        throw new ProviderError(`${provider.label} failed ${failures} times in a row: ${error.message} ${TRY_AGAIN_LATER}`);
      }
      wait = backoffSeconds(interval, failures, error.retryAfterSeconds);
      reason = 'retry';
    }
  }
}
