/** Time as the program sees it: every clock read and every wait goes through a Clock so tests drive time. */
import { defaultAbortReason, type AbortLike } from './abort.js';
import { timerMs } from './delay.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortLike): Promise<void>;
  /**
   * Runs `fn` after `ms` milliseconds of this clock's time; returns a function that cancels it. The timer
   * does not keep the process alive unless `keepAlive` is set (a wait the program is blocked on).
   */
  setTimer(ms: number, fn: () => void, keepAlive?: boolean): () => void;
}

function abortReason(signal: AbortLike): unknown {
  return signal.reason ?? defaultAbortReason();
}

/** The wall clock, backed by Date.now and setTimeout. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, timerMs(ms)); // an overflowing delay would fire at once
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  setTimer(ms, fn, keepAlive = false) {
    const timer = setTimeout(fn, timerMs(ms));
    if (!keepAlive) timer.unref?.();
    return () => clearTimeout(timer);
  },
};
