/** The drivers of the other sign-in kinds, through the engine: a pasted/called-back PKCE code, and a detected credential. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { OnboardError } from '../../src/errors.js';
import { FlowEngine } from '../../src/flows/engine.js';
import { silentLogger } from '../../src/util/logger.js';
import { ManualClock } from '../helpers/clock.js';
import { scriptedCodeProvider, scriptedDetectProvider, scriptedProvider } from './scriptedProvider.js';

function engineOn(clock: ManualClock, waits: number[] = []): FlowEngine {
  return new FlowEngine({ clock, logger: silentLogger(), config: loadConfig({}), pollObserver: { onWait: (s) => waits.push(s) } });
}

/** Asserts `promise` rejects with the catalogue error `code`. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof OnboardError && error.code === code);
}

test('authorization code: the start shows only the authorize address; a submitted code is exchanged with the kept verifier and saved', async () => {
  const clock = new ManualClock();
  const engine = engineOn(clock);
  const { provider, calls } = scriptedCodeProvider();
  const flow = await engine.start(provider, '/h', 'default');
  assert.equal(flow.kind, 'authorization_code');
  assert.deepEqual(flow.public, { kind: 'authorization_code', authorizeUrl: 'https://example.test/authorize?state=s1&code_challenge=c1' });
  assert.doesNotMatch(JSON.stringify(flow.public), /pkce-verifier-secret/);
  const ended = engine.waitForEnd(flow.id);
  const submitted = await engine.submitCode(flow.id, 'the-code');
  assert.equal(submitted.phase, 'exchanging');
  assert.equal((await ended)?.status, 'success');
  assert.deepEqual(calls.exchanged, [{ verifier: 'pkce-verifier-secret', code: 'the-code' }]);
  assert.deepEqual(calls.saved, ['/h:at-secret']);
  await engine.close();
});

test('authorization code: a code is taken once; a flow that waits for none, an ended one and an unknown id refuse it', async () => {
  const clock = new ManualClock();
  const engine = engineOn(clock);
  const code = scriptedCodeProvider({ goodCode: 'never' });
  const flow = await engine.start(code.provider, '/h', 'default');
  await engine.submitCode(flow.id, 'first');
  await rejectsWith(engine.submitCode(flow.id, 'second'), 'flow_not_awaiting_code');
  const end = await engine.waitForEnd(flow.id);
  assert.equal(end?.status, 'error', 'a refused code ends the flow');
  assert.match(end?.error ?? '', /refused the code/);
  assert.deepEqual(code.calls.saved, []);
  assert.deepEqual(code.calls.exchanged.map((e) => e.code), ['first']);

  const device = scriptedProvider({ clockNow: () => clock.now() });
  const deviceFlow = await engine.start(device.provider, '/h', 'default');
  await rejectsWith(engine.submitCode(deviceFlow.id, 'x'), 'flow_not_awaiting_code');
  await rejectsWith(engine.submitCode('no-such-flow', 'x'), 'flow_not_found');

  const other = await engine.start(code.provider, '/other', 'work');
  await engine.cancel(other.id);
  await rejectsWith(engine.submitCode(other.id, 'late'), 'flow_not_awaiting_code');
  assert.equal(code.calls.exchanged.length, 1, 'the cancelled flow exchanged nothing');
  await engine.close();
});

test('authorization code: a flow that gets no code expires at its expires_at, and a late code is refused', async () => {
  const clock = new ManualClock();
  const engine = engineOn(clock);
  const { provider, calls } = scriptedCodeProvider({ expiresIn: 120 });
  const flow = await engine.start(provider, '/h', 'default');
  await clock.advance(119_999);
  assert.equal((await engine.get(flow.id))?.status, 'pending');
  await clock.advance(1);
  const end = await engine.get(flow.id);
  assert.equal(end?.status, 'expired');
  assert.equal(end?.endedAt, flow.expiresAt);
  await rejectsWith(engine.submitCode(flow.id, 'the-code'), 'flow_not_awaiting_code');
  assert.equal(calls.exchanged.length, 0);
  await engine.close();
});

test('detect: looks at once and every interval, and succeeds at the first look after the credential appears', async () => {
  const clock = new ManualClock();
  const waits: number[] = [];
  const engine = engineOn(clock, waits);
  const { provider, calls, appear } = scriptedDetectProvider({ interval: 2 });
  const flow = await engine.start(provider, '/h', 'default');
  assert.deepEqual(flow.public, { kind: 'detect', actionRequired: 'Run `scripted login` on this machine.' });
  await clock.advance(0);
  assert.equal(calls.looks, 1, 'looked at once');
  await clock.advance(1999);
  assert.equal(calls.looks, 1, 'not before the interval');
  await clock.advance(1);
  assert.equal(calls.looks, 2);
  appear();
  const ended = engine.waitForEnd(flow.id);
  await clock.advance(2000);
  assert.equal((await ended)?.status, 'success');
  assert.equal(calls.looks, 3);
  assert.deepEqual(calls.saved, ['/h:at-secret']);
  assert.ok(waits.every((s) => s === 2));
  await engine.close();
});

test('detect: ends expired at its deadline when nothing appears; cancel stops the looking at once', async () => {
  const clock = new ManualClock();
  const engine = engineOn(clock);
  const a = scriptedDetectProvider({ interval: 5, expiresIn: 60 });
  const flow = await engine.start(a.provider, '/h', 'default');
  await clock.advance(60_000);
  const end = await engine.get(flow.id);
  assert.equal(end?.status, 'expired');
  assert.equal(end?.endedAt, flow.expiresAt);
  const looks = a.calls.looks;
  await clock.advance(60_000);
  assert.equal(a.calls.looks, looks, 'no looking after the end');

  const b = scriptedDetectProvider({ id: 'other-detect', interval: 5 });
  const other = await engine.start(b.provider, '/h', 'default');
  await clock.advance(0);
  assert.equal((await engine.cancel(other.id))?.status, 'cancelled');
  await clock.advance(60_000);
  assert.equal(b.calls.looks, 1);
  assert.deepEqual(b.calls.saved, []);
  await engine.close();
});

test('a flow record is plain data: it survives JSON, with the provider state in its secrets part only', async () => {
  const clock = new ManualClock();
  const engine = engineOn(clock);
  const { provider } = scriptedProvider({ clockNow: () => clock.now() });
  const flow = await engine.start(provider, '/h', 'default');
  assert.deepEqual(JSON.parse(JSON.stringify(flow)), flow);
  assert.deepEqual(flow.secrets, { begin: { deviceCode: 'dc-secret' } });
  const { secrets: _secrets, ...rest } = flow;
  assert.doesNotMatch(JSON.stringify(rest), /dc-secret/);
  await engine.close();
});
