/**
 * The cross-process lock on auth.json: an exclusive flock(2) on `auth.lock`, the very lock Hermes Agent takes
 * with Python's `fcntl.flock(LOCK_EX)`. flock comes from the `fs-ext` native addon (Node has no flock of its own).
 */
import path from 'node:path';
import fsExt from 'fs-ext';
import { systemClock, type Clock } from '../util/clock.js';
import { isErrno, type FileOwner } from './atomicWrite.js';
import { openLockFile } from './safeOpen.js';
import { StoreError } from './storeError.js';

/** First and longest pause between two tries of a busy lock. */
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 50;

/** The lock stayed busy for the whole bounded wait. */
export class StoreLockTimeoutError extends StoreError {
  override name = 'StoreLockTimeoutError';
  /** The lock file that stayed busy. */
  readonly lockPath: string;
  constructor(lockPath: string, waitedMs: number) {
    super(
      `auth.json is locked by another process: ${lockPath} stayed locked for ${(waitedMs / 1000).toFixed(1)} s. ` +
        'Another Hermes program is probably saving credentials; try again in a moment. If it keeps happening, ' +
        `find the process holding the lock (\`fuser ${lockPath}\` or \`lsof ${lockPath}\`) and stop it.`,
    );
    this.lockPath = lockPath;
  }
}

/** A held lock; release() unlocks and closes its file. */
export interface HeldLock {
  release(): Promise<void>;
}

/** How long and how to wait for the lock. */
export interface FlockOptions {
  /** Give up after this many milliseconds with StoreLockTimeoutError. */
  timeoutMs: number;
  /** Clock for the waits (defaults to the wall clock). */
  clock?: Clock;
  /** Called once, the first time the lock is found busy (lets tests and logs observe the wait). */
  onWait?: () => void;
  /** Owner to give the lock file (root creating it in another user's home). */
  owner?: FileOwner;
}

/**
 * Takes an exclusive flock(2) on `lockPath` (created 0600 when missing), retrying a non-blocking attempt
 * with short growing pauses (2 ms up to 50 ms) until `timeoutMs` has passed.
 */
export async function acquireFlock(lockPath: string, opts: FlockOptions): Promise<HeldLock> {
  const clock = opts.clock ?? systemClock;
  const fh = await openLockFile(lockPath, opts.owner);
  try {
    const deadline = clock.now() + opts.timeoutMs;
    let pause = FIRST_BACKOFF_MS;
    let waited = false;
    while (!tryFlock(fh.fd)) {
      if (!waited) opts.onWait?.();
      waited = true;
      const left = deadline - clock.now();
      if (left <= 0) throw new StoreLockTimeoutError(path.resolve(lockPath), opts.timeoutMs);
      await clock.sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, MAX_BACKOFF_MS);
    }
  } catch (err) {
    await fh.close();
    throw err;
  }
  return {
    async release() {
      try {
        fsExt.flockSync(fh.fd, 'un');
      } finally {
        await fh.close();
      }
    },
  };
}

/** One non-blocking LOCK_EX attempt: true when taken, false when another holder has it. */
function tryFlock(fd: number): boolean {
  try {
    fsExt.flockSync(fd, 'exnb');
    return true;
  } catch (err) {
    if (isErrno(err, 'EAGAIN') || isErrno(err, 'EWOULDBLOCK') || isErrno(err, 'EINTR')) return false;
    throw err;
  }
}
