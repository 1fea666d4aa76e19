/**
 * Who drives a flow (the lease) and the shared start rate limit, against a real redis-server. Both are timed by
 * Redis' own clock; where a test must see a TTL run out it waits for exactly the time Redis said was left (plus a
 * few ms), a few hundred ms at most: Redis has no clock a test can move, and these TTLs are the feature under test.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { flowInput, freshKeys, keysOf, opsFor, redisSkip, useRedisServer, type RedisServer } from './helpers.js';

const skip = redisSkip();
const server = skip === undefined ? await useRedisServer({ after }) : undefined;
function redis(): RedisServer {
  if (!server) throw new Error('no redis-server (the test should have been skipped)');
  return server;
}

/** Extra real time past a TTL Redis reported, for timer and clock granularity. */
const MARGIN_MS = 50;

test('one replica holds the lease; another takes over only after the holder stops renewing and the TTL runs out', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await Promise.all([opsFor(t, redis(), keys), opsFor(t, redis(), keys)]);
  const input = flowInput();
  await a.create(input);
  const id = input.id;
  const TTL = 300;

  assert.deepEqual(await a.acquireLease(id, 'replica-a', TTL), { outcome: 'acquired', previousDriver: undefined });
  const held = await b.acquireLease(id, 'replica-b', TTL);
  assert.ok(held.outcome === 'held' && held.msLeft > 0 && held.msLeft <= TTL, JSON.stringify(held));
  assert.equal(await b.renewLease(id, 'replica-b', TTL), 'lost', 'a non-holder cannot renew');
  assert.equal(await b.releaseLease(id, 'replica-b'), false, 'a non-holder cannot release');
  assert.deepEqual(await a.acquireLease(id, 'replica-a', TTL), { outcome: 'renewed' });
  assert.equal(await a.renewLease(id, 'replica-a', TTL), 'renewed');
  assert.equal(await a.connection.client.get(keys.lease(id)), 'replica-a');

  // A's last renewal; then it renews no more (it died). B is refused until the TTL Redis reports runs out.
  assert.equal(await a.renewLease(id, 'replica-a', TTL), 'renewed');
  const stillHeld = await b.acquireLease(id, 'replica-b', TTL);
  assert.ok(stillHeld.outcome === 'held' && stillHeld.msLeft > 0 && stillHeld.msLeft <= TTL, 'not before the TTL ran out');
  await wait(stillHeld.msLeft + MARGIN_MS);
  const taken = await b.acquireLease(id, 'replica-b', 30_000);
  assert.deepEqual(taken, { outcome: 'acquired', previousDriver: 'replica-a' }, 'the taker learns it took over from replica-a');
  assert.equal((await b.read(id))?.driver, 'replica-b');

  // The old holder wakes up: its lease is lost for good, and it can no longer change the flow when it names itself.
  assert.equal(await a.renewLease(id, 'replica-a', TTL), 'lost');
  assert.equal((await a.transition({ id, from: [{ status: 'pending', phase: 'starting' }], to: { status: 'pending', phase: 'polling' }, owner: 'replica-a' })).outcome, 'not_owner');
  assert.equal((await b.transition({ id, from: [{ status: 'pending', phase: 'starting' }], to: { status: 'pending', phase: 'polling' }, owner: 'replica-b' })).outcome, 'ok');

  // Release hands the flow over at once.
  assert.equal(await b.releaseLease(id, 'replica-b'), true);
  assert.deepEqual(await a.acquireLease(id, 'replica-a', TTL), { outcome: 'acquired', previousDriver: 'replica-b' });
  assert.equal((await a.acquireLease('no-such-flow', 'replica-a', TTL)).outcome, 'missing');
});

test('many replicas racing for a free lease: exactly one gets it', { skip }, async (t) => {
  const keys = freshKeys();
  const all = await Promise.all(Array.from({ length: 10 }, () => opsFor(t, redis(), keys)));
  const input = flowInput();
  await all[0]!.create(input);
  const results = await Promise.all(all.map((ops, i) => ops.acquireLease(input.id, `replica-${i}`, 30_000)));
  assert.equal(results.filter((r) => r.outcome === 'acquired').length, 1);
  assert.equal(results.filter((r) => r.outcome === 'held').length, 9);
  const ttl = await all[0]!.connection.client.pTTL(keys.lease(input.id));
  assert.ok(ttl > 0 && ttl <= 30_000, `the lease key has its TTL (${ttl})`);
});

test('the start rate limit is counted across replicas, per client, and says when to retry', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b, c] = await Promise.all([opsFor(t, redis(), keys), opsFor(t, redis(), keys), opsFor(t, redis(), keys)]);
  const client = '203.0.113.9';
  for (const ops of [a, b, c]) assert.deepEqual(await ops.takeStart(client, 3), { allowed: true, retryAfterSeconds: 0 });
  for (const ops of [a, b, c]) {
    const refused = await ops.takeStart(client, 3);
    assert.ok(!refused.allowed && refused.retryAfterMs > 59_000 && refused.retryAfterMs <= 60_000, JSON.stringify(refused));
    assert.equal(refused.retryAfterSeconds, 60);
  }
  assert.equal((await a.takeStart('203.0.113.10', 3)).allowed, true, 'another client has its own window');
  assert.equal(await a.connection.client.zCard(keys.rate(client)), 3, 'refused starts are not counted');
  const ttl = await a.connection.client.pTTL(keys.rate(client));
  assert.ok(ttl > 59_000 && ttl <= 60_000, `the window key lives one window (${ttl})`);
  assert.deepEqual(await a.takeStart(client, 0), { allowed: true, retryAfterSeconds: 0 }, 'a limit of 0 means no limit');

  // Racing replicas never let more than the limit through.
  const raced = await Promise.all(Array.from({ length: 12 }, (_, i) => [a, b, c][i % 3]!.takeStart('198.51.100.1', 5)));
  assert.equal(raced.filter((r) => r.allowed).length, 5);
});

test('the window slides: a refused client may start again once its oldest start leaves the window', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await Promise.all([opsFor(t, redis(), keys), opsFor(t, redis(), keys)]);
  const WINDOW = 2_000; // wide, so a stall of the machine between two steps cannot move a start across the edge
  // Waits below are real time for Redis' clock (it cannot be moved from a test): half a window between the two
  // starts, so that when the first leaves the window the second is still in it.
  assert.equal((await a.takeStart('c', 2, WINDOW)).allowed, true);
  await wait(WINDOW / 2);
  assert.equal((await b.takeStart('c', 2, WINDOW)).allowed, true);
  const refused = await a.takeStart('c', 2, WINDOW);
  assert.ok(!refused.allowed && refused.retryAfterMs > 0 && refused.retryAfterMs <= WINDOW / 2 + MARGIN_MS, JSON.stringify(refused));
  assert.equal(refused.retryAfterSeconds, 1, 'Retry-After is whole seconds, at least 1');
  await wait(refused.retryAfterMs + MARGIN_MS);
  // The first start left the window, the second is still in it: exactly one more start fits.
  assert.equal((await b.takeStart('c', 2, WINDOW)).allowed, true);
  assert.equal((await a.takeStart('c', 2, WINDOW)).allowed, false);
  // The key expires with the window: nothing is left behind once a client stops starting.
  const ttl = await a.connection.client.pTTL(keys.rate('c'));
  assert.ok(ttl > 0 && ttl <= WINDOW);
  await wait(ttl + MARGIN_MS);
  assert.deepEqual(await keysOf(a.connection, keys), []);
});
