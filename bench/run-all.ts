/**
 * `npm run bench`: every benchmark in turn against a fake provider on loopback, each printing its own
 * table, then one Markdown summary for the README's "Performance" section. Never part of `npm test`.
 * `npm run bench -- --quick` (or BENCH_QUICK=1) runs only the side-by-side comparison, at 1,000 flows
 * with short load rows: for iterating on performance work. `npm run bench -- --redis` (or BENCH_REDIS=1) runs only
 * the Redis-mode benchmark (bench/redis.ts). See bench/README.md.
 */
import { performance } from 'node:perf_hooks';
import { runColdStartBenchmark } from './coldstart.js';
import { runCompareBenchmark } from './compare.js';
import { runLatencyBenchmark } from './latency.js';
import { formatMs } from './lib/format.js';
import { describeMachine } from './lib/machine.js';
import type { Benchmark } from './lib/main.js';
import { summaryTable, type SummaryRow } from './lib/summary.js';
import { runRedisBenchmark } from './redis.js';
import { runStoreBenchmark } from './store.js';

const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');

/** The benchmarks, in the order they run. */
const ALL: ReadonlyArray<{ name: string; run: Benchmark }> = [
  { name: 'Side by side', run: runCompareBenchmark },
  { name: 'Latency to the user', run: runLatencyBenchmark },
  { name: 'Store contention', run: () => runStoreBenchmark() },
  { name: 'Cold start', run: runColdStartBenchmark },
  { name: 'Redis mode', run: runRedisBenchmark },
];
/** `npm run bench -- --redis` (or BENCH_REDIS=1): only the Redis-mode benchmark. */
const REDIS_ONLY = process.env.BENCH_REDIS === '1' || process.argv.includes('--redis');
const BENCHMARKS = REDIS_ONLY ? ALL.filter((b) => b.name === 'Redis mode') : QUICK ? ALL.slice(0, 1) : ALL;

/** Runs every benchmark, even after one fails; exits 1 when any failed. */
async function main(): Promise<number> {
  const machine = describeMachine();
  const began = performance.now();
  process.stdout.write(`# hermes-onboard benchmarks\n\nMachine: ${machine}\n`);
  const rows: SummaryRow[] = [];
  let failed = 0;
  for (const bench of BENCHMARKS) {
    try {
      rows.push(...(await bench.run()));
    } catch (error) {
      failed += 1;
      const message = (error as Error)?.message ?? String(error);
      process.stderr.write(`\n${bench.name} failed: ${(error as Error)?.stack ?? message}\n`);
      rows.push({ benchmark: bench.name, conditions: '', result: `failed: ${message.slice(0, 120)}` });
    }
  }
  process.stdout.write(
    [
      '',
      `## Summary (for the README's "Performance" section; all benchmarks took ${formatMs(performance.now() - began)})`,
      '',
      `Measured with \`npm run bench\` on ${machine}; server and fake OpenAI on 127.0.0.1.`,
      '',
      summaryTable(rows),
      '',
    ].join('\n'),
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`benchmarks failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
