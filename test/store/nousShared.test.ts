/** The shared Nous store (`<root>/shared/nous_auth.json`): where it is, what it holds, and its lock. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { nousSharedContent, nousSharedDir, writeNousShared } from '../../src/store/nousShared.js';
import { UnsafeFileError } from '../../src/store/safeOpen.js';
import { deferred } from '../helpers/deferred.js';
import { needPython, requirePython } from '../helpers/python.js';
import { LineChild, tempDir } from './helpers.js';

const STATE = {
  access_token: 'at',
  refresh_token: 'rt',
  scope: 'inference:invoke',
  portal_base_url: 'https://portal.nousresearch.com',
  obtained_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-01T01:00:00.000Z',
  agent_key: 'at',
  tls: { insecure: false, ca_bundle: null },
};

describe('nousSharedDir', () => {
  test('follows get_default_hermes_root: the native root, a profiles folder\'s parent, else the home; HERMES_SHARED_AUTH_DIR wins', () => {
    const user = '/home/u';
    assert.equal(nousSharedDir('/home/u/.hermes', { userHome: user }), '/home/u/.hermes/shared');
    assert.equal(nousSharedDir('/home/u/.hermes/profiles/work', { userHome: user }), '/home/u/.hermes/shared');
    assert.equal(nousSharedDir('/opt/data/profiles/work', { userHome: user }), '/opt/data/shared');
    assert.equal(nousSharedDir('/opt/data', { userHome: user }), '/opt/data/shared');
    assert.equal(nousSharedDir('/opt/data', { userHome: user, sharedAuthDir: '/srv/shared' }), '/srv/shared');
  });
});

describe('nousSharedContent', () => {
  test('is _write_shared_nous_state\'s shape: sorted keys, Hermes\' defaults, no agent key, no final newline', () => {
    const text = nousSharedContent(STATE, Date.UTC(2026, 0, 2))!;
    assert.ok(!text.endsWith('\n'));
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), [...Object.keys(parsed)].sort());
    assert.deepEqual(parsed, {
      _schema: 1,
      access_token: 'at',
      refresh_token: 'rt',
      token_type: 'Bearer',
      scope: 'inference:invoke',
      client_id: 'hermes-cli',
      portal_base_url: 'https://portal.nousresearch.com',
      inference_base_url: 'https://inference-api.nousresearch.com/v1',
      obtained_at: '2026-01-01T00:00:00.000Z',
      expires_at: '2026-01-01T01:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000+00:00',
    });
  });

  test('nothing is shared without both tokens', () => {
    assert.equal(nousSharedContent({ ...STATE, refresh_token: null }, 0), undefined);
    assert.equal(nousSharedContent({ ...STATE, access_token: ' ' }, 0), undefined);
  });
});

describe('writeNousShared', () => {
  test('writes 0600 and waits for a process holding nous_auth.lock', async (t) => {
    if (!needPython(t)) return;
    const home = tempDir(t, 'nous-shared-');
    const dir = path.join(home, 'shared');
    mkdirSync(dir);
    const holder = new LineChild(requirePython(['fcntl']), [
      '-c',
      'import fcntl,sys\nf=open(sys.argv[1],"a+")\nfcntl.flock(f.fileno(),fcntl.LOCK_EX)\nprint("locked",flush=True)\nsys.stdin.readline()',
      path.join(dir, 'nous_auth.lock'),
    ]);
    t.after(() => void holder.proc.kill('SIGKILL'));
    await holder.waitFor('locked');
    const waiting = deferred();
    const writing = writeNousShared(home, {}, STATE, { onLockWait: () => waiting.resolve() });
    await waiting.promise;
    assert.equal(existsSync(path.join(dir, 'nous_auth.json')), false, 'no write while Hermes Agent holds the lock');
    holder.send();
    const file = await writing;
    assert.equal(file, path.join(dir, 'nous_auth.json'));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(JSON.parse(await readFile(file, 'utf8')).refresh_token, 'rt');
  });

  test('creates the shared folder 0700 when it is missing', async (t) => {
    const home = tempDir(t, 'nous-shared-');
    const file = await writeNousShared(path.join(home, 'profiles', 'work'), {}, STATE);
    assert.equal(file, path.join(home, 'shared', 'nous_auth.json'));
    assert.equal((await stat(path.join(home, 'shared'))).mode & 0o777, 0o700);
  });

  test('refuses a `shared` folder that is a link, and writes nothing where it points', async (t) => {
    const home = tempDir(t, 'nous-shared-');
    const elsewhere = tempDir(t, 'nous-elsewhere-');
    symlinkSync(elsewhere, path.join(home, 'shared'));
    await assert.rejects(writeNousShared(path.join(home, 'profiles', 'work'), {}, STATE), (err: unknown) => err instanceof UnsafeFileError && err.reason === 'symlink');
    assert.deepEqual(readdirSync(elsewhere), []);
    // a dangling link would make mkdir -p create its target: refused as well
    const dangling = tempDir(t, 'nous-shared-');
    symlinkSync(path.join(elsewhere, 'made'), path.join(dangling, 'shared'));
    await assert.rejects(writeNousShared(dangling, {}, STATE), UnsafeFileError);
    assert.deepEqual(readdirSync(elsewhere), []);
  });

  test('writes nothing for a state without a refresh token', async (t) => {
    const home = tempDir(t, 'nous-shared-');
    assert.equal(await writeNousShared(home, {}, { ...STATE, refresh_token: null }), undefined);
    assert.equal(existsSync(path.join(home, 'shared')), false);
  });
});
