/**
 * The shared FlowStore: flow records in Redis (or Valkey), so any replica answers for any flow. Each operation is
 * one of the atomic scripts (scripts.ts) through RedisFlowOps, which seals `secrets` with the SecretBox (the flow
 * id as associated data) before they leave the process. The record's other fields are stored one hash field each
 * (JSON), so a conditional change writes only what it changes, in the same script that checks the condition.
 *
 * Ended flows are forgotten `retention` after they end (a TTL on the record); while pending, every key lives as
 * long as the flow's deadline plus that retention, so Redis never accumulates. Expiry at the deadline is a sweep
 * every replica runs (safe to run everywhere at once: it is a compare-and-set in Redis).
 *
 * Change notifications come from pub/sub (events.ts): a note names the flow and its version; a subscriber reads the
 * record back and hands it to its listeners, newest first-come (a listener may skip an intermediate version, never
 * go back to an older one). After Redis comes back, subscribers read again (notes sent meanwhile are lost).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../util/clock.js';
import { END_STATUSES, type FlowChange, type FlowPhase, type FlowRecord, type FlowSecrets, type FlowStatus } from '../flow.js';
import type { CreateResult, FlowCondition, FlowListener, FlowStore } from '../store.js';
import { RedisUnavailableError } from './connection.js';
import type { RedisFlowEvents } from './events.js';
import type { FlowRecord as StoredFlow, RedisFlowOps } from './ops.js';
import type { FlowState } from './scripts.js';

/** A starting flow's record outlives its first provider request by this much, so the sweep never ends it first. */
export const START_MARGIN_MS = 5000;
/** How often each replica ends flows past their deadline (default). */
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;

const ALL_PHASES: readonly FlowPhase[] = ['starting', 'waiting', 'exchanging', 'committing', 'ended'];

/** The record fields kept as JSON hash fields (everything but id, status, phase and secrets). */
const DATA_FIELDS = ['providerId', 'profile', 'home', 'kind', 'createdAt', 'expiresAt', 'endedAt', 'public', 'error', 'account', 'repairAccountId'] as const;
type DataField = (typeof DATA_FIELDS)[number];

export interface RedisFlowStoreOptions {
  clock: Clock;
  /**
   * This replica's lease owner id: the commit point (the change into `committing`) is made only while this replica
   * holds the flow's lease, so a replica that lost its lease can never write credentials for a flow another drives.
   */
  owner?: string;
  /** True while this replica drives flow `id` (holds its lease): its changes wait out a short Redis outage. */
  drives?: (id: string) => boolean;
  /** Longest a driving replica's change waits for Redis to come back before it fails (default 30 s). */
  outageWaitMs?: number;
  sweepIntervalMs?: number;
  /** Reports a failed sweep (Redis away); nothing else is logged here. */
  onSweepError?: (error: unknown) => void;
}

/** Flow records in Redis, shared by every replica. */
export class RedisFlowStore implements FlowStore {
  readonly #ops: RedisFlowOps;
  readonly #events: RedisFlowEvents;
  readonly #options: RedisFlowStoreOptions;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(ops: RedisFlowOps, events: RedisFlowEvents, options: RedisFlowStoreOptions) {
    this.#ops = ops;
    this.#events = events;
    this.#options = options;
    this.#sweeper = setInterval(() => void this.sweep(), options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  get ops(): RedisFlowOps {
    return this.#ops;
  }

  /** Ends the flows whose deadline passed (any replica may run it; each flow ends once). */
  async sweep(): Promise<void> {
    if (this.#closed || this.#ops.connection.state !== 'ready') return;
    try {
      await this.#ops.sweep();
    } catch (error) {
      this.#options.onSweepError?.(error);
    }
  }

  async create(record: FlowRecord, limits: { maxPending: number }): Promise<CreateResult> {
    // A holder may end between the script's answer and the read: then the key is free and creating again is right.
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await this.#ops.create({
        id: record.id,
        provider: record.providerId,
        home: record.home,
        maxPending: limits.maxPending,
        lifetimeMs: Math.max(1, record.expiresAt - record.createdAt) + START_MARGIN_MS,
        phase: record.phase,
        fields: encodeFields(record),
        secret: record.secrets,
      });
      if (result.outcome === 'limit') return { kind: 'full' };
      if (result.outcome === 'created') return { kind: 'created', record: Object.freeze({ ...record }) };
      const holder = await this.get(result.id);
      if (holder && holder.status === 'pending') return { kind: 'joined', record: holder };
    }
    return { kind: 'full' };
  }

  async get(id: string): Promise<FlowRecord | undefined> {
    const stored = await this.#ops.read(id);
    return stored && toRecord(stored);
  }

  async active(providerId: string, home: string): Promise<FlowRecord | undefined> {
    const id = await this.#ops.activeId(providerId, home);
    if (id === undefined) return undefined;
    const record = await this.get(id);
    return record && record.status === 'pending' ? record : undefined;
  }

  countActive(): Promise<number> {
    return this.#ops.pendingCount();
  }

  async update(id: string, when: FlowCondition, change: FlowChange): Promise<FlowRecord | undefined> {
    let from: FlowState[];
    let to: FlowState;
    const status = change.status ?? when.status;
    const phase = change.phase ?? (when.phases?.length === 1 ? when.phases[0] : undefined);
    if (status !== undefined && phase !== undefined) {
      const statuses: readonly FlowStatus[] = when.status !== undefined ? [when.status] : ['pending'];
      from = statuses.flatMap((s) => (when.phases ?? ALL_PHASES).map((p) => ({ status: s, phase: p })));
      to = { status, phase };
    } else {
      // The change keeps the status or phase it does not name: compare against exactly what is stored now.
      const current = await this.get(id);
      if (!current || !matches(current, when)) return undefined;
      from = [{ status: current.status, phase: current.phase }];
      to = { status: change.status ?? current.status, phase: change.phase ?? current.phase };
    }
    const ends = END_STATUSES.has(to.status as FlowStatus);
    const input = {
      id,
      from,
      to,
      owner: to.phase === 'committing' ? this.#options.owner : undefined,
      ...(change.expiresAt !== undefined && !ends && { lifetimeMs: Math.max(0, change.expiresAt - this.#options.clock.now()) }),
      fields: encodeFields(change),
      secret: change.secrets,
    };
    const result = await this.#patiently(id, () => this.#ops.transition(input), to);
    if (result === 'applied') return this.get(id);
    return undefined;
  }

  async remove(id: string): Promise<void> {
    await this.#ops.remove(id);
  }

  subscribe(id: string, listener: FlowListener): () => void {
    let last = -1;
    let reading = false;
    let again = false;
    let stopped = false;
    const refresh = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const stored = await this.#ops.read(id).catch(() => undefined);
          if (stopped) return;
          if (stored && stored.version > last) {
            last = stored.version;
            listener(toRecord(stored));
          }
        } while (again && !stopped);
      } finally {
        reading = false;
      }
    };
    const unwatch = this.#events.watch(id, {
      change: (note) => {
        if (note.version > last) void refresh();
      },
      resync: () => void refresh(),
    });
    return () => {
      stopped = true;
      unwatch();
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
  }

  /**
   * Runs a transition; for a flow this replica drives, waits out a Redis outage (bounded) and retries, reading the
   * flow back first when the lost call may have gone through. Others (an HTTP request) fail at once with 503.
   */
  async #patiently(id: string, call: () => ReturnType<RedisFlowOps['transition']>, to: FlowState): Promise<'applied' | 'refused'> {
    const waitUntil = Date.now() + (this.#options.outageWaitMs ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await call();
        return result.outcome === 'ok' ? 'applied' : 'refused';
      } catch (error) {
        if (!(error instanceof RedisUnavailableError) || !this.#options.drives?.(id) || Date.now() >= waitUntil || this.#closed) throw error;
        await Promise.race([this.#ops.connection.ready(), sleep(Math.max(1, waitUntil - Date.now()))]).catch(() => undefined);
        await sleep(Math.min(50 * 2 ** attempt, 500));
        if (error.outcomeUnknown) {
          const now = await this.#ops.read(id).catch(() => undefined);
          if (now && now.state.status === to.status && now.state.phase === to.phase) return 'applied';
        }
      }
    }
  }
}

function matches(record: FlowRecord, when: FlowCondition): boolean {
  if (when.status !== undefined && record.status !== when.status) return false;
  return when.phases === undefined || when.phases.includes(record.phase);
}

/** The data fields a record or a change sets, each as JSON (a field the change leaves out is not written). */
function encodeFields(source: Partial<Record<DataField, unknown>>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const name of DATA_FIELDS) {
    const value = source[name];
    if (value !== undefined) fields[name] = JSON.stringify(value);
  }
  return fields;
}

/** Our own JSON, written by encodeFields: its type is the record field's. */
function decode<T>(text: string | undefined): T | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** The FlowRecord a stored flow is. The sweep's expiry writes no `endedAt` of ours: Redis' end time stands in. */
function toRecord(stored: StoredFlow): FlowRecord {
  const f = stored.fields;
  const endedAt = decode<number>(f.endedAt) ?? stored.endedMs;
  const pub = decode<FlowRecord['public']>(f.public);
  const error = decode<string>(f.error);
  const account = decode<FlowRecord['account']>(f.account);
  const repairAccountId = decode<string>(f.repairAccountId);
  const secrets = stored.secret as FlowSecrets | undefined;
  return Object.freeze({
    id: stored.id,
    providerId: decode<string>(f.providerId) ?? '',
    profile: decode<string>(f.profile) ?? '',
    home: decode<string>(f.home) ?? '',
    kind: decode<FlowRecord['kind']>(f.kind) ?? 'device_code',
    status: stored.state.status as FlowStatus,
    phase: stored.state.phase as FlowPhase,
    createdAt: decode<number>(f.createdAt) ?? stored.createdMs,
    expiresAt: decode<number>(f.expiresAt) ?? stored.deadlineMs,
    ...(endedAt !== undefined && { endedAt }),
    ...(pub !== undefined && { public: pub }),
    ...(error !== undefined && { error }),
    ...(account !== undefined && { account }),
    ...(secrets !== undefined && { secrets }),
    ...(repairAccountId !== undefined && { repairAccountId }),
  });
}
