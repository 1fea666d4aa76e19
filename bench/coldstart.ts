/**
 * Benchmark 5: cold start — the time from spawning `node dist/src/cli.js serve --port 0 --home <tmp>` to
 * its first successful GET /api/health (the port is read from the `listening on http://…` log line).
 * Run alone: `npm run build && node dist/bench/coldstart.js`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnServe, START_TIMEOUT_MS } from '../test/helpers/spawnServe.js';
import { requestJson } from './lib/client.js';
import { LOOPBACK_NO_PROXY } from './lib/env.js';
import { formatMs } from './lib/format.js';
import { runIfMain } from './lib/main.js';
import { median } from './lib/stats.js';
import { printTable, type SummaryRow } from './lib/summary.js';

/** Runs measured. */
export const RUNS = 10;

interface ColdStart {
  /** Spawn → the `listening on` line. */
  listeningMs: number;
  /** Spawn → first 200 from /api/health. */
  healthMs: number;
}

/** Asks /api/health until it answers 200 (it should the first time: the log line comes after listen). */
async function firstHealthy(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await requestJson<{ ok?: boolean }>(`${url}/api/health`);
      if (res.status === 200 && res.body.ok === true) return;
    } catch {
      // not listening yet: try again below
    }
    if (performance.now() > deadline) throw new Error('the server never answered /api/health');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One cold start in a fresh Hermes home; the server is stopped with SIGTERM afterwards. */
async function coldStart(): Promise<ColdStart> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'hermes-bench-cold-'));
  const t0 = performance.now();
  try {
    const server = await spawnServe({ home, env: { ...LOOPBACK_NO_PROXY } });
    const listeningMs = performance.now() - t0;
    try {
      await firstHealthy(server.url, t0 + START_TIMEOUT_MS);
      return { listeningMs, healthMs: performance.now() - t0 };
    } finally {
      await server.stop();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Runs the cold-start benchmark and returns its summary row. */
export async function runColdStartBenchmark(): Promise<SummaryRow[]> {
  const runs: ColdStart[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await coldStart());
  const listening = runs.map((r) => r.listeningMs);
  const health = runs.map((r) => r.healthMs);
  printTable(
    `Cold start: spawn \`node dist/src/cli.js serve --port 0\` → first 200 from GET /api/health, ${RUNS} runs`,
    ['Milestone', 'Median', 'Min', 'Max'],
    [
      ['"listening on" log line', formatMs(median(listening)), formatMs(Math.min(...listening)), formatMs(Math.max(...listening))],
      ['first healthy GET /api/health', formatMs(median(health)), formatMs(Math.min(...health)), formatMs(Math.max(...health))],
    ],
  );
  return [{ benchmark: 'Cold start', conditions: `\`hermes-onboard serve\` → first healthy GET /api/health, median of ${RUNS}`, result: formatMs(median(health)) }];
}

runIfMain(import.meta.url, runColdStartBenchmark);
