/**
 * Many timers on one. Ten thousand pending flows each waiting for their next poll would otherwise hold ten
 * thousand Node `Timeout`s with a callback closure and a cancel closure each (≈ 300 B a flow, bench/README.md);
 * here the waiting object itself is the entry (its due time and heap position live in its own fields), so
 * scheduling allocates nothing, and the queue keeps a single clock timer for the earliest entry.
 *
 * A binary min-heap ordered by due time, then by scheduling order, so entries due at the same moment fire in
 * the order they were scheduled (as Node's own timers do). Works on any Clock, so tests drive it by hand.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from './clock.js';

/**
 * Longest run of due entries fired in one go, in real milliseconds. Flows opened together fall due together;
 * firing a thousand polls in one timer callback would hold every waiting request behind them. The rest fire
 * on the next pass, after the event loop has served what arrived meanwhile.
 */
export const FIRE_BUDGET_MS = 0.5;

/** Something a TimerQueue can hold. The queue owns `dueAt`, `order` and `slot`; start them at 0, 0 and -1. */
export interface TimerEntry {
  /** Clock time the entry falls due. */
  dueAt: number;
  /** Scheduling order: breaks ties between entries due at the same time. */
  order: number;
  /** Position in the queue's heap, -1 when not queued. */
  slot: number;
  /** Called once when due (the entry is no longer queued). Must not throw. */
  fire(): void;
}

/** Fields a new TimerEntry starts with. */
export const UNQUEUED = { dueAt: 0, order: 0, slot: -1 } as const;

export class TimerQueue {
  readonly #heap: TimerEntry[] = [];
  #order = 0;
  /** Cancels the clock timer armed for the earliest entry. */
  #disarm: (() => void) | undefined;
  /** When the armed clock timer fires (Infinity when none is armed). */
  #armedFor = Infinity;
  /** True while due entries fire: their own rescheduling arms the clock timer once, after the last. */
  #firing = false;
  readonly #onTimer = (): void => this.#fireDue();

  /** `keepAlive`: whether a queued entry keeps the process alive (see Clock.setTimer). */
  constructor(
    private readonly clock: Clock,
    private readonly keepAlive = false,
  ) {}

  /** Number of queued entries. */
  get size(): number {
    return this.#heap.length;
  }

  /** Queues `entry` to fire after `ms` of the clock's time (moving it when it is queued already). */
  schedule(entry: TimerEntry, ms: number): void {
    if (entry.slot >= 0) this.#remove(entry);
    entry.dueAt = this.clock.now() + Math.max(0, ms);
    entry.order = this.#order++;
    entry.slot = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.slot);
    this.#arm();
  }

  /** Takes `entry` out of the queue; nothing happens when it is not queued. */
  cancel(entry: TimerEntry): void {
    if (entry.slot < 0) return;
    this.#remove(entry);
    this.#arm();
  }

  /** Empties the queue and lets its clock timer go. */
  clear(): void {
    for (const entry of this.#heap) entry.slot = -1;
    this.#heap.length = 0;
    this.#arm();
  }

  #fireDue(): void {
    this.#disarm = undefined;
    this.#armedFor = Infinity;
    const now = this.clock.now();
    // entries scheduled while this pass fires wait for the next one, so an entry rescheduling itself at 0 ms cannot spin
    const limit = this.#order;
    const started = performance.now();
    this.#firing = true;
    try {
      let fired = 0;
      for (let head = this.#heap[0]; head !== undefined && head.dueAt <= now && head.order < limit; head = this.#heap[0]) {
        this.#remove(head);
        head.fire();
        // the budget is checked every 8 entries: reading the time costs about as much as a cheap entry
        if (++fired % 8 === 0 && performance.now() - started > FIRE_BUDGET_MS) break;
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }

  /** Keeps exactly one clock timer, set for the earliest entry (none when the queue is empty). */
  #arm(): void {
    if (this.#firing) return;
    const head = this.#heap[0];
    const at = head === undefined ? Infinity : head.dueAt;
    if (at === this.#armedFor) return;
    this.#disarm?.();
    this.#disarm = undefined;
    this.#armedFor = at;
    if (head !== undefined) this.#disarm = this.clock.setTimer(at - this.clock.now(), this.#onTimer, this.keepAlive);
  }

  #remove(entry: TimerEntry): void {
    const heap = this.#heap;
    const at = entry.slot;
    const last = heap.pop()!;
    entry.slot = -1;
    if (last === entry) return;
    heap[at] = last;
    last.slot = at;
    this.#down(at);
    this.#up(last.slot);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const entry = heap[i]!;
    while (i > 0) {
      const parentAt = (i - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!before(entry, parent)) break;
      heap[i] = parent;
      parent.slot = i;
      i = parentAt;
    }
    heap[i] = entry;
    entry.slot = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const entry = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1]!, heap[child]!)) child += 1;
      const next = heap[child]!;
      if (!before(next, entry)) break;
      heap[i] = next;
      next.slot = i;
      i = child;
    }
    heap[i] = entry;
    entry.slot = i;
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.order < b.order);
}
