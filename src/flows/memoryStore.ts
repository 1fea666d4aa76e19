/** The default FlowStore: records in this process's memory, timers on the injected clock. */
import { ENDED_FLOW_TTL_MS } from '../limits.js';
import type { Clock } from '../util/clock.js';
import { TimerQueue, type TimerEntry } from '../util/timerQueue.js';
import { EXPIRING_PHASES, isEnded, type FlowChange, type FlowRecord } from './flow.js';
import type { CreateResult, FlowCondition, FlowListener, FlowStore } from './store.js';

/** Keeps flows in memory; every operation runs to completion before the next, so each is atomic. */
export class MemoryFlowStore implements FlowStore {
  readonly #records = new Map<string, FlowRecord>();
  /**
   * Single flight: provider → home → id of the flow holding it (flows not yet ended). Two levels rather than a
   * joined key: the home string is the record's own, so a pending flow costs no key string of its own.
   */
  readonly #active = new Map<string, Map<string, string>>();
  #activeCount = 0;
  /** A flow's listener, or a Set once it has several (nearly every flow has exactly one: its runner). */
  readonly #listeners = new Map<string, FlowListener | Set<FlowListener>>();
  /** Each record's one timer (expiry while it waits, forgetting once it ended), all on one clock timer. */
  readonly #timers = new Map<string, RecordTimer>();
  readonly #queue: TimerQueue;

  constructor(
    private readonly clock: Clock,
    private readonly endedTtlMs = ENDED_FLOW_TTL_MS,
  ) {
    this.#queue = new TimerQueue(clock);
  }

  async create(record: FlowRecord, limits: { maxPending: number }): Promise<CreateResult> {
    const holder = this.#active.get(record.providerId)?.get(record.home);
    const existing = holder === undefined ? undefined : this.#records.get(holder);
    if (existing) return { kind: 'joined', record: existing };
    if (this.#activeCount >= limits.maxPending) return { kind: 'full' };
    const stored = Object.freeze({ ...record });
    this.#records.set(stored.id, stored);
    let homes = this.#active.get(stored.providerId);
    if (!homes) this.#active.set(stored.providerId, (homes = new Map()));
    if (!homes.has(stored.home)) this.#activeCount += 1;
    homes.set(stored.home, stored.id);
    this.#schedule(stored);
    return { kind: 'created', record: stored };
  }

  async get(id: string): Promise<FlowRecord | undefined> {
    return this.#records.get(id);
  }

  async active(providerId: string, home: string): Promise<FlowRecord | undefined> {
    const id = this.#active.get(providerId)?.get(home);
    return id === undefined ? undefined : this.#records.get(id);
  }

  async countActive(): Promise<number> {
    return this.#activeCount;
  }

  async update(id: string, when: FlowCondition, change: FlowChange): Promise<FlowRecord | undefined> {
    return this.#apply(id, when, change);
  }

  /** The synchronous compare-and-set behind update() and the expiry timer. */
  #apply(id: string, when: FlowCondition, change: FlowChange): FlowRecord | undefined {
    const current = this.#records.get(id);
    if (!current) return undefined;
    if (when.status !== undefined && current.status !== when.status) return undefined;
    if (when.phases !== undefined && !when.phases.includes(current.phase)) return undefined;
    const next: FlowRecord = Object.freeze({ ...current, ...change });
    this.#records.set(id, next);
    if (isEnded(next) && !isEnded(current)) this.#release(next);
    this.#schedule(next);
    const heard = this.#listeners.get(id);
    if (typeof heard === 'function') heard(next);
    else if (heard) for (const listener of [...heard]) listener(next);
    return next;
  }

  async remove(id: string): Promise<void> {
    const record = this.#records.get(id);
    if (!record) return;
    this.#release(record);
    this.#forget(id);
  }

  subscribe(id: string, listener: FlowListener): () => void {
    const heard = this.#listeners.get(id);
    if (heard === undefined) this.#listeners.set(id, listener);
    else if (typeof heard === 'function') this.#listeners.set(id, new Set([heard, listener]));
    else heard.add(listener);
    return () => this.#unsubscribe(id, listener);
  }

  #unsubscribe(id: string, listener: FlowListener): void {
    const heard = this.#listeners.get(id);
    if (heard === listener) this.#listeners.delete(id);
    else if (heard instanceof Set) {
      heard.delete(listener);
      if (heard.size === 0) this.#listeners.delete(id);
    }
  }

  async close(): Promise<void> {
    this.#queue.clear();
    this.#timers.clear();
  }

  /** Frees the single-flight key (when this record still holds it). */
  #release(record: FlowRecord): void {
    const homes = this.#active.get(record.providerId);
    if (homes?.get(record.home) !== record.id) return;
    homes.delete(record.home);
    this.#activeCount -= 1;
    if (homes.size === 0) this.#active.delete(record.providerId);
  }

  /** Sets the one timer a record needs: expiry while it waits, forgetting once it ended, none otherwise. */
  #schedule(record: FlowRecord): void {
    const { id } = record;
    let at: number | undefined;
    if (isEnded(record)) at = (record.endedAt ?? this.clock.now()) + this.endedTtlMs;
    else if (record.status === 'pending' && EXPIRING_PHASES.includes(record.phase)) at = record.expiresAt;
    let timer = this.#timers.get(id);
    if (at === undefined) {
      if (timer) this.#queue.cancel(timer);
      return;
    }
    if (!timer) this.#timers.set(id, (timer = new RecordTimer(id, this.#onDue)));
    if (timer.slot < 0 || timer.dueAt !== at) this.#queue.schedule(timer, at - this.clock.now());
  }

  /** A record's timer fell due: a waiting flow expires, an ended one is forgotten. */
  readonly #onDue = (id: string): void => {
    const record = this.#records.get(id);
    if (record && !isEnded(record)) {
      this.#apply(id, { status: 'pending', phases: EXPIRING_PHASES }, { status: 'expired', phase: 'ended', endedAt: this.clock.now() });
    } else {
      this.#forget(id);
    }
  };

  #forget(id: string): void {
    const timer = this.#timers.get(id);
    if (timer) this.#queue.cancel(timer);
    this.#timers.delete(id);
    this.#records.delete(id);
    const listeners = this.#listeners.get(id);
    this.#listeners.delete(id);
    if (listeners instanceof Set) listeners.clear();
  }
}

/** A record's place in the store's TimerQueue. */
class RecordTimer implements TimerEntry {
  dueAt = 0;
  order = 0;
  slot = -1;

  constructor(
    readonly id: string,
    private readonly onDue: (id: string) => void,
  ) {}

  fire(): void {
    this.onDue(this.id);
  }
}
