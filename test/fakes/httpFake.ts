/**
 * The plumbing the OpenRouter, MiniMax and /models fakes share: a real HTTP server on 127.0.0.1 that logs
 * every request (method, path, query, headers, parsed body), answers through a handler, and can be told
 * to answer the next requests to a path with a fault instead (a status and body, raw text, or a reset).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the fake received. `body` may hold secrets (it is the test's view of the wire). */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON or form body; undefined when it was neither. */
  body: Record<string, unknown> | undefined;
  contentType: string | undefined;
}

/** What a handler answers. */
export interface FakeAnswer {
  status: number;
  /** JSON body (serialised), unless `text` is given. */
  body?: unknown;
  /** A raw body, sent as is (for garbage answers). */
  text?: string;
  headers?: Record<string, string>;
}

/** A fault in place of the normal answer: an answer, or a connection reset. */
export type FakeFault = FakeAnswer | { reset: true };

export interface FakeServer {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Answers the next `times` requests whose path ends with `pathSuffix` with `fault`. */
  failNext(pathSuffix: string, fault: FakeFault, times?: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  if (contentType?.includes('application/json')) {
    try {
      const value: unknown = JSON.parse(text);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return undefined;
}

function send(res: ServerResponse, answer: FakeAnswer): void {
  const payload = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
  const type = answer.text !== undefined ? 'text/plain' : 'application/json';
  res.writeHead(answer.status, { 'content-type': type, ...answer.headers });
  res.end(payload);
}

/** Starts a fake on 127.0.0.1 (any free port) answering with `handle`. */
export async function startFakeServer(handle: (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const faults: Array<{ suffix: string; fault: FakeFault; remaining: number }> = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const contentType = req.headers['content-type'];
      const body = parseBody(await readBody(req), contentType);
      const logged: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, contentType };
      requests.push(logged);
      const queued = faults.find((f) => url.pathname.endsWith(f.suffix) && f.remaining > 0);
      if (queued) {
        queued.remaining -= 1;
        if ('reset' in queued.fault) {
          req.socket.destroy();
          return;
        }
        send(res, queued.fault);
        return;
      }
      send(res, await handle(logged));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(pathSuffix, fault, times = 1) {
      faults.push({ suffix: pathSuffix, fault, remaining: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
