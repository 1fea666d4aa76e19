/**
 * Rate limits (issue 6 §2, docs/api.md "Configuration"): starts per client address per minute
 * (HERMES_ONBOARD_START_RATE; 0 turns it off) and the global bound on pending flows
 * (HERMES_ONBOARD_MAX_PENDING). Both answer 429 with `Retry-After` and ask the provider for nothing.
 * Time is the harness's ManualClock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, type ApiResponse, type Harness } from '../helpers/harness.js';

const ME = '127.0.0.1';
const NEIGHBOUR = '192.168.1.20';

/** POST start for `profile` from the client address `from`. */
function startFrom(h: Harness, from: string, profile = 'default'): Promise<ApiResponse> {
  return h.start({ provider: 'openai-codex', profile }, { remoteAddress: from });
}

/** Asserts a 429 in the API's error shape with a whole-second Retry-After; returns that value. */
function assertTooMany(res: ApiResponse, message: RegExp): number {
  assert.equal(res.status, 429, res.text);
  assert.equal(res.body.ok, false);
  assert.match(res.body.error, message);
  assert.equal(res.headers['cache-control'], 'no-store');
  const retryAfter = String(res.headers['retry-after']);
  assert.match(retryAfter, /^\d+$/, 'Retry-After is a number of seconds');
  return Number(retryAfter);
}

test('START_RATE=3: the 4th start from one address in a minute is refused until the minute has passed', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_START_RATE: '3' }, profiles: ['p1', 'p2', 'p3', 'p4'] });
  for (const profile of ['default', 'p1', 'p2']) assert.equal((await startFrom(h, ME, profile)).status, 200);
  const asked = h.fake.counts.usercode;

  const refused = await startFrom(h, ME, 'p3');
  assert.equal(assertTooMany(refused, /Too many sign-ins started from this address; try again in 60 s/), 60);
  assert.equal(h.fake.counts.usercode, asked, 'a refused start asks the provider for nothing');

  assert.equal((await startFrom(h, NEIGHBOUR, 'p4')).status, 200, 'another address is not affected');

  await h.clock.advance(30_000);
  assert.equal(assertTooMany(await startFrom(h, ME, 'p3'), /try again in 30 s/), 30, 'Retry-After counts down');
  await h.clock.advance(29_999);
  assert.equal(assertTooMany(await startFrom(h, ME, 'p3'), /try again in 1 s/), 1);
  await h.clock.advance(1);
  assert.equal((await startFrom(h, ME, 'p3')).status, 200, 'allowed again once the minute has passed (refusals did not extend it)');
});

test('START_RATE does not count a start that rejoins the flow already pending (a page reload)', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_START_RATE: '1' }, profiles: ['p1'] });
  const first = await startFrom(h, ME);
  for (let i = 0; i < 5; i++) assert.equal((await startFrom(h, ME)).body.flow_id, first.body.flow_id, 'single flight, not 429');
  assert.equal(h.fake.counts.usercode, 1);
  assertTooMany(await startFrom(h, ME, 'p1'), /Too many sign-ins started from this address/);
});

test('START_RATE: a request the server refuses as malformed does not use up the budget', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_START_RATE: '2' } });
  for (let i = 0; i < 5; i++) {
    assert.equal((await h.start({ provider: 'no-such-provider' }, { remoteAddress: ME })).status, 400);
    assert.equal((await h.start({ provider: 'openai-codex', profile: 'missing' }, { remoteAddress: ME })).status, 400);
  }
  assert.equal((await startFrom(h, ME)).status, 200);
});

test('START_RATE=0 turns the limit off', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_START_RATE: '0' } });
  for (let i = 0; i < 25; i++) assert.equal((await startFrom(h, ME)).status, 200);
});

test('the default START_RATE is 10 a minute', async (t) => {
  const profiles = Array.from({ length: 11 }, (_, i) => `p${i}`);
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_START_RATE: '' }, profiles });
  for (const profile of profiles.slice(0, 10)) assert.equal((await startFrom(h, ME, profile)).status, 200);
  assertTooMany(await startFrom(h, ME, 'p10'), /Too many sign-ins started from this address/);
});

test('MAX_PENDING=2: a third pending flow is refused with Retry-After until one ends', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_MAX_PENDING: '2' }, profiles: ['p1', 'p2'], fake: { expiresIn: 60 } });
  const a = await startFrom(h, ME, 'default');
  const b = await startFrom(h, NEIGHBOUR, 'p1');
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.notEqual(a.body.flow_id, b.body.flow_id);

  const refused = await startFrom(h, ME, 'p2');
  assert.ok(assertTooMany(refused, /Too many sign-ins are pending \(2\); finish or cancel one/) >= 1);
  assert.equal(h.fake.counts.usercode, 2, 'a refused start asks the provider for nothing');
  assert.equal(await h.engine.pendingCount(), 2);
  assert.equal((await startFrom(h, ME, 'default')).body.flow_id, a.body.flow_id, 'an existing flow is still returned at the bound');

  assert.equal((await h.cancel(a.body.flow_id)).body.status, 'cancelled');
  const c = await startFrom(h, ME, 'p2');
  assert.equal(c.status, 200, 'a cancelled flow frees its place');

  assertTooMany(await startFrom(h, ME, 'default'), /Too many sign-ins are pending/);
  await h.clock.advance(60_000);
  assert.equal((await h.poll(b.body.flow_id)).body.status, 'expired');
  assert.equal((await startFrom(h, ME, 'default')).status, 200, 'an expired flow frees its place');
});
