/** Shared by the Redis tests: connections to the file's redis-server, closed when the test ends, and flow fixtures. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { RedisConnection, type RedisConnectionOptions } from '../../../src/flows/redis/connection.js';
import { FlowKeys } from '../../../src/flows/redis/keys.js';
import { RedisFlowOps } from '../../../src/flows/redis/ops.js';
import { SecretBox } from '../../../src/util/secretBox.js';
import type { RedisServer } from '../../helpers/redisServer.js';

export { redisSkip, useRedisServer, type RedisServer } from '../../helpers/redisServer.js';

/** One key for the whole test run: every connection of a test seals and opens alike, as replicas sharing a key do. */
export const TEST_BOX = new SecretBox(randomBytes(32));

/** A connection to `server`, ready, closed when the test ends. */
export async function connect(t: TestContext, server: RedisServer, options: Partial<RedisConnectionOptions> = {}): Promise<RedisConnection> {
  const connection = RedisConnection.open({ url: server.url, ...options });
  t.after(() => connection.close());
  await connection.ready();
  return connection;
}

/** Shared-flow operations on a fresh connection, under a key prefix of the test's own (so tests of a file never meet). */
export async function opsFor(t: TestContext, server: RedisServer, keys: FlowKeys, options: Partial<RedisConnectionOptions> = {}): Promise<RedisFlowOps> {
  return new RedisFlowOps(await connect(t, server, options), TEST_BOX, { keys });
}

/** A prefix (with its hash tag) no other test uses. */
export function freshKeys(): FlowKeys {
  return new FlowKeys(`{t-${randomUUID().slice(0, 8)}}:`);
}

/** Every key under `keys.prefix`, read with SCAN (the test's whole footprint in Redis). */
export async function keysOf(connection: RedisConnection, keys: FlowKeys): Promise<string[]> {
  const found: string[] = [];
  // SCAN's MATCH is a glob: the hash tag's braces are literal characters there, so they need no escaping.
  for await (const batch of connection.client.scanIterator({ MATCH: `${keys.prefix.replace(/[[\]*?\\]/g, '\\$&')}*`, COUNT: 1000 })) found.push(...batch);
  return found.sort();
}

/** Default create input for a flow of `provider` in `home`. */
export function flowInput(overrides: Partial<Parameters<RedisFlowOps['create']>[0]> = {}): Parameters<RedisFlowOps['create']>[0] {
  return {
    id: randomUUID(),
    provider: 'openai-codex',
    home: '/srv/hermes/profiles/work',
    maxPending: 0,
    lifetimeMs: 15 * 60_000,
    phase: 'starting',
    fields: { provider: 'openai-codex', profile: 'work' },
    ...overrides,
  };
}
