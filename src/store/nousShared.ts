/**
 * Hermes Agent's shared Nous store, `<root>/shared/nous_auth.json` (`HERMES_SHARED_AUTH_DIR` when set):
 * every profile of a root reads it, and when its refresh token differs from a profile's, Hermes copies
 * it over that profile's `providers.nous` (`_merge_shared_nous_oauth_state`). A Nous sign-in therefore
 * writes it as `_write_shared_nous_state` does, or a stale copy there would later replace the new login.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { removeStaleTemps, writeFileAtomic } from './atomicWrite.js';
import { hermesRootOf } from './home.js';
import { acquireFlock } from './lock.js';
import { checkComponentsUnder } from './safeOpen.js';
import { ownerToKeep, serializeByPath } from './serialize.js';
import { stringifyJson } from './jsonText.js';

/** The file name Hermes Agent uses. */
export const NOUS_SHARED_FILE = 'nous_auth.json';
/** Hermes Agent's defaults for fields a state may lack. */
const DEFAULTS = {
  token_type: 'Bearer',
  scope: 'inference:invoke',
  client_id: 'hermes-cli',
  portal_base_url: 'https://portal.nousresearch.com',
  inference_base_url: 'https://inference-api.nousresearch.com/v1',
} as const;
/** How long to wait for the shared store's lock (Hermes Agent's AUTH_LOCK_TIMEOUT_SECONDS). */
const LOCK_TIMEOUT_MS = 15_000;

/** Where the shared store lives: `HERMES_SHARED_AUTH_DIR` and `HOME` as read at start-up. */
export interface SharedStoreLocation {
  sharedAuthDir?: string | undefined;
  userHome?: string | undefined;
}

/** The folder of the shared store for a Hermes home: `HERMES_SHARED_AUTH_DIR`, else `<root>/shared`. */
export function nousSharedDir(home: string, where: SharedStoreLocation): string {
  const override = where.sharedAuthDir?.trim();
  if (override) return path.resolve(override.startsWith('~/') ? path.join(where.userHome ?? '', override.slice(2)) : override);
  return path.join(hermesRootOf(path.resolve(home), where.userHome || undefined), 'shared');
}

/** The shared store's path for a Hermes home. */
export function nousSharedPath(home: string, where: SharedStoreLocation): string {
  return path.join(nousSharedDir(home, where), NOUS_SHARED_FILE);
}

/**
 * The shared store's content for a `providers.nous` state, as `_write_shared_nous_state` builds it
 * (sorted keys, two-space indent, no final newline); undefined when the state has no access or refresh
 * token (Hermes Agent then writes nothing).
 */
export function nousSharedContent(state: Record<string, unknown>, nowMs: number): string | undefined {
  const access = state.access_token;
  const refresh = state.refresh_token;
  if (typeof access !== 'string' || access.trim() === '' || typeof refresh !== 'string' || refresh.trim() === '') return undefined;
  const pick = (key: keyof typeof DEFAULTS) => (typeof state[key] === 'string' && state[key] !== '' ? state[key] : DEFAULTS[key]);
  const shared: Record<string, unknown> = {
    _schema: 1,
    access_token: access,
    refresh_token: refresh,
    token_type: pick('token_type'),
    scope: pick('scope'),
    client_id: pick('client_id'),
    portal_base_url: pick('portal_base_url'),
    inference_base_url: pick('inference_base_url'),
    obtained_at: state.obtained_at ?? null,
    expires_at: state.expires_at ?? null,
    // datetime.now(timezone.utc).isoformat()
    updated_at: new Date(nowMs).toISOString().replace(/Z$/, '+00:00'),
  };
  const sorted = Object.fromEntries(Object.keys(shared).sort().map((k) => [k, shared[k]]));
  // stringifyJson: a number Hermes wrote as `1.0` (a LosslessNumber) goes back as the number it was
  return stringifyJson(sorted, 2);
}

/**
 * Writes the shared store from a `providers.nous` state under its flock (`<dir>/nous_auth.lock`, the lock
 * Hermes Agent takes), atomically, mode 0600, in a folder created 0700. Returns the path, or undefined
 * when the state holds nothing worth sharing.
 */
export async function writeNousShared(
  home: string,
  where: SharedStoreLocation,
  state: Record<string, unknown>,
  opts: { clock?: Clock; onLockWait?: () => void } = {},
): Promise<string | undefined> {
  const clock = opts.clock ?? systemClock;
  const content = nousSharedContent(state, clock.now());
  if (content === undefined) return undefined;
  const file = nousSharedPath(home, where);
  const dir = path.dirname(file);
  // `<root>/shared` lies in the home's owner's hands (a folder the operator named in HERMES_SHARED_AUTH_DIR
  // does not): a link there would point the write, made as root over a user's home, at any folder
  const root = where.sharedAuthDir?.trim() ? undefined : path.dirname(dir);
  return serializeByPath(file, async () => {
    if (root !== undefined) await checkComponentsUnder(root, file);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    // and again once it exists, should it have been swapped for a link in between
    if (root !== undefined) await checkComponentsUnder(root, file);
    const owner = await ownerToKeep(dir);
    const lock = await acquireFlock(path.join(dir, 'nous_auth.lock'), { timeoutMs: LOCK_TIMEOUT_MS, clock, owner, onWait: opts.onLockWait });
    try {
      await removeStaleTemps(dir, NOUS_SHARED_FILE);
      await writeFileAtomic(file, content, (await ownerToKeep(file)) ?? owner);
    } finally {
      await lock.release();
    }
    return file;
  });
}
