/**
 * Cancellation without an AbortController per step. A provider poll used to make two (the flow's, for the
 * step, and the request's own, for its timeout): measured, a Node AbortSignal per poll got promoted out of
 * the young generation (about 650 B a poll at 10,000 polls/s, engine alone) and made each scavenge 5 to 15 ms
 * instead of 0.5 (bench/README.md, "Third pass"), which was most of the RSS per flow and the p99 at 10,000
 * flows. What a step needs of a signal is this much, which an AbortSignal also satisfies.
 */
import { EventEmitter } from 'node:events';

/** The part of an AbortSignal a step uses: is it aborted, why, and tell me when. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  /** `listener` runs once when aborted; never when added after the abort (as with an AbortSignal). */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The reason an abort without one carries (an AbortSignal's default). */
export function defaultAbortReason(): DOMException {
  return new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * A one-shot abort for one request: an EventEmitter, which undici's request() takes as its signal, with the
 * AbortLike face for everything else. Its instances share one shape (an AbortSignal's do not).
 */
export class AbortFlag extends EventEmitter implements AbortLike {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown = defaultAbortReason()): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.once('abort', listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.removeListener('abort', listener);
  }
}
