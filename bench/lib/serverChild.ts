/**
 * The server under benchmark, run in its own process (forked by serverProcess.ts with IPC): the real
 * loadConfig + startServer on 127.0.0.1, port 0, configured from the environment, or with BENCH_BARE=1 a
 * bare fastify answering the poll route with a fixed JSON body (the ceiling to compare with). Answers the
 * parent's requests for its memory use and event-loop delay, and closes the server when told or disconnected.
 * The delay monitor lives here, in bench code, so nothing of it ships on the server's hot path.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server/serve.js';
import { silentLogger } from '../../src/util/logger.js';

/** Sampling interval of the event-loop delay monitor; reported delays are measured beyond it. */
export const DELAY_RESOLUTION_MS = 10;

/** Event-loop delay beyond the sampling interval, in milliseconds. */
export interface DelayStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What the child reports about itself. */
export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  /** V8's heap (all spaces, committed), off-heap memory V8 knows of, and the young generation's committed size. */
  heapTotalBytes: number;
  externalBytes: number;
  newSpaceBytes: number;
  /** Each V8 heap space: committed and used bytes. */
  spaces: { name: string; sizeBytes: number; usedBytes: number }[];
  pendingFlows: number;
  delay: DelayStats;
}

/** A request from the parent. */
export interface ChildRequest {
  id: number;
  /** `stats` collects garbage first (heap figures are then live memory); `rawStats` reads the heap as it is. */
  type: 'stats' | 'rawStats' | 'resetDelay' | 'snapshot' | 'close';
}

/** A message to the parent. */
export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'reply'; id: number; stats?: ServerStats; path?: string }
  | { type: 'failed'; message: string };

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** The fixed answer of the bare server: the shape of a pending flow's status. */
const BARE_BODY = { ok: true, provider: 'openai-codex', flow_id: '0123456789abcdef0123456789abcdef', status: 'pending' };

/** What the child runs: the project's server, or bare fastify. */
interface Running {
  url: string;
  pendingFlows(): Promise<number>;
  close(): Promise<void>;
}

async function startBare(): Promise<Running> {
  const app = Fastify({ logger: false });
  app.get('/api/onboarding/oauth/poll', async () => BARE_BODY);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, pendingFlows: async () => 0, close: () => app.close() };
}

async function startProject(): Promise<Running> {
  const config = loadConfig(process.env, { host: '127.0.0.1', port: '0', home: process.env.BENCH_HERMES_HOME });
  const server = await startServer({ config, logger: silentLogger() });
  return { url: server.url, pendingFlows: () => server.engine.pendingCount(), close: () => server.close() };
}

async function main(): Promise<void> {
  const server = process.env.BENCH_BARE === '1' ? await startBare() : await startProject();
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  const beyond = (ns: number) => Math.max(0, ns / 1e6 - DELAY_RESOLUTION_MS);
  const gc = (globalThis as { gc?: () => void }).gc;

  const stats = async (collect = true): Promise<ServerStats> => {
    // delay first: the collection below is our own pause, not the server's
    const d: DelayStats = { p50Ms: beyond(delay.percentile(50)), p99Ms: beyond(delay.percentile(99)), maxMs: beyond(delay.max) };
    if (collect) gc?.();
    const mem = process.memoryUsage();
    const spaces = getHeapSpaceStatistics();
    const newSpace = spaces.find((s) => s.space_name === 'new_space');
    return {
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      externalBytes: mem.external,
      newSpaceBytes: newSpace?.space_size ?? NaN,
      spaces: spaces.map((s) => ({ name: s.space_name, sizeBytes: s.space_size, usedBytes: s.space_used_size })),
      pendingFlows: await server.pendingFlows(),
      delay: d,
    };
  };
  const close = async () => {
    delay.disable();
    await server.close();
    process.exit(0);
  };

  process.on('message', (request: ChildRequest) => {
    if (request.type === 'stats' || request.type === 'rawStats') {
      return void stats(request.type === 'stats').then((s) => send({ type: 'reply', id: request.id, stats: s }));
    }
    if (request.type === 'snapshot') return send({ type: 'reply', id: request.id, path: writeHeapSnapshot() });
    if (request.type === 'resetDelay') {
      delay.reset();
      return send({ type: 'reply', id: request.id });
    }
    send({ type: 'reply', id: request.id });
    void close();
  });
  process.on('disconnect', () => void close());
  send({ type: 'ready', url: server.url });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: (error as Error)?.message ?? String(error) });
  process.exit(1);
});
