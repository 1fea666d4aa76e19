/** The checks every API request passes, in order: shutting down, the onboarding gate, JSON bodies, same-origin POSTs. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { OnboardError } from '../errors.js';
import { gateRefusal, isTokenFreeRoute, originMatchesHost } from './gate.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

/** Throws the catalogue error that refuses `req`, or returns when it may go on. */
export function guardApiRequest(req: FastifyRequest, config: Pick<Config, 'token' | 'open'>, closing: boolean): void {
  if (closing) throw new OnboardError('server_closing');
  if (isTokenFreeRoute(req.method, req.routeOptions.url)) return;
  const refusal = gateRefusal({
    remoteAddress: req.socket.remoteAddress,
    authorization: req.headers.authorization,
    token: config.token,
    open: config.open,
  });
  if (refusal) throw new OnboardError('gate_refused', refusal);
  if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new OnboardError('unsupported_media_type');
    const origin = req.headers.origin;
    if (origin !== undefined && !originMatchesHost(origin, req.headers.host ?? '')) throw new OnboardError('cross_site_refused');
  }
}

/** The headers every answer carries, built once: the security headers and `Cache-Control: no-store`. */
const RESPONSE_HEADERS: Readonly<Record<string, string>> = { ...SECURITY_HEADERS, 'cache-control': 'no-store' };

/** Sets the security headers and `Cache-Control: no-store` every answer carries. */
export function setResponseHeaders(reply: FastifyReply): void {
  reply.headers(RESPONSE_HEADERS);
}
