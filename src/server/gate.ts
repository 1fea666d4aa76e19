/**
 * The onboarding gate: who may use the API (loopback and private networks, or a bearer token, or an
 * explicitly open server), which Host headers we answer to (DNS rebinding), and same-origin POSTs.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { BlockList, isIPv6 } from 'node:net';
import { hostname } from 'node:os';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const privateNets = new BlockList();
privateNets.addSubnet('10.0.0.0', 8, 'ipv4');
privateNets.addSubnet('172.16.0.0', 12, 'ipv4');
privateNets.addSubnet('192.168.0.0', 16, 'ipv4');
privateNets.addSubnet('169.254.0.0', 16, 'ipv4');
privateNets.addSubnet('fc00::', 7, 'ipv6');
privateNets.addSubnet('fe80::', 10, 'ipv6');

/** Strips an IPv4-mapped IPv6 prefix (::ffff:1.2.3.4 → 1.2.3.4). */
function plainAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIPv6(address) ? 'ipv6' : 'ipv4' };
}

/**
 * Remembers the last answers of a pure function of a short string: each API request asks the same
 * questions about the same few peer addresses and Host headers (BlockList.check builds a SocketAddress
 * per call, ~2 % of the server's time under load). An answer never changes, so a hit is never stale;
 * the map is emptied when full, so a client sending ever new values cannot grow it.
 */
function memoize<T>(fn: (key: string) => T, maxEntries = 1024): (key: string) => T {
  const answers = new Map<string, T>();
  return (key) => {
    let answer = answers.get(key);
    if (answer === undefined && !answers.has(key)) {
      answer = fn(key);
      if (answers.size >= maxEntries) answers.clear();
      answers.set(key, answer);
    }
    return answer as T;
  };
}

/** True for loopback and private-network (RFC 1918, link-local, ULA) addresses. */
export const isLocalNetworkAddress: (address: string) => boolean = memoize((address) => {
  const a = plainAddress(address);
  return loopback.check(a.address, a.family) || privateNets.check(a.address, a.family);
});

/** Compares a presented bearer token with the configured one in constant time. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/** Splits a Host header into its host name (lower case, IPv6 without brackets kept bracketed). */
export const hostOf: (hostHeader: string) => string = memoize(parseHostName);

function parseHostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    // "[v6]" or "[v6]:port"; anything else after "]" is not a host we answer to
    const match = /^(\[[0-9a-f:.]+\])(:\d*)?$/.exec(h);
    return match ? match[1]! : '';
  }
  return h.replace(/:\d*$/, '');
}

/** The host names this server answers to: loopback names, the bound address, and any extra allowed hosts. */
export function allowedHostNames(boundHost: string, extra: readonly string[]): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]']);
  const bound = boundHost.toLowerCase();
  if (bound === '0.0.0.0' || bound === '::' || bound === '[::]') {
    names.add(hostname().toLowerCase());
  } else {
    names.add(bound.includes(':') && !bound.startsWith('[') ? `[${bound}]` : bound);
  }
  for (const h of extra) names.add(hostOf(h));
  return names;
}

/** Why the gate refused a request (a message that says how to open it), or undefined when allowed. */
export function gateRefusal(input: {
  remoteAddress: string | undefined;
  authorization: string | undefined;
  token: string | undefined;
  open: boolean;
}): string | undefined {
  if (input.token !== undefined) {
    return tokenMatches(input.authorization, input.token)
      ? undefined
      : 'This server needs its access token: send "Authorization: Bearer <HERMES_ONBOARD_TOKEN>", or open the page as /#token=<token>.';
  }
  if (input.open || (input.remoteAddress !== undefined && isLocalNetworkAddress(input.remoteAddress))) return undefined;
  return 'Onboarding is only open to this machine and private networks. Set HERMES_ONBOARD_TOKEN on the server and send it as a Bearer token, or set HERMES_ONBOARD_OPEN=1 to expose it deliberately.';
}

/** True when an Origin header names the same host and port as the Host header. */
export function originMatchesHost(origin: string, hostHeader: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === hostHeader.trim().toLowerCase();
  } catch {
    return false;
  }
}

/**
 * The one API route open without the gate (token, network): the provider's redirect back to this server
 * (`GET …/api/onboarding/oauth/callback/<flow id>.<nonce>`). A browser navigation cannot carry the bearer
 * token; the unguessable nonce in the path is the credential. The Host check still applies.
 */
export const TOKEN_FREE_ROUTE = '/api/onboarding/oauth/callback/:nonce';

/** True for the token-free route, by the route fastify matched (any mount prefix before it), GET only. */
export function isTokenFreeRoute(method: string, routeUrl: string | undefined): boolean {
  return method === 'GET' && routeUrl !== undefined && routeUrl.endsWith(TOKEN_FREE_ROUTE);
}
