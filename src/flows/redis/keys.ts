/**
 * Where shared flow state lives in Redis. Every key starts with one prefix holding a hash tag (`{…}`), so all keys
 * fall in one cluster slot: the Lua scripts may then touch a flow's sibling keys (its single-flight and lease keys)
 * on a single Redis, a Valkey, or a cluster alike.
 *
 *   <p>flow:<id>                 hash    the flow record (see scripts.ts for the fields the scripts own)
 *   <p>single:<provider>:<home>  string  the id of the one pending flow for that provider and Hermes home
 *   <p>pending                   zset    ids of pending flows, scored by their deadline (Redis clock, ms)
 *   <p>lease:<id>                string  the id of the replica driving the flow, with the lease TTL
 *   <p>rate:<client>             zset    one member per accepted start in the sliding window
 *   <p>events                    channel pub/sub: a JSON change note per flow change (not a key)
 *
 * `<home>` and `<client>` are hashed: a path or an address of any length becomes a fixed-size, printable key part.
 */
import { createHash } from 'node:crypto';

/** The default prefix; two deployments sharing one Redis pick different ones. */
export const DEFAULT_KEY_PREFIX = '{hermes-onboard}:';

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** The key names of one deployment (one prefix). */
export class FlowKeys {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    if (!/^[^{}]*\{[^{}]+\}[^{}]*$/.test(prefix)) throw new Error(`A Redis key prefix needs exactly one {hash tag}; got "${prefix}".`);
  }

  flow(id: string): string {
    return `${this.prefix}flow:${id}`;
  }

  lease(id: string): string {
    return `${this.prefix}lease:${id}`;
  }

  singleFlight(provider: string, home: string): string {
    return `${this.prefix}single:${provider}:${digest(home)}`;
  }

  get pending(): string {
    return `${this.prefix}pending`;
  }

  rate(client: string): string {
    return `${this.prefix}rate:${digest(client)}`;
  }

  /** The pub/sub channel carrying change notes (channels are not keys: no TTL, nothing stored). */
  get events(): string {
    return `${this.prefix}events`;
  }
}
