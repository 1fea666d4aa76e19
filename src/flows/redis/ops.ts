/**
 * The shared-flow operations a RedisFlowStore is assembled from: the scripts with their keys filled in, every call
 * bounded and outage-typed by the connection, and the flow's secret sealed with the SecretBox (bound to the flow id)
 * before it reaches Redis and opened after it comes back. Nothing here knows a provider or an HTTP route.
 */
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../../util/secretBox.js';
import type { RedisConnection } from './connection.js';
import { FlowKeys } from './keys.js';
import type { CreateInput, CreateResult, FlowState, LeaseAcquireResult, RateResult, SweepResult, TransitionInput, TransitionResult } from './scripts.js';

/** How long an ended flow is kept before Redis forgets it (docs/api.md, Status values and invariants: five minutes after it ends). */
export const DEFAULT_RETENTION_MS = 5 * 60_000;
/** The record field holding the sealed secret. */
export const SECRET_FIELD = 'secret';

/** A flow record as read back. */
export interface FlowRecord {
  id: string;
  state: FlowState;
  version: number;
  createdMs: number;
  deadlineMs: number;
  endedMs: number | undefined;
  /** The replica that last took the lease. */
  driver: string | undefined;
  /** The caller's fields (the script-owned ones and the sealed secret are not repeated here). */
  fields: Record<string, string>;
  /** The opened secret, or undefined when the flow has none. */
  secret: unknown;
}

const OWN_FIELDS = new Set(['status', 'phase', 'version', 'created_ms', 'deadline_ms', 'ended_ms', 'single', 'driver', SECRET_FIELD]);

/** Shared flow operations over one connection. */
export class RedisFlowOps {
  readonly keys: FlowKeys;
  readonly retentionMs: number;

  constructor(
    readonly connection: RedisConnection,
    readonly box: SecretBox,
    options: { keys?: FlowKeys; retentionMs?: number } = {},
  ) {
    this.keys = options.keys ?? new FlowKeys();
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  /** Creates a pending flow unless one is pending for the same provider and home, or the pending bound is reached. */
  create(input: Omit<CreateInput, 'retentionMs'> & { secret?: unknown }): Promise<CreateResult> {
    const fields = this.#withSecret(input.id, input.fields, input.secret);
    return this.connection.run((client) => client.flowCreate(this.keys, { ...input, fields, retentionMs: this.retentionMs }));
  }

  /** Changes a flow's status and phase (and fields, and its secret) only from one of `from` (see the script). */
  transition(input: Omit<TransitionInput, 'retentionMs'> & { secret?: unknown }): Promise<TransitionResult> {
    const fields = input.secret === undefined ? input.fields : this.#withSecret(input.id, input.fields ?? {}, input.secret);
    return this.connection.run((client) => client.flowTransition(this.keys, { ...input, fields, retentionMs: this.retentionMs }));
  }

  /** Reads a flow, opening its secret; undefined when Redis has no such flow (never made, or forgotten). */
  async read(id: string): Promise<FlowRecord | undefined> {
    const hash = await this.connection.run((client) => client.hGetAll(this.keys.flow(id)));
    if (hash.status === undefined) return undefined;
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(hash)) if (!OWN_FIELDS.has(name)) fields[name] = value;
    const sealed = hash[SECRET_FIELD];
    return {
      id,
      state: { status: hash.status, phase: hash.phase ?? '' },
      version: Number(hash.version),
      createdMs: Number(hash.created_ms),
      deadlineMs: Number(hash.deadline_ms),
      endedMs: hash.ended_ms === undefined ? undefined : Number(hash.ended_ms),
      driver: hash.driver,
      fields,
      secret: sealed === undefined ? undefined : this.box.open(sealed, id),
    };
  }

  /** Ends due pending flows as expired (a batch per call); returns them, and the committing ones left without a driver. */
  sweep(): Promise<SweepResult> {
    return this.connection.run((client) => client.flowSweep(this.keys, this.retentionMs));
  }

  /** Takes (or renews) the lease that says which replica drives flow `id`. */
  acquireLease(id: string, owner: string, ttlMs: number): Promise<LeaseAcquireResult> {
    return this.connection.run((client) => client.leaseAcquire(this.keys, id, owner, ttlMs));
  }

  /** Extends a held lease; 'lost' means another replica has it or it lapsed: stop driving the flow. */
  renewLease(id: string, owner: string, ttlMs: number): Promise<'renewed' | 'lost'> {
    return this.connection.run((client) => client.leaseRenew(this.keys, id, owner, ttlMs));
  }

  /** Gives a held lease back (true), so another replica may take over at once. */
  releaseLease(id: string, owner: string): Promise<boolean> {
    return this.connection.run((client) => client.leaseRelease(this.keys, id, owner));
  }

  /** Forgets a flow at once: its record, lease, single-flight key and pending slot. */
  remove(id: string): Promise<boolean> {
    return this.connection.run((client) => client.flowRemove(this.keys, id));
  }

  /** The id the single-flight key of this provider and home names, if any (the flow may have ended since). */
  async activeId(provider: string, home: string): Promise<string | undefined> {
    return (await this.connection.run((client) => client.get(this.keys.singleFlight(provider, home)))) ?? undefined;
  }

  /** Pending flows past their first answer that no replica drives (no lease): candidates for a takeover. */
  orphans(limit = 100): Promise<string[]> {
    return this.connection.run((client) => client.flowOrphans(this.keys, limit));
  }

  /** Ids of the pending flows (the pending set), oldest deadline first, at most `limit`. */
  pendingIds(limit = 10_000): Promise<string[]> {
    return this.connection.run((client) => client.zRange(this.keys.pending, 0, limit - 1));
  }

  /** How many flows are pending (members whose deadline passed are dropped by the next sweep). */
  pendingCount(): Promise<number> {
    return this.connection.run((client) => client.zCard(this.keys.pending));
  }

  /** Counts a start for `client` in the shared sliding window; when refused, says how long to wait (seconds, at least 1). */
  async takeStart(client: string, perWindow: number, windowMs = 60_000): Promise<RateResult & { retryAfterSeconds: number }> {
    if (perWindow <= 0) return { allowed: true, retryAfterSeconds: 0 };
    const result = await this.connection.run((c) => c.startRate(this.keys, client, windowMs, perWindow, randomUUID()));
    return { ...result, retryAfterSeconds: result.allowed ? 0 : Math.max(1, Math.ceil(result.retryAfterMs / 1000)) };
  }

  #withSecret(id: string, fields: Record<string, string>, secret: unknown): Record<string, string> {
    if (SECRET_FIELD in fields) throw new Error(`Pass the secret as \`secret\`, never as the "${SECRET_FIELD}" field: it is sealed here.`);
    return secret === undefined ? fields : { ...fields, [SECRET_FIELD]: this.box.seal(secret, id) };
  }
}
