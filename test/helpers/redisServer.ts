/**
 * A real `redis-server` (Debian's package) for one test file: a free port on 127.0.0.1, no persistence, a temp
 * working folder, readiness read from its own log line, stopped in cleanup. `stop()`/`start()` and
 * `pause()`/`resume()` (SIGSTOP/SIGCONT) let outage tests take it away and bring it back on the same port.
 * Without redis-server the tests skip with a reason, except in CI where they fail (requirements.ts).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { allowedSkip } from './requirements.js';

/** How long redis-server may take to say it is ready (real time; it usually takes a few ms). */
const READY_TIMEOUT_MS = 10_000;

let missingCheck: string | undefined | null = null;

/** Why redis-server cannot run here, or undefined when it can. */
export function redisServerMissingReason(): string | undefined {
  if (missingCheck === null) {
    const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    missingCheck = r.error
      ? `redis-server is not installed (${r.error.message}); install Debian's redis-server package`
      : r.status !== 0
        ? `redis-server --version failed: ${r.stderr.trim().slice(0, 200)}`
        : undefined;
  }
  return missingCheck;
}

/** The skip reason to pass to `test(name, { skip }, ...)`: undefined when redis-server runs, a throw in CI. */
export function redisSkip(): string | undefined {
  return allowedSkip(redisServerMissingReason());
}

/** A port nobody listens on right now (the kernel picks it; redis-server cannot be told `--port 0`). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not read a free port');
  return address.port;
}

/** One running (or stopped) redis-server. */
export class RedisServer {
  readonly dir: string;
  #port = 0;
  #proc: ChildProcessWithoutNullStreams | undefined;
  #exited: Promise<void> = Promise.resolve();
  #log = '';

  /** True: an append-only file synced on every write, so a SIGKILLed server restarts with every key (and TTL) it had. */
  readonly persist: boolean;

  private constructor(dir: string, persist: boolean) {
    this.dir = dir;
    this.persist = persist;
  }

  /** Starts a server on a free port; retries on a new port when another process took the chosen one first. */
  static async launch(dir: string, persist = false): Promise<RedisServer> {
    const server = new RedisServer(dir, persist);
    for (let attempt = 1; ; attempt++) {
      server.#port = await freePort();
      try {
        await server.start();
        return server;
      } catch (error) {
        if (attempt >= 3 || !server.#log.includes('Address already in use')) throw error;
      }
    }
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.#port}`;
  }

  /** Everything redis-server printed so far (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** The server's process id while it runs (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  get running(): boolean {
    return this.#proc !== undefined;
  }

  /** Starts redis-server on this server's port (again, after `stop()`), resolving once it accepts connections. */
  async start(): Promise<void> {
    if (this.#proc) throw new Error('redis-server is already running');
    this.#log = '';
    const proc = spawn(
      'redis-server',
      // By default no persistence: a restarted server starts empty, as a lost Redis would; nothing is written but the temp dir.
      [
        ...['--port', String(this.#port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--daemonize', 'no', '--logfile', ''],
        ...(this.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ],
      { stdio: 'pipe' },
    );
    this.#proc = proc;
    this.#exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    void this.#exited.then(() => {
      if (this.#proc === proc) this.#proc = undefined;
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not get ready in ${READY_TIMEOUT_MS} ms:\n${this.#log}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        this.#log += chunk.toString('utf8');
        if (this.#log.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${this.#log}`));
      });
    });
    try {
      await ready;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops redis-server (SIGKILL: a crash, not a graceful shutdown) and resolves once it has exited. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc) return;
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await this.#exited;
  }

  /** Freezes the server (SIGSTOP): the socket stays open but nothing answers, like a hung Redis. */
  pause(): void {
    this.#proc?.kill('SIGSTOP');
  }

  /** Lets a paused server run again. */
  resume(): void {
    this.#proc?.kill('SIGCONT');
  }
}

/** Registers cleanup: a test's `t` or, for one server per file, `{ after }` imported from node:test. */
export interface AfterHook {
  after(fn: () => Promise<void>): void;
}

/** Starts a redis-server, stopped and its folder removed when the test (or the file, with node:test's `after`) ends. */
export async function useRedisServer(t: AfterHook, options: { persist?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hermes-redis-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const server = await RedisServer.launch(dir, options.persist).catch((error: unknown) => {
    removeDir();
    throw error;
  });
  t.after(async () => {
    await server.stop();
    removeDir();
  });
  return server;
}
