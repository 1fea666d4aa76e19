/** The .env writer: other lines and comments kept byte for byte, values replaced or added, quoting, 0600, atomic. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, it, type TestContext } from 'node:test';
import { formatEnvValue, getEnvLine, readEnvValue, setEnvLine, setEnvValue } from '../../src/store/envFile.js';
import { ManualClock } from '../helpers/clock.js';
import { needPython, requirePython } from '../helpers/python.js';
import { pythonChild, tempDir } from './helpers.js';

describe('setEnvLine', () => {
  it('replaces the value in place and keeps every other line and comment', () => {
    const before = '# Hermes keys\nOPENAI_API_KEY=sk-1   # main\n\n  COPILOT_GITHUB_TOKEN = old # stale\nexport  OTHER="x y"\n# COPILOT_GITHUB_TOKEN=in-a-comment\n';
    assert.equal(
      setEnvLine(before, 'COPILOT_GITHUB_TOKEN', 'ghu_new'),
      '# Hermes keys\nOPENAI_API_KEY=sk-1   # main\n\n  COPILOT_GITHUB_TOKEN=ghu_new\nexport  OTHER="x y"\n# COPILOT_GITHUB_TOKEN=in-a-comment\n',
    );
  });

  it('keeps the export form', () => {
    assert.equal(setEnvLine('export COPILOT_GITHUB_TOKEN=old\n', 'COPILOT_GITHUB_TOKEN', 'new'), 'export COPILOT_GITHUB_TOKEN=new\n');
  });

  it('does not touch keys that merely start with the same name', () => {
    assert.equal(setEnvLine('COPILOT_GITHUB_TOKEN_OLD=1\n', 'COPILOT_GITHUB_TOKEN', 'v'), 'COPILOT_GITHUB_TOKEN_OLD=1\nCOPILOT_GITHUB_TOKEN=v\n');
  });

  it('appends, adding the missing final line break first', () => {
    assert.equal(setEnvLine('', 'K', 'v'), 'K=v\n');
    assert.equal(setEnvLine('A=1\n', 'K', 'v'), 'A=1\nK=v\n');
    assert.equal(setEnvLine('A=1', 'K', 'v'), 'A=1\nK=v\n');
  });

  it('keeps CRLF files CRLF, and a BOM in front of the first key', () => {
    assert.equal(setEnvLine('A=1\r\nK=old\r\nB=2\r\n', 'K', 'v'), 'A=1\r\nK=v\r\nB=2\r\n');
    assert.equal(setEnvLine('A=1\r\n', 'K', 'v'), 'A=1\r\nK=v\r\n');
    assert.equal(setEnvLine('\xEF\xBB\xBFK=old\n', 'K', 'v'), '\xEF\xBB\xBFK=v\n');
  });

  it('sets every assignment of the key, so no stale duplicate wins', () => {
    assert.equal(setEnvLine('K=a\nX=1\nK=b\n', 'K', 'v'), 'K=v\nX=1\nK=v\n');
  });

  it('quotes values that need it, and refuses line breaks and bad names', () => {
    assert.equal(formatEnvValue('ghu_abc-123.x/y+z='), 'ghu_abc-123.x/y+z=');
    assert.equal(formatEnvValue("it's a $HOME #x \\ y"), "'it\\'s a $HOME #x \\\\ y'");
    assert.equal(formatEnvValue(''), '');
    assert.throws(() => formatEnvValue('a\nb'), /line break/);
    assert.throws(() => setEnvLine('', 'BAD-NAME', 'v'), /not a valid/);
  });

  it('reads back what it writes, and the common hand-written forms', () => {
    for (const value of ['plain', "it's a $HOME #x \\ y", 'spaces  inside', 'é ü 漢字', '']) {
      assert.equal(getEnvLine(setEnvLine('A=1\n', 'K', value), 'K'), value);
    }
    assert.equal(getEnvLine('K="a \\"b\\" c" # note\n', 'K'), 'a "b" c');
    assert.equal(getEnvLine("K='x # y'\n", 'K'), 'x # y');
    assert.equal(getEnvLine('K=v # note\n', 'K'), 'v');
    assert.equal(getEnvLine('K=first\nK=last\n', 'K'), 'last');
    assert.equal(getEnvLine('# K=commented\n', 'K'), undefined);
  });
});

describe('setEnvValue (on disk)', () => {
  let dir: string;
  let file: string;
  // beforeEach gets the test's own context, so the folder goes when each test ends.
  beforeEach((t) => {
    dir = tempDir(t as TestContext, 'envfile-');
    file = path.join(dir, '.env');
  });

  async function mode(p: string): Promise<number> {
    return (await fsp.stat(p)).mode & 0o777;
  }

  it('creates a missing file (and folder) with mode 0600, whatever the umask', async () => {
    const nested = path.join(dir, 'profiles', 'work', '.env');
    const old = process.umask(0o000);
    try {
      await setEnvValue(nested, 'COPILOT_GITHUB_TOKEN', 'ghu_1');
    } finally {
      process.umask(old);
    }
    assert.equal(await fsp.readFile(nested, 'utf8'), 'COPILOT_GITHUB_TOKEN=ghu_1\n');
    assert.equal(await mode(nested), 0o600);
  });

  it('replaces the value, keeps every other byte (even invalid UTF-8) and ends 0600 when it was 0644', async () => {
    const before = Buffer.concat([
      Buffer.from('# keys\nLATIN1=caf'),
      Buffer.from([0xe9]),
      Buffer.from('\nexport COPILOT_GITHUB_TOKEN=old\nTAIL=1'),
    ]);
    await fsp.writeFile(file, before, { mode: 0o644 });
    await fsp.chmod(file, 0o644);
    const inodeBefore = (await fsp.stat(file)).ino;
    await setEnvValue(file, 'COPILOT_GITHUB_TOKEN', 'ghu_new');
    const after = await fsp.readFile(file);
    assert.deepEqual(after, Buffer.from(before.toString('latin1').replace('=old', '=ghu_new'), 'latin1'));
    assert.equal(await mode(file), 0o600);
    assert.notEqual((await fsp.stat(file)).ino, inodeBefore, 'replaced by rename, not rewritten in place');
    assert.equal(await readEnvValue(file, 'COPILOT_GITHUB_TOKEN'), 'ghu_new');
    assert.deepEqual((await fsp.readdir(dir)).sort(), ['.env', 'auth.lock'], 'no temp file left behind');
  });

  it('serialises concurrent writers in one process: every key lands', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => setEnvValue(file, `KEY_${i}`, `value-${i}`)));
    const text = await fsp.readFile(file, 'utf8');
    for (let i = 0; i < 25; i++) assert.equal(getEnvLine(text, `KEY_${i}`), `value-${i}`);
    assert.equal(text.split('\n').length, 26);
  });

  it('removes temp files a dead writer left behind', async () => {
    const stale = path.join(dir, '..env.tmp-999999-abcdef012345');
    await fsp.writeFile(stale, 'half a file');
    await setEnvValue(file, 'K', 'v');
    await assert.rejects(fsp.stat(stale), { code: 'ENOENT' });
  });

  it('refuses a symlinked .env instead of writing through it (issue 14), leaving link and target as they are', async () => {
    const real = path.join(dir, 'real.env');
    await fsp.writeFile(real, 'A=1\n');
    await fsp.symlink(real, file);
    await assert.rejects(setEnvValue(file, 'K', 'v'), /is a symbolic link/);
    assert.ok((await fsp.lstat(file)).isSymbolicLink());
    assert.equal(await fsp.readFile(real, 'utf8'), 'A=1\n');
  });

  it('honours the auth.lock flock another process holds, then writes once it is free', async (t) => {
    if (!needPython(t)) return;
    const python = pythonChild(t, ['hold', dir]);
    await python.waitFor('locked');
    const clock = new ManualClock();
    const refused = assert.rejects(setEnvValue(file, 'K', 'v', { lockTimeoutMs: 200, clock }), /locked by another process/);
    await clock.untilTimers(1); // the lock was busy: its first pause has begun
    await clock.advance(200);
    await refused;
    await assert.rejects(fsp.stat(file), { code: 'ENOENT' });
    python.send('release');
    await python.waitFor('released');
    await python.succeeded();
    await setEnvValue(file, 'K', 'v', { lockTimeoutMs: 2000 });
    assert.equal(await fsp.readFile(file, 'utf8'), 'K=v\n');
  });

  it('writes values python-dotenv (what Hermes Agent reads .env with) reads back unchanged', async (t) => {
    if (!needPython(t, ['dotenv'])) return;
    const values = { PLAIN: 'ghu_abc123', TRICKY: "it's a $HOME #x \\ y \"q\"", UNICODE: 'é 漢字' };
    await fsp.writeFile(file, '# comment\nexport EXISTING=1\n');
    for (const [k, v] of Object.entries(values)) await setEnvValue(file, k, v);
    const out = spawnSync(requirePython(['dotenv']), ['-c', 'import dotenv,json,sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))', file], {
      encoding: 'utf8',
    });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { EXISTING: '1', ...values });
  });
});
