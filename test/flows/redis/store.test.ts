/**
 * RedisFlowStore, the FlowStore the engine uses with Redis, against a real redis-server: two stores on their own
 * connections stand for two replicas. Waits are on the stores' change notifications, never on sleeps.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { systemClock } from '../../../src/util/clock.js';
import type { FlowRecord } from '../../../src/flows/flow.js';
import { RedisFlowEvents } from '../../../src/flows/redis/events.js';
import type { FlowKeys } from '../../../src/flows/redis/keys.js';
import { RedisFlowStore } from '../../../src/flows/redis/store.js';
import { connect, freshKeys, keysOf, opsFor, redisSkip, useRedisServer, type RedisServer } from './helpers.js';

const skip = redisSkip();
const server = skip === undefined ? await useRedisServer({ after }) : undefined;
function redis(): RedisServer {
  if (!server) throw new Error('no redis-server (the test should have been skipped)');
  return server;
}

/** A store as one replica has it: its own command and subscriber connections, closed when the test ends. */
async function replica(t: TestContext, keys: FlowKeys, owner?: string): Promise<RedisFlowStore> {
  const ops = await opsFor(t, redis(), keys);
  const events = new RedisFlowEvents(await connect(t, redis()), keys);
  await events.start();
  const store = new RedisFlowStore(ops, events, { clock: systemClock, owner, sweepIntervalMs: 25 });
  t.after(async () => {
    await store.close();
    await events.close();
  });
  return store;
}

function draft(overrides: Partial<FlowRecord> = {}): FlowRecord {
  const now = Date.now();
  return {
    id: randomBytes(16).toString('hex'),
    providerId: 'openai-codex',
    profile: 'work',
    home: '/srv/hermes/profiles/work',
    kind: 'device_code',
    status: 'pending',
    phase: 'starting',
    createdAt: now,
    expiresAt: now + 30_000,
    ...overrides,
  };
}

/** Resolves with the first record `store` delivers for flow `id` that satisfies `when`. */
function next(store: RedisFlowStore, id: string, when: (r: FlowRecord) => boolean): Promise<FlowRecord> {
  return new Promise((resolve) => {
    const stop = store.subscribe(id, (record) => {
      if (!when(record)) return;
      stop();
      resolve(record);
    });
  });
}

test('create: single flight and the pending bound hold across two replicas', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await Promise.all([replica(t, keys), replica(t, keys)]);
  const first = draft();
  assert.equal((await a.create(first, { maxPending: 2 })).kind, 'created');
  const again = await b.create(draft(), { maxPending: 2 });
  assert.equal(again.kind, 'joined');
  assert.equal(again.kind === 'joined' && again.record.id, first.id, 'the second replica joins the first flow');
  assert.equal((await b.create(draft({ home: '/srv/hermes/profiles/other' }), { maxPending: 2 })).kind, 'created');
  assert.equal((await a.create(draft({ home: '/srv/hermes/profiles/third' }), { maxPending: 2 })).kind, 'full');
  assert.equal(await b.countActive(), 2);
  assert.equal((await b.active('openai-codex', first.home))?.id, first.id);
  await a.remove(first.id);
  assert.equal(await b.get(first.id), undefined);
  assert.equal(await b.active('openai-codex', first.home), undefined, 'remove frees the single flight');
  assert.equal(await b.countActive(), 1);
});

test('update is a compare-and-set across replicas; the other replica hears each change with its secrets opened', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await Promise.all([replica(t, keys, 'replica-a'), replica(t, keys, 'replica-b')]);
  const flow = draft({ kind: 'authorization_code' });
  await a.create(flow, { maxPending: 10 });
  const heardWaiting = next(b, flow.id, (r) => r.phase === 'waiting');
  const waiting = await a.update(
    flow.id,
    { status: 'pending', phases: ['starting'] },
    { phase: 'waiting', expiresAt: Date.now() + 60_000, public: { kind: 'authorization_code', authorizeUrl: 'https://auth.example/a' }, secrets: { begin: { verifier: 'v-123456789' } } },
  );
  assert.equal(waiting?.phase, 'waiting');
  assert.deepEqual((await heardWaiting).secrets, { begin: { verifier: 'v-123456789' } });

  // the code submitted on B reaches A's subscription (as the driving replica's runner learns it)
  const heardCode = next(a, flow.id, (r) => r.phase === 'exchanging');
  await b.update(flow.id, { status: 'pending', phases: ['waiting'] }, { phase: 'exchanging', secrets: { begin: { verifier: 'v-123456789' }, code: 'code-abcdefgh' } });
  assert.equal((await heardCode).secrets?.code, 'code-abcdefgh');

  // the commit point needs the lease: B (no lease) is refused, and nothing changed
  assert.equal(await b.update(flow.id, { status: 'pending', phases: ['waiting', 'exchanging'] }, { phase: 'committing' }), undefined);
  await a.ops.acquireLease(flow.id, 'replica-a', 5000);
  // cancel and commit from the same state: exactly one wins
  const [cancelled, committed] = await Promise.all([
    b.update(flow.id, { status: 'pending', phases: ['starting', 'waiting', 'exchanging'] }, { status: 'cancelled', phase: 'ended', endedAt: Date.now() }),
    a.update(flow.id, { status: 'pending', phases: ['waiting', 'exchanging'] }, { phase: 'committing' }),
  ]);
  assert.equal([cancelled, committed].filter(Boolean).length, 1, 'one of cancel and commit wins');
  const end = cancelled ?? (await a.update(flow.id, { status: 'pending' }, { status: 'success', phase: 'ended', endedAt: Date.now() }));
  assert.ok(end && end.phase === 'ended');
  assert.equal(await b.update(flow.id, { status: 'pending' }, { status: 'error', phase: 'ended', error: 'late' }), undefined, 'an ended flow never changes');
  assert.equal((await b.get(flow.id))?.status, end.status);
});

test('a new expiresAt moves the deadline: the sweep ends the flow as expired then, not before', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await Promise.all([replica(t, keys), replica(t, keys)]);
  const flow = draft();
  await a.create(flow, { maxPending: 10 });
  const expired = next(b, flow.id, (r) => r.status === 'expired');
  const movedAt = Date.now();
  await a.update(flow.id, { status: 'pending', phases: ['starting'] }, { phase: 'waiting', expiresAt: movedAt + 300, secrets: { begin: 'device-code-0123456789' } });
  const record = await expired;
  assert.ok(record.endedAt! >= movedAt + 300 - 20, `ended ${record.endedAt! - movedAt} ms after the new deadline was set`);
  assert.equal(await a.active(flow.providerId, flow.home), undefined, 'the single flight is free');
  // what is left: the record alone, kept five minutes; its secret sealed
  const left = await keysOf(a.ops.connection, keys);
  assert.deepEqual(left, [keys.flow(flow.id)]);
  const ttl = await a.ops.connection.client.pTTL(keys.flow(flow.id));
  assert.ok(ttl > 4 * 60_000 && ttl <= 5 * 60_000, `forgotten five minutes after the end (TTL ${ttl} ms)`);
  const raw = JSON.stringify(await a.ops.connection.client.hGetAll(keys.flow(flow.id)));
  assert.ok(!raw.includes('device-code-0123456789'), 'the device code is sealed in Redis');
  assert.equal((await b.get(flow.id))?.secrets?.begin, 'device-code-0123456789', 'and opens for another replica with the same key');
});
