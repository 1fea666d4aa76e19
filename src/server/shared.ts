/**
 * Opening the state replicas share (HERMES_ONBOARD_REDIS_URL), with the checks that keep a misconfigured replica
 * from starting: the secret key that seals flow secrets, and a Hermes home this process can write (every replica
 * writes auth.json there under the same flock, so the home must be one shared, flock-capable folder).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { checkSharedSettings, homeOptions, type Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { openSharedFlows, type SharedFlows } from '../flows/redis/index.js';
import { resolveActiveHome } from '../store/index.js';
import type { Logger } from '../util/logger.js';
import { SecretBox } from '../util/secretBox.js';

/** How long start-up waits for Redis before it serves anyway (health says degraded until Redis answers). */
const READY_WAIT_MS = 3000;

/** Throws ConfigError unless this process can create and write files in `home` (or in the folder it will be made in). */
export function checkWritableHome(home: string): void {
  let dir = path.resolve(home);
  // a home not made yet is made by the first save: then its nearest existing parent must be writable
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) throw new ConfigError(`The Hermes home ${home} is not a folder.`);
      break;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new ConfigError(
      `The Hermes home ${home} is not writable by this process (${dir}). Every replica writes auth.json there under ` +
        'an flock on auth.lock: give each one the same writable folder (one host, or a shared volume whose flock works).',
    );
  }
}

/** Checks the settings and opens the shared state; resolves once Redis answered or after a short wait. */
export async function openShared(config: Config, logger: Logger): Promise<SharedFlows | undefined> {
  const key = checkSharedSettings(config);
  if (config.redisUrl === undefined || key === undefined) return undefined;
  checkWritableHome(resolveActiveHome(homeOptions(config)).home);
  const shared = openSharedFlows({ url: config.redisUrl, box: new SecretBox(key), logger, leaseTtlMs: config.leaseTtlMs });
  if (!(await shared.ready(READY_WAIT_MS))) logger.warn('Redis does not answer yet; serving anyway: starts answer 503 until it does.');
  return shared;
}
