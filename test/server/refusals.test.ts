/**
 * Issue 14 over the HTTP API: each refusal of a hostile home reaches the page as a clear message, and a
 * provider's absurd interval is clamped before the page sees it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_INTERVAL_SECONDS } from '../../src/providers/answerFields.js';
import { useHarness } from '../helpers/harness.js';
import { tempDir } from '../store/helpers.js';

test('a provider interval of "1000000000" reaches the page clamped', async (t) => {
  const h = await useHarness(t, { fake: { interval: '1000000000' } });
  const res = await h.start({ provider: 'openai-codex' });
  assert.equal(res.status, 200);
  assert.equal(res.body.poll_interval_seconds, MAX_INTERVAL_SECONDS);
});

test('a profile folder that is a symlink is refused with 400 and a message saying why', async (t) => {
  const h = await useHarness(t);
  const elsewhere = tempDir(t, 'hermes-other-home-');
  await mkdir(path.join(h.home, 'profiles'), { recursive: true });
  await symlink(elsewhere, path.join(h.home, 'profiles', 'work'));
  const res = await h.start({ provider: 'openai-codex', profile: 'work' });
  assert.equal(res.status, 400);
  assert.match(res.body.error, /profiles\/work: it is a symbolic link.*never follows links/);
  const listed = await h.request({ url: '/api/onboarding/profiles' });
  assert.deepEqual(listed.body.profiles, ['default']);
});

test('an auth.json that is a FIFO is refused at once with a message naming it', { timeout: 20_000 }, async (t) => {
  const h = await useHarness(t);
  assert.equal(spawnSync('mkfifo', [path.join(h.home, 'auth.json')]).status, 0);
  const res = await h.request({ url: '/api/onboarding/providers' });
  assert.equal(res.status, 500);
  assert.ok(res.body.error.includes(path.join(h.home, 'auth.json')), res.body.error);
  assert.match(res.body.error, /not a regular file.*Move it out of the way/);
});

test('a planted auth.lock link ends the sign-in with an error saying what was refused; the link target is untouched', async (t) => {
  const h = await useHarness(t);
  const target = path.join(tempDir(t, 'hermes-victim-'), 'victim');
  await writeFile(target, 'root only\n');
  await symlink(target, path.join(h.home, 'auth.lock'));
  const start = await h.startFlow();
  h.fake.approve(start.user_code, { email: 'ada@example.com' });
  await h.advancePoll();
  const status = await h.waitForStatus(start.flow_id, 'error');
  assert.ok(status.error!.length <= 200);
  assert.match(status.error!, /could not be saved: Refused .*auth\.lock: it is a symbolic link, which is never followed.*Replace it with the real file\.$/);
  assert.equal(await readFile(target, 'utf8'), 'root only\n');
  assert.equal(await h.authBytes(), undefined);
});
