/**
 * The cross-process lock on auth.json: an exclusive flock(2) on `auth.lock`, the very lock Hermes Agent takes
 * with Python's `fcntl.flock(LOCK_EX)` (libcFlock.ts calls the C library's flock through koffi).
 *
 * How a wait works, and why:
 * - Each lock file has one line in this process, first come first served, and only its head touches the
 *   kernel lock. flock already makes two descriptors of one process exclude each other, so the line changes
 *   nothing about who may hold the lock; it serves callers in order (auth.json's and .env's writers share
 *   auth.lock but queue under different keys in serialize.ts) and keeps at most ONE blocked kernel waiter per
 *   lock file per process.
 * - The head first tries LOCK_NB on the main thread: an uncontended lock costs one system call, no thread hop.
 * - When it is busy, the head waits in a blocking LOCK_EX on a libuv worker thread (a koffi async call): no
 *   polling; the kernel hands the lock over when the holder lets go, and the event loop stays free.
 * - A blocked flock occupies one of libuv's worker threads (4 unless UV_THREADPOOL_SIZE says otherwise),
 *   which fs, dns.lookup, crypto and zlib share. One waiter per lock file bounds that per file; across lock
 *   files (one per Hermes profile) at most half of the pool may sit in flock, and a head that finds no thread
 *   to spare waits by retrying LOCK_NB with a short growing pause (2 ms up to 50 ms) until one frees up.
 *   File I/O, which every writer needs to finish its update, is never starved.
 * - A blocked flock cannot be cancelled. At the timeout the caller gets StoreLockTimeoutError at once, but
 *   the head keeps its place until the worker's flock returns; if it returns with the lock, the lock is
 *   released at once and the file closed, and only then does the next caller in line start. So a wait that
 *   timed out never leaks the lock and never leaves a second thread blocked behind it. (Until the holder
 *   lets go, the pending worker keeps the event loop alive; the CLI ends with process.exit.)
 */
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../util/clock.js';
import type { FileOwner } from './atomicWrite.js';
import { lockExclusiveOnWorker, tryLockExclusive, unlock } from './libcFlock.js';
import { openLockFile } from './safeOpen.js';
import { StoreError } from './storeError.js';

/** First and longest pause between two LOCK_NB tries, when no worker thread may be spent on a blocking wait. */
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
  /** Clock for the timeout (defaults to the wall clock). */
  clock?: Clock;
  /** Called once, the first time the lock is found busy (lets tests and logs observe the wait). */
  onWait?: () => void;
  /** Owner to give the lock file (root creating it in another user's home). */
  owner?: FileOwner;
}

/** One lock file's line in this process: the promise that settles when its last turn ends, and how many turns are open. */
interface Line {
  tail: Promise<void>;
  open: number;
}

const lines = new Map<string, Line>();

/** Worker threads blocked in flock right now, over every lock file of this process. */
let blockedWorkers = 0;

/**
 * How many libuv worker threads may sit in flock at once: half the pool (none of a pool of one). libuv sizes
 * its pool once, from UV_THREADPOOL_SIZE at the process's first use of it, so this is read once at load too;
 * it is the runtime's own setting, not one of ours (those are read by config.ts).
 */
const WORKER_BUDGET = ((): number => {
  const configured = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  const pool = configured > 0 ? Math.min(configured, 1024) : 4; // libuv's default and upper bound
  return Math.floor(pool / 2);
})();

/**
 * Takes an exclusive flock(2) on `lockPath` (created 0600 when missing). Waits in line behind earlier callers
 * of this process, then in the kernel's queue behind other processes, for at most `timeoutMs` in all.
 */
export async function acquireFlock(lockPath: string, opts: FlockOptions): Promise<HeldLock> {
  const file = path.resolve(lockPath);
  const clock = opts.clock ?? systemClock;
  let waited = false;
  const noteWait = () => {
    if (!waited) opts.onWait?.();
    waited = true;
  };
  let timedOut = false;
  let onTimeout!: () => void;
  const timeout = new Promise<void>((resolve) => (onTimeout = resolve));
  const abortSleeps = new AbortController();
  const cancelTimer = clock.setTimer(opts.timeoutMs, () => {
    timedOut = true;
    abortSleeps.abort();
    onTimeout();
  });
  const timeoutError = () => new StoreLockTimeoutError(file, opts.timeoutMs);

  const { turn, busy, leave } = joinLine(file);
  if (busy) noteWait();
  if (await Promise.race([turn.then(() => false), timeout.then(() => true)])) {
    leave();
    throw timeoutError();
  }

  let fh: FileHandle | undefined;
  let handedOver = false; // once true, the file and this turn belong to the held lock or to releaseLate
  try {
    fh = await openLockFile(file, opts.owner); // refuses links and non-regular files; chowns only a file it created
    if (!tryLockExclusive(fh.fd)) {
      noteWait();
      if (timedOut) throw timeoutError();
      const outcome = await waitWhileBusy(fh.fd, clock, timeout, abortSleeps.signal);
      if (outcome !== 'locked') {
        handedOver = true;
        void releaseLate(fh, outcome, leave);
        throw timeoutError();
      }
    }
    cancelTimer();
    handedOver = true;
    return heldLock(fh, leave);
  } finally {
    if (!handedOver) {
      cancelTimer();
      try {
        await fh?.close();
      } finally {
        leave();
      }
    }
  }
}

/**
 * Resolves once every acquireFlock of `lockPath` begun so far in this process is over: held locks released,
 * and each wait that timed out has seen its flock return and let go of what it got.
 */
export function lockSettled(lockPath: string): Promise<void> {
  return lines.get(path.resolve(lockPath))?.tail ?? Promise.resolve();
}

/** Joins the line of `file`: `turn` resolves when every earlier turn has ended; `leave` ends this one (once). */
function joinLine(file: string): { turn: Promise<void>; busy: boolean; leave: () => void } {
  let line = lines.get(file);
  if (!line) {
    line = { tail: Promise.resolve(), open: 0 };
    lines.set(file, line);
  }
  const turn = line.tail;
  const busy = line.open > 0;
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const tail = turn.then(() => ended);
  line.tail = tail;
  line.open++;
  const current = line;
  void tail.then(() => {
    if (--current.open === 0 && lines.get(file) === current) lines.delete(file);
  });
  return { turn, busy, leave: end };
}

/** A wait that gave up: `late` resolves true if a flock still running on a worker thread later got the lock. */
interface Abandoned {
  late: Promise<boolean>;
}

/**
 * Waits for the busy lock on `fd` until it is granted ('locked') or `timeout` settles (the abandoned wait).
 * Normally one blocking flock on a worker thread; polling with LOCK_NB only while the worker budget is spent.
 */
async function waitWhileBusy(fd: number, clock: Clock, timeout: Promise<void>, signal: AbortSignal): Promise<'locked' | Abandoned> {
  let pause = FIRST_BACKOFF_MS;
  while (blockedWorkers >= WORKER_BUDGET) {
    try {
      await clock.sleep(pause, signal);
    } catch {
      return { late: Promise.resolve(false) }; // the timeout aborted the pause; nothing is pending
    }
    if (tryLockExclusive(fd)) return 'locked';
    pause = Math.min(pause * 2, MAX_BACKOFF_MS);
  }
  blockedWorkers++;
  const granted = lockExclusiveOnWorker(fd).finally(() => blockedWorkers--);
  const first = await Promise.race([granted.then(() => 'locked' as const), timeout.then(() => 'timeout' as const)]);
  if (first === 'locked') return 'locked';
  return {
    late: granted.then(
      () => true,
      () => false,
    ),
  };
}

/** After a timed-out wait: once its flock returns, releases what it got, closes the file, then lets the next caller in. */
async function releaseLate(fh: FileHandle, abandoned: Abandoned, leave: () => void): Promise<void> {
  try {
    if (await abandoned.late) unlock(fh.fd);
  } catch {
    // Closing the file below drops the lock whatever unlock said.
  } finally {
    try {
      await fh.close();
    } catch {
      // Nothing is left to do: the descriptor is gone either way.
    }
    leave();
  }
}

/** The held lock: release() unlocks, closes the file and lets the next caller in line start (once). */
function heldLock(fh: FileHandle, leave: () => void): HeldLock {
  let released: Promise<void> | undefined;
  const release = async () => {
    try {
      unlock(fh.fd);
    } finally {
      try {
        await fh.close();
      } finally {
        leave();
      }
    }
  };
  return {
    release() {
      released ??= release();
      return released;
    },
  };
}
