/** The default FlowStore: records in this process's memory, timers on the injected clock. */
import { ENDED_FLOW_TTL_MS } from '../limits.js';
import type { Clock } from '../util/clock.js';
import { EXPIRING_PHASES, isEnded, type FlowChange, type FlowRecord } from './flow.js';
import type { CreateResult, FlowCondition, FlowListener, FlowStore } from './store.js';

/** The single-flight key of a provider and home. */
export function flowKey(providerId: string, home: string): string {
  return `${providerId}\u0000${home}`;
}

/** Keeps flows in memory; every operation runs to completion before the next, so each is atomic. */
export class MemoryFlowStore implements FlowStore {
  readonly #records = new Map<string, FlowRecord>();
  /** Single-flight key → id of the flow holding it (flows not yet ended). */
  readonly #active = new Map<string, string>();
  readonly #listeners = new Map<string, Set<FlowListener>>();
  /** Expiry or forgetting timer of each record. */
  readonly #timers = new Map<string, () => void>();

  constructor(
    private readonly clock: Clock,
    private readonly endedTtlMs = ENDED_FLOW_TTL_MS,
  ) {}

  async create(record: FlowRecord, limits: { maxPending: number }): Promise<CreateResult> {
    const key = flowKey(record.providerId, record.home);
    const holder = this.#active.get(key);
    const existing = holder === undefined ? undefined : this.#records.get(holder);
    if (existing) return { kind: 'joined', record: existing };
    if (this.#active.size >= limits.maxPending) return { kind: 'full' };
    const stored = Object.freeze({ ...record });
    this.#records.set(stored.id, stored);
    this.#active.set(key, stored.id);
    this.#schedule(stored);
    return { kind: 'created', record: stored };
  }

  async get(id: string): Promise<FlowRecord | undefined> {
    return this.#records.get(id);
  }

  async active(providerId: string, home: string): Promise<FlowRecord | undefined> {
    const id = this.#active.get(flowKey(providerId, home));
    return id === undefined ? undefined : this.#records.get(id);
  }

  async countActive(): Promise<number> {
    return this.#active.size;
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
    for (const listener of [...(this.#listeners.get(id) ?? [])]) listener(next);
    return next;
  }

  async remove(id: string): Promise<void> {
    const record = this.#records.get(id);
    if (!record) return;
    this.#release(record);
    this.#forget(id);
  }

  subscribe(id: string, listener: FlowListener): () => void {
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(id) === set) this.#listeners.delete(id);
    };
  }

  async close(): Promise<void> {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  /** Frees the single-flight key (when this record still holds it). */
  #release(record: FlowRecord): void {
    const key = flowKey(record.providerId, record.home);
    if (this.#active.get(key) === record.id) this.#active.delete(key);
  }

  /** Sets the one timer a record needs: expiry while it waits, forgetting once it ended, none otherwise. */
  #schedule(record: FlowRecord): void {
    this.#timers.get(record.id)?.();
    this.#timers.delete(record.id);
    const { id } = record;
    if (isEnded(record)) {
      const at = (record.endedAt ?? this.clock.now()) + this.endedTtlMs;
      this.#timers.set(id, this.clock.setTimer(at - this.clock.now(), () => this.#forget(id)));
    } else if (record.status === 'pending' && EXPIRING_PHASES.includes(record.phase)) {
      this.#timers.set(
        id,
        this.clock.setTimer(record.expiresAt - this.clock.now(), () => {
          this.#timers.delete(id);
          this.#apply(id, { status: 'pending', phases: EXPIRING_PHASES }, { status: 'expired', phase: 'ended', endedAt: this.clock.now() });
        }),
      );
    }
  }

  #forget(id: string): void {
    this.#timers.get(id)?.();
    this.#timers.delete(id);
    this.#records.delete(id);
    const listeners = this.#listeners.get(id);
    this.#listeners.delete(id);
    listeners?.clear();
  }
}
