/**
 * Turning any error into an API answer through the catalogue (src/errors.ts): status, headers and
 * `{"ok": false, "error": "<message a person can act on>"}`.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { classify, OnboardError, type ErrorCode } from '../errors.js';
import { describeFailure } from '../util/secrets.js';
import { errorBody } from './presenters.js';

export { errorBody };

/** Statuses routes raise by number, and their catalogue codes (for code that names the status, not the cause). */
const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  403: 'gate_refused',
  404: 'flow_not_found',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  502: 'provider_failed',
  503: 'server_closing',
};

/** An error that names its HTTP status; kept for routes that think in statuses. Prefer `new OnboardError(code)`. */
export class HttpError extends OnboardError {
  override name = 'HttpError';
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(BY_STATUS[status] ?? 'invalid_request', message, { headers });
  }
}

/** Sends the catalogue's answer for `error`; unexpected ones (status 500) are logged without secrets. */
export function sendError(error: unknown, req: FastifyRequest, reply: FastifyReply, log: FastifyBaseLogger): FastifyReply {
  const c = classify(error);
  if (c.status >= 500) log.error({ failure: describeFailure(error), code: c.code, route: req.routeOptions?.url }, 'request failed');
  for (const [name, value] of Object.entries(c.headers)) reply.header(name, value);
  return reply.code(c.status).send(errorBody(c.message));
}
