/** In-process serialisation per path, and the owner a root rewrite must keep: shared by the store's writers. */
import { promises as fsp, type Stats } from 'node:fs';
import { isErrno, type FileOwner } from './atomicWrite.js';

const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` after every earlier task queued for the same `key` (an absolute path) in this process,
 * whether those succeeded or failed; returns what `fn` returns or throws.
 */
export function serializeByPath<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/**
 * When running as root, the owner a file written in `pathOrStats`'s place must keep, so that root editing
 * a user's Hermes home never leaves files that user cannot open; undefined otherwise or when the path is missing.
 * A path is stat'ed through links, so pass a path only for the home folder (which the operator chose); for a
 * file in the home pass the Stats of its O_NOFOLLOW open.
 */
export async function ownerToKeep(pathOrStats: string | Stats): Promise<FileOwner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const st = typeof pathOrStats === 'string' ? await fsp.stat(pathOrStats) : pathOrStats;
    return { uid: st.uid, gid: st.gid };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}
