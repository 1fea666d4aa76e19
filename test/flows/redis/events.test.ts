/**
 * Change notes across replicas: a change made through one connection reaches listeners on another replica's
 * subscriber connection (latency measured and reported), per flow and for all flows; after an outage listeners are
 * told to read state again and notes flow once more.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisFlowEvents } from '../../../src/flows/redis/events.js';
import type { FlowChange } from '../../../src/flows/redis/scripts.js';
import { guarded } from '../../helpers/harness.js';
import { flowInput, freshKeys, opsFor, redisSkip, useRedisServer, type RedisServer } from './helpers.js';

const skip = redisSkip();
const server = skip === undefined ? await useRedisServer({ after }) : undefined;
function redis(): RedisServer {
  if (!server) throw new Error('no redis-server (the test should have been skipped)');
  return server;
}

/** Collects notes and lets a test wait for the one it expects. */
class Inbox {
  readonly notes: Array<FlowChange & { at: number }> = [];
  resyncs = 0;
  #wakers = new Set<() => void>();
  readonly listener = {
    change: (note: FlowChange) => {
      this.notes.push({ ...note, at: performance.now() });
      for (const wake of this.#wakers) wake();
    },
    resync: () => {
      this.resyncs++;
      for (const wake of this.#wakers) wake();
    },
  };

  until<T>(find: () => T | undefined, what: string): Promise<T> {
    return guarded(
      new Promise<T>((resolve) => {
        const check = () => {
          const found = find();
          if (found === undefined) return;
          this.#wakers.delete(check);
          resolve(found);
        };
        this.#wakers.add(check);
        check();
      }),
      what,
    );
  }

  note(id: string, version: number): Promise<FlowChange & { at: number }> {
    return this.until(() => this.notes.find((n) => n.id === id && n.version === version), `the note of ${id} v${version}`);
  }
}

test('a change made on replica A reaches listeners on replica B (latency measured), per flow and for all flows', { skip }, async (t) => {
  const keys = freshKeys();
  const a = await opsFor(t, redis(), keys);
  // B's subscriber: a connection of its own, as on another replica.
  const events = new RedisFlowEvents(a.connection.duplicate('replica-b-events'), keys);
  t.after(() => events.close());
  await events.start();

  const all = new Inbox();
  const one = new Inbox();
  events.watchAll(all.listener);
  const input = flowInput();
  const stopOne = events.watch(input.id, one.listener);
  await a.create(input);
  const created = await one.note(input.id, 1);
  assert.deepEqual([created.status, created.phase], ['pending', 'starting']);

  const latencies: number[] = [];
  const phases = ['polling', 'polling', 'polling'];
  let version = 1;
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const result = await a.transition({ id: input.id, from: [{ status: 'pending', phase: i === 0 ? 'starting' : 'polling' }], to: { status: 'pending', phase: phases[i % phases.length]! }, fields: { n: String(i) } });
    assert.equal(result.outcome, 'ok');
    version++;
    const note = await one.note(input.id, version);
    latencies.push(note.at - started);
  }
  await a.transition({ id: input.id, from: [{ status: 'pending', phase: 'polling' }], to: { status: 'success', phase: 'ended' } });
  const end = await one.note(input.id, version + 1);
  assert.equal(end.status, 'success');

  // Another flow's notes reach the all-flows listener only.
  const other = flowInput({ home: '/other' });
  await a.create(other);
  await all.note(other.id, 1);
  assert.ok(!one.notes.some((n) => n.id === other.id));
  assert.equal(all.notes.filter((n) => n.id === input.id).length, one.notes.length);

  latencies.sort((x, y) => x - y);
  const median = latencies[Math.floor(latencies.length / 2)]!;
  const max = latencies[latencies.length - 1]!;
  const under100 = latencies.filter((ms) => ms < 100).length;
  t.diagnostic(`change on A → note on B, round trip of the change included: median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms, ${under100} of ${latencies.length} under 100 ms`);

  // Letting go: nothing is delivered to a listener that stopped, and the bridge holds no reference to it.
  stopOne();
  assert.equal(events.listenerCount, 1);
  const count = one.notes.length;
  await a.create(flowInput({ home: '/third' }));
  await all.until(() => (all.notes.length >= count + 2 ? true : undefined), 'the third flow note');
  assert.equal(one.notes.length, count);
});

test('a note carries only id, status, phase and version; foreign messages on the channel are ignored', { skip }, async (t) => {
  const keys = freshKeys();
  const a = await opsFor(t, redis(), keys);
  const events = new RedisFlowEvents(a.connection.duplicate(), keys);
  t.after(() => events.close());
  await events.start();
  const inbox = new Inbox();
  events.watchAll(inbox.listener);
  await a.connection.client.publish(keys.events, 'not json');
  await a.connection.client.publish(keys.events, JSON.stringify({ id: 'x', status: 'pending' }));
  const input = flowInput({ secret: { device_code: 'dc-PLANTED-123456' } });
  await a.create(input);
  const note = await inbox.note(input.id, 1);
  assert.deepEqual(Object.keys(note).sort(), ['at', 'id', 'phase', 'status', 'version']);
  assert.equal(inbox.notes.length, 1, 'the two foreign messages were dropped');
});

test('after an outage listeners are told to read again, and notes flow on the re-made subscription', { skip }, async (t) => {
  // Its own server: this test stops and restarts it.
  const own = await useRedisServer(t);
  const keys = freshKeys();
  const a = await opsFor(t, own, keys, { reconnectMaxMs: 100 });
  const events = new RedisFlowEvents(a.connection.duplicate(), keys);
  t.after(() => events.close());
  await events.start();
  const inbox = new Inbox();
  events.watchAll(inbox.listener);

  await own.stop();
  await own.start();
  await inbox.until(() => (inbox.resyncs > 0 ? true : undefined), 'the resync call');
  await a.connection.ready();
  const input = flowInput();
  await a.create(input);
  await inbox.note(input.id, 1);
});
