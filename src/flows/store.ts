/**
 * Where flow records live. The engine owns every status change, but only through these operations, so an
 * in-memory store and a shared one (Redis/Valkey) keep the same invariants: single flight per provider and
 * home (also while the provider's first answer is awaited), the pending bound, "cancel wins" before the
 * commit point, expiry at `expiresAt`, forgetting five minutes after the end, and change notifications.
 *
 * How each operation maps to Redis (for the Redis store; the engine does not change):
 * - record:   `flow:{id}` a hash or JSON string; `secrets` encrypted with HERMES_ONBOARD_SECRET_KEY
 *             (AES-256-GCM, the flow id as associated data) before it is written.
 * - create:   one Lua script: `GET active:{provider}:{sha(home)}`; if it names a live flow return
 *             `joined` with that record; if `SCARD pending` ≥ maxPending return `full`; else `SET flow:{id}`,
 *             `SET active:… {id}`, `SADD pending {id}`, and a lease `PEXPIRE flow:{id}` of the start
 *             timeout plus a margin, so a replica that dies while `starting` frees the key by itself.
 * - get:      `GET flow:{id}` (nil → undefined: unknown or forgotten).
 * - active:   `GET active:{provider}:{sha(home)}` then `GET flow:{id}`.
 * - countActive: `SCARD pending` (members whose record expired are pruned by the expiry sweep).
 * - update:   one Lua script (or WATCH flow:{id} / MULTI / EXEC): compare status and phase with the
 *             condition, apply the change, `PERSIST` when it leaves `starting`; when it ends: `SREM pending`,
 *             `DEL active:…` (only if it still names this id), `PEXPIRE flow:{id}` ENDED_FLOW_TTL_MS (the
 *             forgetting), `ZREM expiries {id}`; when `expiresAt` is set on a waiting flow:
 *             `ZADD expiries expiresAt {id}`. Then `PUBLISH flow:{id}` with the new record (no secrets).
 * - expiry:   each replica sweeps `ZRANGEBYSCORE expiries -inf now` every second and applies the
 *             conditional update pending/(waiting|exchanging) → expired; the compare makes the sweep safe to
 *             run on every replica at once, and a flow already committing is left alone.
 * - remove:   `DEL flow:{id}`, `SREM pending`, `DEL active:…` if it names this id, `ZREM expiries`.
 * - subscribe: `SUBSCRIBE flow:{id}` on a shared subscriber connection, fanned out to local listeners.
 * - submitted codes travel as a conditional update (waiting → exchanging with `secrets.code`), so the
 *   replica running the flow learns them from its subscription, whichever replica took the callback.
 */
import type { FlowChange, FlowPhase, FlowRecord, FlowStatus } from './flow.js';

/** The result of `create`: a new flow, the live flow that already holds the key, or the bound reached. */
export type CreateResult = { kind: 'created'; record: FlowRecord } | { kind: 'joined'; record: FlowRecord } | { kind: 'full' };

/** The condition of a compare-and-set: every given field must match the stored record. */
export interface FlowCondition {
  status?: FlowStatus;
  /** The record's phase must be one of these. */
  phases?: readonly FlowPhase[];
}

/** Calls back with the new record after each change of one flow. */
export type FlowListener = (record: FlowRecord) => void;

/** Storage of flow records, with the atomic operations the engine's invariants rest on. */
export interface FlowStore {
  /**
   * Atomically: when a flow that has not ended holds `record`'s single-flight key (provider id + home),
   * returns it (`joined`); when `maxPending` flows have not ended, returns `full`; else stores `record`
   * (status `pending`, phase `starting`) and returns `created`.
   */
  create(record: FlowRecord, limits: { maxPending: number }): Promise<CreateResult>;
  /** The record, or undefined when unknown or forgotten. */
  get(id: string): Promise<FlowRecord | undefined>;
  /** The flow that holds the single-flight key of this provider and home and has not ended, if any. */
  active(providerId: string, home: string): Promise<FlowRecord | undefined>;
  /** Number of flows that have not ended (including those still `starting`). */
  countActive(): Promise<number>;
  /**
   * Compare-and-set: applies `change` only when the record matches `when`; returns the new record, or
   * undefined when the record is unknown or did not match (nothing changed then). A change to an end
   * status frees the single-flight key and the pending slot and schedules forgetting after
   * ENDED_FLOW_TTL_MS. A pending record in an expiring phase ends as `expired` at its `expiresAt`,
   * through this same conditional change. Listeners hear every change, in order.
   */
  update(id: string, when: FlowCondition, change: FlowChange): Promise<FlowRecord | undefined>;
  /** Forgets a record at once (a start that failed leaves nothing behind). */
  remove(id: string): Promise<void>;
  /** Calls `listener` after every change of flow `id`; returns a function that stops it. */
  subscribe(id: string, listener: FlowListener): () => void;
  /** Stops the store's timers and connections; the records are not changed. */
  close(): Promise<void>;
}
