/**
 * One server-sent event stream taken over from fastify: the headers every stream carries, keep-alive comments
 * (so proxies do not cut an idle stream), and one close for both ends (the client leaving or the server ending it).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SSE_KEEPALIVE_MS } from '../limits.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

export interface EventStream {
  /** Writes one event; nothing once the stream is closed. */
  send(event: string, data: string): void;
  /** Ends the stream (once; later calls do nothing). */
  close(): void;
  readonly closed: boolean;
}

/** Opens an event stream on `reply`; `onClose` runs once when it closes, from either end. */
export function openEventStream(req: FastifyRequest, reply: FastifyReply, onClose: () => void): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
  keepAlive.unref();
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    onClose();
    if (!res.writableEnded) res.end();
  };
  req.raw.on('close', close);
  return {
    send: (event, data) => {
      if (!closed) res.write(`event: ${event}\ndata: ${data}\n\n`);
    },
    close,
    get closed() {
      return closed;
    },
  };
}
