/**
 * Issue 14: a Hermes home planted with links, FIFOs, look-alike temp folders and absurd JSON, as a user
 * could plant it for a server running as root. Each test is a hole that was open: it failed before the fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp, chownSync, lchownSync, mkdirSync, readFileSync, rmdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { AUTH_FILE, LOCK_FILE, readAuthStore, StoreTooDeepError, updateAuthStore } from '../../src/store/authStore.js';
import { EnvValueError, readEnvValue, setEnvValue } from '../../src/store/envFile.js';
import { listProfiles, ProfileError, resolveActiveHome, resolveProfileHome } from '../../src/store/home.js';
import { UnsafeFileError } from '../../src/store/safeOpen.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { safeMessage } from '../../src/util/secrets.js';
import { needPython, requirePython } from '../helpers/python.js';
import { pythonChild, tempDir } from '../store/helpers.js';

const quiet = { logger: silentLogger() };
const isRoot = process.getuid?.() === 0;
/** The uid that plays "the user whose home root serves". */
const USER = 65534;

/** A Hermes home owned by USER (when running as root), as a system service would serve it. */
function userHome(t: TestContext): string {
  const home = tempDir(t, 'hermes-hostile-');
  if (isRoot) chownSync(home, USER, USER);
  return home;
}

/** A root-owned file outside the home with known content and mode: what a planted link points at. */
function victim(t: TestContext, content = 'root secret\n'): string {
  const file = path.join(tempDir(t, 'hermes-victim-'), 'victim');
  writeFileSync(file, content, { mode: 0o644 });
  return file;
}

/** uid, gid and permission bits of a path (not following a link). */
function owner(p: string): [number, number, number] {
  const st = statSync(p);
  return [st.uid, st.gid, st.mode & 0o777];
}

describe('hole 1: auth.lock as a planted symlink', () => {
  test('a link to an existing file is refused, and the file is neither chowned nor changed', async (t) => {
    const home = userHome(t);
    const target = victim(t);
    symlinkSync(target, path.join(home, LOCK_FILE));
    if (isRoot) lchownSync(path.join(home, LOCK_FILE), USER, USER);
    const before = owner(target);
    await assert.rejects(updateAuthStore(home, (s) => void (s.x = 1), quiet), (err: Error) => {
      assert.ok(err instanceof UnsafeFileError, String(err));
      assert.match(err.message, /auth\.lock: it is a symbolic link/);
      return true;
    });
    assert.deepEqual(owner(target), before, 'the link target keeps its owner and mode');
    assert.equal(readFileSync(target, 'utf8'), 'root secret\n');
    await assert.rejects(fsp.stat(path.join(home, AUTH_FILE)), { code: 'ENOENT' }, 'nothing was written');
  });

  test('a dangling link is refused, and its target is not created', async (t) => {
    const home = userHome(t);
    const target = path.join(tempDir(t, 'hermes-victim-'), 'created-for-the-user');
    symlinkSync(target, path.join(home, LOCK_FILE));
    await assert.rejects(updateAuthStore(home, (s) => void (s.x = 1), quiet), UnsafeFileError);
    await assert.rejects(fsp.lstat(target), { code: 'ENOENT' });
  });

  test('the .env writer takes the same lock the same safe way', async (t) => {
    const home = userHome(t);
    const target = path.join(tempDir(t, 'hermes-victim-'), 'created-for-the-user');
    symlinkSync(target, path.join(home, LOCK_FILE));
    await assert.rejects(setEnvValue(path.join(home, '.env'), 'K', 'v'), UnsafeFileError);
    await assert.rejects(fsp.lstat(target), { code: 'ENOENT' });
  });

  test('a lock file this run creates in a user\'s home belongs to that user; an existing one is never chowned', { skip: !isRoot && 'needs root' }, async (t) => {
    const home = userHome(t);
    await setEnvValue(path.join(home, '.env'), 'K', 'v');
    assert.deepEqual(owner(path.join(home, LOCK_FILE)), [USER, USER, 0o600]);
    assert.deepEqual(owner(path.join(home, '.env')), [USER, USER, 0o600], 'a new .env belongs to the home owner too');
    const other = userHome(t);
    writeFileSync(path.join(other, LOCK_FILE), '', { mode: 0o644 }); // root's own, already there
    await updateAuthStore(other, (s) => void (s.x = 1), quiet);
    assert.deepEqual(owner(path.join(other, LOCK_FILE)), [0, 0, 0o644]);
  });
});

describe('hole 2: .env as a planted symlink', () => {
  test('a sign-in never appends to the link target nor changes its mode', async (t) => {
    const home = userHome(t);
    const target = victim(t, 'ROOT_ONLY=1\n');
    symlinkSync(target, path.join(home, '.env'));
    const before = owner(target);
    await assert.rejects(setEnvValue(path.join(home, '.env'), 'COPILOT_GITHUB_TOKEN', 'ghu_abc'), (err: Error) => {
      assert.ok(err instanceof UnsafeFileError, String(err));
      assert.match(err.message, /\.env: it is a symbolic link, which is never followed.*Replace it with the real file/);
      assert.ok(!err.message.includes('ghu_abc'));
      return true;
    });
    assert.equal(readFileSync(target, 'utf8'), 'ROOT_ONLY=1\n');
    assert.deepEqual(owner(target), before);
    assert.ok((await fsp.lstat(path.join(home, '.env'))).isSymbolicLink(), 'the link itself is left as it is');
  });

  test('reading a linked .env is refused too (its target is never read)', async (t) => {
    const home = userHome(t);
    symlinkSync(victim(t, 'COPILOT_GITHUB_TOKEN=roots\n'), path.join(home, '.env'));
    await assert.rejects(readEnvValue(path.join(home, '.env'), 'COPILOT_GITHUB_TOKEN'), UnsafeFileError);
  });
});

describe('hole 3: a profile folder that is a symlink to another home', () => {
  /** A Hermes root under a user's home, plus root's own Hermes home elsewhere. */
  function roots(t: TestContext): { root: string; other: string } {
    const root = path.join(userHome(t), '.hermes');
    mkdirSync(path.join(root, 'profiles'), { recursive: true });
    const other = tempDir(t, 'hermes-roots-');
    mkdirSync(path.join(other, 'profiles', 'work'), { recursive: true });
    return { root, other };
  }

  test('profiles/<name> as a link is refused, named, and not listed', (t) => {
    const { root, other } = roots(t);
    symlinkSync(other, path.join(root, 'profiles', 'work'));
    assert.throws(() => resolveProfileHome('work', { homeFlag: root }), (err: Error) => {
      assert.ok(err instanceof ProfileError);
      assert.match(err.message, /profiles\/work: it is a symbolic link/);
      return true;
    });
    assert.deepEqual(listProfiles(root), ['default']);
  });

  test('a profile swapped for a link after it was chosen (while its sign-in waits) is refused when saving', async (t) => {
    const { root, other } = roots(t);
    mkdirSync(path.join(root, 'profiles', 'work'));
    const { home } = resolveProfileHome('work', { homeFlag: root });
    rmdirSync(home);
    symlinkSync(path.join(other, 'profiles', 'work'), home);
    await assert.rejects(updateAuthStore(home, (s) => void (s.x = 1), quiet), /profiles\/work: it is a symbolic link/);
    await assert.rejects(setEnvValue(path.join(home, '.env'), 'K', 'v'), /profiles\/work: it is a symbolic link/);
    await assert.rejects(readAuthStore(home, quiet), UnsafeFileError);
    await assert.rejects(fsp.stat(path.join(other, 'profiles', 'work', AUTH_FILE)), { code: 'ENOENT' });
    await assert.rejects(fsp.stat(path.join(other, 'profiles', 'work', '.env')), { code: 'ENOENT' });
  });

  test('a profiles folder that is itself a link (resolving outside the root) is refused', (t) => {
    const { root, other } = roots(t);
    const real = path.join(root, 'profiles');
    rmdirSync(real);
    symlinkSync(path.join(other, 'profiles'), real);
    assert.throws(() => resolveProfileHome('work', { homeFlag: root }), /resolves outside/);
  });

  test('active_profile as a link is refused without showing its target\'s content', (t) => {
    const userDir = userHome(t);
    const root = path.join(userDir, '.hermes');
    mkdirSync(root);
    symlinkSync(victim(t, 'first-line-of-a-root-file\n'), path.join(root, 'active_profile'));
    assert.throws(() => resolveActiveHome({ userHome: userDir, env: {} }), (err: Error) => {
      assert.ok(err instanceof ProfileError);
      assert.match(err.message, /active_profile: it is a symbolic link/);
      assert.ok(!err.message.includes('first-line'));
      return true;
    });
  });

  test('active_profile as a FIFO is refused instead of blocking the server', { timeout: 10_000 }, (t) => {
    const userDir = userHome(t);
    const root = path.join(userDir, '.hermes');
    mkdirSync(root);
    assert.equal(spawnSync('mkfifo', [path.join(root, 'active_profile')]).status, 0);
    assert.throws(() => resolveActiveHome({ userHome: userDir, env: {} }), /active_profile: it is not a regular file/);
  });
});

describe('hole 4: numbers Python keeps exactly', () => {
  test('a 64-bit integer, a float written 1.0 and other exact numbers survive a save, as Python reads them', async (t) => {
    if (!needPython(t)) return;
    const home = userHome(t);
    const original = '{"x": 9223372036854775807, "y": 1.0, "z": [1e+16, 0.10000000000000000555, -0, 12345678901234567890123], "w": {"n": 3}}';
    writeFileSync(path.join(home, AUTH_FILE), original);
    await updateAuthStore(home, (s) => void (s.active_provider = 'nous'), quiet);
    const script =
      'import json,sys\n' +
      'a=json.loads(sys.argv[1]); b=json.loads(open(sys.argv[2]).read())\n' +
      'for k in ("version","updated_at","active_provider"): b.pop(k, None)\n' +
      'print(json.dumps([a==b, repr(b["x"]), repr(b["y"]), repr(b["z"])]))\n';
    const r = spawnSync(requirePython(['fcntl']), ['-c', script, original, path.join(home, AUTH_FILE)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [true, '9223372036854775807', '1.0', '[1e+16, 0.1, 0, 12345678901234567890123]']);
    const text = readFileSync(path.join(home, AUTH_FILE), 'utf8');
    for (const literal of ['9223372036854775807', '1.0', '1e+16', '0.10000000000000000555', '-0', '12345678901234567890123']) {
      assert.ok(text.includes(literal), `${literal} written as it was read`);
    }
  });
});

describe('hole 5: auth.json nested 10,000 levels deep', () => {
  test('the error names the file and what to do; nothing is written', async (t) => {
    const home = userHome(t);
    const file = path.join(home, AUTH_FILE);
    const deep = `{"x": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    writeFileSync(file, deep);
    for (const attempt of [readAuthStore(home, quiet), updateAuthStore(home, (s) => void (s.x = 1), quiet)]) {
      await assert.rejects(attempt, (err: Error) => {
        assert.ok(err instanceof StoreTooDeepError, String(err));
        assert.ok(err.message.includes(file), err.message);
        assert.match(err.message, /nested more than 512 levels.*Move it aside/);
        return true;
      });
    }
    assert.equal(readFileSync(file, 'utf8'), deep);
  });
});

describe('hole 6: auth.json as a FIFO', () => {
  test('a sign-in refuses it at once, before taking auth.lock, so Hermes Agent is never locked out', { timeout: 10_000 }, async (t) => {
    if (!needPython(t)) return;
    const home = userHome(t);
    assert.equal(spawnSync('mkfifo', [path.join(home, AUTH_FILE)]).status, 0);
    // Hermes Agent holds the lock: a writer that took the lock first would wait on it (on a clock that never moves)
    const python = pythonChild(t, ['hold', home]);
    await python.waitFor('locked');
    const clock = new ManualClock();
    await assert.rejects(updateAuthStore(home, (s) => void (s.x = 1), { ...quiet, clock }), /auth\.json: it is not a regular file/);
    python.send();
    await python.waitFor('released');
    await assert.rejects(readAuthStore(home, quiet), UnsafeFileError);
  });

  test('a .env FIFO is refused the same way', { timeout: 10_000 }, async (t) => {
    const home = userHome(t);
    assert.equal(spawnSync('mkfifo', [path.join(home, '.env')]).status, 0);
    await assert.rejects(setEnvValue(path.join(home, '.env'), 'K', 'v'), /\.env: it is not a regular file/);
    await assert.rejects(readEnvValue(path.join(home, '.env'), 'K'), UnsafeFileError);
  });
});

describe('hole 7: a folder named like a temp file', () => {
  test('saves go on working, the folder is left alone', async (t) => {
    const home = userHome(t);
    const planted = path.join(home, `.${AUTH_FILE}.tmp-1-abcdef012345`);
    mkdirSync(planted);
    writeFileSync(path.join(planted, 'keep'), 'x');
    await updateAuthStore(home, (s) => void (s.x = 1), quiet);
    await updateAuthStore(home, (s) => void (s.y = 2), quiet);
    const store = await readAuthStore(home, quiet);
    assert.deepEqual([store.x, store.y], [1, 2]);
    assert.equal(readFileSync(path.join(planted, 'keep'), 'utf8'), 'x');
    const envPlanted = path.join(home, '..env.tmp-1-abcdef012345');
    mkdirSync(envPlanted);
    await setEnvValue(path.join(home, '.env'), 'K', 'v');
    assert.ok(statSync(envPlanted).isDirectory());
  });

  test('paths in a message are shown, not masked as tokens', () => {
    const message = "EISDIR: illegal operation on a directory, rename '/home/u/.hermes/.auth.json.tmp-12345-abcdef012345' -> '/home/u/.hermes/auth.json'";
    assert.equal(safeMessage(message), message);
  });
});

describe('hole 8: a token that python-dotenv would interpolate', () => {
  test('a value holding ${VAR} is refused, naming the key, never showing the value', async (t) => {
    const home = userHome(t);
    const file = path.join(home, '.env');
    writeFileSync(file, 'OPENAI_API_KEY=sk-users-key\n');
    await assert.rejects(setEnvValue(file, 'COPILOT_GITHUB_TOKEN', 'ghu_${OPENAI_API_KEY}'), (err: Error) => {
      assert.ok(err instanceof EnvValueError);
      assert.match(err.message, /COPILOT_GITHUB_TOKEN contains "\$\{…\}"/);
      assert.ok(!err.message.includes('ghu_'));
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), 'OPENAI_API_KEY=sk-users-key\n');
  });

  test('every value written reads back exactly with python-dotenv (interpolation on, as Hermes Agent loads it)', async (t) => {
    if (!needPython(t, ['dotenv'])) return;
    const home = userHome(t);
    const file = path.join(home, '.env');
    writeFileSync(file, 'OPENAI_API_KEY=sk-users-key\n');
    const values = [
      'ghu_plain', "it's", 'back\\slash', "\\'", "'", '\\', '\\\\\'\'', 'a"b', 'x # not a comment', ' lead and trail ',
      '$OPENAI_API_KEY', '${', '$}', '${unclosed', 'é ü 漢字 🎉', '=', '', '#', 'tab\there',
      'ends\\', "a'b\\", 'two\\\\', '\\x\\',
    ];
    const refused = ['${OPENAI_API_KEY}', 'a${X:-default}b', '${}', 'line\nbreak', 'cr\rhere', 'nul\0', '\ud800lone', ' space then backslash\\', "'quoted\\"];
    const keys = values.map((_, i) => `V${i}`);
    for (const [i, value] of values.entries()) await setEnvValue(file, keys[i]!, value);
    for (const value of refused) await assert.rejects(setEnvValue(file, 'R', value), EnvValueError, JSON.stringify(value));
    const r = spawnSync(
      requirePython(['dotenv']),
      ['-c', 'import json,sys\nfrom dotenv import dotenv_values\nprint(json.dumps(dotenv_values(sys.argv[1], encoding="utf-8")))', file],
      { encoding: 'utf8', env: { ...process.env, OPENAI_API_KEY: 'sk-from-the-environment' } },
    );
    assert.equal(r.status, 0, r.stderr);
    const read = JSON.parse(r.stdout) as Record<string, string>;
    for (const [i, value] of values.entries()) assert.equal(read[keys[i]!], value, `V${i} = ${JSON.stringify(value)}`);
    assert.equal(read.R, undefined);
    assert.equal(read.OPENAI_API_KEY, 'sk-users-key');
  });
});
