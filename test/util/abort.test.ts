/** The light abort flag every provider request uses instead of an AbortController (util/abort.ts). */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { AbortFlag } from '../../src/util/abort.js';
import { providerRequest } from '../../src/util/http.js';
import { systemClock } from '../../src/util/clock.js';

test('an AbortFlag aborts once, with its reason, and behaves as an AbortSignal towards listeners', () => {
  const flag = new AbortFlag();
  let heard = 0;
  const listener = () => (heard += 1);
  const removed = () => assert.fail('a removed listener ran');
  flag.addEventListener('abort', listener);
  flag.addEventListener('abort', removed);
  flag.removeEventListener('abort', removed);
  assert.equal(flag.aborted, false);
  assert.doesNotThrow(() => flag.throwIfAborted());
  const reason = new Error('cancelled');
  flag.abort(reason);
  flag.abort(new Error('again'));
  assert.equal(heard, 1);
  assert.equal(flag.aborted, true);
  assert.equal(flag.reason, reason);
  assert.throws(() => flag.throwIfAborted(), reason);
  flag.addEventListener('abort', () => assert.fail('added after the abort'));
  assert.equal(flag.listenerCount('abort'), 0, 'nothing is kept after the abort');
  const plain = new AbortFlag();
  plain.abort();
  assert.equal((plain.reason as DOMException).name, 'AbortError');
});

test('aborting the step aborts a provider request in flight at once, with the step’s reason', async (t) => {
  let reached!: () => void;
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  const server = createServer(() => reached()); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.on('connection', (socket) => t.after(() => socket.destroy()));
  const step = new AbortFlag();
  const { port } = server.address() as AddressInfo;
  const request = providerRequest(`http://127.0.0.1:${port}/token`, { method: 'POST', body: '{}' }, { signal: step, deadline: Date.now() + 60_000, clock: systemClock });
  await arrived;
  const reason = new Error('flow cancelled');
  step.abort(reason);
  await assert.rejects(request, (error) => error === reason);
  assert.equal(step.listenerCount('abort'), 0, 'the request let go of the step’s signal');
});
