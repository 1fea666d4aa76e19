import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { FlowLimitError, FlowStartError, ServerClosingError } from '../../src/errors.js';
import { FlowEngine } from '../../src/flows/engine.js';
import { ENDED_FLOW_TTL_MS } from '../../src/limits.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { guarded, settleIo } from '../helpers/harness.js';
import { deferred } from '../helpers/deferred.js';
import { scriptedProvider, type ScriptStep } from './scriptedProvider.js';

function setup(opts: { script?: ScriptStep[]; interval?: number; expiresIn?: number; maxPending?: number; finishGate?: Promise<void>; saveGate?: Promise<void>; beginGate?: Promise<void>; beginFails?: boolean } = {}) {
  const clock = new ManualClock();
  const waits: number[] = [];
  const engine = new FlowEngine({ clock, logger: silentLogger(), config: loadConfig({}), maxPending: opts.maxPending, pollObserver: { onWait: (s) => waits.push(s) } });
  const scripted = scriptedProvider({ ...opts, clockNow: () => clock.now() });
  return { clock, engine, waits, ...scripted };
}

/** Seconds between consecutive polls, measured on the manual clock. */
function gaps(start: number, times: number[]): number[] {
  return times.map((t, i) => (t - (i === 0 ? start : times[i - 1]!)) / 1000);
}

test('polls only after the interval, never faster, and succeeds on approval', async () => {
  const { clock, engine, provider, calls } = setup({ interval: 5, script: [{ kind: 'pending' }, { kind: 'pending' }, { kind: 'approved', grant: {} }] });
  const t0 = clock.now();
  const flow = await engine.start(provider, '/h', 'default');
  await clock.advance(4999);
  assert.equal(calls.poll.length, 0, 'no poll before the first interval');
  await clock.advance(15_001);
  assert.deepEqual(gaps(t0, calls.poll), [5, 5, 5]);
  assert.equal((await engine.get(flow.id))?.status, 'success');
  assert.deepEqual((await engine.get(flow.id))?.account, { label: 'Scripted (a@example.test)', email: 'a@example.test' });
  assert.equal(calls.save, 1);
});

test('slow_down adds 5 s for good, cumulatively; a sent interval replaces it; Retry-After is honoured', async () => {
  const { clock, engine, provider, calls } = setup({
    interval: 5,
    script: [{ kind: 'slow_down' }, { kind: 'pending' }, { kind: 'slow_down' }, { kind: 'slow_down', intervalSeconds: 30 }, { kind: 'slow_down', retryAfterSeconds: 60 }, { kind: 'pending' }],
  });
  const t0 = clock.now();
  await engine.start(provider, '/h', 'default');
  await clock.advance(300_000);
  assert.deepEqual(gaps(t0, calls.poll).slice(0, 7), [5, 10, 10, 15, 30, 60, 35]);
});

test('transient failures back off; six in a row end the flow with a clear error', async () => {
  const t = { kind: 'transient' } as const;
  const { clock, engine, provider, calls } = setup({ interval: 2, script: [t, t, t, t, t, t] });
  const t0 = clock.now();
  const flow = await engine.start(provider, '/h', 'default');
  const ended = engine.waitForEnd(flow.id); // the end is forgotten five minutes later, before the clock stops
  await clock.advance(600_000);
  assert.equal((await ended)?.status, 'error');
  assert.match((await ended)?.error ?? '', /failed 6 times in a row/);
  assert.equal(calls.poll.length, 6);
  const g = gaps(t0, calls.poll);
  assert.deepEqual(g, [2, 2, 4, 8, 16, 32]);
  assert.ok(g.every((s) => s >= 2), 'never faster than the interval');
});

test('a transient failure honours Retry-After and a success in between resets the count', async () => {
  const t = { kind: 'transient' } as const;
  const { clock, engine, provider, calls } = setup({ interval: 1, script: [t, t, t, t, t, { kind: 'pending' }, { kind: 'transient', retryAfterSeconds: 45 }, { kind: 'approved', grant: {} }] });
  const t0 = clock.now();
  const flow = await engine.start(provider, '/h', 'default');
  const ended = engine.waitForEnd(flow.id);
  await clock.advance(600_000);
  assert.equal((await ended)?.status, 'success');
  assert.equal(gaps(t0, calls.poll)[7], 45);
});

test('a provider that hangs cannot keep a flow pending past expires_at', async () => {
  const { clock, engine, provider, calls } = setup({ interval: 1, expiresIn: 60, script: [{ kind: 'hang' }] });
  const flow = await engine.start(provider, '/h', 'default');
  await clock.advance(59_999);
  assert.equal((await engine.get(flow.id))?.status, 'pending');
  await clock.advance(1);
  assert.equal((await engine.get(flow.id))?.status, 'expired');
  assert.equal(calls.aborted, 1, 'the request in flight is aborted');
});

test('provider expiry and denial end the flow', async () => {
  const a = setup({ script: [{ kind: 'expired' }] });
  const fa = await a.engine.start(a.provider, '/h', 'default');
  await a.clock.advance(10_000);
  assert.equal((await a.engine.get(fa.id))?.status, 'expired');
  const b = setup({ script: [{ kind: 'denied' }] });
  const fb = await b.engine.start(b.provider, '/h', 'default');
  await b.clock.advance(10_000);
  assert.equal((await b.engine.get(fb.id))?.status, 'error');
  assert.match((await b.engine.get(fb.id))?.error ?? '', /denied/);
});

test('cancel before the commit point wins: nothing is saved, status stays cancelled', async () => {
  const gate = deferred();
  const { clock, engine, provider, calls, finishReached } = setup({ script: [{ kind: 'approved', grant: {} }], finishGate: gate.promise });
  const flow = await engine.start(provider, '/h', 'default');
  await clock.advance(5000);
  await finishReached; // the exchange is in flight
  const cancelled = await engine.cancel(flow.id);
  assert.equal(cancelled?.status, 'cancelled');
  gate.resolve();
  await clock.advance(1000);
  assert.equal((await engine.get(flow.id))?.status, 'cancelled');
  assert.equal(calls.save, 0, 'credentials never written after cancel');
});

test('cancel after the commit point reports the true outcome (success)', async () => {
  const gate = deferred();
  const { clock, engine, provider, calls, saveReached } = setup({ script: [{ kind: 'approved', grant: {} }], saveGate: gate.promise });
  const flow = await engine.start(provider, '/h', 'default');
  await clock.advance(5000);
  await saveReached;
  const cancelling = engine.cancel(flow.id);
  gate.resolve();
  const result = await cancelling;
  assert.equal(result?.status, 'success');
  assert.equal(calls.saved.length, 1);
});

test('an ended flow never changes status again; cancel of an ended flow reports its end', async () => {
  const { clock, engine, provider } = setup({ script: [{ kind: 'denied' }] });
  const flow = await engine.start(provider, '/h', 'default');
  await clock.advance(5000);
  assert.equal((await engine.get(flow.id))?.status, 'error');
  assert.equal((await engine.cancel(flow.id))?.status, 'error');
  await clock.advance(10_000);
  assert.equal((await engine.get(flow.id))?.status, 'error');
});

test('single flight: concurrent starts for one provider and home share one flow and one begin', async () => {
  const gate = deferred();
  const { engine, provider, calls, beginReached } = setup({ beginGate: gate.promise });
  const starts = Array.from({ length: 20 }, () => engine.start(provider, '/h', 'default'));
  await guarded(beginReached, 'the provider to be asked for a code');
  await settleIo(); // every other start has run as far as it can while begin is held
  assert.equal(calls.begin, 1, 'one begin in flight for twenty concurrent starts');
  gate.resolve();
  const flows = await Promise.all(starts);
  assert.equal(new Set(flows.map((f) => f.id)).size, 1);
  assert.equal(calls.begin, 1);
  const other = await engine.start(provider, '/other-home', 'work');
  assert.notEqual(other.id, flows[0]!.id, 'another home gets its own flow');
  assert.equal(calls.begin, 2);
});

test('a failed start leaves no flow behind and the next start asks again', async () => {
  const { engine, provider, calls } = setup({ beginFails: true });
  await assert.rejects(engine.start(provider, '/h', 'default'), FlowStartError);
  assert.equal(await engine.pendingCount(), 0);
  await assert.rejects(engine.start(provider, '/h', 'default'), FlowStartError);
  assert.equal(calls.begin, 2);
});

test('the pending bound refuses starts past it and frees up when flows end', async () => {
  const { engine, provider } = setup({ maxPending: 2 });
  const a = await engine.start(provider, '/a', 'a');
  await engine.start(provider, '/b', 'b');
  await assert.rejects(engine.start(provider, '/c', 'c'), FlowLimitError);
  await engine.cancel(a.id);
  await engine.start(provider, '/c', 'c');
});

test('ended flows are forgotten five minutes after they end', async () => {
  const { clock, engine, provider } = setup();
  const flow = await engine.start(provider, '/h', 'default');
  await engine.cancel(flow.id);
  await clock.advance(ENDED_FLOW_TTL_MS - 1);
  assert.ok(await engine.get(flow.id));
  await clock.advance(1);
  assert.equal(await engine.get(flow.id), undefined);
});

test('subscribers hear every change and close() cancels pending flows', async () => {
  const { engine, provider } = setup();
  const flow = await engine.start(provider, '/h', 'default');
  const heard: string[] = [];
  engine.subscribe(flow.id, (p) => heard.push(p.status));
  await engine.close();
  assert.deepEqual(heard, ['cancelled']);
  await assert.rejects(engine.start(provider, '/h2', 'x'), ServerClosingError);
});

test('close() lets a commit in progress finish, then resolves; a pending flow beside it is cancelled with nothing saved', async () => {
  const gate = deferred();
  const clock = new ManualClock();
  const engine = new FlowEngine({ clock, logger: silentLogger(), config: loadConfig({}) });
  const committing = scriptedProvider({ id: 'committing', script: [{ kind: 'approved', grant: {} }], saveGate: gate.promise, clockNow: () => clock.now() });
  const waiting = scriptedProvider({ id: 'waiting', interval: 30, clockNow: () => clock.now() });
  const saving = await engine.start(committing.provider, '/h', 'default');
  const pending = await engine.start(waiting.provider, '/h', 'default');
  await clock.advance(5000);
  await committing.saveReached; // past the commit point: the save is under way
  assert.equal((await engine.get(saving.id))?.status, 'pending');

  let closed = false;
  const closing = engine.close().then(() => (closed = true));
  await settleIo();
  assert.equal(closed, false, 'close() waits for the save in progress');
  assert.equal((await engine.get(pending.id))?.status, 'cancelled', 'the flow that was not committing is cancelled at once');
  assert.equal((await engine.get(saving.id))?.status, 'pending');
  await assert.rejects(engine.start(waiting.provider, '/other', 'x'), ServerClosingError, 'no new sign-ins while closing');

  gate.resolve();
  await guarded(closing, 'close() to resolve after the save');
  assert.equal((await engine.get(saving.id))?.status, 'success');
  assert.deepEqual(committing.calls.saved, ['/h'], 'the commit finished');
  assert.equal(waiting.calls.save + waiting.calls.finish, 0, 'the cancelled flow saved nothing');
  assert.equal(waiting.calls.poll.length, 0);
  await clock.advance(ENDED_FLOW_TTL_MS - 1); // as long as the ended flow is remembered
  assert.equal((await engine.get(pending.id))?.status, 'cancelled');
  assert.equal(waiting.calls.save, 0);
});

test('sleeping flows share one clock timer for their polls (and one for the store); each polls on its own schedule; cancel takes one out', async () => {
  const { clock, engine, provider, calls } = setup({ interval: 5, maxPending: 100 });
  const t0 = clock.now();
  const flows = [];
  for (let i = 0; i < 50; i++) {
    flows.push(await engine.start(provider, `/h${i}`, 'default'));
    await clock.advance(100); // opened 100 ms apart: fifty different poll times
  }
  // before: a Timeout per flow for its poll and another for its expiry (100 timers); now one queue each
  assert.equal(clock.pendingTimers, 2, 'one clock timer for every poll, one for every record expiry');
  const cancelled = flows[10]!;
  await engine.cancel(cancelled.id);
  await clock.advance(4900); // to the last flow's first poll, before the first flow's second

  assert.equal(calls.poll.length, 49, 'every flow but the cancelled one polled once, each 5 s after its start');
  assert.deepEqual(
    calls.poll.map((t) => t - t0),
    flows.map((_, i) => i * 100 + 5000).filter((_, i) => i !== 10),
  );
  await engine.close();
  assert.equal(clock.pendingTimers, 0, 'closed: no timer is left behind (the engine closed the store it owns)');
});

test('a driver that throws instead of reporting fails its flow with the unexpected-failure message', async () => {
  const { clock, engine, provider } = setup({ interval: 5 });
  const broken = { ...provider, id: 'broken', poll: () => { throw new Error('bug in poll'); } };
  const flow = await engine.start(broken, '/h', 'default');
  const ended = engine.waitForEnd(flow.id);
  await clock.advance(5000);
  assert.equal((await ended)?.status, 'error');
  assert.match((await ended)?.error ?? '', /failed unexpectedly/);
});
