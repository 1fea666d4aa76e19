/**
 * Starts per client per minute (HERMES_ONBOARD_START_RATE), as a sliding one-minute window. A client is
 * an IPv4 address, or an IPv6 network of HERMES_ONBOARD_IPV6_PREFIX bits (default /64): one IPv6 host
 * usually holds a whole /64 and can rotate through it, so counting exact IPv6 addresses limits nothing.
 */
import ipaddr from 'ipaddr.js';
import type { RedisFlowOps } from '../flows/redis/ops.js';
import type { Clock } from '../util/clock.js';

const WINDOW_MS = 60_000;
/** Client addresses remembered at most; the oldest are dropped past it. */
const MAX_CLIENTS = 10_000;
/** IPv6 prefix length a client is counted by unless configured. */
export const DEFAULT_IPV6_PREFIX = 64;

/**
 * The key a client address is counted under: an IPv4 address as is (an IPv4-mapped IPv6 address such as
 * `::ffff:192.0.2.1` counts as that IPv4 address), an IPv6 address as its network `<addr>/<prefix>`;
 * anything unparsable as itself.
 */
export function clientKey(address: string, ipv6Prefix = DEFAULT_IPV6_PREFIX): string {
  const bare = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names the link, not the host
  if (!ipaddr.isValid(bare)) return address;
  const ip = ipaddr.process(bare);
  if (ip.kind() === 'ipv4') return ip.toString();
  const bytes = ip.toByteArray();
  for (let bit = ipv6Prefix; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${ipaddr.fromByteArray(bytes).toString()}/${ipv6Prefix}`;
}

/** Says whether one more start is allowed now for a client address: 0, or the seconds to wait. */
export interface StartGate {
  take(address: string): number | Promise<number>;
}

/** Counts starts per client in this process; `take` says whether one more is allowed now. */
export class StartLimiter implements StartGate {
  readonly #starts = new Map<string, number[]>();
  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
    private readonly ipv6Prefix = DEFAULT_IPV6_PREFIX,
  ) {}

  /** Records a start for the client at `address` and returns 0, or returns the seconds to wait when over the limit. */
  take(address: string): number {
    if (this.perMinute <= 0) return 0;
    const client = clientKey(address, this.ipv6Prefix);
    const now = this.clock.now();
    const recent = (this.#starts.get(client) ?? []).filter((t) => now - t < WINDOW_MS);
    if (recent.length >= this.perMinute) {
      this.#starts.set(client, recent);
      return Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
    }
    recent.push(now);
    this.#starts.delete(client);
    this.#starts.set(client, recent);
    if (this.#starts.size > MAX_CLIENTS) this.#starts.delete(this.#starts.keys().next().value!);
    return 0;
  }
}

/** The same limit counted in Redis over every replica (a sliding window in a Lua script, Redis' clock). */
export class SharedStartLimiter implements StartGate {
  constructor(
    private readonly ops: Pick<RedisFlowOps, 'takeStart'>,
    private readonly perMinute: number,
    private readonly ipv6Prefix = DEFAULT_IPV6_PREFIX,
  ) {}

  async take(address: string): Promise<number> {
    if (this.perMinute <= 0) return 0;
    const result = await this.ops.takeStart(clientKey(address, this.ipv6Prefix), this.perMinute, WINDOW_MS);
    return result.allowed ? 0 : result.retryAfterSeconds;
  }
}
