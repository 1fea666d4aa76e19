/**
 * The connection when Redis is there, absent, killed and restarted, or hung: calls fail at once with a typed error
 * (a route answers 503), health says unreachable, nothing queues, nothing crashes, and it all resumes when Redis is
 * back. Each outage test has a redis-server of its own, which it stops and starts.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  RedisConfigError,
  RedisConnection,
  RedisUnavailableError,
  parseRedisUrl,
  reconnectDelay,
  redactedUrl,
  type ConnectionLogger,
  type ConnectionState,
  type RedisConnectionOptions,
} from '../../../src/flows/redis/connection.js';
import { RedisFlowOps } from '../../../src/flows/redis/ops.js';
import { silentLogger } from '../../../src/util/logger.js';
import { guarded } from '../../helpers/harness.js';
import { TEST_BOX, connect, flowInput, freshKeys, redisSkip, useRedisServer, type RedisServer } from './helpers.js';

const skip = redisSkip();

/** Resolves when `connection` next enters `state` (now, if it is there). */
function reaches(connection: RedisConnection, state: ConnectionState): Promise<void> {
  if (connection.state === state) return Promise.resolve();
  return guarded(
    new Promise<void>((resolve) => {
      const on = (s: ConnectionState) => {
        if (s !== state) return;
        connection.off('state', on);
        resolve();
      };
      connection.on('state', on);
    }),
    `the connection to become ${state}`,
  );
}

/** Runs `call` expecting a RedisUnavailableError; returns it with the time the call took. */
async function unavailable(call: () => Promise<unknown>): Promise<{ error: RedisUnavailableError; ms: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof RedisUnavailableError, `expected RedisUnavailableError, got ${String(error)}`);
    assert.equal(error.statusCode, 503);
    assert.equal(error.code, 'redis_unavailable');
    return { error, ms: performance.now() - started };
  }
  assert.fail('the call succeeded while Redis was away');
}

// The program's pino logger is what a connection is given in the server.
const _pinoFits: ConnectionLogger = silentLogger();

/** Log lines a connection writes, captured. */
function captureLog(): { lines: Array<{ level: string; obj: object; msg: string }>; logger: ConnectionLogger } {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  return {
    lines,
    logger: {
      info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
      warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj, msg }),
    },
  };
}

function open(t: TestContext, server: RedisServer, options: Partial<RedisConnectionOptions> = {}): RedisConnection {
  const connection = RedisConnection.open({ url: server.url, ...options });
  t.after(() => connection.close());
  return connection;
}

test('the Redis URL must be redis:// or rediss://, and errors and logs never show its password', () => {
  assert.equal(parseRedisUrl('redis://127.0.0.1:6379').port, '6379');
  assert.equal(parseRedisUrl(' rediss://user:pw@cache.internal:6380/2 ').protocol, 'rediss:');
  assert.equal(redactedUrl(parseRedisUrl('rediss://user:s3cr3t-pw@cache.internal:6380/2')), 'rediss://***@cache.internal:6380/2');
  assert.equal(redactedUrl(parseRedisUrl('redis://cache:6379')), 'redis://cache:6379');
  const bad: Array<[string | undefined, RegExp]> = [
    [undefined, /could not be read as a URL/],
    ['cache:6379', /must start with redis:\/\/ or rediss:\/\//],
    ['http://user:s3cr3t-pw@cache:6379', /must start with redis:\/\//],
    ['redis://user:s3cr3t-pw@cache:6379/keys', /database number/],
    ['not a url s3cr3t-pw', /could not be read/],
  ];
  for (const [value, message] of bad) {
    assert.throws(
      () => parseRedisUrl(value),
      (error: Error) => error instanceof RedisConfigError && message.test(error.message) && /HERMES_ONBOARD_REDIS_URL/.test(error.message) && !error.message.includes('s3cr3t-pw'),
      String(value),
    );
  }
  assert.throws(() => parseRedisUrl('ftp://x', '--redis-url'), /--redis-url must start/);
});

test('reconnection backs off exponentially with jitter, capped', () => {
  for (let retries = 0; retries < 40; retries++) {
    const ceiling = Math.min(2000, 50 * 2 ** retries);
    for (let i = 0; i < 20; i++) {
      const delay = reconnectDelay(retries, 50, 2000);
      assert.ok(delay >= Math.floor(ceiling / 2) && delay <= ceiling, `retry ${retries}: ${delay}`);
    }
  }
  assert.ok(new Set(Array.from({ length: 50 }, () => reconnectDelay(10, 50, 2000))).size > 5, 'replicas do not retry in lockstep');
});

test('health is reachable with the round trip while Redis answers', { skip }, async (t) => {
  const server = await useRedisServer(t);
  const connection = await connect(t, server);
  const health = await connection.health();
  assert.ok(health.redis === 'reachable' && health.latencyMs >= 0, JSON.stringify(health));
  assert.equal(connection.state, 'ready');
});

test('a replica started while Redis is away runs: calls fail at once, health is unreachable, and it connects when Redis comes', { skip }, async (t) => {
  const server = await useRedisServer(t);
  await server.stop();
  // A long command timeout: a call that waited for it would show; failing fast means not waiting at all.
  const connection = open(t, server, { commandTimeoutMs: 10_000, reconnectMaxMs: 200 });
  const ops = new RedisFlowOps(connection, TEST_BOX, { keys: freshKeys() });
  assert.equal(connection.state, 'connecting');
  const { error, ms } = await unavailable(() => ops.create(flowInput()));
  assert.equal(error.reason, 'offline');
  assert.equal(error.outcomeUnknown, false, 'nothing was sent: the caller knows nothing happened');
  assert.ok(ms < 1000, `failed fast (${ms.toFixed(1)} ms)`);
  assert.deepEqual(await connection.health(), { redis: 'unreachable', reason: 'offline' });

  await server.start();
  await guarded(connection.ready(), 'the connection once Redis started');
  assert.equal((await ops.create(flowInput())).outcome, 'created');
});

test('Redis killed mid-life: every call fails fast (no queue), once logged; after the restart calls and scripts work again', { skip }, async (t) => {
  const server = await useRedisServer(t);
  const log = captureLog();
  const connection = await connect(t, server, { commandTimeoutMs: 10_000, reconnectMaxMs: 200, logger: log.logger });
  const keys = freshKeys();
  const ops = new RedisFlowOps(connection, TEST_BOX, { keys });
  const before = flowInput();
  assert.equal((await ops.create(before)).outcome, 'created');

  await server.stop();
  await reaches(connection, 'down');
  const calls = await Promise.all(Array.from({ length: 100 }, () => unavailable(() => ops.read(before.id))));
  assert.ok(calls.every((c) => c.error.reason === 'offline' && !c.error.outcomeUnknown));
  const slowest = Math.max(...calls.map((c) => c.ms));
  assert.ok(slowest < 1000, `100 calls all failed at once (slowest ${slowest.toFixed(1)} ms)`);
  assert.equal((await connection.health()).redis, 'unreachable');
  assert.equal(connection.client.isReady, false);

  await server.start();
  await reaches(connection, 'ready');
  // The restarted Redis kept nothing (no persistence in tests) and has no scripts loaded: EVALSHA falls back to EVAL.
  assert.equal(await ops.read(before.id), undefined);
  const after = flowInput();
  assert.equal((await ops.create(after)).outcome, 'created');
  assert.equal((await ops.transition({ id: after.id, from: [{ status: 'pending', phase: 'starting' }], to: { status: 'cancelled', phase: 'ended' } })).outcome, 'ok');
  assert.equal((await connection.health()).redis, 'reachable');

  assert.deepEqual(log.lines.map((l) => l.level), ['warn', 'info'], 'one line when Redis went away, one when it came back');
  assert.deepEqual(log.lines[0]!.obj, { redis: redactedUrl(new URL(server.url)) });
});

test('a call in flight when Redis dies fails at once with "outcome unknown", not after the command timeout', { skip }, async (t) => {
  const server = await useRedisServer(t);
  const connection = await connect(t, server, { commandTimeoutMs: 10_000, reconnectMaxMs: 200 });
  const ops = new RedisFlowOps(connection, TEST_BOX, { keys: freshKeys() });
  // Freeze Redis so the call is surely on the wire, unanswered, when the process dies.
  server.pause();
  const inFlight = unavailable(() => ops.create(flowInput()));
  await new Promise<void>((resolve) => setImmediate(resolve));
  await server.stop();
  const { error, ms } = await inFlight;
  assert.equal(error.reason, 'lost');
  assert.equal(error.outcomeUnknown, true, 'it may have run: the caller must read the state back');
  assert.ok(ms < 5000, `failed when the connection dropped, not at the 10 s timeout (${ms.toFixed(1)} ms)`);
});

test('a hung Redis (alive socket, no answers): calls fail after the command timeout, the connection is re-made, all resumes', { skip }, async (t) => {
  const server = await useRedisServer(t);
  const connection = await connect(t, server, { commandTimeoutMs: 300, pingIntervalMs: 100, socketTimeoutMs: 600, reconnectMaxMs: 100 });
  const ops = new RedisFlowOps(connection, TEST_BOX, { keys: freshKeys() });
  const input = flowInput();
  assert.equal((await ops.create(input)).outcome, 'created');

  server.pause();
  t.after(() => server.resume());
  // The script reached the socket before the freeze: it may or may not have run, and the error says so.
  const { error, ms } = await unavailable(() => ops.transition({ id: input.id, from: [{ status: 'pending', phase: 'starting' }], to: { status: 'pending', phase: 'polling' } }));
  assert.equal(error.reason, 'timeout');
  assert.equal(error.outcomeUnknown, true);
  assert.ok(ms >= 250 && ms < 3000, `failed after the 300 ms command timeout (${ms.toFixed(1)} ms)`);
  assert.deepEqual(await connection.health(200), { redis: 'unreachable', reason: 'timeout' });

  // The silent connection is dropped after the socket timeout; from then on calls fail at once instead of waiting.
  await reaches(connection, 'down');
  const fast = await unavailable(() => ops.read(input.id));
  assert.equal(fast.error.reason, 'offline');

  server.resume();
  await reaches(connection, 'ready');
  const record = await ops.read(input.id);
  assert.ok(record, 'Redis kept its data through the freeze');
  // Whatever became of the timed-out call, the flow is in one of the two states it allowed, never a third.
  assert.ok(['starting', 'polling'].includes(record.state.phase), record.state.phase);
});

test('closing works while Redis is away, and a closed connection refuses calls', { skip }, async (t) => {
  const server = await useRedisServer(t);
  const connection = await connect(t, server, { reconnectMaxMs: 100 });
  await server.stop();
  await reaches(connection, 'down');
  await guarded(connection.close(), 'close while Redis is away');
  assert.equal(connection.state, 'closed');
  assert.equal((await unavailable(() => connection.run((c) => c.ping()))).error.reason, 'closed');
  await assert.rejects(connection.ready(), RedisUnavailableError);
});
