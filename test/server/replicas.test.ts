/**
 * Several replicas as one server: three `hermes-onboard serve` child processes sharing a real redis-server (with
 * an append-only file, so it can be killed and restarted with its data) and one Hermes home, signing in to the
 * Codex fake. Each test sends its requests to chosen or random replicas and waits on events (server-sent events,
 * the children's log lines, the fake's request gates), never on sleeps. Lease TTLs are short (HERMES_ONBOARD_LEASE_TTL_MS).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { startCodexFake, type CodexFake } from '../fakes/codexFake.js';
import { assertNoLeak } from '../helpers/harness.js';
import { redisSkip, useRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { CLI, childEnv, spawnServe, watchOutput, type ServeChild } from '../helpers/spawnServe.js';
import { sseEvents } from '../helpers/sse.js';

const skip = redisSkip();
const LEASE_TTL_MS = 1000;
const SECRET_KEY = randomBytes(32).toString('base64');

let profileCount = 0;

/** Every child this file started, killed when the file ends (an `after` inside a test would fire when that test ends). */
const children: ServeChild[] = [];
after(() => {
  for (const child of children) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
});

async function spawnReplica(extra: Record<string, string> = {}): Promise<ServeChild> {
  const child = await spawnServe({ home: root, env: { ...env, ...extra } });
  children.push(child);
  return child;
}

const redis: RedisServer = skip === undefined ? await useRedisServer({ after }, { persist: true }) : (undefined as never);
const fake: CodexFake = skip === undefined ? await startCodexFake({ interval: 1 }) : (undefined as never);
const root = mkdtempSync(path.join(os.tmpdir(), 'hermes-replicas-'));
after(async () => {
  if (skip === undefined) await fake.close();
  rmSync(root, { recursive: true, force: true });
});
const env: Record<string, string> = {
  HERMES_ONBOARD_REDIS_URL: skip === undefined ? redis.url : '',
  HERMES_ONBOARD_SECRET_KEY: SECRET_KEY,
  HERMES_ONBOARD_OPENAI_CODEX_ISSUER: skip === undefined ? fake.issuer : '',
  HERMES_ONBOARD_LEASE_TTL_MS: String(LEASE_TTL_MS),
  HERMES_ONBOARD_START_RATE: '0',
};
// one after the other: three cold starts at once on a loaded machine can outlast the start timeout
const replicas: ServeChild[] = [];
if (skip === undefined) for (let i = 0; i < 3; i++) replicas.push(await spawnReplica());

/** A fresh profile (its own single-flight key), made as Hermes Agent makes one: a folder under profiles/. */
function newProfile(): { name: string; home: string } {
  const name = `p${++profileCount}`;
  const home = path.join(root, 'profiles', name);
  mkdirSync(home, { recursive: true });
  return { name, home };
}

function pick(): ServeChild {
  return replicas[Math.floor(Math.random() * replicas.length)]!;
}

async function call(replica: ServeChild, method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${replica.url}${route}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const start = (r: ServeChild, profile: string) => call(r, 'POST', '/api/onboarding/oauth/start', { provider: 'openai-codex', profile });
const poll = (r: ServeChild, id: unknown) => call(r, 'GET', `/api/onboarding/oauth/poll?flow_id=${String(id)}`);
const cancel = (r: ServeChild, id: unknown) => call(r, 'POST', '/api/onboarding/oauth/cancel', { flow_id: id });

/** Opens the event stream of a flow on `replica`; `end()` resolves with the last status event and when it came. */
async function watch(replica: ServeChild, id: unknown): Promise<{ first: Record<string, unknown>; end: Promise<{ status: Record<string, unknown>; at: number }> }> {
  const res = await fetch(`${replica.url}/api/onboarding/oauth/events?flow_id=${String(id)}`);
  assert.equal(res.status, 200);
  const events = sseEvents(res.body!);
  const first = await events.next();
  assert.equal(first.done, false);
  const end = (async () => {
    let last = { status: JSON.parse(first.value!.data) as Record<string, unknown>, at: performance.now() };
    for await (const event of events) last = { status: JSON.parse(event.data) as Record<string, unknown>, at: performance.now() };
    return last;
  })();
  return { first: JSON.parse(first.value!.data) as Record<string, unknown>, end };
}

function codexSaved(home: string): boolean {
  const file = path.join(home, 'auth.json');
  if (!existsSync(file)) return false;
  const store = JSON.parse(readFileSync(file, 'utf8')) as { credential_pool?: Record<string, unknown[]> };
  return (store.credential_pool?.['openai-codex']?.length ?? 0) > 0;
}

test('start on A, poll on B, cancel on C: one flow, seen and ended from every replica', { skip }, async () => {
  const [a, b, c] = replicas as [ServeChild, ServeChild, ServeChild];
  const { name, home } = newProfile();
  const started = await start(a, name);
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const id = started.body.flow_id;
  assert.deepEqual((await poll(b, id)).body, { ok: true, provider: 'openai-codex', flow_id: id, status: 'pending' });
  assert.equal((await cancel(c, id)).body.status, 'cancelled');
  for (const r of replicas) assert.equal((await poll(r, id)).body.status, 'cancelled');
  // the driver on A stopped polling the provider: no credential appears even if the user approves now
  fake.approve(String(started.body.user_code));
  assert.equal(codexSaved(home), false);
  const again = await start(b, name);
  assert.notEqual(again.body.flow_id, id, 'the single flight is free again after the cancel');
  await cancel(pick(), again.body.flow_id);
});

test('single flight holds across replicas: concurrent starts on all three get one flow and one provider request', { skip }, async () => {
  const { name } = newProfile();
  const before = fake.counts.usercode;
  const answers = await Promise.all(replicas.map((r) => start(r, name)));
  for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const ids = new Set(answers.map((x) => x.body.flow_id));
  assert.equal(ids.size, 1, `one flow for all three: ${[...ids].join(', ')}`);
  assert.equal(fake.counts.usercode - before, 1, 'the provider was asked for one code');
  const [id] = ids;
  assert.equal((await cancel(pick(), id)).body.status, 'cancelled');
});

test('a sign-in started on one replica completes on any: success seen by server-sent events on another within 100 ms', { skip }, async () => {
  const [a, b, c] = replicas as [ServeChild, ServeChild, ServeChild];
  const { name, home } = newProfile();
  const started = await start(a, name);
  const id = started.body.flow_id;
  const stream = await watch(b, id);
  assert.equal(stream.first.status, 'pending');
  fake.approve(String(started.body.user_code), { email: 'ada@example.com' });
  const ended = await stream.end;
  assert.equal(ended.status.status, 'success');
  assert.equal(codexSaved(home), true);
  assert.equal((await poll(c, id)).body.status, 'success');

  // A change made on C (a cancel) reaches B's stream within 100 ms, counted from before the cancel was even sent.
  const second = await start(a, newProfile().name);
  const onB = await watch(b, second.body.flow_id);
  const sentAt = performance.now();
  const cancelled = await cancel(c, second.body.flow_id);
  assert.equal(cancelled.body.status, 'cancelled');
  const seen = await onB.end;
  assert.equal(seen.status.status, 'cancelled');
  const lag = seen.at - sentAt;
  process.stdout.write(`# a cancel sent to C reached B's event stream ${lag.toFixed(1)} ms after it was sent\n`);
  assert.ok(lag < 100, `the event reached replica B ${lag.toFixed(1)} ms after the cancel was sent to C`);
});

test('cancel wins before the commit point on another replica; racing the commit, never cancelled with credentials saved', { skip }, async () => {
  const [a, , c] = replicas as [ServeChild, ServeChild, ServeChild];
  /** A flow started on A, approved, and held at its exchange (the last provider call before the commit point), watched from C. */
  const heldAtExchange = async () => {
    const { name, home } = newProfile();
    const started = await start(a, name);
    const gate = fake.holdExchange();
    const done = await watch(c, started.body.flow_id);
    fake.approve(String(started.body.user_code));
    await gate.reached;
    return { home, started, gate, done };
  };
  // Before the commit point: the exchange is held while C cancels.
  {
    const { home, started, gate, done } = await heldAtExchange();
    assert.equal((await cancel(c, started.body.flow_id)).body.status, 'cancelled');
    gate.release();
    assert.equal((await done.end).status.status, 'cancelled');
    // A got its credentials after the cancel; its commit was refused in Redis, so nothing was written
    for (const r of replicas) assert.equal((await poll(r, started.body.flow_id)).body.status, 'cancelled');
    assert.equal(codexSaved(home), false, 'a cancelled flow wrote no credentials');
  }
  // Racing: the cancel on C and the commit on A are let go together; whichever wins, the outcome is coherent.
  const outcomes: string[] = [];
  for (let round = 0; round < 3; round++) {
    const { home, started, gate, done } = await heldAtExchange();
    const answer = cancel(c, started.body.flow_id);
    gate.release();
    const cancelAnswer = (await answer).body.status;
    const end = (await done.end).status.status;
    assert.equal(cancelAnswer, end, 'the cancel answers the true end');
    if (end === 'cancelled') assert.equal(codexSaved(home), false, 'cancelled, so nothing may be saved');
    else assert.equal(end === 'success' && codexSaved(home), true, `ended ${String(end)}`);
    outcomes.push(String(end));
  }
  process.stdout.write(`# cancel/commit races: ${outcomes.join(', ')}\n`);
});

test('SIGKILL of the driving replica mid-flow: another takes it over within the lease TTL and the sign-in completes', { skip }, async () => {
  const [a, b] = replicas as [ServeChild, ServeChild, ServeChild];
  const { name, home } = newProfile();
  const started = await start(a, name);
  const id = String(started.body.flow_id);
  await fake.waitForRequests('poll', fake.counts.poll + 1); // A is polling the provider
  const stream = await watch(b, id);
  const takeovers = replicas.slice(1).map((r) => r.waitForLine(`"flow":"${id}"`, 20_000).then((line) => ({ r, line })));
  const killedAt = performance.now();
  a.proc.kill('SIGKILL');
  await a.exited;
  const taker = await Promise.any(takeovers);
  const tookMs = performance.now() - killedAt;
  assert.match(taker.line, /taken over/);
  process.stdout.write(`# taken over ${tookMs.toFixed(0)} ms after the SIGKILL (lease TTL ${LEASE_TTL_MS} ms)\n`);
  // the lease lapses at most one TTL after A's last renewal, and a look comes every quarter TTL
  assert.ok(tookMs < LEASE_TTL_MS * 1.25 + 1000, `taken over after ${tookMs.toFixed(0)} ms`);
  fake.approve(String(started.body.user_code));
  assert.equal((await stream.end).status.status, 'success');
  assert.equal(codexSaved(home), true);
  assert.equal((await poll(b, id)).body.status, 'success');
  replicas[0] = await spawnReplica(); // back to three for the tests after this one
});

test('Redis stopped and restarted mid-flow: 503s and degraded health meanwhile, no crash, and the flow completes after', { skip }, async () => {
  const { name, home } = newProfile();
  const started = await start(pick(), name);
  const id = started.body.flow_id;
  // each replica's command connection says when it is back (its event subscriber says so in a line of its own)
  const backAgain = replicas.map((r) => r.waitForLine('"role":"commands","msg":"Redis is reachable again', 20_000));
  await redis.stop();
  for (const r of replicas) {
    const health = await call(r, 'GET', '/api/health');
    assert.equal(health.status, 503);
    assert.deepEqual(health.body, { ok: false, redis: 'unreachable' });
    const refused = await start(r, newProfile().name);
    assert.equal(refused.status, 503);
    assert.match(String(refused.body.error), /Redis.*unavailable.*try again/);
    assert.ok(refused.headers.get('retry-after'));
  }
  await redis.start();
  await Promise.all(backAgain);
  for (const r of replicas) {
    assert.equal(r.proc.exitCode, null, 'no replica crashed');
    assert.equal((await call(r, 'GET', '/api/health')).status, 200);
  }
  const stream = await watch(pick(), id);
  fake.approve(String(started.body.user_code));
  assert.equal((await stream.end).status.status, 'success');
  assert.equal(codexSaved(home), true);
});

test('the start rate limit is counted in Redis over every replica', { skip }, async () => {
  // two more replicas with a limit of 2 starts a minute per client: the third start is refused wherever it lands
  const limited = [await spawnReplica({ HERMES_ONBOARD_START_RATE: '2' }), await spawnReplica({ HERMES_ONBOARD_START_RATE: '2' })];
  const [x, y] = limited as [ServeChild, ServeChild];
  const first = await start(x, newProfile().name);
  const second = await start(y, newProfile().name);
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  const third = await start(x, newProfile().name);
  assert.equal(third.status, 429, JSON.stringify(third.body));
  assert.ok(Number(third.headers.get('retry-after')) >= 1);
  for (const answer of [first, second]) await cancel(pick(), answer.body.flow_id);
  await Promise.all(limited.map((r) => r.stop()));
});

test('Redis holds no secret in clear and every key has a TTL, after all the flows above', { skip }, async () => {
  const client = createClient({ url: redis.url, RESP: 2 });
  await client.connect();
  after(() => client.close());
  // a flow still pending, so a sealed device code is in Redis while we look
  const pending = await start(pick(), newProfile().name);
  assert.equal(pending.status, 200);
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ COUNT: 1000 })) keys.push(...batch);
  assert.ok(keys.some((k) => k.includes(`flow:${String(pending.body.flow_id)}`)), 'the pending flow is there');
  const dumps: string[] = [];
  for (const key of keys) {
    const ttl = await client.pTTL(key);
    assert.ok(ttl > 0, `${key} has a TTL (${ttl})`);
    const type = await client.type(key);
    const raw = await client.sendCommand(['DUMP', key]);
    dumps.push(String(raw));
    if (type === 'string') dumps.push(String(await client.get(key)));
    else if (type === 'hash') dumps.push(JSON.stringify(await client.hGetAll(key)));
    else if (type === 'zset') dumps.push(JSON.stringify(await client.zRange(key, 0, -1)));
    else assert.fail(`unexpected key type ${type} for ${key}`);
  }
  assert.ok(fake.issued.length > 10, 'the fake handed out secrets to look for');
  assertNoLeak(dumps, fake.issued);
  // the replicas' own output holds none either
  assertNoLeak(replicas.flatMap((r) => [...r.output, r.stderr()]), fake.issued);
  await cancel(pick(), pending.body.flow_id);
});

/** Runs `serve` with Redis on, expecting it to refuse to start; resolves with its exit and what it printed. */
async function refusedServe(home: string, env: Record<string, string>, user?: number): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--home', home, '--redis-url', redis.url], {
    env: childEnv({ HOME: home, ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(user !== undefined && { uid: user, gid: user }),
  });
  const output = watchOutput(proc, 'serve');
  const exit = await output.exited;
  return { code: exit.code, stderr: output.stderr() };
}

test('serve with Redis refuses to start without HERMES_ONBOARD_SECRET_KEY, saying how to make one', { skip }, async () => {
  const home = newProfile().home;
  const refused = await refusedServe(home, {});
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /HERMES_ONBOARD_SECRET_KEY is required with HERMES_ONBOARD_REDIS_URL/);
  assert.match(refused.stderr, /openssl rand -base64 32/);
  const short = await refusedServe(home, { HERMES_ONBOARD_SECRET_KEY: 'too-short' });
  assert.equal(short.code, 2);
  assert.match(short.stderr, /HERMES_ONBOARD_SECRET_KEY must be 32 random bytes/);
});

test('serve with Redis refuses a Hermes home it cannot write (every replica writes auth.json there under flock)', { skip }, async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'hermes-readonly-'));
  after(() => rmSync(home, { recursive: true, force: true }));
  const key = { HERMES_ONBOARD_SECRET_KEY: SECRET_KEY };
  // As root, permissions do not stop us: run the child as `nobody`, for whom the root-owned 0755 home is read-only.
  const asRoot = process.getuid?.() === 0;
  if (!asRoot) chmodSync(home, 0o555);
  const refused = await refusedServe(home, key, asRoot ? 65534 : undefined);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /Hermes home .* is not writable by this process/);
  assert.match(refused.stderr, /flock/);
  const file = path.join(home, 'not-a-folder');
  chmodSync(home, 0o755);
  writeFileSync(file, '');
  const notFolder = await refusedServe(file, key);
  assert.equal(notFolder.code, 2);
  assert.match(notFolder.stderr, /is not a folder/);
});
