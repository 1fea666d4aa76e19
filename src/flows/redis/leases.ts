/**
 * Flow leases in Redis (the lease scripts of scripts.ts): a lease is a key naming the replica driving the flow,
 * with a TTL. The holder renews it every third of the TTL; if it dies (SIGKILL) the key lapses within the TTL and
 * the orphan watch of any other replica, looking every quarter of the TTL, takes the lease and resumes the flow.
 *
 * A renewal that cannot reach Redis is retried at the next tick without giving the flow up: while Redis is away
 * nobody else can take the lease either, and the commit point checks the lease in Redis anyway. A renewal that
 * finds the lease gone or someone else's means another replica drives the flow now: `lost` fires.
 */
import type { FlowLease, FlowLeases } from '../lease.js';
import type { RedisFlowOps } from './ops.js';

import { DEFAULT_LEASE_TTL_MS } from '../../limits.js';

export interface RedisFlowLeasesOptions {
  owner: string;
  ttlMs?: number;
  /** Reports failures of the orphan watch or of a takeover (nothing is thrown from a timer). */
  onError?: (error: unknown, what: string) => void;
}

interface Held {
  controller: AbortController;
  timer: NodeJS.Timeout;
}

export class RedisFlowLeases implements FlowLeases {
  readonly owner: string;
  readonly ttlMs: number;
  readonly #ops: RedisFlowOps;
  readonly #onError: (error: unknown, what: string) => void;
  readonly #held = new Map<string, Held>();
  #watch: NodeJS.Timeout | undefined;
  #scanning = false;
  #closed = false;

  constructor(ops: RedisFlowOps, options: RedisFlowLeasesOptions) {
    this.#ops = ops;
    this.owner = options.owner;
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#onError = options.onError ?? (() => undefined);
  }

  async take(id: string): Promise<FlowLease | undefined> {
    try {
      const result = await this.#ops.acquireLease(id, this.owner, this.ttlMs);
      return result.outcome === 'acquired' || result.outcome === 'renewed' ? this.#hold(id) : undefined;
    } catch (error) {
      this.#onError(error, 'taking a flow lease');
      return undefined;
    }
  }

  holds(id: string): boolean {
    return this.#held.has(id);
  }

  watchOrphans(adopt: (id: string, lease: FlowLease) => void): void {
    if (this.#watch) return;
    this.#watch = setInterval(() => void this.#scan(adopt), Math.max(20, Math.floor(this.ttlMs / 4)));
    this.#watch.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watch);
    for (const held of this.#held.values()) clearInterval(held.timer);
    this.#held.clear();
  }

  /** One look for orphans: each one found is raced for; the replica whose acquire wins adopts it. */
  async #scan(adopt: (id: string, lease: FlowLease) => void): Promise<void> {
    if (this.#scanning || this.#closed || this.#ops.connection.state !== 'ready') return;
    this.#scanning = true;
    try {
      for (const id of await this.#ops.orphans()) {
        if (this.#closed || this.#held.has(id)) continue;
        const result = await this.#ops.acquireLease(id, this.owner, this.ttlMs);
        if (result.outcome === 'acquired') adopt(id, this.#hold(id));
      }
    } catch (error) {
      this.#onError(error, 'looking for flows to take over');
    } finally {
      this.#scanning = false;
    }
  }

  #hold(id: string): FlowLease {
    const controller = new AbortController();
    const drop = () => {
      const held = this.#held.get(id);
      if (held?.controller !== controller) return;
      clearInterval(held.timer);
      this.#held.delete(id);
    };
    const timer = setInterval(() => {
      this.#ops.renewLease(id, this.owner, this.ttlMs).then(
        (result) => {
          if (result === 'lost' && !controller.signal.aborted) {
            drop();
            controller.abort(new Error('the flow lease was lost: another replica drives this flow now'));
          }
        },
        () => undefined, // Redis away: try again at the next tick (see the module comment)
      );
    }, Math.max(10, Math.floor(this.ttlMs / 3)));
    timer.unref();
    this.#held.get(id)?.controller.abort(new Error('the flow lease was taken again'));
    this.#held.set(id, { controller, timer });
    return {
      lost: controller.signal,
      release: async () => {
        drop();
        await this.#ops.releaseLease(id, this.owner).catch(() => false);
      },
    };
  }
}
