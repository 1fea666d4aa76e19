/** auth.json reading and writing on real files: format, modes, corrupt and unreadable files, events, queueing. */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import {
  AUTH_FILE,
  credentialEvents,
  CREDENTIALS_CHANGED,
  LOCK_FILE,
  readAuthStore,
  StoreLockTimeoutError,
  StoreReadError,
  updateAuthStore,
  type CredentialsChangedEvent,
} from '../../src/store/authStore.js';
import { acquireFlock } from '../../src/store/lock.js';
import { UnsafeFileError } from '../../src/store/safeOpen.js';
import { upsertPoolEntry } from '../../src/store/pool.js';
import { ManualClock } from '../helpers/clock.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import { nodeChild, tempDir } from './helpers.js';

const quiet = { logger: silentLogger() };
const isRoot = process.getuid?.() === 0;

/** The permission bits of a path. */
function modeOf(p: string): number {
  return statSync(p).mode & 0o777;
}

/** A logger whose lines are collected, to check what reaches the log. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

/** Adds one pool entry to `test` in an update. */
function addEntry(home: string, id: string): Promise<unknown> {
  return updateAuthStore(home, (s) => upsertPoolEntry(s, 'test', { id }, (e) => e.id === id), quiet);
}

/** A home holding auth.json with this content. */
function homeWith(t: TestContext, content: string | Buffer): string {
  const home = tempDir(t);
  writeFileSync(path.join(home, AUTH_FILE), content);
  return home;
}

describe('readAuthStore', () => {
  test('a missing file, or a missing home, is an empty store', async (t) => {
    const home = tempDir(t);
    assert.deepEqual(await readAuthStore(home, quiet), {});
    assert.deepEqual(await readAuthStore(path.join(home, 'absent'), quiet), {});
    assert.deepEqual(readdirSync(home), [], 'reading writes nothing');
  });

  test('a leading BOM is tolerated', async (t) => {
    const home = homeWith(t, '\uFEFF{"active_provider":"nous","x":"é"}');
    assert.deepEqual(await readAuthStore(home, quiet), { active_provider: 'nous', x: 'é' });
  });

  test('invalid JSON is kept aside as auth.json.corrupt-<timestamp>, warned about without content, and read as empty', async (t) => {
    const bad = '{"access_token": "sk-SECRET-123", broken';
    const home = homeWith(t, bad);
    const { logger, lines } = capturingLogger();
    assert.deepEqual(await readAuthStore(home, { logger }), {});
    const copies = readdirSync(home).filter((n) => n.startsWith('auth.json.corrupt-'));
    assert.equal(copies.length, 1);
    assert.match(copies[0]!, /^auth\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    assert.equal(readFileSync(path.join(home, copies[0]!), 'utf8'), bad);
    assert.equal(modeOf(path.join(home, copies[0]!)), 0o600);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as { level: number; msg: string };
    assert.equal(line.level, 40);
    assert.match(line.msg, /not valid JSON/);
    assert.doesNotMatch(lines[0]!, /SECRET|broken/);

    await readAuthStore(home, { logger });
    assert.equal(readdirSync(home).filter((n) => n.startsWith('auth.json.corrupt-')).length, 1, 'the same bytes are kept once');
  });

  test('JSON that is not an object, or not UTF-8, counts as corrupt', async (t) => {
    for (const content of ['[1,2]', 'null', '"text"', Buffer.from([0x7b, 0xff, 0x7d])]) {
      const home = homeWith(t, content);
      assert.deepEqual(await readAuthStore(home, quiet), {});
      assert.equal(readdirSync(home).filter((n) => n.startsWith('auth.json.corrupt-')).length, 1);
    }
  });

  test('a folder where auth.json should be is refused, before the lock is even taken; nothing is written', async (t) => {
    const home = tempDir(t);
    mkdirSync(path.join(home, AUTH_FILE));
    await assert.rejects(readAuthStore(home, quiet), (err: unknown) => err instanceof UnsafeFileError && /is a folder, not a file/.test(err.message));
    let called = false;
    await assert.rejects(
      updateAuthStore(home, () => void (called = true), quiet),
      (err: unknown) => err instanceof UnsafeFileError && /Move it out of the way/.test(err.message),
    );
    assert.equal(called, false);
    assert.ok(statSync(path.join(home, AUTH_FILE)).isDirectory());
    assert.deepEqual(readdirSync(home).sort(), [AUTH_FILE]);
  });

  test('permission denied is a StoreReadError and nothing is written', async (t) => {
    const original = '{"credential_pool":{"x":[{"id":"keep"}]}}';
    const home = homeWith(t, original);
    const file = path.join(home, AUTH_FILE);
    if (!isRoot) {
      chmodSync(file, 0o000);
      await assert.rejects(readAuthStore(home, quiet), (err: unknown) => err instanceof StoreReadError && /permission denied/.test(err.message));
      await assert.rejects(addEntry(home, 'new'), StoreReadError);
      chmodSync(file, 0o600);
    } else {
      // root reads anything: run the check as nobody (uid 65534), which then truly lacks permission.
      chmodSync(home, 0o755);
      chmodSync(file, 0o600);
      writeFileSync(path.join(home, LOCK_FILE), '');
      chmodSync(path.join(home, LOCK_FILE), 0o666);
      const child = nodeChild(t, ['read-as', home], { uid: 65534, gid: 65534 });
      const { code } = await child.exited;
      const result = child.lines[0];
      if (code !== 0 || result === undefined) {
        t.diagnostic(`skipped: running as root, and a child as uid 65534 could not start (${child.stderr.trim().split('\n')[0]})`);
        t.skip('running as root and cannot run a child as uid 65534');
        return;
      }
      assert.deepEqual(JSON.parse(result), { uid: 65534, read: 'StoreReadError', update: 'StoreReadError', fnCalled: false });
    }
    assert.equal(readFileSync(file, 'utf8'), original);
    assert.deepEqual(readdirSync(home).sort(), [AUTH_FILE, LOCK_FILE]);
  });
});

describe('updateAuthStore', () => {
  test('writes 2-space JSON with a trailing newline, non-ASCII kept, version 1 and a UTC updated_at', async (t) => {
    const home = tempDir(t);
    const clock = new ManualClock(Date.UTC(2026, 2, 4, 5, 6, 7, 89));
    const result = await updateAuthStore(home, (s) => {
      s.active_provider = 'openai-codex';
      s.note = 'naïve — 東京';
      return 'returned';
    }, { ...quiet, clock });
    assert.equal(result, 'returned');
    const text = readFileSync(path.join(home, AUTH_FILE), 'utf8');
    assert.ok(text.endsWith('}\n'));
    assert.match(text, /^\{\n {2}"active_provider": "openai-codex",\n/);
    assert.ok(text.includes('naïve — 東京'), 'non-ASCII is not escaped');
    const store = JSON.parse(text) as { version: number; updated_at: string };
    assert.equal(store.version, 1);
    assert.match(store.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(store.updated_at, '2026-03-04T05:06:07.089Z', 'the injected clock\'s time');
  });

  test('keys and entries it does not know round-trip unchanged', async (t) => {
    const original = {
      version: 1,
      future_key: { nested: [1, 'two', { three: null }] },
      providers: { nous: { access_token: 'a', portal_base_url: 'https://p', extra: true } },
      credential_pool: {
        'openai-codex': [{ id: 'abc123', label: 'me', access_token: 't', custom_field: { x: 1 } }],
        other: [{ id: 'o1', weird: [] }, 'not-an-entry'],
      },
      suppressed_sources: ['env:OPENAI_API_KEY'],
    };
    const home = homeWith(t, JSON.stringify(original));
    await addEntry(home, 'added');
    const after = JSON.parse(readFileSync(path.join(home, AUTH_FILE), 'utf8')) as Record<string, unknown>;
    const { updated_at: _u, credential_pool: pool, ...rest } = after as { updated_at: string; credential_pool: Record<string, unknown> };
    const { credential_pool: origPool, ...origRest } = original;
    assert.deepEqual(rest, origRest);
    assert.deepEqual(pool, { ...origPool, test: [{ id: 'added' }] });
  });

  test('a BOM-prefixed file is updated and written back without the BOM', async (t) => {
    const home = homeWith(t, '\uFEFF{"keep":1}');
    await addEntry(home, 'x');
    const text = readFileSync(path.join(home, AUTH_FILE), 'utf8');
    assert.ok(text.startsWith('{'));
    assert.equal((JSON.parse(text) as { keep: number }).keep, 1);
  });

  test('a corrupt file is kept aside before a fresh store is written', async (t) => {
    const home = homeWith(t, 'not json at all');
    await addEntry(home, 'fresh');
    const copies = readdirSync(home).filter((n) => n.startsWith('auth.json.corrupt-'));
    assert.equal(copies.length, 1);
    assert.equal(readFileSync(path.join(home, copies[0]!), 'utf8'), 'not json at all');
    const store = JSON.parse(readFileSync(path.join(home, AUTH_FILE), 'utf8')) as { credential_pool: unknown };
    assert.deepEqual(store.credential_pool, { test: [{ id: 'fresh' }] });
  });

  test('creates a missing home 0700, auth.json 0600 and auth.lock 0600', async (t) => {
    const home = path.join(tempDir(t), 'a', 'home');
    await addEntry(home, 'x');
    assert.equal(modeOf(home), 0o700);
    assert.equal(modeOf(path.join(home, AUTH_FILE)), 0o600);
    assert.equal(modeOf(path.join(home, LOCK_FILE)), 0o600);
  });

  test('the file ends 0600 when the previous one was 0644', async (t) => {
    const home = homeWith(t, '{}');
    chmodSync(path.join(home, AUTH_FILE), 0o644);
    await addEntry(home, 'x');
    assert.equal(modeOf(path.join(home, AUTH_FILE)), 0o600);
  });

  test('files are 0600 and the home 0700 even with umask 000 (in a child process)', async (t) => {
    const home = path.join(tempDir(t), 'home');
    await nodeChild(t, ['umask0', home]).succeeded();
    assert.equal(modeOf(home), 0o700);
    assert.equal(modeOf(path.join(home, AUTH_FILE)), 0o600);
    assert.equal(modeOf(path.join(home, LOCK_FILE)), 0o600);
  });

  test('when root writes in another user\'s home, files keep that user as owner', { skip: !isRoot && 'needs root to chown' }, async (t) => {
    const owned = (p: string) => {
      const st = statSync(p);
      return [st.uid, st.gid, st.mode & 0o777];
    };
    const home = homeWith(t, '{}');
    chownSync(path.join(home, AUTH_FILE), 65534, 65534);
    await addEntry(home, 'x');
    assert.deepEqual(owned(path.join(home, AUTH_FILE)), [65534, 65534, 0o600]);

    const userHome = tempDir(t);
    chownSync(userHome, 65534, 65534);
    await addEntry(userHome, 'x');
    assert.deepEqual(owned(path.join(userHome, AUTH_FILE)), [65534, 65534, 0o600], 'a new auth.json belongs to the home owner');
    assert.deepEqual(owned(path.join(userHome, LOCK_FILE)), [65534, 65534, 0o600], 'so does a new auth.lock');
  });

  test('if fn throws, nothing is written, the error propagates and the lock is released', async (t) => {
    const original = '{"a": 1}';
    const home = homeWith(t, original);
    const boom = new Error('boom');
    await assert.rejects(updateAuthStore(home, () => Promise.reject(boom), quiet), (err) => err === boom);
    assert.equal(readFileSync(path.join(home, AUTH_FILE), 'utf8'), original);
    assert.deepEqual(readdirSync(home).sort(), [AUTH_FILE, LOCK_FILE]);
    await updateAuthStore(home, () => undefined, { ...quiet, lockTimeoutMs: 200 });
  });

  test('removes temp files left by dead writers, and only those', async (t) => {
    const home = homeWith(t, '{}');
    const stale = ['.auth.json.tmp-999999-abcdef', `.auth.json.tmp-${process.pid}-0123456789ab`];
    const foreign = ['.auth.json.x1y2z3.tmp', 'auth.json.tmp-1-aa', '.auth.json.tmp-abc-12'];
    for (const name of [...stale, ...foreign]) writeFileSync(path.join(home, name), 'partial');
    await addEntry(home, 'x');
    assert.deepEqual(readdirSync(home).sort(), [...foreign, AUTH_FILE, LOCK_FILE].sort());
  });

  test('callers in one process queue per home: all land, in call order, never overlapping', async (t) => {
    const home = tempDir(t);
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        updateAuthStore(home, async (s) => {
          active++;
          maxActive = Math.max(maxActive, active);
          order.push(i);
          await new Promise((r) => setImmediate(r));
          upsertPoolEntry(s, 'test', { id: `e${i}` }, () => false);
          active--;
        }, quiet),
      ),
    );
    assert.equal(maxActive, 1);
    assert.deepEqual(order, Array.from({ length: 40 }, (_, i) => i));
    const store = await readAuthStore(home, quiet);
    assert.equal(store.credential_pool?.test?.length, 40);
  });
});

describe('lock wait bound', () => {
  test('defaults to 15 s, measured on the injected clock', async (t) => {
    const home = homeWith(t, '{}');
    const held = await acquireFlock(path.join(home, LOCK_FILE), { timeoutMs: 0 });
    t.after(() => held.release());
    const clock = new ManualClock();
    const state: { outcome: unknown } = { outcome: 'pending' };
    let called = false;
    const update = updateAuthStore(home, () => void (called = true), { ...quiet, clock }).then(
      () => (state.outcome = 'written'),
      (err: unknown) => (state.outcome = err),
    );
    await clock.untilTimers(1);
    await clock.advance(14_990);
    assert.equal(state.outcome, 'pending', 'still waiting just before 15 s');
    await clock.advance(10);
    await update;
    const outcome = state.outcome as unknown;
    assert.ok(outcome instanceof StoreLockTimeoutError, 'gave up at 15 s');
    assert.match(outcome.message, /^auth\.json is locked by another process: .*stayed locked for 15\.0 s/);
    assert.equal(called, false);
    assert.equal(readFileSync(path.join(home, AUTH_FILE), 'utf8'), '{}');
  });
});

describe('credentials-changed', () => {
  test('is emitted once per provider whose pool or providers entry changed, after the commit', async (t) => {
    const home = homeWith(
      t,
      JSON.stringify({ providers: { nous: { a: 1 }, zai: { b: 1 } }, credential_pool: { nous: [{ id: 'n' }], qwen: [{ id: 'q' }] } }),
    );
    const seen: Array<CredentialsChangedEvent & { onDisk: string }> = [];
    const listener = (e: CredentialsChangedEvent) => {
      if (e.home === home) seen.push({ ...e, onDisk: readFileSync(path.join(home, AUTH_FILE), 'utf8') });
    };
    credentialEvents.on(CREDENTIALS_CHANGED, listener);
    t.after(() => credentialEvents.off(CREDENTIALS_CHANGED, listener));

    await updateAuthStore(home, (s) => {
      s.providers!.nous!.a = 2; // changed in providers
      upsertPoolEntry(s, 'nous', { id: 'n', label: 'x' }, (e) => e.id === 'n'); // changed in both: one event
      upsertPoolEntry(s, 'openai-codex', { id: 'c' }, () => false); // new provider
      delete s.credential_pool!.qwen; // removed
      s.unrelated = true;
    }, quiet);
    assert.deepEqual(seen.map((e) => e.provider).sort(), ['nous', 'openai-codex', 'qwen']);
    assert.ok(seen.every((e) => e.onDisk.includes('"openai-codex"')), 'listeners run after the write is committed');

    seen.length = 0;
    await updateAuthStore(home, (s) => void (s.unrelated = false), quiet);
    assert.deepEqual(seen, [], 'no event when no provider changed');

    await assert.rejects(updateAuthStore(home, (s) => {
      upsertPoolEntry(s, 'zai', { id: 'z' }, () => false);
      throw new Error('abort');
    }, quiet));
    assert.deepEqual(seen, [], 'no event when nothing was committed');
  });

  test('a throwing listener does not fail the committed update', async (t) => {
    const home = tempDir(t);
    const listener = () => {
      throw new Error('listener broke');
    };
    credentialEvents.on(CREDENTIALS_CHANGED, listener);
    t.after(() => credentialEvents.off(CREDENTIALS_CHANGED, listener));
    await addEntry(home, 'x');
    assert.equal((await readAuthStore(home, quiet)).credential_pool?.test?.[0]?.id, 'x');
  });
});
