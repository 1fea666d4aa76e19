/** The real command line: `hermes-onboard serve --port 0` starts, answers, and shuts down cleanly on SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startCodexFake } from '../fakes/codexFake.js';
import { guarded, useHarness } from '../helpers/harness.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** The environment of the child: ours without anything that would change its behaviour, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('HERMES_') && !/proxy/i.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

test('serve --port 0: prints its address, answers, and exits 0 within 5 s on SIGTERM without writing', async (t) => {
  const fake = await startCodexFake();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hermes-cli-'));
  t.after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--home', dir], {
    env: childEnv({ HOME: dir, HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer, HERMES_ONBOARD_LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const output: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (!line.includes('listening on')) return;
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch (error) {
        reject(new Error(`the "listening on" line is not a JSON log line: ${line} (${(error as Error).message})`));
      }
    });
    void exited.then(({ code }) => reject(new Error(`the server exited (${code}) before listening: ${stderr}`)));
  });
  const url = await guarded(listening, 'the "listening on" log line', 20_000);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const health = await fetch(`${url}/api/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { ok: boolean }).ok, true);

  const start = await fetch(`${url}/api/onboarding/oauth/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'openai-codex' }),
  });
  const body = (await start.json()) as { status: string; flow_id: string };
  assert.equal(start.status, 200);
  assert.equal(body.status, 'pending');
  assert.equal(fake.counts.usercode, 1);

  const signalledAt = Date.now();
  child.kill('SIGTERM');
  const { code, signal } = await guarded(exited, 'the server to exit after SIGTERM', 5000);
  assert.equal(signal, null);
  assert.equal(code, 0, `exit code; stderr: ${stderr}`);
  assert.ok(Date.now() - signalledAt < 5000);
  assert.equal(existsSync(path.join(dir, 'auth.json')), false, 'no auth.json written');
  assert.ok(output.some((l) => l.includes('shutting down')), 'the shutdown is logged');
  for (const secret of fake.issued) assert.ok(!output.join('\n').includes(secret) && !stderr.includes(secret), 'no secret in the output');
});

test('closing the server while a start waits for a hanging provider ends promptly', async (t) => {
  const h = await useHarness(t);
  const gate = h.fake.hold('usercode');
  const start = h.start();
  await gate.reached;
  await guarded(h.app.close(), 'the app to close', 1000);
  const res = await start;
  assert.ok(res.status >= 500, `the waiting start is answered with an error, got ${res.status}`);
  assert.equal(h.engine.pendingCount, 0);
});
