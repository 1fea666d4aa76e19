/**
 * One connection to the Redis (or Valkey) that replicas share, through node-redis. It never makes a caller wait on
 * an absent Redis: while the connection is down every call fails at once with RedisUnavailableError (so a route can
 * answer 503), and a call Redis does not answer in time fails the same way. Meanwhile it reconnects on its own with
 * a capped, jittered backoff; losing Redis is logged once and never crashes the process.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
  createClient,
} from 'redis';
import { OnboardError } from '../../errors.js';
import { FLOW_SCRIPTS } from './scripts.js';

/** The environment variable naming the shared Redis. */
export const REDIS_URL_VARIABLE = 'HERMES_ONBOARD_REDIS_URL';

/** The Redis URL setting is unusable; the message names the setting and never repeats a password. */
export class RedisConfigError extends Error {
  override name = 'RedisConfigError';
}

/** Why a call could not reach Redis. */
export type UnavailableReason = 'offline' | 'timeout' | 'lost' | 'closed' | 'busy';

/**
 * Redis could not be reached, did not answer in time, or is not ready to serve (loading, read-only replica).
 * `outcomeUnknown` is true when the command may have reached Redis before the failure (a timeout or a connection
 * lost mid-call): the caller must read the state back instead of assuming nothing happened.
 */
export class RedisUnavailableError extends OnboardError {
  override name = 'RedisUnavailableError';
  readonly statusCode = 503;
  constructor(
    readonly reason: UnavailableReason,
    readonly outcomeUnknown: boolean,
    options?: { cause?: unknown },
  ) {
    // The catalogue row (503, Retry-After) answers it on every route; the message says what to do.
    super('redis_unavailable', `The shared flow store (Redis) is unavailable (${reason}); try again in a few seconds.`, options);
  }
}

/** Checks a Redis URL (`redis://` or `rediss://`); the message names `name` and shows the URL without credentials. */
export function parseRedisUrl(text: string | undefined, name = REDIS_URL_VARIABLE): URL {
  const value = text?.trim() ?? '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RedisConfigError(`${name} must be a URL like redis://host:6379 or rediss://host:6380; it could not be read as a URL.`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RedisConfigError(`${name} must start with redis:// or rediss:// (TLS); got ${url.protocol}// (${redactedUrl(url)}).`);
  }
  if (url.hostname === '') throw new RedisConfigError(`${name} names no host: ${redactedUrl(url)}.`);
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) {
    throw new RedisConfigError(`${name} may end only in a database number (/0, /1, …): ${redactedUrl(url)}.`);
  }
  return url;
}

/** The URL as it may be logged: scheme, host, port and database, never a username or password. */
export function redactedUrl(url: URL): string {
  const credentials = url.username || url.password ? '***@' : '';
  return `${url.protocol}//${credentials}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** The two log calls a connection makes: one line when Redis goes away, one when it is back. */
export interface ConnectionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Settings of a connection; everything but `url` has a default fit for a LAN Redis. */
export interface RedisConnectionOptions {
  url: string | URL;
  /** Shown by `CLIENT LIST` on the Redis side (e.g. the replica id). */
  name?: string;
  /** What the connection is for ('commands', 'events'…), in its log lines: a replica holds more than one. */
  role?: string;
  /** Longest a call may wait for Redis before it fails with reason 'timeout' (default 1000 ms). */
  commandTimeoutMs?: number;
  /** Longest one connection attempt may take (default 2000 ms). */
  connectTimeoutMs?: number;
  /** A PING this often keeps a quiet connection checked (default 1000 ms). */
  pingIntervalMs?: number;
  /**
   * A connection silent this long is dropped and re-made (default 5000 ms): how a hung Redis (alive socket, no
   * answers) is noticed. It must exceed the ping interval, which keeps a healthy idle connection talking.
   */
  socketTimeoutMs?: number;
  /** First and longest pause between reconnection attempts (default 50 ms, 2000 ms). */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** Where outages are reported (a pino logger fits). */
  logger?: ConnectionLogger;
}

/**
 * The pause before reconnection attempt `retries` (0-based): exponential from `baseMs`, capped at `maxMs`, half of
 * it random ("equal jitter") so replicas that lost Redis together do not come back in lockstep.
 */
export function reconnectDelay(retries: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(retries, 20));
  const half = Math.floor(ceiling / 2);
  return half + randomInt(0, ceiling - half + 1);
}

function makeClient(url: string, options: RedisConnectionOptions) {
  const base = options.reconnectBaseMs ?? 50;
  const max = options.reconnectMaxMs ?? 2000;
  return createClient({
    url,
    name: options.name,
    scripts: FLOW_SCRIPTS,
    // Fail fast: no queue of commands waiting for a Redis that may not come back.
    disableOfflineQueue: true,
    pingInterval: options.pingIntervalMs ?? 1000,
    // node-redis applies this only until a command is written; `run` bounds the wait for the answer too.
    commandOptions: { timeout: options.commandTimeoutMs ?? 1000 },
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 2000,
      socketTimeout: options.socketTimeoutMs ?? 5000,
      reconnectStrategy: (retries: number) => reconnectDelay(retries, base, max),
    },
  });
}

/** The node-redis client with the flow scripts registered as methods. */
export type FlowRedisClient = ReturnType<typeof makeClient>;

/** Where the connection is: connecting (first time), ready, down (reconnecting), closed (by `close`). */
export type ConnectionState = 'connecting' | 'ready' | 'down' | 'closed';

/** What `health` reports. */
export type RedisHealth = { redis: 'reachable'; latencyMs: number } | { redis: 'unreachable'; reason: UnavailableReason };

/** Emits 'state' (ConnectionState) on every change. */
export class RedisConnection extends EventEmitter<{ state: [ConnectionState] }> {
  readonly client: FlowRedisClient;
  readonly url: URL;
  readonly #options: RedisConnectionOptions;
  readonly #commandTimeoutMs: number;
  #state: ConnectionState = 'connecting';

  private constructor(url: URL, options: RedisConnectionOptions) {
    super();
    this.url = url;
    this.#options = options;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    this.client = makeClient(url.href, options);
    // Without an 'error' listener node-redis' errors would crash the process; each outage is logged once instead.
    this.client.on('error', () => this.#setState(this.client.isReady ? 'ready' : this.#state === 'connecting' ? 'connecting' : 'down'));
    this.client.on('ready', () => this.#setState('ready'));
    this.client.on('reconnecting', () => this.#setState('down'));
    this.client.on('end', () => this.#setState('closed'));
  }

  /**
   * Starts connecting and returns at once: a replica starts (and reports degraded health) while Redis is away, and
   * is served as soon as it comes. `ready()` waits for the first connection where a caller wants to.
   */
  static open(options: RedisConnectionOptions): RedisConnection {
    const url = typeof options.url === 'string' ? parseRedisUrl(options.url) : options.url;
    const connection = new RedisConnection(url, options);
    // connect() settles when the first attempt succeeds or the connection is closed; failures are retried inside.
    connection.client.connect().catch(() => undefined);
    return connection;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** A second connection to the same Redis with the same settings (e.g. the pub/sub subscriber, which needs its own). */
  duplicate(name?: string, role?: string): RedisConnection {
    return RedisConnection.open({ ...this.#options, url: this.url, name: name ?? this.#options.name, role: role ?? this.#options.role });
  }

  /** Resolves once the connection is ready (now, or when it next becomes ready); rejects if it is closed first. */
  ready(): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new RedisUnavailableError('closed', false));
    return new Promise<void>((resolve, reject) => {
      const onState = (state: ConnectionState) => {
        if (state === 'ready') resolve();
        else if (state === 'closed') reject(new RedisUnavailableError('closed', false));
        else return;
        this.off('state', onState);
      };
      this.on('state', onState);
    });
  }

  /**
   * Runs `op` against Redis, bounded by the command timeout. Failures to reach Redis become RedisUnavailableError;
   * Redis' own error replies (a script error, a wrong type) are passed on unchanged: they are bugs, not outages.
   */
  async run<T>(op: (client: FlowRedisClient) => Promise<T>, timeoutMs = this.#commandTimeoutMs): Promise<T> {
    if (this.#state === 'closed') throw new RedisUnavailableError('closed', false);
    if (!this.client.isReady) throw new RedisUnavailableError('offline', false);
    const call = op(this.client);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError('timeout', true)), timeoutMs);
    });
    // The call may still settle after the deadline; its late failure is expected and must not go unhandled.
    call.catch(() => undefined);
    try {
      return await Promise.race([call, deadline]);
    } catch (error) {
      throw toUnavailable(error) ?? error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** PINGs Redis within `timeoutMs`: reachable with the round trip, or unreachable with the reason. */
  async health(timeoutMs = 500): Promise<RedisHealth> {
    const started = performance.now();
    try {
      await this.run((client) => client.ping(), timeoutMs);
      return { redis: 'reachable', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      if (error instanceof RedisUnavailableError) return { redis: 'unreachable', reason: error.reason };
      return { redis: 'unreachable', reason: 'busy' };
    }
  }

  /** Closes the connection: waits for answers in flight when connected, drops everything at once when not. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasReady = this.client.isReady;
    this.#setState('closed');
    if (wasReady) await this.client.close().catch(() => this.client.destroy());
    else this.client.destroy();
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state || this.#state === 'closed') return;
    const previous = this.#state;
    this.#state = state;
    const where = { redis: redactedUrl(this.url), ...(this.#options.role !== undefined && { role: this.#options.role }) };
    if (state === 'down' && previous === 'ready') this.#options.logger?.warn(where, 'Redis is unreachable; flows wait and starts answer 503 until it is back.');
    if (state === 'ready' && previous === 'down') this.#options.logger?.info(where, 'Redis is reachable again.');
    this.emit('state', state);
  }
}

/** Replies with which Redis says "not now" rather than "wrong": it is loading, a read-only replica, or busy. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN)\b/;

/** The RedisUnavailableError an error amounts to, or undefined when it is not about reaching Redis. */
export function toUnavailable(error: unknown): RedisUnavailableError | undefined {
  if (error instanceof RedisUnavailableError) return error;
  const cause = { cause: error };
  if (error instanceof ClientOfflineError) return new RedisUnavailableError('offline', false, cause);
  if (error instanceof ClientClosedError) return new RedisUnavailableError('closed', false, cause);
  if (error instanceof TimeoutError || error instanceof SocketTimeoutError || error instanceof ConnectionTimeoutError) {
    return new RedisUnavailableError('timeout', true, cause);
  }
  if (error instanceof SocketClosedUnexpectedlyError || error instanceof ReconnectStrategyError) return new RedisUnavailableError('lost', true, cause);
  if (error instanceof ErrorReply) return TRANSIENT_REPLY.test(error.message) ? new RedisUnavailableError('busy', false, cause) : undefined;
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code)) {
    return new RedisUnavailableError('lost', true, cause);
  }
  return undefined;
}
