/** The lock is the same kernel flock Hermes Agent (Python, fcntl.flock) takes on auth.lock: each excludes the other. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { AUTH_FILE, readAuthStore, StoreLockTimeoutError, updateAuthStore } from '../../src/store/authStore.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { deferred } from '../helpers/deferred.js';
import { needPython, pythonChild, tempDir } from './helpers.js';

const logger = silentLogger();

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
    const home = tempDir(t);
    const inside = deferred();
    const gate = deferred();
    const update = updateAuthStore(home, async () => {
      inside.resolve();
      await gate.promise;
    }, { logger });
    await inside.promise;

    const during = pythonChild(t, ['try', home]);
    await during.waitFor('busy');
    await during.succeeded();

    gate.resolve();
    await update;
    const after = pythonChild(t, ['try', home]);
    await after.waitFor('acquired');
    await after.succeeded();
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
