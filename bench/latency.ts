/**
 * Benchmark 3: latency to the user — the time from the provider approving a sign-in (fake.approve) to
 * the browser side learning `success`, over many flows, for a page that polls at the flow's
 * poll_interval_seconds (as src/web/watch.ts does) and for one that listens to server-sent events.
 * Run alone: `npm run build && node dist/bench/latency.js`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartPayload, StatusPayload } from '../src/contract.js';
import type { CodexFake } from '../test/fakes/codexFake.js';
import { pollFlow, startFlows } from './lib/client.js';
import { withSetup } from './lib/bootstrap.js';
import { formatMs } from './lib/format.js';
import { runIfMain } from './lib/main.js';
import { readStatusEvents } from './lib/sse.js';
import { median, percentile } from './lib/stats.js';
import { printTable, type SummaryRow } from './lib/summary.js';

/** Flows measured per mode. */
export const FLOWS = 100;
/** The provider's poll interval (seconds), short so the benchmark stays short. */
const INTERVAL = '1';
/** Approval comes at a random moment this long after the flow starts, so it falls at every phase of the poll cycle. */
const APPROVE_AFTER_MS = { min: 500, spread: 3000 };
/** Longest one flow may take to report success. */
const FLOW_TIMEOUT_MS = 60_000;

type Mode = 'polling' | 'events';

/** Approves the flow's user code at a random moment; resolves to the approval time (performance.now()). */
async function approveLater(fake: CodexFake, flow: StartPayload): Promise<number> {
  await sleep(APPROVE_AFTER_MS.min + Math.random() * APPROVE_AFTER_MS.spread);
  fake.approve(flow.user_code);
  return performance.now();
}

/** Checks a status payload on the way to success; any other end fails the benchmark. */
function checkStatus(payload: StatusPayload): boolean {
  if (payload.status === 'success') return true;
  if (payload.status !== 'pending') throw new Error(`flow ended ${payload.status}: ${payload.error ?? ''}`);
  return false;
}

/** Like the page: poll after each interval until success; returns ms from approval to learning it. */
async function viaPolling(baseUrl: string, fake: CodexFake, flow: StartPayload): Promise<number> {
  const approved = approveLater(fake, flow);
  const deadline = performance.now() + FLOW_TIMEOUT_MS;
  while (performance.now() < deadline) {
    await sleep(flow.poll_interval_seconds * 1000);
    if (checkStatus(await pollFlow(baseUrl, flow.flow_id))) return performance.now() - (await approved);
  }
  throw new Error('a polled flow did not succeed in time');
}

/** Listens to the flow's event stream until success; returns ms from approval to learning it. */
async function viaEvents(baseUrl: string, fake: CodexFake, flow: StartPayload): Promise<number> {
  let approved: Promise<number> | undefined;
  let learnedAt: number | undefined;
  await readStatusEvents(
    `${baseUrl}/api/onboarding/oauth/events?flow_id=${flow.flow_id}`,
    (payload) => {
      approved ??= approveLater(fake, flow); // the stream is open: now approve
      if (checkStatus(payload)) learnedAt = performance.now();
    },
    AbortSignal.timeout(FLOW_TIMEOUT_MS),
  );
  if (learnedAt === undefined || !approved) throw new Error('an event stream ended without success');
  return learnedAt - (await approved);
}

/** Runs FLOWS flows at once in one mode, on the profiles given. */
async function measure(mode: Mode, baseUrl: string, fake: CodexFake, profiles: string[]): Promise<number[]> {
  const flows = await startFlows(baseUrl, profiles);
  const watch = mode === 'polling' ? viaPolling : viaEvents;
  return Promise.all(flows.map((flow) => watch(baseUrl, fake, flow)));
}

/** Runs the latency benchmark and returns its summary rows. */
export async function runLatencyBenchmark(): Promise<SummaryRow[]> {
  return withSetup({ interval: INTERVAL, profiles: 2 * FLOWS }, async ({ server, root, fake }) => {
    const results: Array<{ mode: Mode; label: string; ms: number[] }> = [
      { mode: 'polling', label: `polling every poll_interval_seconds (${INTERVAL} s)`, ms: await measure('polling', server.url, fake, root.profiles.slice(0, FLOWS)) },
      { mode: 'events', label: 'server-sent events', ms: await measure('events', server.url, fake, root.profiles.slice(FLOWS)) },
    ];
    const note = `Provider interval ${INTERVAL} s: the server asks the provider once per interval, so it learns of an approval 0–${INTERVAL} s late; polling adds up to one more interval, events only the push.`;
    printTable(
      `Latency to the user: provider approval → client learns success, ${FLOWS} flows per mode`,
      ['Client', 'Median', 'p99', 'Min', 'Max'],
      results.map((r) => [r.label, formatMs(median(r.ms)), formatMs(percentile(r.ms, 99)), formatMs(Math.min(...r.ms)), formatMs(Math.max(...r.ms))]),
      [note],
    );
    return results.map((r) => ({
      benchmark: 'Latency to the user',
      conditions: `${r.label}, provider interval ${INTERVAL} s, ${FLOWS} flows`,
      result: `median ${formatMs(median(r.ms))}, p99 ${formatMs(percentile(r.ms, 99))}`,
    }));
  });
}

runIfMain(import.meta.url, runLatencyBenchmark);
