/**
 * The flow scripts against a real redis-server: single flight and the pending bound under racing clients, the
 * compare-and-set of status and phase (cancel against commit, ended flows frozen), TTLs on every key, expiry, and
 * no secret in clear anywhere in Redis.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorReply, RESP_TYPES, createClient } from 'redis';
import { RedisUnavailableError } from '../../../src/flows/redis/connection.js';
import type { FlowKeys } from '../../../src/flows/redis/keys.js';
import { DEFAULT_RETENTION_MS, type RedisFlowOps } from '../../../src/flows/redis/ops.js';
import { END_STATUSES, type FlowState, type TransitionResult } from '../../../src/flows/redis/scripts.js';
import { SecretBoxError } from '../../../src/util/secretBox.js';
import { connect, flowInput, freshKeys, keysOf, opsFor, redisSkip, useRedisServer, type RedisServer } from './helpers.js';

const skip = redisSkip();
const server = skip === undefined ? await useRedisServer({ after }) : undefined;
function redis(): RedisServer {
  if (!server) throw new Error('no redis-server (the test should have been skipped)');
  return server;
}

const STARTING: FlowState = { status: 'pending', phase: 'starting' };
const POLLING: FlowState = { status: 'pending', phase: 'polling' };
const COMMITTING: FlowState = { status: 'pending', phase: 'committing' };
const CANCELLABLE = [STARTING, POLLING];

/** `count` ops objects, each on its own connection: as many replicas. */
async function replicas(t: TestContext, keys: FlowKeys, count: number): Promise<RedisFlowOps[]> {
  return Promise.all(Array.from({ length: count }, () => opsFor(t, redis(), keys)));
}

/** A flow created and moved to pending/polling, as a driver would after the provider's first answer. */
async function pollingFlow(ops: RedisFlowOps, overrides: Parameters<typeof flowInput>[0] = {}): Promise<string> {
  const input = flowInput(overrides);
  const created = await ops.create(input);
  assert.equal(created.outcome, 'created');
  const moved = await ops.transition({ id: input.id, from: [STARTING], to: POLLING });
  assert.equal(moved.outcome, 'ok');
  return input.id;
}

const cancel = (ops: RedisFlowOps, id: string) => ops.transition({ id, from: CANCELLABLE, to: { status: 'cancelled', phase: 'ended' } });
const commit = (ops: RedisFlowOps, id: string) => ops.transition({ id, from: [POLLING], to: COMMITTING });

test('single flight: a second start for the same provider and home gets the pending flow; others get their own', { skip }, async (t) => {
  const keys = freshKeys();
  const [ops] = await replicas(t, keys, 1);
  const first = flowInput();
  const created = await ops!.create(first);
  assert.equal(created.outcome, 'created');
  assert.deepEqual(await ops!.create(flowInput()), { outcome: 'existing', id: first.id });
  assert.equal((await ops!.create(flowInput({ home: '/srv/hermes/profiles/other' }))).outcome, 'created');
  assert.equal((await ops!.create(flowInput({ provider: 'nous' }))).outcome, 'created');

  const record = await ops!.read(first.id);
  assert.ok(record && created.outcome === 'created');
  assert.deepEqual(record.state, STARTING);
  assert.equal(record.version, 1);
  assert.deepEqual(record.fields, first.fields);
  assert.equal(record.deadlineMs - record.createdMs, first.lifetimeMs);
  assert.equal(record.deadlineMs, created.deadlineMs);
  assert.equal(record.endedMs, undefined);
});

test('many replicas racing to start the same sign-in: exactly one flow is created, and every other start gets its id', { skip }, async (t) => {
  const keys = freshKeys();
  const all = await replicas(t, keys, 12);
  for (let round = 0; round < 5; round++) {
    const home = `/srv/hermes/profiles/race-${round}`;
    const results = await Promise.all(all.map((ops) => ops.create(flowInput({ home }))));
    const created = results.filter((r) => r.outcome === 'created');
    assert.equal(created.length, 1, JSON.stringify(results));
    const winner = created[0]!.outcome === 'created' ? created[0]!.id : '';
    for (const r of results) if (r.outcome === 'existing') assert.equal(r.id, winner);
  }
  const flows = (await keysOf(all[0]!.connection, keys)).filter((k) => k.startsWith(keys.flow('')));
  assert.equal(flows.length, 5);
  assert.equal(await all[0]!.connection.client.zCard(keys.pending), 5);
});

test('the pending bound holds when replicas race: exactly `max` flows are created, the rest hear "limit"', { skip }, async (t) => {
  const keys = freshKeys();
  const all = await replicas(t, keys, 16);
  const results = await Promise.all(all.map((ops, i) => ops.create(flowInput({ home: `/h/${i}`, maxPending: 4 }))));
  assert.equal(results.filter((r) => r.outcome === 'created').length, 4);
  assert.equal(results.filter((r) => r.outcome === 'limit').length, 12);
  assert.equal(await all[0]!.connection.client.zCard(keys.pending), 4);

  // Ending one frees exactly one slot.
  const anyCreated = results.find((r) => r.outcome === 'created');
  assert.ok(anyCreated?.outcome === 'created');
  assert.equal((await cancel(all[0]!, anyCreated.id)).outcome, 'ok');
  const again = await Promise.all(all.slice(0, 6).map((ops, i) => ops.create(flowInput({ home: `/again/${i}`, maxPending: 4 }))));
  assert.equal(again.filter((r) => r.outcome === 'created').length, 1);
});

test('cancel racing the commit on another replica: exactly one wins, every time, and the flow shows that one', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await replicas(t, keys, 2);
  const wins = { cancel: 0, commit: 0 };
  for (let round = 0; round < 40; round++) {
    const id = await pollingFlow(a!, { home: `/h/${round}` });
    // Alternate who sends first, so both orders of arrival are tried.
    const [c, m] = round % 2 === 0 ? await Promise.all([cancel(b!, id), commit(a!, id)]) : (await Promise.all([commit(a!, id), cancel(b!, id)])).reverse();
    assert.equal([c!, m!].filter((r) => r.outcome === 'ok').length, 1, JSON.stringify([c, m]));
    const record = await a!.read(id);
    if (c!.outcome === 'ok') {
      wins.cancel++;
      assert.deepEqual(record?.state, { status: 'cancelled', phase: 'ended' });
      assert.equal(m!.outcome, 'ended');
    } else {
      wins.commit++;
      assert.deepEqual(record?.state, COMMITTING);
      assert.equal(c!.outcome, 'conflict');
      // Past the commit point cancel no longer wins; the driver ends the flow with the outcome of its write.
      assert.equal((await cancel(b!, id)).outcome, 'conflict');
      assert.equal((await a!.transition({ id, from: [COMMITTING], to: { status: 'success', phase: 'ended' } })).outcome, 'ok');
    }
  }
  t.diagnostic(`cancel won ${wins.cancel} races, commit won ${wins.commit}`);
});

test('an ended flow never changes, whatever a caller allows', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await replicas(t, keys, 2);
  for (const end of END_STATUSES) {
    const id = await pollingFlow(a!, { home: `/h/${end}` });
    assert.equal((await a!.transition({ id, from: [POLLING], to: { status: end, phase: 'ended' }, fields: { error: `ended as ${end}` } })).outcome, 'ok');
    const before = await a!.connection.client.hGetAll(keys.flow(id));
    const everyState: FlowState[] = [STARTING, POLLING, COMMITTING, ...END_STATUSES.map((s) => ({ status: s, phase: 'ended' }))];
    for (const to of everyState) {
      const results: TransitionResult[] = await Promise.all([
        b!.transition({ id, from: everyState, to, fields: { error: 'changed' } }),
        a!.transition({ id, from: everyState, to, secret: { device_code: 'new' } }),
      ]);
      for (const r of results) assert.equal(r.outcome, 'ended', `${end} → ${to.status}/${to.phase}`);
    }
    assert.deepEqual(await a!.connection.client.hGetAll(keys.flow(id)), before, `the ${end} record is unchanged`);
    assert.equal((await a!.acquireLease(id, 'replica-x', 10_000)).outcome, 'ended');
  }
});

test('a change is made only from an allowed state, and by the lease holder when an owner is named', { skip }, async (t) => {
  const keys = freshKeys();
  const [a] = await replicas(t, keys, 1);
  const input = flowInput();
  await a!.create(input);
  const id = input.id;
  assert.deepEqual(await a!.transition({ id, from: [POLLING], to: COMMITTING }), { outcome: 'conflict', state: STARTING, version: 1 });
  assert.deepEqual(await a!.transition({ id: 'no-such-flow', from: [STARTING], to: POLLING }), { outcome: 'missing' });
  assert.equal((await a!.transition({ id, from: [STARTING], to: POLLING, owner: 'replica-a' })).outcome, 'not_owner');
  assert.equal((await a!.acquireLease(id, 'replica-b', 10_000)).outcome, 'acquired');
  assert.equal((await a!.transition({ id, from: [STARTING], to: POLLING, owner: 'replica-a' })).outcome, 'not_owner');
  const moved = await a!.transition({ id, from: [STARTING], to: POLLING, owner: 'replica-b', fields: { interval: '5' } });
  assert.deepEqual(moved, { outcome: 'ok', state: POLLING, version: 2 });
  assert.equal((await a!.read(id))?.fields.interval, '5');
  await assert.rejects(() => a!.transition({ id, from: [POLLING], to: POLLING, fields: { status: 'success' } }), /written by the scripts only/);
  await assert.rejects(() => a!.create(flowInput({ home: '/x', fields: { deadline_ms: '0' } })), /written by the scripts only/);
  await assert.rejects(() => a!.transition({ id, from: [{ status: 'pending', phase: 'a b' }], to: POLLING }), /no spaces or slashes/);
});

test('every key has a TTL while pending; after the end only the record is left, kept five minutes, and the single flight is free', { skip }, async (t) => {
  const keys = freshKeys();
  const [a] = await replicas(t, keys, 1);
  const conn = a!.connection;
  const input = flowInput({ lifetimeMs: 60_000, secret: { device_code: 'dc-123456789' } });
  await a!.create(input);
  await a!.acquireLease(input.id, 'replica-a', 30_000);
  await a!.takeStart('203.0.113.7', 10);

  const pendingKeys = await keysOf(conn, keys);
  assert.deepEqual(pendingKeys, [keys.flow(input.id), keys.lease(input.id), keys.pending, keys.rate('203.0.113.7'), keys.singleFlight(input.provider, input.home)].sort());
  for (const key of pendingKeys) {
    const ttl = await conn.client.pTTL(key);
    assert.ok(ttl > 0 && ttl <= 60_000 + DEFAULT_RETENTION_MS, `${key} has a TTL while pending (${ttl})`);
  }

  await conn.client.del(keys.rate('203.0.113.7'));
  assert.equal((await cancel(a!, input.id)).outcome, 'ok');
  assert.deepEqual(await keysOf(conn, keys), [keys.flow(input.id)], 'single-flight key, pending set and lease are gone');
  const ttl = await conn.client.pTTL(keys.flow(input.id));
  assert.ok(ttl > DEFAULT_RETENTION_MS - 5000 && ttl <= DEFAULT_RETENTION_MS, `the ended record is forgotten in five minutes (${ttl} ms)`);
  const record = await a!.read(input.id);
  assert.ok(record?.endedMs !== undefined && record.endedMs >= record.createdMs);
  assert.equal((await a!.create(flowInput())).outcome, 'created', 'the single flight was released');
});

test('expiry: due flows end as expired (sweep, or on the next create); committing ones are left to their driver', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await replicas(t, keys, 2);
  // A lifetime of 0 puts the deadline at "now" on Redis' clock: due at once, without waiting. Every create sweeps
  // first, so each due flow is brought where the test wants it before the next create.
  const dueCommitting = await pollingFlow(a!, { lifetimeMs: 0, home: '/committing-no-lease' });
  assert.equal((await commit(a!, dueCommitting)).outcome, 'ok');
  const dueCommittingLeased = await pollingFlow(a!, { lifetimeMs: 0, home: '/committing-leased' });
  assert.equal((await commit(a!, dueCommittingLeased)).outcome, 'ok');
  assert.equal((await a!.acquireLease(dueCommittingLeased, 'replica-a', 30_000)).outcome, 'acquired');
  const notDue = await pollingFlow(a!, { home: '/not-due' });
  const due = flowInput({ lifetimeMs: 0, home: '/due' });
  await a!.create(due);

  const notes: string[] = [];
  const listener = await connect(t, redis());
  await listener.client.subscribe(keys.events, (message) => notes.push(message));

  const swept = await b!.sweep();
  assert.deepEqual(swept, { expired: [due.id], stuck: [dueCommitting] });
  assert.deepEqual((await a!.read(due.id))?.state, { status: 'expired', phase: 'ended' });
  assert.deepEqual((await a!.read(dueCommittingLeased))?.state, COMMITTING);
  assert.deepEqual((await a!.read(notDue))?.state, POLLING);
  assert.equal(await a!.connection.client.zCard(keys.pending), 3);
  assert.deepEqual(await b!.sweep(), { expired: [], stuck: [dueCommitting] }, 'a second sweep finds nothing new');

  // The per-flow decision: only once the deadline passed on Redis' clock.
  const early = await a!.transition({ id: notDue, from: CANCELLABLE, to: { status: 'expired', phase: 'ended' }, onlyWhenDue: true });
  assert.ok(early.outcome === 'not_due' && early.msLeft > 14 * 60_000 && early.msLeft <= 15 * 60_000, JSON.stringify(early));
  const late = await pollingFlow(a!, { lifetimeMs: 0, home: '/late' });
  assert.equal((await a!.transition({ id: late, from: CANCELLABLE, to: { status: 'expired', phase: 'ended' }, onlyWhenDue: true })).outcome, 'ok');

  // A due flow holds neither its single flight nor a pending slot: the next create expires it first.
  const dueAgain = flowInput({ lifetimeMs: 0, home: '/again' });
  await a!.create(dueAgain);
  const replacement = await a!.create(flowInput({ home: '/again', maxPending: 4 }));
  assert.equal(replacement.outcome, 'created', 'bound 4: three pending (two committing, one not due) plus the new one');
  assert.deepEqual((await a!.read(dueAgain.id))?.state, { status: 'expired', phase: 'ended' });
  await listener.client.unsubscribe(keys.events);
  assert.ok(notes.some((n) => JSON.parse(n).id === due.id && JSON.parse(n).status === 'expired'), 'the expiry was announced');
});

test('nothing secret is stored in clear: every key read raw (DUMP and by type) and every note holds no planted secret', { skip }, async (t) => {
  const keys = freshKeys();
  const [a, b] = await replicas(t, keys, 2);
  const planted = {
    device_code: `dc-PLANTED-${randomUUID()}`,
    code_verifier: `cv-PLANTED-${randomUUID()}`,
    authorization_code: `ac-PLANTED-${randomUUID()}`,
  };
  const notes: string[] = [];
  const listener = await connect(t, redis());
  await listener.client.subscribe(keys.events, (message) => notes.push(message));

  const one = flowInput({ secret: { device_code: planted.device_code }, home: '/one' });
  const two = flowInput({ secret: { code_verifier: planted.code_verifier }, home: '/two' });
  await a!.create(one);
  await b!.create(two);
  assert.equal((await b!.transition({ id: two.id, from: [STARTING], to: POLLING, secret: { ...planted } })).outcome, 'ok');
  await a!.acquireLease(one.id, 'replica-a', 30_000);
  await a!.takeStart('198.51.100.4', 5);
  assert.equal((await a!.transition({ id: one.id, from: [STARTING], to: POLLING })).outcome, 'ok');

  // The secrets are really there, sealed: each replica opens them.
  assert.deepEqual((await b!.read(one.id))?.secret, { device_code: planted.device_code });
  assert.deepEqual((await a!.read(two.id))?.secret, planted);

  const raw = createClient({ url: redis().url });
  await raw.connect();
  t.after(() => raw.close());
  const texts: string[] = [...notes];
  const allKeys = await keysOf(a!.connection, keys);
  assert.ok(allKeys.length >= 6, allKeys.join(' '));
  for (const key of allKeys) {
    texts.push(key);
    const dump = await raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).dump(key);
    if (dump) texts.push(dump.toString('latin1'));
    const type = await raw.type(key);
    if (type === 'string') texts.push(String(await raw.get(key)));
    else if (type === 'hash') texts.push(JSON.stringify(await raw.hGetAll(key)));
    else if (type === 'zset') texts.push(JSON.stringify(await raw.zRangeWithScores(key, 0, -1)));
    else assert.fail(`unexpected key type ${type} for ${key}`);
  }
  for (const text of texts) {
    for (const [name, value] of Object.entries(planted)) {
      assert.ok(!text.includes(value), `${name} is in clear in Redis or a note: ${text.slice(0, 200)}`);
      assert.ok(!text.includes(value.slice(-12)), `part of ${name} is in clear`);
    }
  }
  await listener.client.unsubscribe(keys.events);

  // A sealed secret copied into another flow's record (a swapped record) does not open there.
  const sealedOne = await raw.hGet(keys.flow(one.id), 'secret');
  assert.ok(sealedOne);
  await raw.hSet(keys.flow(two.id), 'secret', sealedOne);
  await assert.rejects(() => a!.read(two.id), SecretBoxError);
});

test('scripts run again after Redis forgot them (SCRIPT FLUSH, as after a restart), and a script error is not an outage', { skip }, async (t) => {
  const keys = freshKeys();
  const [a] = await replicas(t, keys, 1);
  const input = flowInput();
  assert.equal((await a!.create(input)).outcome, 'created');
  await a!.connection.client.scriptFlush();
  assert.equal((await a!.transition({ id: input.id, from: [STARTING], to: POLLING })).outcome, 'ok');

  // A flow id in use is refused by the script (a bug in the caller), and surfaces as Redis' error reply.
  await a!.connection.client.del(keys.singleFlight(input.provider, input.home));
  await assert.rejects(
    () => a!.create({ ...input }),
    (error: unknown) => error instanceof ErrorReply && !(error instanceof RedisUnavailableError) && /already in use/.test(error.message),
  );
});
