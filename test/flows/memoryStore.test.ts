/** The in-memory FlowStore keeps the invariants every store must: single flight, the bound, compare-and-set, expiry, forgetting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowRecord } from '../../src/flows/flow.js';
import { MemoryFlowStore } from '../../src/flows/memoryStore.js';
import { ENDED_FLOW_TTL_MS } from '../../src/limits.js';
import { ManualClock } from '../helpers/clock.js';

function draft(clock: ManualClock, id: string, home = '/h'): FlowRecord {
  return { id, providerId: 'p', profile: 'default', home, kind: 'device_code', status: 'pending', phase: 'starting', createdAt: clock.now(), expiresAt: clock.now() + 30_000 };
}

test('create: one flow per provider and home (also while starting), and no more than maxPending', async () => {
  const clock = new ManualClock();
  const store = new MemoryFlowStore(clock);
  assert.equal((await store.create(draft(clock, 'a'), { maxPending: 2 })).kind, 'created');
  const again = await store.create(draft(clock, 'b'), { maxPending: 2 });
  assert.equal(again.kind, 'joined');
  assert.equal(again.kind === 'joined' && again.record.id, 'a');
  assert.equal((await store.create(draft(clock, 'c', '/other'), { maxPending: 2 })).kind, 'created');
  assert.equal((await store.create(draft(clock, 'd', '/third'), { maxPending: 2 })).kind, 'full');
  assert.equal(await store.countActive(), 2);
  await store.update('a', { status: 'pending' }, { status: 'cancelled', phase: 'ended', endedAt: clock.now() });
  assert.equal(await store.countActive(), 1, 'an end frees the slot');
  assert.equal(await store.active('p', '/h'), undefined, 'and the key');
  assert.equal((await store.create(draft(clock, 'e'), { maxPending: 2 })).kind, 'created');
  await store.close();
});

test('update is a compare-and-set: a change that does not match changes nothing and tells no one', async () => {
  const clock = new ManualClock();
  const store = new MemoryFlowStore(clock);
  await store.create(draft(clock, 'a'), { maxPending: 10 });
  const heard: string[] = [];
  store.subscribe('a', (r) => heard.push(`${r.status}/${r.phase}`));
  assert.ok(await store.update('a', { status: 'pending', phases: ['starting'] }, { phase: 'waiting' }));
  assert.ok(await store.update('a', { status: 'pending', phases: ['waiting'] }, { phase: 'committing' }), 'the commit point');
  assert.equal(await store.update('a', { status: 'pending', phases: ['starting', 'waiting', 'exchanging'] }, { status: 'cancelled', phase: 'ended' }), undefined, 'cancel no longer wins');
  assert.ok(await store.update('a', { status: 'pending' }, { status: 'success', phase: 'ended', endedAt: clock.now() }));
  assert.equal(await store.update('a', { status: 'pending' }, { status: 'error', phase: 'ended' }), undefined, 'an end is final');
  assert.equal(await store.update('nope', {}, { phase: 'waiting' }), undefined);
  assert.deepEqual(heard, ['pending/waiting', 'pending/committing', 'success/ended']);
  await store.close();
});

test('a waiting flow expires at its expiresAt through the store; starting and committing flows do not', async () => {
  const clock = new ManualClock();
  const store = new MemoryFlowStore(clock);
  for (const id of ['waits', 'starts', 'commits']) await store.create(draft(clock, id, `/${id}`), { maxPending: 10 });
  await store.update('waits', { phases: ['starting'] }, { phase: 'waiting' });
  await store.update('commits', { phases: ['starting'] }, { phase: 'committing' });
  await clock.advance(30_000);
  assert.equal((await store.get('waits'))?.status, 'expired');
  assert.equal((await store.get('waits'))?.endedAt, clock.now());
  assert.equal((await store.get('starts'))?.status, 'pending');
  assert.equal((await store.get('commits'))?.status, 'pending');
  await store.close();
});

test('ended flows are forgotten ENDED_FLOW_TTL_MS after their end; remove forgets at once', async () => {
  const clock = new ManualClock();
  const store = new MemoryFlowStore(clock);
  await store.create(draft(clock, 'a'), { maxPending: 10 });
  await store.create(draft(clock, 'b', '/b'), { maxPending: 10 });
  await store.update('a', {}, { status: 'cancelled', phase: 'ended', endedAt: clock.now() });
  await clock.advance(ENDED_FLOW_TTL_MS - 1);
  assert.ok(await store.get('a'));
  await clock.advance(1);
  assert.equal(await store.get('a'), undefined);
  await store.remove('b');
  assert.equal(await store.get('b'), undefined);
  assert.equal(await store.countActive(), 0);
  assert.equal(clock.pendingTimers, 0);
  await store.close();
});
