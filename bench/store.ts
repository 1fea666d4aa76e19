/**
 * Benchmark of the credential store: updates per second for 1 process and for 4 processes contending on one
 * auth.json, and the median and 99th percentile time of one update. Run: `node dist/bench/store.js [seconds]`.
 * Not part of `npm test`. Each update is a full locked read-modify-write with two fsyncs, on os.tmpdir().
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

const WORKERS = 4;
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

/** The q-quantile (0..1) of sorted numbers. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** One result line: updates per second, median and p99 latency. */
function report(name: string, durations: number[], wallMs: number): void {
  const sorted = [...durations].sort((a, b) => a - b);
  const perSecond = (durations.length / wallMs) * 1000;
  console.log(
    `${name.padEnd(28)} ${String(durations.length).padStart(6)} updates  ${perSecond.toFixed(0).padStart(6)} updates/s  ` +
      `median ${quantile(sorted, 0.5).toFixed(2)} ms  p99 ${quantile(sorted, 0.99).toFixed(2)} ms`,
  );
}

/** Starts one worker process; resolves with its durations once it has run. */
function startWorker(home: string, ms: number, id: number, go: Promise<void>): { ready: Promise<void>; done: Promise<number[]> } {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', home, String(ms), `w${id}`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<number[]>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') return onReady();
      resolve(JSON.parse(line) as number[]);
    });
    child.once('close', (code) => reject(new Error(`bench worker ${id} exited with ${code} before reporting`)));
  });
  void go.then(() => child.stdin.end('go\n'));
  return { ready, done };
}

/** The worker side: wait for "go" on stdin, run updates, print the durations as JSON. */
async function worker(home: string, ms: number, id: string): Promise<void> {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  process.stdin.destroy();
  process.stdout.write(`${JSON.stringify(await runUpdates(home, ms, id))}\n`);
}

/** Both measurements, with the machine they ran on. */
async function main(seconds: number): Promise<void> {
  const ms = seconds * 1000;
  const cpus = os.cpus();
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node.js ${process.version}, ${os.platform()} ${os.release()}`);
  console.log(`files in ${os.tmpdir()}; ${seconds} s per measurement; each update = flock + read + write temp + fsync + rename + fsync dir`);
  const home = mkdtempSync(path.join(os.tmpdir(), 'hermes-bench-'));
  try {
    await seed(home);
    await runUpdates(home, 200, 'warmup');
    let start = performance.now();
    const single = await runUpdates(home, ms, 'solo');
    report('1 process', single, performance.now() - start);

    let go!: () => void;
    const goSignal = new Promise<void>((resolve) => (go = resolve));
    const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(home, ms, i, goSignal));
    await Promise.all(workers.map((w) => w.ready));
    start = performance.now();
    go();
    const all = (await Promise.all(workers.map((w) => w.done))).flat();
    report(`${WORKERS} processes contending`, all, performance.now() - start);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--worker') {
  await worker(args[1]!, Number(args[2]), args[3]!);
} else {
  await main(Number(args[0] ?? 5));
}
