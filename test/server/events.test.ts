/** GET /api/onboarding/oauth/events: server-sent status events over a real socket. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guarded, sseEvents, useHarness, type Harness, type SseEvent } from '../helpers/harness.js';

/** Opens the event stream of a flow on the listening server. */
async function openEvents(h: Harness, flowId: string): Promise<{ res: Response; events: AsyncGenerator<SseEvent> }> {
  const base = await h.listen();
  const res = await fetch(`${base}/api/onboarding/oauth/events?flow_id=${flowId}`);
  assert.equal(res.status, 200);
  assert.ok(res.body);
  return { res, events: sseEvents(res.body) };
}

/** The next event, parsed; fails when the stream ended. */
async function nextStatus(events: AsyncGenerator<SseEvent>) {
  const next = await guarded(events.next(), 'the next server-sent event');
  assert.equal(next.done, false, 'the stream ended early');
  assert.equal(next.value!.event, 'status');
  return JSON.parse(next.value!.data);
}

test('events: the current status first, then success after approval, then the stream ends', async (t) => {
  const h = await useHarness(t);
  const start = await h.startFlow();
  const { res, events } = await openEvents(h, start.flow_id);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await nextStatus(events), { ok: true, provider: 'openai-codex', flow_id: start.flow_id, status: 'pending' });

  h.fake.approve(start.user_code, { email: 'ada@example.com' });
  await h.advancePoll();
  const success = await nextStatus(events);
  assert.equal(success.status, 'success');
  assert.equal(success.flow_id, start.flow_id);
  assert.deepEqual(success.account, { label: 'Codex OAuth (ada@example.com)', email: 'ada@example.com', plan: 'plus' });
  assert.equal((await guarded(events.next(), 'the end of the stream')).done, true, 'the stream ends after an end status');
  h.assertNoSecrets([JSON.stringify(success)]);
});

test('events of a flow that already ended: its end status, then the stream ends', async (t) => {
  const h = await useHarness(t);
  const start = await h.startFlow();
  await h.cancel(start.flow_id);
  const { events } = await openEvents(h, start.flow_id);
  assert.equal((await nextStatus(events)).status, 'cancelled');
  assert.equal((await guarded(events.next(), 'the end of the stream')).done, true);
});

test('events: a cancel is pushed to the open stream', async (t) => {
  const h = await useHarness(t);
  const start = await h.startFlow();
  const { events } = await openEvents(h, start.flow_id);
  assert.equal((await nextStatus(events)).status, 'pending');
  await h.cancel(start.flow_id);
  assert.equal((await nextStatus(events)).status, 'cancelled');
  assert.equal((await guarded(events.next(), 'the end of the stream')).done, true);
});

test('events: 400 without flow_id, 404 for an unknown flow', async (t) => {
  const h = await useHarness(t);
  const missing = await h.request({ url: '/api/onboarding/oauth/events' });
  assert.equal(missing.status, 400);
  assert.match(missing.body.error, /flow_id is required/);
  const unknown = await h.request({ url: '/api/onboarding/oauth/events?flow_id=0123456789abcdef0123456789abcdef' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.ok, false);
});
