/**
 * Everything a replica needs to share its flows through Redis, opened together: the command connection, the
 * subscriber connection for change notes, the FlowStore, the leases, and a health check. `close` closes them in
 * order (the engine must have closed first: it still hands its flows over through them).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { systemClock } from '../../util/clock.js';
import type { SecretBox } from '../../util/secretBox.js';
import type { Logger } from '../../util/logger.js';
import { describeFailure } from '../../util/secrets.js';
import { RedisConnection, type RedisHealth } from './connection.js';
import { RedisFlowEvents } from './events.js';
import { FlowKeys } from './keys.js';
import { RedisFlowLeases } from './leases.js';
import { RedisFlowOps } from './ops.js';
import { RedisFlowStore } from './store.js';

export { RedisUnavailableError, type RedisHealth } from './connection.js';

export interface SharedFlowsOptions {
  url: string | URL;
  box: SecretBox;
  logger: Logger;
  /** Lease TTL: how soon another replica takes over the flows of one that died (default 10 s). */
  leaseTtlMs?: number;
  /** This replica's id (default: host name, process id and a random part). */
  replicaId?: string;
  keys?: FlowKeys;
  /** How long an ended flow is kept (default five minutes). */
  retentionMs?: number;
}

export interface SharedFlows {
  readonly replicaId: string;
  readonly connection: RedisConnection;
  readonly ops: RedisFlowOps;
  readonly store: RedisFlowStore;
  readonly leases: RedisFlowLeases;
  health(): Promise<RedisHealth>;
  /** Resolves once Redis answered and change notes flow, or after `ms` (a replica also starts while Redis is away). */
  ready(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the shared flow state at `url`; never waits for Redis (see `ready`). */
export function openSharedFlows(options: SharedFlowsOptions): SharedFlows {
  const replicaId = options.replicaId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const { logger } = options;
  const connection = RedisConnection.open({ url: options.url, name: `hermes-onboard:${replicaId}`, role: 'commands', logger });
  const keys = options.keys ?? new FlowKeys();
  const ops = new RedisFlowOps(connection, options.box, { keys, retentionMs: options.retentionMs });
  const events = new RedisFlowEvents(connection.duplicate(`hermes-onboard:${replicaId}:events`, 'events'), keys);
  const subscribed = events.start().then(
    () => true,
    (error: unknown) => {
      logger.error({ failure: describeFailure(error) }, 'subscribing to flow changes in Redis failed');
      return false;
    },
  );
  const leases = new RedisFlowLeases(ops, {
    owner: replicaId,
    ttlMs: options.leaseTtlMs,
    onError: (error, what) => logger.debug({ failure: describeFailure(error) }, `${what} failed`),
  });
  const store = new RedisFlowStore(ops, events, {
    clock: systemClock,
    owner: replicaId,
    drives: (id) => leases.holds(id),
  });
  let closed = false;
  return {
    replicaId,
    connection,
    ops,
    store,
    leases,
    health: () => connection.health(),
    async ready(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
      try {
        return await Promise.race([subscribed, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await leases.close();
      await store.close();
      await events.close();
      await connection.close();
    },
  };
}
