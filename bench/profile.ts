/**
 * Where a pending flow's memory and the server's CPU go (issue 13's "profile first"): opens N flows on the
 * project's server against the fake OpenAI (its own process, interval 5 s), holds them while they poll,
 * optionally loads the poll route, and prints
 *   - memory per flow: RSS, V8 heap used after a full collection, heap committed, young generation, external;
 *   - with BENCH_SNAPSHOT=1, a heap snapshot before opening and one while held, diffed by constructor
 *     (bytes and objects per flow: which objects a pending flow keeps alive);
 *   - with BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>", the profile's top functions by self time.
 *
 * Run: `npm run build && node dist/bench/profile.js`. Settings: BENCH_FLOWS=10000, BENCH_LOAD_S=0 (seconds of
 * wrk at 100 connections after holding), BENCH_HOLD_S=10, BENCH_SNAPSHOT=1, BENCH_NODE_ARGS, BENCH_WARM=1 (idle
 * read after 2 s of polls for an unknown flow, as the comparison's warm baseline), BENCH_IDLE_GC=0 (no full
 * collection at idle, as in the comparison: the first one resets V8's old-generation limit, which changes how
 * much of the opening's garbage is still held when the flows are measured).
 * Not part of `npm run bench`: it is for finding costs, not for the comparison.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFlows } from './lib/client.js';
import { forkFake } from './lib/fakeProcess.js';
import { makeBenchRoot } from './lib/fixture.js';
import { formatInt, formatKiB } from './lib/format.js';
import { load } from './lib/load.js';
import { runToolIfMain } from './lib/main.js';
import { rssOf } from './lib/proc.js';
import { forkServer, type ServerProcess } from './lib/serverProcess.js';
import type { ServerStats } from './lib/serverChild.js';

const FLOWS = Number(process.env.BENCH_FLOWS ?? 10_000);
const HOLD_S = Number(process.env.BENCH_HOLD_S ?? 10);
const LOAD_S = Number(process.env.BENCH_LOAD_S ?? 0);
const SNAPSHOT = process.env.BENCH_SNAPSHOT === '1';
const INTERVAL_S = 5;

/** A heap snapshot's self sizes and counts per "type:name" of node. */
type HeapSummary = Map<string, { bytes: number; count: number }>;

/** Reads a .heapsnapshot and sums self size and count per node type and name (constructor for objects). */
export function summariseSnapshot(file: string): HeapSummary {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out: HeapSummary = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    // strings and code are summed per type: their names are their contents
    const name = type !== 'string' && type !== 'concatenated string' && type !== 'sliced string' && type !== 'code' && type !== 'number' ? snap.strings[snap.nodes[i + nameAt]!]! : '';
    const key = `${type}:${name.slice(0, 60)}`;
    const entry = out.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += snap.nodes[i + sizeAt]!;
    entry.count += 1;
    out.set(key, entry);
  }
  return out;
}

/** Prints what grew between two snapshots, per flow, largest first. */
function printSnapshotDiff(before: HeapSummary, after: HeapSummary, flows: number): void {
  const rows = [...after].map(([key, a]) => {
    const b = before.get(key) ?? { bytes: 0, count: 0 };
    return { key, bytes: (a.bytes - b.bytes) / flows, count: (a.count - b.count) / flows };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  process.stdout.write(`\nHeap snapshot growth per flow: ${total.toFixed(0)} B\n`);
  for (const r of rows.slice(0, 60)) process.stdout.write(`${r.bytes.toFixed(0).padStart(7)} B ${r.count.toFixed(2).padStart(6)} × ${r.key}\n`);
}

/** Prints the top functions by self time of the newest .cpuprofile in `dir`. */
export function printCpuProfile(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return;
  const newest = files.map((f) => path.join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  const prof = JSON.parse(readFileSync(newest, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of prof.samples) {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = prof.samples.length;
  process.stdout.write(`\nCPU profile ${newest}: ${total} samples, top self time\n`);
  for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    process.stdout.write(`${((100 * n) / total).toFixed(1).padStart(5)} % ${key}\n`);
  }
}

function memoryLine(label: string, s: ServerStats, rss: number): string {
  return `${label}: RSS ${(rss / 2 ** 20).toFixed(1)} MiB, heap used ${(s.heapUsedBytes / 2 ** 20).toFixed(1)} MiB, heap committed ${(s.heapTotalBytes / 2 ** 20).toFixed(1)} MiB, young generation ${(s.newSpaceBytes / 2 ** 20).toFixed(1)} MiB, external ${(s.externalBytes / 2 ** 20).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const fake = await forkFake(String(INTERVAL_S));
  const root = await makeBenchRoot(FLOWS);
  let server: ServerProcess | undefined;
  try {
    server = await forkServer({ home: root.root, codexIssuer: fake.issuer, maxPending: FLOWS + 10 });
    await sleep(1000);
    if (process.env.BENCH_WARM === '1') {
      // the comparison's warm idle baseline (compare.ts idleRss): 2 s of polls for an unknown flow first
      await load(server.url, '/api/onboarding/oauth/poll', ['0'.repeat(32)], 10, 2);
      await sleep(1000);
    }
    const idleRss = rssOf(server.pid);
    // BENCH_IDLE_GC=0: no full collection at idle, as in the comparison (a collection resets V8's old-generation limit)
    const idle = process.env.BENCH_IDLE_GC === '0' ? await server.rawStats() : await server.stats();
    const beforeSnap = SNAPSHOT ? await server.snapshot() : undefined;
    const t0 = Date.now();
    const ids = (await startFlows(server.url, root.profiles, 32)).map((f) => f.flow_id);
    process.stdout.write(`opened ${formatInt(FLOWS)} flows in ${((Date.now() - t0) / 1000).toFixed(1)} s, RSS ${(rssOf(server.pid) / 2 ** 20).toFixed(1)} MiB\n`);
    await sleep((INTERVAL_S + 1) * 1000);
    const firstRss = rssOf(server.pid);
    process.stdout.write(`${memoryLine('after the first polls', await server.rawStats(), firstRss)}\n`);
    const polls0 = (await fake.counts()).poll;
    await server.resetDelay();
    await sleep(HOLD_S * 1000);
    const polls = ((await fake.counts()).poll - polls0) / HOLD_S;
    const heldRss = rssOf(server.pid);
    const raw = await server.rawStats();
    const held = await server.stats();
    process.stdout.write(`${memoryLine('idle', idle, idleRss)}\n${memoryLine('held before a collection', raw, heldRss)}\n${memoryLine('held', held, heldRss)}\n`);
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    process.stdout.write(`held spaces (committed/used MiB): ${held.spaces.filter((s) => s.sizeBytes > 0).map((s) => `${s.name} ${mib(s.sizeBytes)}/${mib(s.usedBytes)}`).join(', ')}\n`);
    process.stdout.write(
      `per flow: RSS ${formatKiB((heldRss - idleRss) / FLOWS)}, heap used ${formatKiB((held.heapUsedBytes - idle.heapUsedBytes) / FLOWS)}, ` +
        `heap committed ${formatKiB((held.heapTotalBytes - idle.heapTotalBytes) / FLOWS)}, external ${formatKiB((held.externalBytes - idle.externalBytes) / FLOWS)}; ` +
        `loop delay p99 ${held.delay.p99Ms.toFixed(2)} ms beyond 10 ms; provider polls ${formatInt(polls)}/s\n`,
    );
    if (LOAD_S > 0) {
      const r = await load(server.url, '/api/onboarding/oauth/poll', ids, 100, LOAD_S);
      process.stdout.write(`load c100: ${formatInt(r.requestsPerSecond)} req/s, p99 ${r.p99Ms.toFixed(2)} ms\n`);
    }
    if (beforeSnap) {
      const afterSnap = await server.snapshot();
      printSnapshotDiff(summariseSnapshot(beforeSnap), summariseSnapshot(afterSnap), FLOWS);
      if (!process.env.BENCH_KEEP) rmSync(beforeSnap);
      if (!process.env.BENCH_KEEP) rmSync(afterSnap); else process.stdout.write(`snapshots: ${beforeSnap} ${afterSnap}\n`);
    }
  } finally {
    await server?.close();
    await Promise.allSettled([fake.close(), root.remove()]);
  }
  const profDir = /--cpu-prof-dir=(\S+)/.exec(process.env.BENCH_NODE_ARGS ?? '')?.[1];
  if (profDir) printCpuProfile(profDir);
}

runToolIfMain(import.meta.url, main);
