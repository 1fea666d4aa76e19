/**
 * Benchmark 4: the credential store — updates per second for 1 process and for 4 processes contending on one
 * auth.json, and the median and 99th percentile time of one update. Each update is a full locked
 * read-modify-write with two fsyncs, on os.tmpdir(). Run alone: `node dist/bench/store.js [seconds]`.
 * `--worker <home> <ms> <id>` is the mode of the contending child processes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { updateAuthStore, upsertPoolEntry } from '../src/store/index.js';
import { silentLogger } from '../src/util/logger.js';
import { benchEnv } from './lib/env.js';
import { formatInt, formatMs } from './lib/format.js';
import { isMain, runIfMain } from './lib/main.js';
import { median, percentile } from './lib/stats.js';
import { printTable, type SummaryRow } from './lib/summary.js';

/** Processes contending in the second measurement. */
export const WORKERS = 4;
/** Seconds per measurement when none is given. */
const DEFAULT_SECONDS = 5;
/** How long past its measuring time a worker may take to report before it is killed. */
const WORKER_GRACE_MS = 60_000;
const TITLE = 'Store contention';
const logger = silentLogger();

/** Runs updates against `home` for `ms` milliseconds; returns each update's duration in milliseconds. */
async function runUpdates(home: string, ms: number, worker: string): Promise<number[]> {
  const durations: number[] = [];
  const end = performance.now() + ms;
  for (let i = 0; performance.now() < end; i++) {
    const start = performance.now();
    await updateAuthStore(
      home,
      (store) => upsertPoolEntry(store, 'bench', { id: worker, label: `worker ${worker}`, counter: i }, (e) => e.id === worker),
      { logger },
    );
    durations.push(performance.now() - start);
  }
  return durations;
}

/** A store the size of a real one: a few providers, a dozen pool entries. */
async function seed(home: string): Promise<void> {
  await updateAuthStore(
    home,
    (store) => {
      store.active_provider = 'openai-codex';
      for (let i = 0; i < 12; i++) {
        const provider = ['openai-codex', 'nous', 'qwen-oauth'][i % 3]!;
        upsertPoolEntry(store, provider, { id: `seed${i}`, access_token: 'x'.repeat(1200), refresh_token: 'y'.repeat(64) }, () => false);
      }
    },
    { logger },
  );
}

/** One worker process: `ready` once it waits for "go", `done` with its durations, `kill` to end it early. */
interface Worker {
  ready: Promise<void>;
  done: Promise<number[]>;
  kill(): void;
}

/** Starts one worker process; it runs once `go` resolves, and is killed if it has not reported well after its time. */
function startWorker(home: string, ms: number, id: number, go: Promise<void>): Worker {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', home, String(ms), `w${id}`], {
    env: benchEnv(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const closed = new Promise<never>((_, reject) =>
    child.once('close', (code) => reject(new Error(`bench worker ${id} exited with ${code} before reporting`))),
  );
  const ready = Promise.race([new Promise<void>((resolve) => lines.on('line', (line) => line === 'ready' && resolve())), closed]);
  const reported = new Promise<number[]>((resolve) => lines.on('line', (line) => line !== 'ready' && resolve(JSON.parse(line) as number[])));
  const killer = setTimeout(() => child.kill('SIGKILL'), ms + WORKER_GRACE_MS);
  const done = Promise.race([reported, closed]).finally(() => clearTimeout(killer));
  for (const p of [closed, ready, done]) p.catch(() => undefined); // the caller sees the failure through `ready` or `done`
  void go.then(() => child.stdin.end('go\n'));
  return { ready, done, kill: () => child.kill('SIGKILL') };
}

/** The worker side: wait for "go" on stdin, run updates, print the durations as JSON. */
async function worker(home: string, ms: number, id: string): Promise<void> {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  process.stdin.destroy();
  process.stdout.write(`${JSON.stringify(await runUpdates(home, ms, id))}\n`);
}

/** Runs WORKERS worker processes started together; returns every update's duration. */
async function contend(home: string, ms: number): Promise<number[]> {
  let go!: () => void;
  const goSignal = new Promise<void>((resolve) => (go = resolve));
  const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(home, ms, i, goSignal));
  try {
    await Promise.all(workers.map((w) => w.ready));
    go();
    return (await Promise.all(workers.map((w) => w.done))).flat();
  } finally {
    for (const w of workers) w.kill(); // ends the others when one failed; a no-op for those that exited
  }
}

/** One measurement: what ran, its update durations and its wall time. */
interface Measurement {
  conditions: string;
  durations: number[];
  wallMs: number;
}

/** Times `run` and returns its durations with the wall time they took. */
async function measure(conditions: string, run: () => Promise<number[]>): Promise<Measurement> {
  const start = performance.now();
  const durations = await run();
  return { conditions, durations, wallMs: performance.now() - start };
}

/** Runs both measurements (`seconds` each) in a seeded temp store, prints its table and returns its summary rows. */
export async function runStoreBenchmark(seconds = DEFAULT_SECONDS): Promise<SummaryRow[]> {
  const ms = seconds * 1000;
  const home = mkdtempSync(path.join(os.tmpdir(), 'hermes-bench-'));
  const results: Measurement[] = [];
  try {
    await seed(home);
    await runUpdates(home, 200, 'warmup');
    results.push(await measure('1 process', () => runUpdates(home, ms, 'solo')));
    results.push(await measure(`${WORKERS} processes contending`, () => contend(home, ms)));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const perSecond = (r: Measurement) => (r.durations.length / r.wallMs) * 1000;
  printTable(
    `${TITLE}: locked read-modify-write of one auth.json, ${seconds} s per row`,
    ['Processes', 'Updates', 'Updates/s', 'Median', 'p99'],
    results.map((r) => [r.conditions, formatInt(r.durations.length), formatInt(perSecond(r)), formatMs(median(r.durations)), formatMs(percentile(r.durations, 99))]),
    [`Files in ${os.tmpdir()}; each update = flock + read + write temp + fsync + rename + fsync dir.`],
  );
  return results.map((r) => ({
    benchmark: TITLE,
    conditions: `${r.conditions}, one auth.json`,
    result: `${formatInt(perSecond(r))} updates/s, median ${formatMs(median(r.durations))}, p99 ${formatMs(percentile(r.durations, 99))}`,
  }));
}

const args = process.argv.slice(2);
if (isMain(import.meta.url) && args[0] === '--worker') {
  await worker(args[1]!, Number(args[2]), args[3]!);
} else {
  runIfMain(import.meta.url, () => runStoreBenchmark(args[0] === undefined ? DEFAULT_SECONDS : Number(args[0])));
}
