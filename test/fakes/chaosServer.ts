/**
 * A chaos provider: a real HTTP server on 127.0.0.1 that answers like a broken authorization server.
 * Use its `url` as any provider's issuer. Every path gets the default fault, or the fault set for that
 * path; `pass` hands a request to the upstream (a normal fake, proxied byte for byte), so a test can
 * have a good user-code answer followed by a broken token answer.
 *
 * Faults: reset mid-answer, accept and never answer, a body trickling a byte a second (of the server's
 * clock, so a test's ManualClock drives it), HTML error
 * pages, invalid JSON, a 50 MB JSON body (streamed, counting what the client let through), a wrong
 * content type, a redirect to another host, scripted JSON answers (a token answer without
 * access_token, slow_down…), and connection refused (`refuseConnections` closes the port).
 * Every broken body carries a made-up secret, recorded in `issued`, so tests can prove no error
 * message, response or log line repeats a provider body.
 *
 * `ProviderTraffic` watches the program's outbound requests (undici's diagnostics channels) so a
 * test driving a ManualClock can wait until every request is either answered or stuck on a chaos
 * server before moving time on.
 */
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, type Clock } from '../../src/util/clock.js';

/** Size of the `huge` body: 50 MB. */
export const HUGE_BODY_BYTES = 50 * 1024 * 1024;
/** Gap between trickled bytes, by the server's clock. */
export const TRICKLE_EVERY_MS = 1000;

/** What the server does with a request. */
export type ChaosFault =
  /** Headers and part of the body, then a TCP reset. */
  | { kind: 'reset' }
  /** Read the request, never answer. */
  | { kind: 'hang' }
  /** 200 JSON headers, then one body byte every TRICKLE_EVERY_MS of the server's clock. */
  | { kind: 'trickle' }
  /** An HTML error page (a proxy's or a load balancer's). */
  | { kind: 'html'; status: number }
  /** 200 with `application/json` and a truncated JSON text. */
  | { kind: 'invalidJson' }
  /** 200 with a JSON body of `bytes` (HUGE_BODY_BYTES), streamed with backpressure, no Content-Length. */
  | { kind: 'huge'; bytes?: number }
  /** 200 with an XML body labelled `text/xml`. */
  | { kind: 'wrongContentType' }
  /** A redirect (302 by default) to `location`. */
  | { kind: 'redirect'; location: string; status?: number }
  /** A scripted JSON answer (good or bad). */
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  /** Hand the request to the upstream. */
  | { kind: 'pass' };

/** Ready-made faults. */
export const chaos = {
  reset: (): ChaosFault => ({ kind: 'reset' }),
  hang: (): ChaosFault => ({ kind: 'hang' }),
  trickle: (): ChaosFault => ({ kind: 'trickle' }),
  html: (status: number): ChaosFault => ({ kind: 'html', status }),
  invalidJson: (): ChaosFault => ({ kind: 'invalidJson' }),
  huge: (bytes = HUGE_BODY_BYTES): ChaosFault => ({ kind: 'huge', bytes }),
  wrongContentType: (): ChaosFault => ({ kind: 'wrongContentType' }),
  redirect: (location: string, status = 302): ChaosFault => ({ kind: 'redirect', location, status }),
  json: (status: number, body: unknown, headers?: Record<string, string>): ChaosFault => ({ kind: 'json', status, body, ...(headers && { headers }) }),
  /** RFC 8628 §3.5 `slow_down`, HTTP 400. */
  slowDown: (): ChaosFault => ({ kind: 'json', status: 400, body: { error: 'slow_down' } }),
  pass: (): ChaosFault => ({ kind: 'pass' }),
};

/** One request the chaos server received. */
export interface ChaosRequest {
  method: string;
  path: string;
  /** The fault it got. */
  fault: ChaosFault['kind'] | 'no-route';
  /** Arrival time by the server's clock. */
  time: number;
  /** Response body bytes written to the socket so far. */
  bytesWritten: number;
  /** True once the connection or response closed. */
  closed: boolean;
}

export interface ChaosServerOptions {
  /** Where `pass` requests go, e.g. a codex fake's issuer. */
  upstream?: string;
  /** The default fault for every path (without one: `pass` when an upstream is set, else a JSON 404). */
  fault?: ChaosFault;
  /** Clock stamping `requests[].time` and pacing `trickle` (share the test's ManualClock); the system clock by default. */
  clock?: Clock;
  /** Host to bind (another loopback address for an "other host"). */
  host?: string;
}

/** A running chaos server. */
export interface ChaosServer {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly requests: ChaosRequest[];
  /** Made-up secrets carried by broken bodies; none may appear in any output. */
  readonly issued: string[];
  /** Sets the fault for one exact path. */
  route(path: string, fault: ChaosFault): void;
  /** Sets the fault for every path without its own. */
  setDefault(fault: ChaosFault): void;
  /** Sets where `pass` requests go (e.g. a fake started after this server). */
  setUpstream(url: string): void;
  /** Sets the clock for later requests (e.g. the ManualClock of a harness built after this server). */
  setClock(next: Clock): void;
  /** Requests currently held open on purpose (hang, trickle). */
  readonly stalled: number;
  /** Requests whose connection is still open. */
  readonly open: number;
  /** Calls `listener` whenever a request arrives, stalls or closes; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Resolves once no request is open (every client has hung up or been answered). */
  untilNoneOpen(): Promise<void>;
  /** Stops listening and drops every connection: later connections are refused. */
  refuseConnections(): Promise<void>;
  close(): Promise<void>;
}

const HTML_TITLES: Record<number, string> = { 200: 'Welcome', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** Starts a chaos server on 127.0.0.1 (or `options.host`) at a free port. */
export async function startChaosServer(options: ChaosServerOptions = {}): Promise<ChaosServer> {
  let clock = options.clock ?? systemClock;
  let upstream = options.upstream ? new URL(options.upstream) : undefined;
  let fallback: ChaosFault | undefined = options.fault;
  const notFound: ChaosFault = { kind: 'json', status: 404, body: { error: 'not_found' } };
  const routes = new Map<string, ChaosFault>();
  const requests: ChaosRequest[] = [];
  const issued: string[] = [];
  const sockets = new Set<Socket>();
  const listeners = new Set<() => void>();
  let stalled = 0;
  let open = 0;
  let listening = true;

  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  const secret = (prefix: string) => {
    const value = `${prefix}${randomBytes(24).toString('base64url')}`;
    issued.push(value);
    return value;
  };
  /** Writes `chunk`, counting it, and resolves when the socket can take more (false once closed). */
  const write = (res: ServerResponse, entry: ChaosRequest, chunk: string | Buffer): Promise<boolean> => {
    if (res.destroyed || entry.closed) return Promise.resolve(false);
    entry.bytesWritten += Buffer.byteLength(chunk);
    if (res.write(chunk)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => () => {
        res.off('drain', onDrain);
        res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = done(true);
      const onClose = done(false);
      res.once('drain', onDrain).once('close', onClose);
    });
  };
  const stall = (res: ServerResponse) => {
    stalled += 1;
    res.once('close', () => {
      stalled -= 1;
      changed();
    });
    changed();
  };

  async function answer(fault: ChaosFault, req: IncomingMessage, res: ServerResponse, entry: ChaosRequest): Promise<void> {
    switch (fault.kind) {
      case 'pass':
        return proxy(req, res);
      case 'hang':
        return stall(res);
      case 'reset': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        await new Promise<void>((resolve) => res.write(`{"device_auth_id":"${secret('deviceauth_')}","user_code":"RSET-`, () => resolve()));
        const socket = res.socket as (Socket & { resetAndDestroy?: () => void }) | null;
        if (socket?.resetAndDestroy) socket.resetAndDestroy();
        else socket?.destroy();
        return;
      }
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const body = Buffer.from(JSON.stringify({ device_auth_id: secret('deviceauth_'), access_token: secret('at_'), user_code: 'SLOW-CODE' }));
        let sent = 0;
        let cancel = () => {};
        const tick = () => {
          if (entry.closed) return;
          if (sent >= body.length) return void res.end();
          void write(res, entry, body.subarray(sent, ++sent));
          cancel = clock.setTimer(TRICKLE_EVERY_MS, tick);
        };
        cancel = clock.setTimer(TRICKLE_EVERY_MS, tick);
        res.once('close', () => cancel());
        return stall(res);
      }
      case 'html': {
        const title = `${fault.status} ${HTML_TITLES[fault.status] ?? 'Error'}`;
        res.writeHead(fault.status, { 'content-type': 'text/html; charset=utf-8' });
        await write(res, entry, `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>upstream debug: access_token=${secret('at_')} device_auth_id=${secret('deviceauth_')}</p></body></html>`);
        return void res.end();
      }
      case 'invalidJson':
        res.writeHead(200, { 'content-type': 'application/json' });
        await write(res, entry, `{"device_auth_id": "${secret('deviceauth_')}", "access_token": "${secret('at_')}", "user_code": "BRKN-JSON", "interval": `);
        return void res.end();
      case 'wrongContentType':
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        await write(res, entry, `<?xml version="1.0"?><answer><device_auth_id>${secret('deviceauth_')}</device_auth_id><access_token>${secret('at_')}</access_token><user_code>XMLX-CODE</user_code></answer>`);
        return void res.end();
      case 'redirect':
        res.writeHead(fault.status ?? 302, { location: fault.location, 'content-type': 'text/html' });
        await write(res, entry, `<a href="${fault.location}">moved</a>`);
        return void res.end();
      case 'json': {
        res.writeHead(fault.status ?? 200, { 'content-type': 'application/json', ...fault.headers });
        await write(res, entry, JSON.stringify(fault.body));
        return void res.end();
      }
      case 'huge':
        return streamHuge(res, entry, fault.bytes ?? HUGE_BODY_BYTES);
    }
  }

  async function streamHuge(res: ServerResponse, entry: ChaosRequest, total: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/json' });
    const head = `{"device_auth_id":"${secret('deviceauth_')}","user_code":"HUGE-CODE","access_token":"${secret('at_')}","padding":"`;
    const tail = '"}';
    if (!(await write(res, entry, head))) return;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = total - head.length - tail.length;
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!(await write(res, entry, piece))) return;
    }
    if (await write(res, entry, tail)) res.end();
  }

  function proxy(req: IncomingMessage, res: ServerResponse): void {
    if (!upstream) {
      res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"no_upstream"}');
      return;
    }
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(out);
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://chaos').pathname;
    const fault = routes.get(path) ?? fallback ?? (upstream ? chaos.pass() : notFound);
    const entry: ChaosRequest = { method: req.method ?? '', path, fault: fault.kind, time: clock.now(), bytesWritten: 0, closed: false };
    requests.push(entry);
    open += 1;
    res.once('close', () => {
      entry.closed = true;
      open -= 1;
      changed();
    });
    changed();
    const start = () => answer(fault, req, res, entry).catch(() => res.destroy());
    // read the whole request first (a real server would), except when proxying it on
    if (fault.kind === 'pass') void start();
    else req.resume().once('end', () => void start());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;

  const stopListening = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  const onChange = (listener: () => void) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  };

  return {
    url,
    requests,
    issued,
    route: (path, fault) => void routes.set(path, fault),
    setDefault: (fault) => void (fallback = fault),
    setUpstream: (next) => void (upstream = new URL(next)),
    setClock: (next) => void (clock = next),
    get stalled() {
      return stalled;
    },
    get open() {
      return open;
    },
    onChange,
    untilNoneOpen: () =>
      new Promise<void>((resolve) => {
        const off = onChange(() => {
          if (open > 0) return;
          off();
          resolve();
        });
        if (open === 0) {
          off();
          resolve();
        }
      }),
    refuseConnections: stopListening,
    close: stopListening,
  };
}

/**
 * Watches the program's outbound requests through undici's diagnostics channels. `idle()` resolves when
 * every request in flight is held on purpose by a chaos server (so only a timer can move things on).
 */
export class ProviderTraffic {
  readonly #inFlight = new Set<object>();
  readonly #waiters = new Set<() => void>();
  readonly #offs: Array<() => void> = [];
  /** Requests started so far. */
  started = 0;

  constructor(private readonly servers: readonly ChaosServer[]) {
    const on = (name: string, fn: (message: { request: object }) => void) => {
      const handler = (message: unknown) => fn(message as { request: object });
      diagnostics.subscribe(name, handler);
      this.#offs.push(() => diagnostics.unsubscribe(name, handler));
    };
    on('undici:request:create', ({ request }) => {
      this.started += 1;
      this.#inFlight.add(request);
      this.#check();
    });
    const done = ({ request }: { request: object }) => {
      this.#inFlight.delete(request);
      this.#check();
    };
    on('undici:request:trailers', done);
    on('undici:request:error', done);
    for (const server of servers) this.#offs.push(server.onChange(() => this.#check()));
  }

  /** Requests sent and not yet answered or failed. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** True when every request in flight is one a chaos server holds on purpose. */
  get isIdle(): boolean {
    return this.#inFlight.size <= this.servers.reduce((n, s) => n + s.stalled, 0);
  }

  /** Resolves once isIdle holds. */
  idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.add(resolve));
  }

  /** Stops watching. */
  stop(): void {
    for (const off of this.#offs.splice(0)) off();
  }

  #check(): void {
    if (!this.isIdle) return;
    for (const wake of [...this.#waiters]) {
      this.#waiters.delete(wake);
      wake();
    }
  }
}
