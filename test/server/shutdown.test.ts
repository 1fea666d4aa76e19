/**
 * The real command line: `hermes-onboard serve --port 0` starts, answers, and shuts down cleanly on SIGTERM and
 * SIGINT: it stops accepting, cancels pending sign-ins without writing, lets a commit in progress finish, exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { acquireFlock } from '../../src/store/lock.js';
import { startCodexFake } from '../fakes/codexFake.js';
import { holdsOpen, postJson, procFdMissingReason, startCli, type CliServer } from '../helpers/cliChild.js';
import { assertNoLeak, eventually, guarded, useHarness } from '../helpers/harness.js';
import { allowedSkip } from '../helpers/requirements.js';
import { tempDir } from '../store/helpers.js';

/** The grace the contract gives a shutdown. */
const SHUTDOWN_BOUND_MS = 5000;

/** Sends `signal` and asserts the child exits 0 (not killed by the signal) within the shutdown bound. */
async function stopsCleanly(server: CliServer, signal: NodeJS.Signals): Promise<void> {
  server.proc.kill(signal);
  const end = await guarded(server.exited, `the server to exit after ${signal}`, SHUTDOWN_BOUND_MS);
  assert.equal(end.signal, null, `the process handled ${signal} instead of dying of it`);
  assert.equal(end.code, 0, `exit code; stderr: ${server.stderr()}`);
  assert.ok(server.output.some((l) => l.includes('shutting down') && l.includes(signal)), `the shutdown on ${signal} is logged`);
}

/** True when a request to the server is refused: connection refused or closed, or an error status. */
async function refused(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status !== 200;
  } catch {
    return true;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`serve --port 0: prints its address, answers, and on ${signal} exits 0 within 5 s, writing nothing and closing its port`, async (t) => {
    const fake = await startCodexFake();
    t.after(() => fake.close());
    const dir = tempDir(t, 'hermes-cli-');
    const server = await startCli(t, dir, { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${server.url}/api/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { ok: boolean }).ok, true);

    const start = await postJson(`${server.url}/api/onboarding/oauth/start`, { provider: 'openai-codex' });
    assert.equal(start.status, 200);
    assert.equal(start.body.status, 'pending');
    assert.equal(fake.counts.usercode, 1);

    await stopsCleanly(server, signal);
    assert.equal(existsSync(path.join(dir, 'auth.json')), false, 'the pending sign-in wrote nothing');
    assert.equal(await refused(server.url), true, 'the port no longer answers');
    assertNoLeak([...server.output, server.stderr(), JSON.stringify(start.body)], fake.issued);
  });
}

test('SIGTERM during a commit: new requests are refused at once, the commit finishes, then the process exits 0', async (t) => {
  const missing = allowedSkip(procFdMissingReason());
  if (missing) return t.skip(missing);
  const fake = await startCodexFake({ interval: 1 });
  t.after(() => fake.close());
  const dir = tempDir(t, 'hermes-cli-');
  // Hermes Agent (here: this process) holds auth.lock, so the server's save waits right after its commit point.
  const lockPath = path.join(dir, 'auth.lock');
  const lock = await acquireFlock(lockPath, { timeoutMs: 1000 });
  let released = false;
  const release = async () => {
    if (!released) await lock.release();
    released = true;
  };
  t.after(release);
  const server = await startCli(t, dir, { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer });

  const start = await postJson(`${server.url}/api/onboarding/oauth/start`, { provider: 'openai-codex' });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  fake.approve(String(start.body.user_code), { email: 'shutdown@example.com' });
  await guarded(fake.waitForRequests('exchange', 1), 'the server to exchange the code', 10_000);
  await eventually(() => holdsOpen(server.proc.pid!, lockPath), 'the server to wait for auth.lock (saving)');

  server.proc.kill('SIGTERM');
  await server.waitForLine('shutting down');
  // A request sent in the instant after the signal may still be served; refusal must follow while the commit runs.
  const refusal = async () => {
    let done = false;
    while (!done) done = await refused(server.url);
  };
  await guarded(refusal(), 'a new request to be refused');
  assert.equal(server.proc.exitCode, null, 'still running: the commit holds the shutdown open');
  assert.equal(existsSync(path.join(dir, 'auth.json')), false, 'the save is still waiting for the lock');

  await release();
  const end = await guarded(server.exited, 'the server to exit once the commit is done', SHUTDOWN_BOUND_MS);
  assert.deepEqual(end, { code: 0, signal: null }, `stderr: ${server.stderr()}`);
  const store = JSON.parse(await readFile(path.join(dir, 'auth.json'), 'utf8')) as { credential_pool: Record<string, Array<{ label: string }>> };
  assert.deepEqual(store.credential_pool['openai-codex']?.map((e) => e.label), ['Codex OAuth (shutdown@example.com)']);
  assert.equal((await stat(path.join(dir, 'auth.json'))).mode & 0o777, 0o600);
  assert.ok(server.output.some((l) => l.includes('sign-in succeeded')), 'the flow ended in success, not cancelled');
  assert.ok(fake.issued.length > 0, 'tokens were issued and exchanged');
  assertNoLeak([...server.output, server.stderr(), JSON.stringify(start.body)], fake.issued);
});

test('closing the server while a start waits for a hanging provider ends promptly', async (t) => {
  const h = await useHarness(t);
  const gate = h.fake.hold('usercode');
  const start = h.start();
  await gate.reached;
  await guarded(h.app.close(), 'the app to close', 1000);
  const res = await start;
  assert.ok(res.status >= 500, `the waiting start is answered with an error, got ${res.status}`);
  assert.equal(await h.engine.pendingCount(), 0);
});
