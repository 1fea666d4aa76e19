/** Issue 14 at the terminal: `status` and `login` say clearly what they refused in a hostile home, and exit non-zero. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../store/helpers.js';
import { runToEnd } from './cliRun.js';

test('status refuses a symlinked profile folder, saying why', async (t) => {
  const root = tempDir(t, 'hermes-cli-refusals-');
  mkdirSync(path.join(root, 'profiles'));
  symlinkSync(tempDir(t, 'hermes-other-home-'), path.join(root, 'profiles', 'work'));
  const run = await runToEnd(t, root, ['status', '--home', root, '--profile', 'work']);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /profiles\/work: it is a symbolic link, and hermes-onboard never follows links/);
});

test('status refuses an auth.json that is a FIFO at once, naming it, instead of hanging', async (t) => {
  const root = tempDir(t, 'hermes-cli-refusals-');
  assert.equal(spawnSync('mkfifo', [path.join(root, 'auth.json')]).status, 0);
  const run = await runToEnd(t, root, ['status', '--home', root]);
  assert.notEqual(run.code, 0);
  assert.ok(run.stderr.includes(`Refused ${path.join(root, 'auth.json')}: it is not a regular file`), run.stderr);
});

test('login refuses a symlinked profile folder before asking any provider', async (t) => {
  const root = tempDir(t, 'hermes-cli-refusals-');
  mkdirSync(path.join(root, 'profiles'));
  symlinkSync(tempDir(t, 'hermes-other-home-'), path.join(root, 'profiles', 'work'));
  const run = await runToEnd(t, root, ['login', 'codex', '--home', root, '--profile', 'work'], { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: 'http://127.0.0.1:9' });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /profiles\/work: it is a symbolic link/);
});
