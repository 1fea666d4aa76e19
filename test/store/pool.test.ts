/** Credential-pool helpers: allowlisted summaries, upsert by matcher, removal. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/util/logger.js';
import { AUTH_FILE, readAuthStore, updateAuthStore, type AuthStore } from '../../src/store/authStore.js';
import { listPoolEntries, newEntryId, removePoolEntry, StoreShapeError, upsertPoolEntry } from '../../src/store/pool.js';
import { tempDir } from './helpers.js';

/** Stores whose pool is not what Hermes Agent writes, as parsed from auth.json, with the key at fault. */
const MALFORMED: Array<{ json: string; key: string }> = [
  { json: '{"credential_pool":{"openai-codex":{}}}', key: 'credential_pool.openai-codex' },
  { json: '{"credential_pool":{"openai-codex":"oops"}}', key: 'credential_pool.openai-codex' },
  { json: '{"credential_pool":{"openai-codex":null}}', key: 'credential_pool.openai-codex' },
  { json: '{"credential_pool":[]}', key: 'credential_pool' },
  { json: '{"credential_pool":"oops"}', key: 'credential_pool' },
  { json: '{"credential_pool":null}', key: 'credential_pool' },
];

/** Matches a StoreShapeError naming `key` and saying nothing was written. */
function shapeError(key: string): (err: unknown) => boolean {
  return (err) =>
    err instanceof StoreShapeError &&
    err.name === 'StoreShapeError' &&
    err.key === key &&
    err.message.includes(`"${key}"`) &&
    /left unchanged/.test(err.message);
}

/** A store with a realistic openai-codex pool. */
function sampleStore(): AuthStore {
  return {
    credential_pool: {
      'openai-codex': [
        {
          id: 'a1b2c3',
          label: 'me@example.com',
          auth_type: 'oauth',
          priority: 0,
          source: 'oauth_device',
          access_token: 'eyJsecret.access.token',
          refresh_token: 'rt_secret',
          email: 'me@example.com',
          plan: 'plus',
          expires_at: 1893456000,
          last_status: 'ok',
          created_at: '2026-01-01T00:00:00Z',
          custom: { keep: true },
        },
        { id: 'd4e5f6', source: 'manual:device_code', agent_key: 'secret-key', expires_at: Number.NaN },
      ],
    },
  };
}

describe('listPoolEntries', () => {
  test('returns allowlisted summaries only, never a secret or an unknown field', () => {
    const summaries = listPoolEntries(sampleStore(), 'openai-codex');
    assert.deepEqual(summaries, [
      {
        id: 'a1b2c3',
        label: 'me@example.com',
        source: 'oauth_device',
        auth_type: 'oauth',
        expires_at: 1893456000,
        last_status: 'ok',
      },
      { id: 'd4e5f6', label: 'd4e5f6', source: 'manual:device_code' },
    ]);
    assert.doesNotMatch(JSON.stringify(summaries), /secret|rt_|custom/);
  });

  test('email and plan come from the describe callback, never from stored fields Hermes Agent drops', () => {
    const seen: string[] = [];
    const summaries = listPoolEntries(sampleStore(), 'openai-codex', (entry) => {
      seen.push(entry.id);
      return entry.id === 'a1b2c3' ? { email: 'claims@example.com', plan: 'pro' } : {};
    });
    assert.deepEqual(seen, ['a1b2c3', 'd4e5f6']);
    assert.equal(summaries[0]!.email, 'claims@example.com');
    assert.equal(summaries[0]!.plan, 'pro');
    assert.equal(summaries[1]!.email, undefined);
  });

  test('an unknown provider, a missing pool, and entries without an id give nothing', () => {
    assert.deepEqual(listPoolEntries({}, 'nous'), []);
    assert.deepEqual(listPoolEntries(sampleStore(), 'nous'), []);
    assert.deepEqual(listPoolEntries({ credential_pool: { x: ['junk', { label: 'no id' }, null] as never } }, 'x'), []);
  });

  test('a malformed pool lists as empty instead of throwing; other providers still list', () => {
    for (const { json } of MALFORMED) {
      assert.deepEqual(listPoolEntries(JSON.parse(json) as AuthStore, 'openai-codex'), [], json);
    }
    const mixed = JSON.parse('{"credential_pool":{"openai-codex":{},"nous":[{"id":"n1","label":"ok"}]}}') as AuthStore;
    assert.deepEqual(listPoolEntries(mixed, 'nous'), [{ id: 'n1', label: 'ok' }]);
  });

  test('refuses provider ids that are not ids, and never reads inherited keys', () => {
    for (const bad of ['__proto__', '', 'a/b', 'x'.repeat(129)]) {
      assert.throws(() => listPoolEntries({ credential_pool: {} }, bad), TypeError);
      assert.throws(() => upsertPoolEntry({}, bad, { id: 'a' }, () => false), TypeError);
    }
    assert.deepEqual(listPoolEntries({ credential_pool: {} }, 'constructor'), []);
    const store: AuthStore = { credential_pool: {} };
    upsertPoolEntry(store, 'constructor', { id: 'a' }, () => false);
    assert.deepEqual(Object.keys(store.credential_pool!), ['constructor']);
    assert.equal(Object.getPrototypeOf(store.credential_pool), Object.prototype);
  });
});

describe('upsertPoolEntry', () => {
  test('updates the first match in place: fields merged, id, created_at and unknown keys kept', () => {
    const store = sampleStore();
    const result = upsertPoolEntry(
      store,
      'openai-codex',
      { id: 'new-id', source: 'manual:device_code', access_token: 'new', created_at: '2030-01-01T00:00:00Z', label: undefined },
      (e) => e.source === 'oauth_device' || e.email === 'me@example.com',
    );
    assert.equal(result.created, false);
    const entry = store.credential_pool!['openai-codex']![0]!;
    assert.equal(result.entry, entry);
    assert.equal(entry.id, 'a1b2c3');
    assert.equal(entry.created_at, '2026-01-01T00:00:00Z');
    assert.equal(entry.access_token, 'new');
    assert.equal(entry.source, 'manual:device_code');
    assert.equal(entry.label, 'me@example.com', 'undefined fields do not erase');
    assert.deepEqual(entry.custom, { keep: true });
    assert.equal(store.credential_pool!['openai-codex']!.length, 2);
  });

  test('appends when nothing matches, creating the pool and the list, with a fresh unique id when none is given', () => {
    const store: AuthStore = { other: 1 };
    const first = upsertPoolEntry(store, 'openai-codex', { id: '', label: 'x', created_at: 't' }, () => false);
    assert.equal(first.created, true);
    assert.match(first.entry.id, /^[0-9a-f]{6}$/);
    const second = upsertPoolEntry(store, 'openai-codex', { id: 'given' }, () => false);
    assert.equal(second.entry.id, 'given');
    assert.deepEqual(store.credential_pool!['openai-codex']!.map((e) => e.id), [first.entry.id, 'given']);
    assert.equal(store.other, 1);
  });

  test('refuses to overwrite a pool or list that is not what Hermes writes: StoreShapeError, store untouched', () => {
    for (const { json, key } of MALFORMED) {
      const store = JSON.parse(json) as AuthStore;
      assert.throws(() => upsertPoolEntry(store, 'openai-codex', { id: 'a', access_token: 'x' }, () => false), shapeError(key), json);
      assert.deepEqual(store, JSON.parse(json), `${json} was not modified`);
    }
    assert.throws(() => upsertPoolEntry({ credential_pool: [] as never }, 'x', { id: 'a' }, () => false), /not an object/);
    assert.throws(() => upsertPoolEntry({ credential_pool: { x: {} as never } }, 'x', { id: 'a' }, () => false), /not a list/);
  });

  test('on disk: a malformed auth.json reads and lists as empty, and an upsert leaves the file byte for byte', async (t) => {
    const home = tempDir(t);
    const file = path.join(home, AUTH_FILE);
    const original = '{"credential_pool":{"openai-codex":{"keep":"my data"}},"other":1}\n';
    writeFileSync(file, original, { mode: 0o600 });
    const logger = silentLogger();
    assert.deepEqual(listPoolEntries(await readAuthStore(home, { logger }), 'openai-codex'), []);
    await assert.rejects(
      updateAuthStore(home, (store) => upsertPoolEntry(store, 'openai-codex', { id: 'new' }, () => false), { logger }),
      shapeError('credential_pool.openai-codex'),
    );
    assert.equal(readFileSync(file, 'utf8'), original);
  });
});

describe('removePoolEntry', () => {
  test('removes by id and reports whether it did', () => {
    const store = sampleStore();
    assert.equal(removePoolEntry(store, 'openai-codex', 'a1b2c3'), true);
    assert.deepEqual(store.credential_pool!['openai-codex']!.map((e) => e.id), ['d4e5f6']);
    assert.equal(removePoolEntry(store, 'openai-codex', 'a1b2c3'), false);
    assert.equal(removePoolEntry(store, 'nous', 'x'), false);
    assert.equal(removePoolEntry({}, 'nous', 'x'), false);
  });

  test('refuses to edit a malformed pool with StoreShapeError', () => {
    for (const { json, key } of MALFORMED) {
      assert.throws(() => removePoolEntry(JSON.parse(json) as AuthStore, 'openai-codex', 'a'), shapeError(key), json);
    }
  });
});

describe('newEntryId', () => {
  test('is 6 hex characters (3 random bytes), and varies', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newEntryId()));
    for (const id of ids) assert.match(id, /^[0-9a-f]{6}$/);
    assert.ok(ids.size > 45);
  });
});
