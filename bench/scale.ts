/**
 * Benchmark 2: memory (RSS and heap) and event-loop delay of one server with 1,000 and 10,000 flows
 * pending at once, in total and per flow; a fresh server process per size. The loop delay is taken
 * twice: while the flows are started as fast as the client can, and while they are held.
 * The fake provider's interval is long (BENCH_SCALE_INTERVAL, default 600 s), so the figures are the
 * cost of holding flows, not of provider traffic (with OpenAI's 5 s interval, N flows mean N/5 provider
 * requests per second, and on a small machine the loopback fake would compete with the server for CPU).
 * Run alone: `npm run build && node dist/bench/scale.js`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFlows } from './lib/client.js';
import { withSetup } from './lib/bootstrap.js';
import { formatInt, formatKiB, formatMiB, formatMs } from './lib/format.js';
import { runIfMain } from './lib/main.js';
import { printTable, type SummaryRow } from './lib/summary.js';
import { DELAY_RESOLUTION_MS, type ServerStats } from './lib/serverChild.js';

/** Numbers of flows pending at once. */
export const SIZES = [1000, 10_000] as const;
/** The fake provider's interval, seconds. */
const PROVIDER_INTERVAL = process.env.BENCH_SCALE_INTERVAL ?? '600';
/** Seconds the flows are held while the loop delay is sampled. */
const HOLD_S = 5;

interface SizeResult {
  flows: number;
  idle: ServerStats;
  starting: ServerStats;
  startsPerSecond: number;
  held: ServerStats;
}

/** Measures one size in a fresh server process. */
async function measure(flows: number): Promise<SizeResult> {
  return withSetup({ interval: PROVIDER_INTERVAL, profiles: flows, maxPending: flows * 2 }, async ({ server, root }) => {
    const idle = await server.stats();
    await server.resetDelay();
    const began = performance.now();
    await startFlows(server.url, root.profiles, 32);
    const startsPerSecond = flows / ((performance.now() - began) / 1000);
    const starting = await server.stats();
    await server.resetDelay();
    await sleep(HOLD_S * 1000);
    const held = await server.stats();
    if (held.pendingFlows !== flows) throw new Error(`expected ${flows} pending flows, found ${held.pendingFlows}`);
    return { flows, idle, starting, startsPerSecond, held };
  });
}

/** Runs the scale benchmark and returns its summary rows. */
export async function runScaleBenchmark(): Promise<SummaryRow[]> {
  const results: SizeResult[] = [];
  for (const flows of SIZES) results.push(await measure(flows));
  const perFlow = (r: SizeResult, key: 'rssBytes' | 'heapUsedBytes') => (r.held[key] - r.idle[key]) / r.flows;
  printTable(
    `Scale: flows pending at once (fake provider interval ${PROVIDER_INTERVAL} s)`,
    ['Flows', 'RSS total', 'RSS/flow', 'Heap total', 'Heap/flow', 'Starts/s', 'Loop delay p99 (max), starting', `Loop delay p99 (max), held ${HOLD_S} s`],
    results.map((r) => [
      formatInt(r.flows),
      formatMiB(r.held.rssBytes),
      formatKiB(perFlow(r, 'rssBytes')),
      formatMiB(r.held.heapUsedBytes),
      formatKiB(perFlow(r, 'heapUsedBytes')),
      formatInt(r.startsPerSecond),
      `${formatMs(r.starting.delay.p99Ms)} (${formatMs(r.starting.delay.maxMs)})`,
      `${formatMs(r.held.delay.p99Ms)} (${formatMs(r.held.delay.maxMs)})`,
    ]),
    [
      `Idle server before the flows: RSS ${formatMiB(results[0]!.idle.rssBytes)}, heap ${formatMiB(results[0]!.idle.heapUsedBytes)}. ` +
        'Per flow = (with the flows − idle) / flows, after a full GC.',
      `Loop delay is beyond the ${DELAY_RESOLUTION_MS} ms sampling timer; "starting" spans the start of every flow (32 requests in flight).`,
    ],
  );
  return results.map((r) => ({
    benchmark: 'Scale',
    conditions: `${formatInt(r.flows)} flows pending at once`,
    result:
      `RSS ${formatMiB(r.held.rssBytes)} (${formatKiB(perFlow(r, 'rssBytes'))}/flow), heap ${formatKiB(perFlow(r, 'heapUsedBytes'))}/flow; ` +
      `loop delay p99 ${formatMs(r.starting.delay.p99Ms)} while starting, ${formatMs(r.held.delay.p99Ms)} held`,
  }));
}

runIfMain(import.meta.url, runScaleBenchmark);
