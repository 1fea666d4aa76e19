/**
 * Benchmark 6: Redis mode. Poll throughput and p99 of one replica with flows in memory, one replica with flows
 * in Redis, and three replicas sharing one Redis (the load split evenly over them, as a round-robin balancer
 * would), with the same pending flows each time; and the cost per request of the Redis store: server CPU (and
 * redis-server's) per poll, and the added latency at one connection.
 * Run alone: `npm run build && node dist/bench/redis.js` (needs redis-server: `npm run setup-test-deps`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RedisServer, redisServerMissingReason } from '../test/helpers/redisServer.js';
import { spawnServe, type ServeChild } from '../test/helpers/spawnServe.js';
import { startFlows } from './lib/client.js';
import { LOOPBACK_NO_PROXY } from './lib/env.js';
import { forkFake } from './lib/fakeProcess.js';
import { makeBenchRoot } from './lib/fixture.js';
import { formatInt, formatMs } from './lib/format.js';
import { load, loadTool, WRK_HINT, type LoadResult } from './lib/load.js';
import { runIfMain } from './lib/main.js';
import { cpuSecondsOf } from './lib/proc.js';
import { printTable, type SummaryRow } from './lib/summary.js';

/** Pending flows polled (each polls the fake provider every 5 s). */
export const FLOWS = Number(process.env.BENCH_REDIS_FLOWS ?? 200);
/** Seconds per load run. */
const DURATION_S = Number(process.env.BENCH_REDIS_SECONDS ?? 5);
/** Connections of the loaded row, split over the replicas. */
const CONNECTIONS = 30;
const POLL_ROUTE = '/api/onboarding/oauth/poll';

interface ModeResult {
  mode: string;
  replicas: number;
  one: LoadResult;
  many: LoadResult;
  /** Server CPU µs per poll (all replicas) and redis-server's, in the loaded row. */
  serverCpuUs: number;
  redisCpuUs: number;
}

/** Loads every replica at once, `connections` split evenly; sums throughput, keeps the worst p99. */
async function loadAll(replicas: readonly ServeChild[], ids: readonly string[], connections: number): Promise<LoadResult> {
  const each = Math.max(1, Math.round(connections / replicas.length));
  const runs = await Promise.all(replicas.map((r) => load(r.url, POLL_ROUTE, ids, each, DURATION_S)));
  return {
    connections: each * replicas.length,
    requestsPerSecond: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0),
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    total: runs.reduce((sum, r) => sum + r.total, 0),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
  };
}

/** One row: `count` replicas, with a fresh redis-server of their own when `withRedis`. */
async function measure(mode: string, count: number, issuer: string, withRedis: boolean): Promise<ModeResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hermes-bench-redis-'));
  const redis = withRedis ? await RedisServer.launch(dir) : undefined;
  const bench = await makeBenchRoot(FLOWS);
  const env: Record<string, string> = {
    ...LOOPBACK_NO_PROXY,
    HERMES_ONBOARD_OPENAI_CODEX_ISSUER: issuer,
    HERMES_ONBOARD_START_RATE: '0',
    HERMES_ONBOARD_MAX_PENDING: String(FLOWS * 2),
    HERMES_ONBOARD_LOG_LEVEL: 'warn',
    ...(redis && { HERMES_ONBOARD_REDIS_URL: redis.url, HERMES_ONBOARD_SECRET_KEY: randomBytes(32).toString('base64') }),
  };
  // spawnServe waits for the `listening on` line, which is logged at info
  const replicas = await Promise.all(Array.from({ length: count }, () => spawnServe({ home: bench.root, env: { ...env, HERMES_ONBOARD_LOG_LEVEL: 'info' } })));
  try {
    // each replica starts (and so drives) its share of the flows
    const share = Math.ceil(FLOWS / count);
    const started = await Promise.all(replicas.map((r, i) => startFlows(r.url, bench.profiles.slice(i * share, (i + 1) * share))));
    const ids = started.flat().map((f) => f.flow_id);
    await loadAll(replicas, ids, 10); // warm-up
    const one = await loadAll(replicas, ids, count);
    const cpuBefore = replicas.reduce((sum, r) => sum + cpuSecondsOf(r.proc.pid!), 0);
    const redisBefore = redis?.pid === undefined ? 0 : cpuSecondsOf(redis.pid);
    const many = await loadAll(replicas, ids, CONNECTIONS);
    const serverCpu = replicas.reduce((sum, r) => sum + cpuSecondsOf(r.proc.pid!), 0) - cpuBefore;
    const redisCpu = redis?.pid === undefined ? 0 : cpuSecondsOf(redis.pid) - redisBefore;
    if (one.failures + many.failures > 0) throw new Error(`${mode}: ${one.failures + many.failures} polls failed`);
    return { mode, replicas: count, one, many, serverCpuUs: (serverCpu / many.total) * 1e6, redisCpuUs: (redisCpu / many.total) * 1e6 };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await bench.remove();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the Redis-mode benchmark; its table and summary rows. */
export async function runRedisBenchmark(): Promise<SummaryRow[]> {
  const missing = redisServerMissingReason();
  if (missing) throw new Error(`${missing} (npm run setup-test-deps)`);
  const fake = await forkFake('5');
  try {
    const results = [
      await measure('in memory', 1, fake.issuer, false),
      await measure('Redis', 1, fake.issuer, true),
      await measure('Redis', 3, fake.issuer, true),
    ];
    const memory = results[0]!;
    const rows = results.map((r) => [
      r.mode,
      String(r.replicas),
      `${formatInt(r.one.requestsPerSecond)} / ${formatInt(r.many.requestsPerSecond)}`,
      `${formatMs(r.one.p50Ms)} / ${formatMs(r.one.p99Ms)}`,
      formatMs(r.many.p99Ms),
      `${r.serverCpuUs.toFixed(0)} µs + ${r.redisCpuUs.toFixed(0)} µs`,
    ]);
    const tool = loadTool();
    printTable(
      `Redis mode (${FLOWS} pending flows, ${DURATION_S} s per row)`,
      ['Store', 'Replicas', `Poll req/s c${1}×replicas / c${CONNECTIONS}`, 'p50 / p99, one connection per replica', `p99 c${CONNECTIONS}`, 'CPU per poll: servers + redis-server'],
      rows,
      [
        `Load: ${tool === 'wrk' ? 'one `wrk` per replica at once' : `autocannon (${WRK_HINT})`}, connections split evenly over the replicas, ids rotating over every pending flow.`,
      ],
    );
    const redisOne = results[1]!;
    const redisThree = results[2]!;
    const addedUs = (redisOne.one.p50Ms - memory.one.p50Ms) * 1000;
    return [
      {
        benchmark: 'Redis mode',
        conditions: `${FLOWS} pending flows, poll at c${CONNECTIONS}: in memory / Redis 1 replica / Redis 3 replicas`,
        result: `${formatInt(memory.many.requestsPerSecond)} / ${formatInt(redisOne.many.requestsPerSecond)} / ${formatInt(redisThree.many.requestsPerSecond)} req/s, p99 ${formatMs(memory.many.p99Ms)} / ${formatMs(redisOne.many.p99Ms)} / ${formatMs(redisThree.many.p99Ms)}`,
      },
      {
        benchmark: 'Redis mode',
        conditions: 'cost per poll of the Redis store against in memory (one replica)',
        result: `+${addedUs.toFixed(0)} µs p50 at c1; CPU ${memory.serverCpuUs.toFixed(0)} → ${redisOne.serverCpuUs.toFixed(0)} µs server + ${redisOne.redisCpuUs.toFixed(0)} µs redis-server`,
      },
    ];
  } finally {
    await fake.close();
  }
}

runIfMain(import.meta.url, runRedisBenchmark);
