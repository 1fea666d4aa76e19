/**
 * Network relays for the outbound-request tests, all on 127.0.0.1: a forwarding HTTP proxy (CONNECT tunnels and
 * absolute-form requests) that resolves a few test names itself, so only 127.0.0.1 is ever contacted, and a
 * TLS terminator that puts a certificate in front of a plain-HTTP fake.
 */
import http from 'node:http';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import tls from 'node:tls';

/** A running relay. */
interface Relay {
  port: number;
  close(): Promise<void>;
}

/** Listens on a free loopback port; close() also drops every open connection. */
async function listen(server: Server): Promise<Relay> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Pipes two sockets into each other; an error or end on either side ends both. */
function splice(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

/** A forwarding proxy and what it was asked for. */
export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`, for HTTPS_PROXY / HTTP_PROXY. */
  url: string;
  /** Every request, as `CONNECT host:port` or `METHOD absolute-url`, in order. */
  seen: string[];
  close(): Promise<void>;
}

/**
 * Starts a forwarding proxy. `hosts` maps the names it may reach to loopback addresses (e.g.
 * `{ 'auth.test.invalid': '127.0.0.1' }`); 127.0.0.1 itself is allowed; any other target is refused with 502.
 */
export async function startForwardProxy(hosts: Record<string, string>): Promise<ForwardProxy> {
  const seen: string[] = [];
  const resolve = (hostname: string): string | undefined =>
    hostname === '127.0.0.1' ? hostname : hosts[hostname.toLowerCase()];

  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return res.writeHead(400).end('absolute-form request expected');
    }
    const address = resolve(target.hostname);
    if (target.protocol !== 'http:' || !address) return res.writeHead(502).end('the test proxy does not reach that host');
    const upstream = http.request(
      { host: address, port: Number(target.port || 80), method: req.method, path: `${target.pathname}${target.search}`, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const { hostname, port } = new URL(`http://${req.url ?? ''}`);
    const address = resolve(hostname);
    if (!address) {
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port || 443), address, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      splice(client, upstream);
    });
    upstream.on('error', () => client.destroy());
  });
  const relay = await listen(server);
  return { url: `http://127.0.0.1:${relay.port}`, seen, close: relay.close };
}

/** Starts a TLS server with `cert`/`key` whose decrypted connections are piped to 127.0.0.1:`targetPort`. */
export async function startTlsTerminator(options: { cert: Buffer; key: Buffer; targetPort: number }): Promise<Relay> {
  const server = tls.createServer({ cert: options.cert, key: options.key }, (clear) => {
    const upstream = net.connect(options.targetPort, '127.0.0.1');
    splice(clear, upstream);
  });
  server.on('tlsClientError', () => {}); // a client refusing our certificate is what some tests want
  return listen(server);
}
