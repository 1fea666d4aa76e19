/** Home and profile resolution: every rule of issue 2 §2 and docs/api.md (Configuration, HTTP API `profile`), on real folders. */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import {
  hermesRootOf,
  listProfiles,
  ProfileError,
  PROFILE_NAME_RE,
  resolveActiveHome,
  resolveProfileHome,
  validateProfileName,
  type HomeOptions,
} from '../../src/store/home.js';
import { tempDir } from './helpers.js';

/** A user home with `~/.hermes` and the given profile folders. */
function userWithRoot(t: TestContext, profiles: string[] = []): { userHome: string; root: string } {
  const userHome = tempDir(t);
  const root = path.join(userHome, '.hermes');
  mkdirSync(root);
  for (const p of profiles) mkdirSync(path.join(root, 'profiles', p), { recursive: true });
  return { userHome, root };
}

/** Options with an empty environment, so the real HERMES_HOME never leaks in. */
function opts(userHome: string, extra: Partial<HomeOptions> & { HERMES_HOME?: string } = {}): HomeOptions {
  const env: NodeJS.ProcessEnv = extra.HERMES_HOME === undefined ? {} : { HERMES_HOME: extra.HERMES_HOME };
  return { userHome, env, ...(extra.homeFlag === undefined ? {} : { homeFlag: extra.homeFlag }) };
}

const BAD_NAMES = ['', '.', '..', '../x', 'a/b', '/abs', 'a\\b', 'Work', 'WORK', '-a', '_a', 'a b', 'a\n', 'é', 'a'.repeat(65)];

describe('validateProfileName', () => {
  test('accepts names of the Hermes rule, up to 64 characters', () => {
    for (const name of ['a', '0', 'work', 'a-b_c', 'default', 'a'.repeat(64)]) {
      assert.equal(validateProfileName(name), name);
      assert.match(name, PROFILE_NAME_RE);
    }
  });

  test('rejects "..", "/", upper case, empty, 65 characters and more with a 400 ProfileError saying the rule', () => {
    for (const name of BAD_NAMES) {
      assert.throws(
        () => validateProfileName(name),
        (err: unknown) => err instanceof ProfileError && err.status === 400 && /lower-case letters, digits/.test(err.message),
        `name ${JSON.stringify(name)}`,
      );
    }
  });
});

describe('resolveActiveHome', () => {
  test('without HERMES_HOME or active_profile: the root ~/.hermes, profile default (even when it does not exist yet)', (t) => {
    const userHome = tempDir(t);
    assert.deepEqual(resolveActiveHome(opts(userHome)), {
      root: path.join(userHome, '.hermes'),
      home: path.join(userHome, '.hermes'),
      profile: 'default',
    });
  });

  test('active_profile with or without a trailing newline picks <root>/profiles/<name>', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    for (const content of ['work\n', 'work', '  work \n']) {
      writeFileSync(path.join(root, 'active_profile'), content);
      assert.deepEqual(resolveActiveHome(opts(userHome)), { root, home: path.join(root, 'profiles', 'work'), profile: 'work' });
    }
  });

  test('active_profile "default" or empty means the root', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    for (const content of ['default\n', 'default', '', '\n']) {
      writeFileSync(path.join(root, 'active_profile'), content);
      assert.deepEqual(resolveActiveHome(opts(userHome)), { root, home: root, profile: 'default' });
    }
  });

  test('active_profile naming a missing profile is a ProfileError that says how to create it', (t) => {
    const { userHome, root } = userWithRoot(t, ['other']);
    writeFileSync(path.join(root, 'active_profile'), 'work\n');
    assert.throws(() => resolveActiveHome(opts(userHome)), (err: unknown) => {
      assert.ok(err instanceof ProfileError);
      assert.match(err.message, /hermes profile create work/);
      assert.match(err.message, /default, other/);
      return true;
    });
  });

  test('active_profile with an invalid name never becomes a path', (t) => {
    const { userHome, root } = userWithRoot(t);
    mkdirSync(path.join(userHome, 'evil'));
    for (const content of ['../../evil', 'Work', '/etc', 'a/b']) {
      writeFileSync(path.join(root, 'active_profile'), content);
      assert.throws(() => resolveActiveHome(opts(userHome)), (err: unknown) => {
        assert.ok(err instanceof ProfileError);
        assert.match(err.message, /not a valid profile name/);
        assert.match(err.message, /hermes profile use default/);
        return true;
      });
    }
  });

  test('HERMES_HOME wins over active_profile; the root itself is profile default', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    writeFileSync(path.join(root, 'active_profile'), 'work\n');
    assert.deepEqual(resolveActiveHome(opts(userHome, { HERMES_HOME: root })), { root, home: root, profile: 'default' });
  });

  test('HERMES_HOME=<root>/profiles/<name> is profile <name> of ~/.hermes', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    const home = path.join(root, 'profiles', 'work');
    assert.deepEqual(resolveActiveHome(opts(userHome, { HERMES_HOME: home })), { root, home, profile: 'work' });
  });

  test('HERMES_HOME elsewhere under profiles/: the root is its grandparent', (t) => {
    const userHome = tempDir(t);
    const srv = tempDir(t);
    const home = path.join(srv, 'profiles', 'team');
    assert.deepEqual(resolveActiveHome(opts(userHome, { HERMES_HOME: home })), { root: srv, home, profile: 'team' });
  });

  test('HERMES_HOME elsewhere, not under profiles/: it is its own root, profile default', (t) => {
    const userHome = tempDir(t);
    const home = path.join(tempDir(t), 'hermes-data');
    assert.deepEqual(resolveActiveHome(opts(userHome, { HERMES_HOME: home })), { root: home, home, profile: 'default' });
  });

  test('HERMES_HOME inside ~/.hermes but not a profile folder is reported as "custom", as Hermes Agent does', (t) => {
    const { userHome, root } = userWithRoot(t);
    const home = path.join(root, 'elsewhere');
    assert.deepEqual(resolveActiveHome(opts(userHome, { HERMES_HOME: home })), { root, home, profile: 'custom' });
  });

  test('--home wins over HERMES_HOME; "~" is expanded, relative paths resolved, empty values ignored', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    const flagged = resolveActiveHome({ ...opts(userHome, { HERMES_HOME: '/nowhere' }), homeFlag: '~/.hermes/profiles/work' });
    assert.deepEqual(flagged, { root, home: path.join(root, 'profiles', 'work'), profile: 'work' });
    assert.equal(resolveActiveHome({ userHome, env: { HERMES_HOME: 'rel/dir' } }).home, path.resolve('rel/dir'));
    assert.equal(resolveActiveHome({ userHome, env: { HERMES_HOME: '  ' }, homeFlag: '' }).home, root);
  });
});

describe('hermesRootOf', () => {
  test('follows docs/api.md (HTTP API `profile`)', (t) => {
    const userHome = tempDir(t);
    const native = path.join(userHome, '.hermes');
    assert.equal(hermesRootOf(native, userHome), native);
    assert.equal(hermesRootOf(path.join(native, 'profiles', 'x'), userHome), native);
    assert.equal(hermesRootOf('/srv/h/profiles/x', userHome), '/srv/h');
    assert.equal(hermesRootOf('/srv/h', userHome), '/srv/h');
    assert.equal(hermesRootOf('/srv/h/other/x', userHome), '/srv/h/other/x');
  });

  test('a symlink into ~/.hermes counts as inside it', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    const link = path.join(tempDir(t), 'link');
    symlinkSync(path.join(root, 'profiles', 'work'), link);
    assert.equal(hermesRootOf(link, userHome), root);
  });
});

describe('resolveProfileHome', () => {
  test('undefined is the active profile', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    writeFileSync(path.join(root, 'active_profile'), 'work\n');
    assert.deepEqual(resolveProfileHome(undefined, opts(userHome)), resolveActiveHome(opts(userHome)));
    assert.equal(resolveProfileHome(undefined, opts(userHome)).profile, 'work');
  });

  test('"default" is the root, also when HERMES_HOME points at a profile, and even when the root is missing', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    const env = opts(userHome, { HERMES_HOME: path.join(root, 'profiles', 'work') });
    assert.deepEqual(resolveProfileHome('default', env), { root, home: root, profile: 'default' });
    const bare = tempDir(t);
    const missing = path.join(bare, '.hermes');
    assert.deepEqual(resolveProfileHome('default', opts(bare)), { root: missing, home: missing, profile: 'default' });
  });

  test('another name is <root>/profiles/<name> of the root HERMES_HOME belongs to', (t) => {
    const srv = tempDir(t);
    mkdirSync(path.join(srv, 'profiles', 'work'), { recursive: true });
    const env = opts(tempDir(t), { HERMES_HOME: path.join(srv, 'profiles', 'team') });
    assert.deepEqual(resolveProfileHome('work', env), { root: srv, home: path.join(srv, 'profiles', 'work'), profile: 'work' });
  });

  test('a missing profile folder, a file in its place, or a missing root is a 400 ProfileError', (t) => {
    const { userHome, root } = userWithRoot(t, ['work']);
    writeFileSync(path.join(root, 'profiles', 'file'), '');
    for (const name of ['nope', 'file']) {
      assert.throws(() => resolveProfileHome(name, opts(userHome)), (err: unknown) => err instanceof ProfileError && err.status === 400);
    }
    assert.throws(() => resolveProfileHome('work', opts(tempDir(t))), /does not exist/);
  });

  test('bad names are refused before any path is built, whatever the active profile', (t) => {
    const { userHome, root } = userWithRoot(t);
    writeFileSync(path.join(root, 'active_profile'), 'Broken!\n');
    mkdirSync(path.join(root, 'profiles', '..', 'x'), { recursive: true });
    for (const name of BAD_NAMES) {
      assert.throws(() => resolveProfileHome(name, opts(userHome)), /not a valid profile name/, JSON.stringify(name));
    }
    assert.equal(resolveProfileHome('default', opts(userHome)).home, root, 'an explicit profile ignores a broken active_profile');
  });
});

describe('listProfiles', () => {
  test('default first, then valid-named real folders under profiles/, sorted (symlinks are refused, so not listed)', (t) => {
    const { root } = userWithRoot(t, ['b', 'a', 'Bad', '.hidden', 'default']);
    writeFileSync(path.join(root, 'profiles', 'file'), '');
    symlinkSync(path.join(root, 'profiles', 'a'), path.join(root, 'profiles', 'c-link'));
    symlinkSync(path.join(root, 'profiles', 'file'), path.join(root, 'profiles', 'd-link'));
    assert.deepEqual(listProfiles(root), ['default', 'a', 'b']);
  });

  test('a root without profiles/ or missing entirely lists only default', (t) => {
    const { root } = userWithRoot(t);
    assert.deepEqual(listProfiles(root), ['default']);
    assert.deepEqual(listProfiles(path.join(root, 'missing')), ['default']);
  });
});
