/** Several real processes on one auth.json: no lost updates, no torn reads, and crash safety under SIGKILL. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { tempFilePattern } from '../../src/store/atomicWrite.js';
import { AUTH_FILE, updateAuthStore, type AuthStore } from '../../src/store/authStore.js';
import { silentLogger } from '../../src/util/logger.js';
import { NODE_CHILD, needPython, nodeChild, pythonChild, tempDir, type LineChild } from './helpers.js';

const logger = silentLogger();
const PER_WRITER = 200;

/** Reads and parses auth.json; counts reads and failures until `stop` resolves. */
async function readLoop(file: string, stop: Promise<unknown>): Promise<{ reads: number; invalid: number }> {
  let done = false;
  void stop.finally(() => (done = true));
  let reads = 0;
  let invalid = 0;
  while (!done) {
    const text = await readFile(file, 'utf8');
    reads++;
    try {
      JSON.parse(text);
    } catch {
      invalid++;
    }
  }
  return { reads, invalid };
}

describe('multi-process', () => {
  test('3 Node processes and 1 Python process add 200 entries each at once: all 800 land, no reader sees invalid JSON', async (t) => {
    if (!needPython(t)) return;
    const home = tempDir(t);
    await updateAuthStore(home, () => undefined, { logger });
    const writers: LineChild[] = [
      ...['n1', 'n2', 'n3'].map((prefix) => nodeChild(t, ['add', home, prefix, String(PER_WRITER)])),
      pythonChild(t, ['add', home, 'py', String(PER_WRITER)]),
    ];
    await Promise.all(writers.map((w) => w.waitFor('ready')));
    for (const w of writers) w.send('go');
    const allDone = Promise.all(writers.map((w) => w.succeeded()));
    const reader = readLoop(path.join(home, AUTH_FILE), allDone.catch(() => undefined));
    await allDone;
    const { reads, invalid } = await reader;
    t.diagnostic(`reader parsed the file ${reads} times while 800 updates ran`);
    assert.equal(invalid, 0);
    assert.ok(reads > 10, 'the reader really ran alongside the writers');

    const store = JSON.parse(readFileSync(path.join(home, AUTH_FILE), 'utf8')) as AuthStore;
    const ids = (store.credential_pool?.test ?? []).map((e) => e.id);
    const expected = ['n1', 'n2', 'n3', 'py'].flatMap((p) => Array.from({ length: PER_WRITER }, (_, i) => `${p}-${i}`));
    assert.equal(ids.length, 800);
    assert.deepEqual([...ids].sort(), expected.sort());
    assert.equal(statSync(path.join(home, AUTH_FILE)).mode & 0o777, 0o600);
  });

  test('SIGKILL in the middle of a write loop, 20 times: auth.json always valid and 0600; stale temp files go at the next write', async (t) => {
    const home = tempDir(t);
    const file = path.join(home, AUTH_FILE);
    const temps = () => readdirSync(home).filter((n) => tempFilePattern(AUTH_FILE).test(n));
    await updateAuthStore(home, (s) => void (s.credential_pool = { test: [{ id: 'seed', counter: 0 }] }), { logger });
    let leftovers = 0;
    let lastCounter = -1;
    for (let round = 0; round < 20; round++) {
      const child = spawn(process.execPath, [NODE_CHILD, 'loop', home], { stdio: ['ignore', 'pipe', 'inherit'] });
      t.after(() => void child.kill('SIGKILL'));
      const exited = new Promise((resolve) => child.once('close', resolve));
      // The child prints "writing" before each atomic write and "tick" after it: killing on the n-th line
      // lands inside a write (odd n) or inside the next read-modify-write (even n).
      const linesBeforeKill = 1 + (round % 6);
      let seen = 0;
      const lines = createInterface({ input: child.stdout });
      const killed = new Promise<void>((resolve) =>
        lines.on('line', () => {
          if (++seen === linesBeforeKill) {
            // 0-3 ms of jitter spreads the kills over the read, the temp-file write, the fsyncs and the rename.
            setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, round % 4);
          }
        }),
      );
      const first = await Promise.race([killed.then(() => 'killed'), exited.then(() => 'exited on its own')]);
      assert.equal(first, 'killed', 'the writer loop ran until it was killed');
      await exited;
      const store = JSON.parse(readFileSync(file, 'utf8')) as AuthStore;
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const counters = (store.credential_pool?.test ?? []).map((e) => Number(e.counter));
      assert.ok(counters.length > 0 && counters.every(Number.isFinite));
      lastCounter = Math.max(...counters);
      leftovers += temps().length;
    }
    t.diagnostic(`temp files left behind by killed writers, summed over the rounds: ${leftovers}; last counter ${lastCounter}`);
    writeFileSync(path.join(home, '.auth.json.tmp-999999-0badc0de'), '{"half": ');
    assert.ok(temps().length >= 1);
    await updateAuthStore(home, () => undefined, { logger });
    assert.deepEqual(temps(), []);
    JSON.parse(readFileSync(file, 'utf8'));
  });
});
