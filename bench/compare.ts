/**
 * Benchmark 1: the Python original, hermes-onboard and bare fastify side by side in one run, on the
 * table of issue 13. For 1,000 and 10,000 pending flows (every one polling the fake provider at its
 * interval, 5 s like OpenAI's): GET /api/onboarding/oauth/poll req/s at 1, 10 and 100 connections, p99 at
 * 1 and 100, RSS per pending flow, the server's event-loop delay, and both processes' CPU while opening the
 * flows. The fake provider, each server and the load generator (wrk, else autocannon) run in their own
 * processes. Absolute figures depend on what else the machine runs: read the ratios, which come from one run.
 *
 * Run alone: `npm run build && node dist/bench/compare.js`. Settings (environment):
 *   BENCH_QUICK=1 (or --quick)   1,000 flows only, 3 s per load row: for iterating
 *   BENCH_FLOWS=1000,10000       the sizes measured
 *   BENCH_SERVERS=original,project,fastify   which servers
 *   BENCH_ORIGINAL_FLOWS=1000    sizes the original is measured at (default: all; at 10,000 it runs
 *                                10,000 threads for minutes, and on 2 cores fails to open them)
 *   BENCH_DURATION=5             seconds per load run
 *   BENCH_REPEAT=3               load runs per connection count; the best is reported (other helpers' builds and
 *                                tests share the machine, and their bursts only ever slow a run down)
 *   BENCH_PROVIDER_INTERVAL=5    the fake's interval, seconds
 *   BENCH_LOAD=autocannon        use autocannon even when wrk is installed
 *   BENCH_NODE_ARGS="--cpu-prof" more node flags for the project's server process (profiling)
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFlows, startOriginalFlows } from './lib/client.js';
import { forkFake, type FakeProcess } from './lib/fakeProcess.js';
import { makeBenchRoot } from './lib/fixture.js';
import { formatInt, formatKiB, formatMs } from './lib/format.js';
import { load, loadTool, WRK_HINT, type LoadResult } from './lib/load.js';
import { runIfMain } from './lib/main.js';
import { originalUnavailable, spawnOriginal } from './lib/originalProcess.js';
import { cpuSecondsOf, rssOf } from './lib/proc.js';
import { forkBareFastify, forkServer, type ServerProcess } from './lib/serverProcess.js';
import { printTable, type SummaryRow } from './lib/summary.js';

const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
/** Pending-flow counts measured. */
const SIZES = (process.env.BENCH_FLOWS ?? (QUICK ? '1000' : '1000,10000')).split(',').map(Number);
/** Sizes the Python original is measured at. */
const ORIGINAL_SIZES = new Set((process.env.BENCH_ORIGINAL_FLOWS ?? SIZES.join(',')).split(',').map(Number));
/** Servers measured. */
const SERVERS = new Set((process.env.BENCH_SERVERS ?? 'original,project,fastify').split(','));
/** Seconds of one load run. */
const DURATION_S = Number(process.env.BENCH_DURATION ?? (QUICK ? 3 : 5));
/** Load runs per connection count; the one with the most requests per second is reported. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? (QUICK ? 1 : 3));
/** The fake provider's interval, seconds: OpenAI's. */
const INTERVAL_S = Number(process.env.BENCH_PROVIDER_INTERVAL ?? 5);
/** Connection counts of the load rows. */
const CONNECTIONS = [1, 10, 100] as const;
/** Seconds the flows are held (polling the provider, no client load) while loop delay and provider polls are sampled. */
const HOLD_S = QUICK ? 3 : 5;
/** The route loaded. */
const POLL_ROUTE = '/api/onboarding/oauth/poll';
/** Concurrent starts while opening flows. */
const OPEN_CONCURRENCY = 32;

type ServerKind = 'original' | 'project' | 'fastify';
const LABELS: Record<ServerKind, string> = {
  original: 'the Python original (thread per flow)',
  project: 'hermes-onboard',
  fastify: 'bare fastify, fixed JSON body',
};

/** What opening the flows cost. */
interface Opening {
  seconds: number;
  /** CPU of the server and of the fake provider over the opening, in % of one core. */
  serverCpu: number;
  fakeCpu: number;
}

/** One row of the table. */
interface Row {
  kind: ServerKind;
  flows: number;
  /** Why this row could not be measured (the other rows still are). */
  failed?: string;
  loads: LoadResult[];
  /** (RSS with the flows held − RSS idle after a warm-up) / flows; NaN for bare fastify. */
  rssPerFlow: number;
  /** The same from the RSS of the fresh process, before any request (see idleRss). */
  rssPerFlowCold?: number;
  heldRss: number;
  opening?: Opening;
  /** Provider polls per second the fake saw while the flows were held. */
  providerPollsPerSecond?: number;
  /** Event-loop delay p99 while held and under load (ms); undefined for the Python original. */
  delayHeldP99?: number;
  delayLoadP99?: number;
  delayLoadMax?: number;
}

const percentCpu = (cpuSeconds: number, seconds: number) => (100 * cpuSeconds) / seconds;

/** Opens flows with `open`, measuring both processes' CPU; returns the flow ids. */
async function openMeasured(serverPid: number, fake: FakeProcess, open: () => Promise<string[]>): Promise<{ ids: string[]; opening: Opening }> {
  const cpu0 = { server: cpuSecondsOf(serverPid), fake: cpuSecondsOf(fake.pid) };
  const t0 = performance.now();
  const ids = await open();
  const seconds = (performance.now() - t0) / 1000;
  return {
    ids,
    opening: {
      seconds,
      serverCpu: percentCpu(cpuSecondsOf(serverPid) - cpu0.server, seconds),
      fakeCpu: percentCpu(cpuSecondsOf(fake.pid) - cpu0.fake, seconds),
    },
  };
}

/** Holds the flows for HOLD_S seconds; returns RSS at the end and the provider polls per second seen meanwhile. */
async function hold(pid: number, fake: FakeProcess): Promise<{ rss: number; providerPollsPerSecond: number }> {
  const before = (await fake.counts()).poll;
  const t0 = performance.now();
  await sleep(HOLD_S * 1000);
  const polls = (await fake.counts()).poll - before;
  return { rss: rssOf(pid), providerPollsPerSecond: polls / ((performance.now() - t0) / 1000) };
}

/** A warm-up (JIT, connection pools), then per connection count the best of REPEAT load runs. */
async function loadRows(url: string, ids: readonly string[]): Promise<LoadResult[]> {
  progress('loading the poll route');
  await load(url, POLL_ROUTE, ids, 10, 2);
  const rows: LoadResult[] = [];
  for (const c of CONNECTIONS) {
    let best: LoadResult | undefined;
    for (let i = 0; i < REPEAT; i++) {
      const run = await load(url, POLL_ROUTE, ids, c, DURATION_S);
      if (run.failures > 0) throw new Error(`the poll route failed ${run.failures} times at ${c} connections`);
      if (!best || run.requestsPerSecond > best.requestsPerSecond) best = run;
    }
    rows.push(best!);
  }
  return rows;
}

/** An id no server knows: the warm-up's polls are answered 404 and open nothing. */
const UNKNOWN_ID = '0'.repeat(32);

/**
 * A server's idle RSS, twice: cold (the fresh process, a second after it started) and warm (idle again after
 * 2 s of polls for an unknown flow at 10 connections). Serving any request touches memory a process keeps
 * whatever its flows: V8's young generation (up to 32 MiB in Node 20, resident only once allocation has gone
 * through it), compiled code, socket buffers. Per flow, the warm baseline counts only what flows add; the cold
 * one charges that fixed cost to the flows (3 KiB a flow at 10,000). Both are reported.
 */
async function idleRss(pid: number, url: string): Promise<{ cold: number; warm: number }> {
  await sleep(1000);
  const cold = rssOf(pid);
  await load(url, POLL_ROUTE, [UNKNOWN_ID], 10, 2);
  await sleep(1000);
  return { cold, warm: rssOf(pid) };
}

/** Every flow polls the provider within one interval of its start; wait that long (and a second) before holding. */
const firstPolls = () => sleep((INTERVAL_S + 1) * 1000);

async function measureProject(flows: number): Promise<Row> {
  const fake = await forkFake(String(INTERVAL_S));
  const root = await makeBenchRoot(flows);
  let server: ServerProcess | undefined;
  try {
    server = await forkServer({ home: root.root, codexIssuer: fake.issuer, maxPending: flows + 10 });
    const idle = await idleRss(server.pid, server.url);
    const s = server;
    progress('opening flows');
    const { ids, opening } = await openMeasured(s.pid, fake, async () => (await startFlows(s.url, root.profiles, OPEN_CONCURRENCY)).map((f) => f.flow_id));
    if (new Set(ids).size !== flows) throw new Error('single flight merged benchmark flows; profiles must be distinct');
    await firstPolls();
    await server.resetDelay();
    const held = await hold(server.pid, fake);
    const heldStats = await server.stats();
    await server.resetDelay();
    const loads = await loadRows(server.url, ids);
    const loaded = await server.stats();
    if (loaded.pendingFlows !== flows) throw new Error(`expected ${flows} pending flows after the run, found ${loaded.pendingFlows}`);
    return {
      ...heldRow('project', flows, loads, idle, held, opening),
      delayHeldP99: heldStats.delay.p99Ms,
      delayLoadP99: loaded.delay.p99Ms,
      delayLoadMax: loaded.delay.maxMs,
    };
  } finally {
    await server?.close();
    await Promise.allSettled([fake.close(), root.remove()]);
  }
}

/** The fields every server's row has: its load rows, and memory per flow from the idle and held RSS. */
function heldRow(
  kind: Row['kind'],
  flows: number,
  loads: Row['loads'],
  idle: { cold: number; warm: number },
  held: { rss: number; providerPollsPerSecond: Row['providerPollsPerSecond'] },
  opening: Row['opening'],
): Row {
  return {
    kind,
    flows,
    loads,
    rssPerFlow: (held.rss - idle.warm) / flows,
    rssPerFlowCold: (held.rss - idle.cold) / flows,
    heldRss: held.rss,
    opening,
    providerPollsPerSecond: held.providerPollsPerSecond,
  };
}

async function measureOriginal(flows: number): Promise<Row> {
  const fake = await forkFake(String(INTERVAL_S));
  try {
    const original = await spawnOriginal(fake.issuer);
    try {
      const idle = await idleRss(original.pid, original.url);
      progress('opening flows');
      const { ids, opening } = await openMeasured(original.pid, fake, () => startOriginalFlows(original.url, flows, OPEN_CONCURRENCY));
      await firstPolls();
      const held = await hold(original.pid, fake);
      const loads = await loadRows(original.url, ids);
      return heldRow('original', flows, loads, idle, held, opening);
    } finally {
      await original.close();
    }
  } finally {
    await fake.close();
  }
}

async function measureFastify(): Promise<Row> {
  const server = await forkBareFastify();
  try {
    // ids of the same shape as the project's, so requests are the same size
    const ids = Array.from({ length: 1000 }, () => randomBytes(16).toString('hex'));
    await server.resetDelay();
    const loads = await loadRows(server.url, ids);
    const loaded = await server.stats();
    return { kind: 'fastify', flows: 0, loads, rssPerFlow: NaN, heldRss: rssOf(server.pid), delayLoadP99: loaded.delay.p99Ms, delayLoadMax: loaded.delay.maxMs };
  } finally {
    await server.close();
  }
}

const at = (row: Row | undefined, c: number) => row?.loads.find((l) => l.connections === c);
const rps = (row: Row | undefined, c: number) => at(row, c)?.requestsPerSecond ?? NaN;

/** Progress on stderr, so a long run shows where it is. */
function progress(text: string): void {
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

/** Measures one row; a failure becomes a row saying so, so the other servers are still measured. */
async function measureRow(kind: ServerKind, flows: number, measure: () => Promise<Row>): Promise<Row> {
  progress(`${LABELS[kind]}, ${formatInt(flows)} flows`);
  try {
    return await measure();
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    progress(`${LABELS[kind]}, ${formatInt(flows)} flows failed: ${message}`);
    return { kind, flows, failed: message.slice(0, 160), loads: [], rssPerFlow: NaN, heldRss: NaN };
  }
}

function tableRow(r: Row): string[] {
  if (r.failed) return [LABELS[r.kind], formatInt(r.flows), `failed: ${r.failed}`, '', '', '', '', '', ''];
  const l = (c: number) => at(r, c);
  const dash = (v: number | undefined, f: (n: number) => string) => (v === undefined || Number.isNaN(v) ? '–' : f(v));
  return [
    LABELS[r.kind],
    formatInt(r.flows),
    CONNECTIONS.map((c) => dash(l(c)?.requestsPerSecond, formatInt)).join(' / '),
    `${dash(l(1)?.p99Ms, formatMs)} / ${dash(l(100)?.p99Ms, formatMs)}`,
    Number.isNaN(r.rssPerFlow) ? '–' : `${formatKiB(r.rssPerFlow)} (cold ${dash(r.rssPerFlowCold, formatKiB)})`,
    r.kind === 'original' ? 'n/a (threads)' : `${dash(r.delayHeldP99, formatMs)} / ${dash(r.delayLoadP99, formatMs)}`,
    r.opening ? `${Math.round(r.opening.serverCpu)} % / ${Math.round(r.opening.fakeCpu)} %` : '–',
    r.opening ? formatInt(r.flows / r.opening.seconds) : '–',
    dash(r.providerPollsPerSecond, formatInt),
  ];
}

/** The issue's goals, each checked against this run. */
function goals(rows: readonly Row[]): string[] {
  const find = (kind: ServerKind, flows: number) => rows.find((r) => r.kind === kind && r.flows === flows && !r.failed);
  const p1k = find('project', 1000);
  const p10k = find('project', 10_000);
  const o1k = find('original', 1000);
  const bare = find('fastify', 0);
  const out: string[] = [];
  const check = (ok: boolean, text: string) => out.push(`- [${ok ? 'met' : 'NOT met'}] ${text}`);
  if (p1k && o1k) check(rps(p1k, 100) >= 30 * rps(o1k, 100), `c100, 1,000 flows: ${(rps(p1k, 100) / rps(o1k, 100)).toFixed(1)}× the original (goal ≥ 30×)`);
  if (p1k && bare) check(rps(p1k, 100) >= 0.5 * rps(bare, 100), `c100, 1,000 flows: ${(rps(p1k, 100) / rps(bare, 100)).toFixed(2)} of bare fastify (goal ≥ 0.5)`);
  if (p1k) {
    check((at(p1k, 100)?.p99Ms ?? Infinity) < 5 && (at(p1k, 1)?.p99Ms ?? Infinity) < 1, `p99, 1,000 flows: ${formatMs(at(p1k, 1)!.p99Ms)} at c1 (goal < 1 ms), ${formatMs(at(p1k, 100)!.p99Ms)} at c100 (goal < 5 ms)`);
  }
  if (p10k) {
    check((at(p10k, 100)?.p99Ms ?? Infinity) < 10 && (at(p10k, 1)?.p99Ms ?? Infinity) < 2, `p99, 10,000 flows: ${formatMs(at(p10k, 1)!.p99Ms)} at c1 (goal < 2 ms), ${formatMs(at(p10k, 100)!.p99Ms)} at c100 (goal < 10 ms)`);
    check((p10k.delayHeldP99 ?? Infinity) < 10, `event-loop delay p99, 10,000 flows polling the provider: ${formatMs(p10k.delayHeldP99!)} held, ${formatMs(p10k.delayLoadP99!)} under load (goal < 10 ms)`);
    check(
      p10k.rssPerFlow <= 4096,
      `RSS per pending flow at 10,000 flows: ${formatKiB(p10k.rssPerFlow)} over the warm idle server, ${formatKiB(p10k.rssPerFlowCold ?? NaN)} over the cold one (goal ≤ 4 KiB)`,
    );
    if (p10k.opening) {
      const { serverCpu, fakeCpu } = p10k.opening;
      check(serverCpu <= fakeCpu, `opening 10,000 flows: server ${Math.round(serverCpu)} % CPU, provider fake ${Math.round(fakeCpu)} % (goal: the fake is the limit)`);
    }
  }
  return out;
}

/** Runs the comparison and returns its summary rows. */
export async function runCompareBenchmark(): Promise<SummaryRow[]> {
  const tool = loadTool();
  const unavailable = originalUnavailable();
  const rows: Row[] = [];
  for (const flows of SIZES) {
    if (SERVERS.has('original') && ORIGINAL_SIZES.has(flows)) {
      if (unavailable) progress(`skipping the original: ${unavailable}`);
      else rows.push(await measureRow('original', flows, () => measureOriginal(flows)));
    }
    if (SERVERS.has('project')) rows.push(await measureRow('project', flows, () => measureProject(flows)));
  }
  if (SERVERS.has('fastify')) rows.push(await measureRow('fastify', 0, measureFastify));

  const notes = [
    `Load: ${tool === 'wrk' ? '`wrk -t2` (-t1 at one connection)' : `autocannon in the benchmark process (${WRK_HINT})`}, best of ${REPEAT} × ${DURATION_S} s per connection count, ids rotating over every pending flow. ` +
      `Fake OpenAI in its own process, interval ${INTERVAL_S} s: every pending flow polls it (last column: polls/s it saw while the flows were held ${HOLD_S} s).`,
    'RSS per flow = (RSS with the flows held − RSS of the same server idle) / flows, read from /proc for every server (no forced GC); ' +
      'idle = after 2 s of polls for an unknown flow (cold: the fresh process before any request, which charges the young generation and JIT code a serving process keeps to the flows). ' +
      `Loop delay = the server's monitorEventLoopDelay p99 beyond its 10 ms sampling timer, while held / under the load rows. CPU while opening = % of one core, server / fake, ${OPEN_CONCURRENCY} starts in flight.`,
    ['Goals of issue 13 in this run:', ...goals(rows)].join('\n'),
  ];
  if (tool !== 'wrk') notes.unshift(`Note: ${WRK_HINT}.`);
  printTable(
    `Side by side: GET ${POLL_ROUTE} with flows pending (issue 13's table)`,
    ['Server', 'Pending flows', 'Poll req/s c1 / c10 / c100', 'p99 c1 / c100', 'RSS per pending flow', 'Loop delay p99 held / load', 'CPU opening server / fake', 'Opens/s', 'Provider polls/s'],
    rows.map(tableRow),
    notes,
  );
  return rows.map((r) => ({
    benchmark: 'Side by side',
    conditions: `${LABELS[r.kind]}, ${formatInt(r.flows)} flows pending`,
    result: r.failed ? `failed: ${r.failed}` :
      `${CONNECTIONS.map((c) => formatInt(rps(r, c))).join(' / ')} req/s at c1/c10/c100, p99 ${formatMs(at(r, 1)!.p99Ms)} / ${formatMs(at(r, 100)!.p99Ms)}` +
      (Number.isNaN(r.rssPerFlow) ? '' : `, ${formatKiB(r.rssPerFlow)} RSS/flow (cold ${formatKiB(r.rssPerFlowCold ?? NaN)})`),
  }));
}

runIfMain(import.meta.url, runCompareBenchmark);
