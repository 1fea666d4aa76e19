/** Outbound HTTP to providers: proxy-aware, bounded in time and size, never following redirects. */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { TransientProviderError, ProviderError } from '../providers/errors.js';
import type { Clock } from './clock.js';
import { clampDelay } from './delay.js';
import { AbortFlag, type AbortLike } from './abort.js';

/** Longest Retry-After honoured, in seconds; a longer one is read as this. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/** Largest provider answer we read; anything longer is refused. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Longest a single provider request may take, even when the flow has longer left. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Most connections kept to one provider origin. Every pending flow polls its provider once per interval
 * (10,000 flows at OpenAI's 5 s: 2,000 requests/s), and a poll takes milliseconds, so a few keep-alive
 * connections carry them all; without a bound, flows whose timers fire together each opened a socket of
 * their own (1,800 sockets for 10,000 flows). Requests beyond the bound wait their turn, still under their
 * own deadline and timeout.
 */
export const MAX_CONNECTIONS_PER_ORIGIN = 32;

/** Agent options shared by the direct and the proxy dispatchers. */
const POOL_OPTIONS = { connections: MAX_CONNECTIONS_PER_ORIGIN } as const;

let proxyDispatcher: Dispatcher | undefined;
let directDispatcher: Dispatcher | undefined;

/**
 * The dispatcher for a provider URL: HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured, except that a
 * loopback issuer (a local gateway or test server) is always reached directly, never through a proxy.
 * Both keep a bounded pool of connections per origin.
 */
export function providerDispatcher(url: string): Dispatcher {
  return targetOf(url).dispatcher;
}

/** Where a provider URL goes: its origin and path as undici's dispatchers take them, and through which dispatcher. */
interface Target {
  origin: string;
  path: string;
  dispatcher: Dispatcher;
}

/**
 * Targets remembered per URL: every pending flow polls the same few provider URLs, and parsing each one again
 * (a WHATWG URL per poll, and undici's own parse behind `request(url)`) was work and garbage with a fixed
 * answer. Bounded: the map is emptied when full.
 */
const targets = new Map<string, Target>();

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    const loopback = isLoopbackHost(parsed.hostname);
    target = {
      origin: parsed.origin,
      path: `${parsed.pathname}${parsed.search}`,
      dispatcher: loopback ? (directDispatcher ??= new Agent(POOL_OPTIONS)) : (proxyDispatcher ??= new EnvHttpProxyAgent(POOL_OPTIONS)),
    };
    if (targets.size >= 256) targets.clear();
    targets.set(url, target);
  }
  return target;
}

/** The header lookups callers make on a provider's answer (WHATWG Headers has the same `get`). */
export interface ResponseHeaders {
  /** The header's value (several joined with ", "), or null; the name in any case. */
  get(name: string): string | null;
  /** Every header as [lower-case name, value] (to build a WHATWG Response for oauth4webapi). */
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/**
 * undici's raw response headers (names already lower case) behind `get`: building a WHATWG Headers object
 * validated and copied every header of every provider poll, for the one or two a caller reads.
 */
class RawHeaders implements ResponseHeaders {
  constructor(private readonly raw: Dispatcher.ResponseData['headers']) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const [name, value] of Object.entries(this.raw)) {
      if (Array.isArray(value)) for (const v of value) yield [name, v];
      else if (value !== undefined) yield [name, value];
    }
  }
}

/** What a provider answered, read in full (up to MAX_RESPONSE_BYTES). */
export interface ProviderResponse {
  status: number;
  headers: ResponseHeaders;
  /** The body as text. May hold secrets: never log or show it. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** `Retry-After` in seconds, when present and sensible. */
  retryAfterSeconds: number | undefined;
}

export interface RequestBounds {
  /** Aborts the request (the flow was cancelled or expired). */
  signal: AbortLike;
  /** Epoch ms after which the request must not run (the flow's expires_at). */
  deadline?: number;
  clock: Clock;
  /** Per-request cap; defaults to DEFAULT_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Parses a Retry-After header (seconds or HTTP date) into seconds, capped at an hour. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return clampDelay(Number(trimmed), 0, MAX_RETRY_AFTER_SECONDS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return clampDelay(Math.ceil((date - nowMs) / 1000), 0, MAX_RETRY_AFTER_SECONDS);
}

/** Describes a URL for messages: its host (and port), never the path or query. */
export function describeUrl(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the provider';
  }
}

/** Reads a body in full, refusing more than MAX_RESPONSE_BYTES (the rest is never read). */
async function readCapped(body: Dispatcher.ResponseData['body'], url: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      discard(body);
      throw new ProviderError(`${describeUrl(url)} sent an answer larger than 1 MiB, which was refused. Check the provider's status, or the issuer override if you set one.`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

/** Drops a body we will not read; destroying it closes its connection, and the abort error it emits is expected. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/**
 * Sends one request to a provider. Aborts at the earliest of the flow's signal, the deadline and the
 * per-request timeout. Redirects are not followed (a 3xx is an error). Network failures and timeouts
 * become TransientProviderError; cancellation rethrows the signal's reason.
 */
export async function providerRequest(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  bounds: RequestBounds,
): Promise<ProviderResponse> {
  // the host for messages is parsed only when there is a message to write
  const what = () => describeUrl(url);
  const now = bounds.clock.now();
  const untilDeadline = bounds.deadline === undefined ? Infinity : bounds.deadline - now;
  const budget = Math.min(bounds.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, untilDeadline);
  if (budget <= 0) throw new TransientProviderError(`No time left to reach ${what()}.`);
  bounds.signal.throwIfAborted();

  // not an AbortController: see util/abort.ts
  const controller = new AbortFlag();
  let timedOut = false;
  const cancelTimer = bounds.clock.setTimer(budget, () => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  });
  const onAbort = () => controller.abort(bounds.signal.reason);
  bounds.signal.addEventListener('abort', onAbort, { once: true });
  try {
    // undici's request() rather than fetch(): the same connection pool without WHATWG streams, Request and
    // Response objects per call, which made each provider poll several times dearer. It never follows
    // redirects and never asks for compressed answers.
    const target = targetOf(url);
    const response = await target.dispatcher.request({
      origin: target.origin,
      path: target.path,
      method: init.method,
      headers: { 'user-agent': 'hermes-onboard', ...init.headers },
      body: init.body,
      signal: controller,
    });
    if (response.statusCode >= 300 && response.statusCode < 400) {
      discard(response.body);
      throw new ProviderError(`${what()} answered with a redirect (HTTP ${response.statusCode}), which is not followed. Check the issuer override if you set one.`);
    }
    const text = await readCapped(response.body, url);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const headers = new RawHeaders(response.headers);
    return {
      status: response.statusCode,
      headers,
      text,
      json,
      retryAfterSeconds: parseRetryAfter(headers.get('retry-after'), bounds.clock.now()),
    };
  } catch (error) {
    if (bounds.signal.aborted) throw bounds.signal.reason;
    if (error instanceof ProviderError) throw error;
    if (timedOut) throw new TransientProviderError(`${what()} did not answer in time.`);
    const code = networkErrorCode(error);
    if (TLS_TRUST_ERRORS.test(code)) {
      // retrying cannot fix an untrusted certificate: say so at once
      throw new ProviderError(`${what()}'s TLS certificate is not trusted (${code}). If it uses a private CA, start the server with NODE_EXTRA_CA_CERTS=<ca.pem>.`);
    }
    const meaning = NETWORK_ERROR_MEANINGS[code];
    throw new TransientProviderError(`Could not reach ${what()}${meaning ? `: ${meaning}` : ''} (${code}).`);
  } finally {
    cancelTimer();
    bounds.signal.removeEventListener('abort', onAbort);
  }
}

/** What the common network error codes mean, in words a person can act on. */
const NETWORK_ERROR_MEANINGS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be looked up',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
};

/** Error codes of a TLS certificate Node does not trust (wrong CA, self-signed, expired, wrong name). */
const TLS_TRUST_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** The error code of a network failure: request() rejects with the socket or TLS error itself, fetch() wrapped it as `cause`. */
function networkErrorCode(error: unknown): string {
  for (const candidate of [error, (error as { cause?: unknown })?.cause]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  }
  return 'network error';
}

/** Reads a JSON or form-encoded body into a plain record of strings and numbers. */
export function parseBodyFields(res: ProviderResponse): Record<string, unknown> | undefined {
  if (res.json && typeof res.json === 'object' && !Array.isArray(res.json)) return res.json as Record<string, unknown>;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded') || /^[\w.-]+=[^&]*(&[\w.-]+=[^&]*)*$/.test(res.text.trim())) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of new URLSearchParams(res.text.trim())) out[k] = v;
    return Object.keys(out).length ? out : undefined;
  }
  return undefined;
}

/** True for 127.0.0.0/8, ::1 and localhost (the only hosts where plain http:// is accepted). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses plain http:// for anything but loopback; returns the URL without a trailing slash. */
export function checkIssuerUrl(raw: string, envName: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${envName} is not a valid URL; set it to an https:// address.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new Error(`${envName} uses plain http:// for a non-loopback host; use https:// instead.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${envName} must be an https:// address.`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** The issuer override environment variable for a provider id, e.g. HERMES_ONBOARD_OPENAI_CODEX_ISSUER. */
export function issuerEnvName(providerId: string): string {
  return `HERMES_ONBOARD_${providerId.toUpperCase().replace(/-/g, '_')}_ISSUER`;
}
