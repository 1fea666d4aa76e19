/** The parent side of serverChild.ts: forks a fresh server process and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { benchEnv } from './env.js';
import type { ChildMessage, ChildRequest, ServerStats } from './serverChild.js';

/** Longest the child may take to start listening, or to close. */
const CHILD_TIMEOUT_MS = 20_000;

/** A running server process. */
export interface ServerProcess {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The process id, for RSS and CPU read from /proc. */
  pid: number;
  /** Event-loop delay since the last reset, then memory after a full collection, and the pending-flow count. */
  /** Event-loop delay and memory, after a full garbage collection (live heap). */
  stats(): Promise<ServerStats>;
  /** The same without collecting first: the heap as the server holds it. */
  rawStats(): Promise<ServerStats>;
  /** Starts a new event-loop delay window. */
  resetDelay(): Promise<void>;
  /** Writes a heap snapshot in the server's working directory; resolves with its path. */
  snapshot(): Promise<string>;
  /** Closes the server (cancelling its flows) and waits for the process to exit. */
  close(): Promise<void>;
}

/** What the server process is configured with. */
export interface ServerProcessOptions {
  /** The Hermes home (`--home`), whose `profiles/` folder holds the benchmark profiles. */
  home: string;
  /** Fake provider base URL, as HERMES_ONBOARD_OPENAI_CODEX_ISSUER. */
  codexIssuer: string;
  /** HERMES_ONBOARD_MAX_PENDING. */
  maxPending: number;
}

/** Forks bare fastify answering the poll route with a fixed body (no flows, no hooks). */
export function forkBareFastify(): Promise<ServerProcess> {
  return forkChild({ BENCH_BARE: '1' });
}

/** Forks a server process and resolves once it listens. */
export function forkServer(options: ServerProcessOptions): Promise<ServerProcess> {
  return forkChild({
    BENCH_HERMES_HOME: options.home,
    HERMES_ONBOARD_OPENAI_CODEX_ISSUER: options.codexIssuer,
    HERMES_ONBOARD_MAX_PENDING: String(options.maxPending),
    HERMES_ONBOARD_START_RATE: '0',
  });
}

/** BENCH_NODE_ARGS (space-separated) go to the server process too, e.g. "--cpu-prof --cpu-prof-dir=prof". */
function extraNodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}

async function forkChild(env: Record<string, string>): Promise<ServerProcess> {
  const child = fork(new URL('./serverChild.js', import.meta.url), [], {
    env: benchEnv(env),
    execArgv: ['--expose-gc', ...extraNodeArgs()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await waitReady(child);
  let seq = 0;
  const waiting = new Map<number, { resolve: (reply: Extract<ChildMessage, { type: 'reply' }>) => void; reject: (e: Error) => void }>();
  child.on('message', (message: ChildMessage) => {
    if (message.type !== 'reply') return;
    waiting.get(message.id)?.resolve(message);
    waiting.delete(message.id);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const w of waiting.values()) w.reject(new Error('the server process exited'));
    waiting.clear();
  });
  const ask = (type: ChildRequest['type']) =>
    new Promise<Extract<ChildMessage, { type: 'reply' }>>((resolve, reject) => {
      const id = ++seq;
      waiting.set(id, { resolve, reject });
      child.send({ id, type } satisfies ChildRequest);
    });

  return {
    url,
    pid: child.pid!,
    stats: async () => (await ask('stats')).stats!,
    rawStats: async () => (await ask('rawStats')).stats!,
    resetDelay: async () => void (await ask('resetDelay')),
    snapshot: async () => (await ask('snapshot')).path!,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
      await ask('close').catch(() => undefined);
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitReady(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error('the server process did not start in time')), CHILD_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.url);
      } else if (message.type === 'failed') {
        fail(new Error(`the server process failed to start: ${message.message}`));
      }
    });
    child.once('exit', (code) => fail(new Error(`the server process exited (code ${code}) before listening`)));
  });
}
