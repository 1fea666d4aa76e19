/**
 * Benchmark 1: throughput and latency of GET /api/onboarding/oauth/poll at 1, 10 and 100 concurrent
 * connections, with 1,000 flows pending (autocannon, rotating over the flow ids).
 * Run alone: `npm run build && node dist/bench/poll.js`.
 */
import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { startFlows } from './lib/client.js';
import { withSetup } from './lib/bootstrap.js';
import { formatInt, formatMs } from './lib/format.js';
import { runIfMain } from './lib/main.js';
import { printTable, type SummaryRow } from './lib/summary.js';

/** Flows pending while the poll route is loaded. */
export const PENDING_FLOWS = 1000;
/** Concurrent connections measured. */
export const CONNECTIONS = [1, 10, 100] as const;
/** Seconds of load per connection count (BENCH_DURATION overrides). */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
/** Fake provider interval: long enough that the server never polls the provider during the run. */
const QUIET_INTERVAL = '600';

interface LoadResult {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  failures: number;
}

/** Loads the poll route with `connections` connections for `seconds`, rotating over `flowIds`. */
async function load(baseUrl: string, flowIds: readonly string[], connections: number, seconds: number): Promise<LoadResult> {
  let next = 0;
  const latencyUs = createHistogram();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({ ...req, path: `/api/onboarding/oauth/poll?flow_id=${flowIds[next++ % flowIds.length]}` }),
          },
        ],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    // autocannon's own histogram has whole-millisecond buckets; record each response in microseconds
    instance.on('response', (_client, _status, _bytes, ms) => latencyUs.record(Math.max(1, Math.round(ms * 1000))));
  });
  return {
    connections,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: latencyUs.percentile(50) / 1000,
    p99Ms: latencyUs.percentile(99) / 1000,
    total: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Runs the poll benchmark and returns its summary rows. */
export async function runPollBenchmark(): Promise<SummaryRow[]> {
  return withSetup({ interval: QUIET_INTERVAL, profiles: PENDING_FLOWS }, async ({ server, root }) => {
    const flows = await startFlows(server.url, root.profiles);
    const ids = flows.map((f) => f.flow_id);
    if (new Set(ids).size !== PENDING_FLOWS) throw new Error('single flight merged benchmark flows; profiles must be distinct');
    await load(server.url, ids, 10, 2); // warm-up (JIT), not reported
    const results: LoadResult[] = [];
    for (const connections of CONNECTIONS) results.push(await load(server.url, ids, connections, DURATION_S));
    const { pendingFlows } = await server.stats();
    if (pendingFlows !== PENDING_FLOWS) throw new Error(`expected ${PENDING_FLOWS} pending flows after the run, found ${pendingFlows}`);

    printTable(
      `Poll throughput: GET /api/onboarding/oauth/poll, ${formatInt(PENDING_FLOWS)} flows pending, ${DURATION_S} s per row`,
      ['Connections', 'Requests/s', 'p50 latency', 'p99 latency', 'Requests', 'Non-2xx/errors'],
      results.map((r) => [String(r.connections), formatInt(r.requestsPerSecond), formatMs(r.p50Ms), formatMs(r.p99Ms), formatInt(r.total), String(r.failures)]),
      ['Server (silent logger) in its own process; load from autocannon in the benchmark process; ids rotate over every pending flow.'],
    );
    const failed = results.filter((r) => r.failures > 0);
    if (failed.length > 0) throw new Error(`the poll route failed ${failed.map((r) => `${r.failures} times at ${r.connections} connections`).join(', ')}`);
    return results.map((r) => ({
      benchmark: 'Poll throughput',
      conditions: `${r.connections} connection${r.connections === 1 ? '' : 's'}, ${formatInt(PENDING_FLOWS)} flows pending`,
      result: `${formatInt(r.requestsPerSecond)} req/s, p50 ${formatMs(r.p50Ms)}, p99 ${formatMs(r.p99Ms)}`,
    }));
  });
}

runIfMain(import.meta.url, runPollBenchmark);
