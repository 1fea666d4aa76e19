/** A clock for tests that only moves when told to (the program's own clocks are in src/util/clock.ts). */
import type { AbortLike } from '../../src/util/abort.js';
import type { Clock } from '../../src/util/clock.js';

function abortReason(signal: AbortLike): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to: `advance(ms)` fires every timer that falls due, in order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Set<PendingTimer>();
  #waiters: Array<() => void> = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  /** Current time in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + ms. */
  setTimer(ms: number, fn: () => void): () => void {
    const timer: PendingTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(timer);
    for (const wake of this.#waiters.splice(0)) wake();
    return () => {
      this.#timers.delete(timer);
    };
  }

  /** Resolves after `ms` of manual time. */
  sleep(ms: number, signal?: AbortLike): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const cancel = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** The time the next timer falls due, or undefined when none is set. */
  nextTimerAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.#timers) if (next === undefined || t.at < next) next = t.at;
    return next;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      let due: PendingTimer | undefined;
      for (const t of this.#timers) {
        if (t.at <= target && (!due || t.at < due.at || (t.at === due.at && t.seq < due.seq))) due = t;
      }
      if (!due) break;
      this.#timers.delete(due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = target;
    await settle();
  }

  /** Resolves once at least `count` timers are waiting (an event to wait on instead of sleeping). */
  async untilTimers(count = 1): Promise<void> {
    while (this.#timers.size < count) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
