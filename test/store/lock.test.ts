/** The lock is the same kernel flock Hermes Agent (Python, fcntl.flock) takes on auth.lock: each excludes the other. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { AUTH_FILE, LOCK_FILE, readAuthStore, StoreLockTimeoutError, updateAuthStore } from '../../src/store/authStore.js';
import { libcCandidates, UnsupportedPlatformError } from '../../src/store/libcFlock.js';
import { acquireFlock, lockSettled, type HeldLock } from '../../src/store/lock.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { deferred } from '../helpers/deferred.js';
import { fsTypeOf, LineChild, mountedDir, needPython, pythonChild, tempDir, type MountKind } from './helpers.js';

const logger = silentLogger();

/** A fresh home whose auth.lock a real Python process holds (fcntl.flock) until it is sent `release`. */
async function heldByPython(t: TestContext): Promise<{ home: string; lockPath: string; python: LineChild }> {
  const home = tempDir(t);
  const python = pythonChild(t, ['hold', home]);
  await python.waitFor('locked');
  return { home, lockPath: path.join(home, LOCK_FILE), python };
}

describe('flock shared with Python fcntl.flock', () => {
  test('a Python process holding LOCK_EX makes update() wait until it lets go, then update() sees its write', async (t) => {
    if (!needPython(t)) return;
    const home = tempDir(t);
    const python = pythonChild(t, ['hold', home, 'written_by_python']);
    await python.waitFor('locked');

    const waiting = deferred();
    let finished = false;
    const update = updateAuthStore(home, (s) => ({ sawPython: s.written_by_python === true }), {
      logger,
      onLockWait: () => waiting.resolve(),
    }).finally(() => (finished = true));

    const first = await Promise.race([waiting.promise.then(() => 'lock busy'), update.then(() => 'finished')]);
    assert.equal(first, 'lock busy', 'update() found the lock held by Python');
    await new Promise((r) => setImmediate(r));
    assert.equal(finished, false, 'update() must not finish while Python holds the lock');

    python.send('release');
    assert.deepEqual(await update, { sawPython: true }, 'update() re-read the file under the lock');
    await python.waitFor('released');
    await python.succeeded();
    const store = await readAuthStore(home, { logger });
    assert.equal(store.written_by_python, true);
    assert.equal(store.version, 1);
  });

  test('while update() holds the lock, Python LOCK_EX|LOCK_NB fails; afterwards it succeeds', async (t) => {
    if (!needPython(t)) return;
    await pythonExcludedWhileUpdating(t, tempDir(t));
  });

  test('with a short lockTimeoutMs and a Python holder: a clear StoreLockTimeoutError, nothing written', async (t) => {
    if (!needPython(t)) return;
    const home = tempDir(t);
    writeFileSync(path.join(home, AUTH_FILE), '{"untouched": true}');
    const python = pythonChild(t, ['hold', home]);
    await python.waitFor('locked');
    let called = false;
    let settled = false;
    const clock = new ManualClock();
    const waiting = deferred();
    const update = updateAuthStore(home, () => void (called = true), {
      logger,
      lockTimeoutMs: 300,
      clock,
      onLockWait: () => waiting.resolve(),
    });
    update.then(() => (settled = true), () => (settled = true));
    await waiting.promise;
    await clock.advance(299);
    assert.equal(settled, false, 'it waited the whole bound');
    await clock.advance(1);
    await assert.rejects(update, (err: unknown) => {
      assert.ok(err instanceof StoreLockTimeoutError);
      assert.match(err.message, /^auth\.json is locked by another process/);
      assert.match(err.message, /try again/);
      assert.equal(err.lockPath, path.join(home, 'auth.lock'));
      return true;
    });
    assert.equal(called, false);
    assert.equal(readFileSync(path.join(home, AUTH_FILE), 'utf8'), '{"untouched": true}');
    python.send('release');
    await python.succeeded();
  });
});

describe('waiting for the lock', () => {
  test('waiters are served in the order they came, woken by the kernel: the frozen test clock never has to move', async (t) => {
    if (!needPython(t)) return;
    const { lockPath, python } = await heldByPython(t);
    // The clock never moves in this test, so a wait that polled (sleeping on the clock between tries) would
    // never try again: only a wait the kernel ends when Python lets go can finish.
    const clock = new ManualClock();
    const served: string[] = [];
    const waiting = ['first', 'second', 'third'].map((name) => {
      const busy = deferred();
      const done = acquireFlock(lockPath, { timeoutMs: 10_000, clock, onWait: () => busy.resolve() }).then(async (lock) => {
        served.push(name);
        await lock.release();
      });
      return { busy: busy.promise, done };
    });
    await Promise.all(waiting.map((w) => w.busy));
    assert.equal(clock.pendingTimers, 3, 'the only timers are the three timeouts: nothing sleeps between tries');
    assert.deepEqual(served, []);

    python.send('release');
    await Promise.all(waiting.map((w) => w.done));
    assert.deepEqual(served, ['first', 'second', 'third']);
    assert.equal(clock.pendingTimers, 0, 'each timeout was cancelled once its lock was taken');
    await python.succeeded();
  });

  test('a wait that timed out does not keep the lock its flock gets later: it is released at once', async (t) => {
    if (!needPython(t)) return;
    const { home, lockPath, python } = await heldByPython(t);
    const clock = new ManualClock();
    const busy = deferred();
    const waiting = acquireFlock(lockPath, { timeoutMs: 1000, clock, onWait: () => busy.resolve() });
    waiting.catch(() => undefined);
    await busy.promise;
    await clock.advance(1000);
    await assert.rejects(waiting, StoreLockTimeoutError);

    // The timed-out flock is still queued in the kernel: it gets the lock the moment Python lets go.
    let settled = false;
    const settling = lockSettled(lockPath).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'the abandoned flock is still waiting while Python holds the lock');
    python.send('release');
    await python.succeeded();
    await settling;
    const probe = pythonChild(t, ['try', home]);
    await probe.waitFor('acquired');
    await probe.succeeded();
  });

  test('callers queued behind a wait that timed out still get the lock, in order', async (t) => {
    if (!needPython(t)) return;
    const { home, lockPath, python } = await heldByPython(t);
    const clock = new ManualClock();
    const first = acquireFlock(lockPath, { timeoutMs: 1000, clock });
    first.catch(() => undefined);
    await clock.untilTimers(1);
    const second = acquireFlock(lockPath, { timeoutMs: 5000, clock });
    await clock.advance(1000);
    await assert.rejects(first, StoreLockTimeoutError);
    python.send('release');
    const held = await second;
    const during = pythonChild(t, ['try', home]);
    await during.waitFor('busy');
    await held.release();
    await lockSettled(lockPath);
    const after = pythonChild(t, ['try', home]);
    await after.waitFor('acquired');
    await python.succeeded();
  });

  test('waits on many lock files at once leave libuv worker threads to file I/O, and all end when their holders let go', { timeout: 60_000 }, async (t) => {
    if (!needPython(t)) return;
    // libuv has 4 worker threads here; a blocked flock takes one. With 4 lock files contended at once, only 2
    // may block: the other waits try LOCK_NB now and then, so reading a file (which needs a thread) still works.
    assert.equal(process.env.UV_THREADPOOL_SIZE, undefined, 'this test assumes the default pool of 4 threads');
    const homes = [1, 2, 3, 4].map(() => tempDir(t));
    const holders = homes.map((home) => pythonChild(t, ['hold', home]));
    await Promise.all(holders.map((h) => h.waitFor('locked')));
    const waits = homes.map((home) => {
      const busy = deferred();
      const lock = acquireFlock(path.join(home, LOCK_FILE), { timeoutMs: 50_000, onWait: () => busy.resolve() });
      return { busy: busy.promise, lock };
    });
    await Promise.all(waits.map((w) => w.busy));
    const text = await readFile(path.join(homes[0]!, 'auth.lock'), 'utf8');
    assert.equal(text, '', 'a file read finished while every lock file was being waited for');

    const locks: HeldLock[] = [];
    for (const [i, holder] of holders.entries()) {
      holder.send('release');
      await holder.succeeded();
      locks.push(await waits[i]!.lock);
    }
    await Promise.all(locks.map((l) => l.release()));
  });

  test('only Linux and macOS are known; anything else is refused with a message naming the platform', () => {
    assert.deepEqual(libcCandidates('linux'), ['libc.so.6', 'libc.so']);
    assert.deepEqual(libcCandidates('darwin'), ['/usr/lib/libSystem.B.dylib']);
    for (const platform of ['win32', 'freebsd', 'aix'] as const) {
      assert.throws(() => libcCandidates(platform), (err: unknown) => {
        assert.ok(err instanceof UnsupportedPlatformError);
        assert.match(err.message, new RegExp(`cannot run on ${platform}: .*flock\\(2\\).*Linux \\(glibc or musl\\) and macOS`));
        return true;
      });
    }
  });
});

/** Both directions of the lock against Python in `home`, which lies on the file system under test. */
async function lockBothWays(t: TestContext, home: string): Promise<void> {
  const python = pythonChild(t, ['hold', home, 'written_by_python']);
  await python.waitFor('locked');
  const busy = deferred();
  const update = updateAuthStore(home, (s) => ({ sawPython: s.written_by_python === true, before: s.from_image }), {
    logger,
    onLockWait: () => busy.resolve(),
  });
  await busy.promise;
  python.send('release');
  const seen = await update;
  assert.equal(seen.sawPython, true, 'update() waited for Python and re-read its write');
  await python.succeeded();

  await pythonExcludedWhileUpdating(t, home);
}

/** While updateAuthStore holds `home`'s lock, Python's LOCK_EX|LOCK_NB answers busy; once it is done, acquired. */
async function pythonExcludedWhileUpdating(t: TestContext, home: string): Promise<void> {
  const inside = deferred();
  const gate = deferred();
  const holding = updateAuthStore(home, async () => {
    inside.resolve();
    await gate.promise;
  }, { logger });
  await inside.promise;
  const during = pythonChild(t, ['try', home]);
  await during.waitFor('busy');
  await during.succeeded();
  gate.resolve();
  await holding;
  const after = pythonChild(t, ['try', home]);
  await after.waitFor('acquired');
  await after.succeeded();
}

describe('the lock on other file systems a Hermes home lives on', () => {
  const expectedType: Record<MountKind, string> = { tmpfs: 'tmpfs', overlay: 'overlayfs' };
  for (const kind of ['tmpfs', 'overlay'] as const) {
    test(`on ${kind}: Python and Node exclude each other both ways`, async (t) => {
      if (!needPython(t)) return;
      // On overlay the home comes from an image layer, as in a container: both files are copied up on first use.
      const home = mountedDir(t, kind, { [AUTH_FILE]: '{"from_image": true}\n', [LOCK_FILE]: '' });
      if (home === undefined) return;
      assert.equal(fsTypeOf(home), expectedType[kind]);
      await lockBothWays(t, home);
      const store = await readAuthStore(home, { logger });
      assert.equal(store.written_by_python, true);
      if (kind === 'overlay') assert.equal(store.from_image, true, 'the image layer\'s auth.json was kept');
    });
  }
});
