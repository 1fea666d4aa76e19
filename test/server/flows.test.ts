/** The Codex sign-in over HTTP against the fake OpenAI device-auth server: happy path, cancel, errors, timing, saving. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODEX_BEGIN_RETRIES } from '../../src/providers/codex.js';
import { faults, type CodexFault } from '../fakes/codexFake.js';
import { eventually, settleIo, useHarness, type Harness } from '../helpers/harness.js';

const CODEX_BASE_URL = 'https://chatgpt.com/backend-api/codex';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Seconds between the fake's poll requests, the first measured from `t0`. */
function pollGaps(h: Harness, t0: number): number[] {
  const times = h.fake.requests.filter((r) => r.endpoint === 'poll').map((r) => r.time);
  return times.map((t, i) => (t - (i === 0 ? t0 : times[i - 1]!)) / 1000);
}

/** The openai-codex pool of a parsed auth.json. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function codexPool(auth: any): any[] {
  return auth.credential_pool['openai-codex'];
}

test('happy path over HTTP: start payload, approval, success with account, auth.json shape, other content kept', async (t) => {
  const h = await useHarness(t);
  const other = { id: 'nous01', label: 'Nous', auth_type: 'oauth', access_token: 'nous-access', refresh_token: 'nous-refresh' };
  await h.writeAuth({ version: 1, credential_pool: { nous: [other] }, hermes_future_key: { keep: ['me', 1] } });
  const t0 = h.clock.now();

  const res = await h.start();
  assert.equal(res.status, 200);
  const start = res.body;
  assert.deepEqual(Object.keys(start).sort(), ['expires_at', 'flow_id', 'kind', 'ok', 'poll_interval_seconds', 'provider', 'status', 'user_code', 'verification_uri']);
  assert.equal(start.ok, true);
  assert.equal(start.kind, 'device_code');
  assert.equal(start.provider, 'openai-codex');
  assert.match(start.flow_id, /^[0-9a-f]{32}$/);
  assert.equal(start.status, 'pending');
  assert.equal(start.verification_uri, `${h.fake.issuer}/codex/device`);
  assert.deepEqual(h.fake.userCodes(), [start.user_code]);
  assert.equal(typeof start.expires_at, 'number');
  assert.equal(start.expires_at, Math.floor(t0 / 1000) + 15 * 60, 'the fake sends no expires_in: 15 minutes');
  assert.equal(start.poll_interval_seconds, 5, 'the fake sends interval as the string "5"');
  assert.equal((await h.poll(start.flow_id)).body.status, 'pending');

  h.fake.approve(start.user_code, { email: 'ada@example.com', plan: 'pro' });
  await h.advancePoll();
  await h.waitForStatus(start.flow_id, 'success');

  const poll = await h.poll(start.flow_id);
  assert.equal(poll.status, 200);
  assert.deepEqual(poll.body, {
    ok: true,
    provider: 'openai-codex',
    flow_id: start.flow_id,
    status: 'success',
    account: { label: 'Codex OAuth (ada@example.com)', email: 'ada@example.com', plan: 'pro' },
  });

  assert.equal(await h.authMode(), 0o600);
  const auth = await h.readAuth();
  assert.equal(auth.version, 1);
  assert.match(auth.updated_at, ISO_UTC);
  assert.deepEqual(auth.hermes_future_key, { keep: ['me', 1] }, 'unknown top-level keys are kept');
  assert.deepEqual(auth.credential_pool.nous, [other], "another provider's pool is kept");
  const pool = codexPool(auth);
  assert.equal(pool.length, 1);
  const entry = pool[0];
  const now = new Date(h.clock.now()).toISOString();
  assert.equal(typeof entry.id, 'string');
  assert.ok(entry.id.length > 0);
  assert.equal(entry.label, 'Codex OAuth (ada@example.com)');
  assert.equal(entry.auth_type, 'oauth');
  assert.equal(entry.priority, 0);
  assert.equal(entry.source, 'manual:device_code');
  assert.equal(entry.base_url, CODEX_BASE_URL);
  assert.ok(h.fake.issued.includes(entry.access_token), 'the access token the fake issued');
  assert.equal(entry.access_token.split('.').length, 3, 'a JWT');
  assert.ok(h.fake.issued.includes(entry.refresh_token) && entry.refresh_token.startsWith('rt_'));
  for (const field of ['created_at', 'last_refresh', 'updated_at']) assert.equal(entry[field], now, field);

  const exchange = h.fake.requests.find((r) => r.endpoint === 'exchange')!;
  assert.match(exchange.contentType ?? '', /application\/x-www-form-urlencoded/);
  assert.equal(exchange.body?.redirect_uri, `${h.fake.issuer}/deviceauth/callback`);
  h.assertNoSecrets();
});

test('the logs of a whole sign-in hold no secret the fake issued', async (t) => {
  const h = await useHarness(t);
  const { start } = await h.signIn();
  await h.poll(start.flow_id);
  await h.request({ url: '/api/onboarding/providers' });
  const messages = h.logs().map((e) => e.msg);
  assert.ok(messages.includes('sign-in started') && messages.includes('sign-in succeeded'), `logs: ${messages.join(' | ')}`);
  assert.ok(h.fake.issued.length >= 6, 'device_auth_id, code, verifier, challenge and three tokens were issued');
  h.assertNoSecrets();
});

test('cancel before approval: cancelled, approving later changes nothing, no auth.json', async (t) => {
  const h = await useHarness(t);
  const start = await h.startFlow();
  const cancel = await h.cancel(start.flow_id);
  assert.equal(cancel.status, 200);
  assert.deepEqual(cancel.body, { ok: true, provider: 'openai-codex', flow_id: start.flow_id, status: 'cancelled' });

  h.fake.approve(start.user_code);
  await h.clock.advance(60_000);
  await settleIo();
  assert.equal(h.fake.counts.poll, 0, 'a cancelled flow never polls');
  assert.equal((await h.poll(start.flow_id)).body.status, 'cancelled');
  assert.equal((await h.cancel(start.flow_id)).body.status, 'cancelled', 'cancelling again reports the same end');
  assert.equal(await h.authBytes(), undefined);
  assert.equal(await h.engine.pendingCount(), 0);
});

test('cancel while the exchange is in flight wins: cancelled, nothing written, still cancelled later', async (t) => {
  const h = await useHarness(t);
  const start = await h.startFlow();
  const gate = h.fake.holdExchange();
  h.fake.approve(start.user_code);
  await h.advancePoll();
  await gate.reached;

  const cancel = await h.cancel(start.flow_id);
  assert.equal(cancel.body.status, 'cancelled');
  gate.release();
  // the fake still answers the abandoned exchange with fresh tokens; once it has, nothing may change
  await eventually(() => h.fake.issued.some((s) => s.startsWith('rt_')), 'the fake to mint the tokens');
  await h.clock.advance(60_000);
  await settleIo();
  assert.equal((await h.poll(start.flow_id)).body.status, 'cancelled');
  assert.equal(await h.authBytes(), undefined, 'no credentials on disk after an accepted cancel');
  h.assertNoSecrets();
});

test('an exchange error whose body echoes secrets ends in error with a short message and leaks nothing', async (t) => {
  const h = await useHarness(t);
  const start = await h.startFlow();
  h.fake.failNext('exchange', faults.leakyError());
  h.fake.approve(start.user_code);
  await h.advancePoll();
  await h.waitForStatus(start.flow_id, 'error');

  const poll = await h.poll(start.flow_id);
  assert.equal(poll.body.status, 'error');
  assert.equal(typeof poll.body.error, 'string');
  assert.ok(poll.body.error.length > 0 && poll.body.error.length <= 200, poll.body.error);
  assert.match(poll.body.error, /try signing in again/i);
  assert.equal(await h.authBytes(), undefined);
  const leakedBearer = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.${'x'.repeat(43)}`;
  h.assertNoSecrets([], [leakedBearer]);
});

/** Starts a flow while every usercode request fails with `fault`, driving the clock through the begin retries. */
async function startThroughOutage(h: Harness, fault: CodexFault) {
  h.fake.failNext('usercode', fault, Infinity);
  const pending = h.start();
  for (let retry = 1; retry <= CODEX_BEGIN_RETRIES.unavailable; retry++) {
    const log = await h.waitForLog('device-auth start failed; retrying', retry);
    await h.clock.advance(Number(log.waitMs));
  }
  return pending;
}

for (const [name, fault] of [
  ['HTTP 500', faults.serverError(500)],
  ['connection reset', faults.outage()],
] as const) {
  test(`provider outage at start (${name}) answers 502 with an actionable message after the retries, and leaves no flow`, async (t) => {
    const h = await useHarness(t);
    const res = await startThroughOutage(h, fault);
    assert.equal(res.status, 502);
    assert.equal(res.body.ok, false);
    assert.equal(typeof res.body.error, 'string');
    assert.ok(res.body.error.length > 0 && res.body.error.length <= 200);
    assert.match(res.body.error, /try again/i, 'the message says what to do');
    assert.doesNotMatch(res.body.error, /\[redacted\]/, 'nothing secret to mask, so nothing masked');
    assert.equal(h.fake.counts.usercode, CODEX_BEGIN_RETRIES.unavailable + 1);
    assert.equal(await h.engine.pendingCount(), 0, 'no flow left behind');

    h.fake.clearFaults();
    const again = await h.start();
    assert.equal(again.status, 200, 'a later start works');
    assert.equal(await h.engine.pendingCount(), 1);
  });
}

test('a usercode 404 (device-code login off) answers 502 saying where to enable it', async (t) => {
  const h = await useHarness(t);
  h.fake.failNext('usercode', faults.status(404, { error: { code: 'not_found' } }));
  const res = await h.start();
  assert.equal(res.status, 502);
  assert.match(res.body.error, /device.code/i);
  assert.match(res.body.error, /Security|admin/);
  assert.equal(await h.engine.pendingCount(), 0);
});

test('single flight: 20 concurrent starts make one usercode request and share one flow', async (t) => {
  const h = await useHarness(t);
  const gate = h.fake.hold('usercode');
  const starts = Array.from({ length: 20 }, () => h.start());
  await gate.reached;
  await settleIo(); // let every start reach the engine while the first waits for the provider
  assert.equal(h.fake.counts.usercode, 1);
  gate.release();
  const answers = await Promise.all(starts);
  assert.ok(answers.every((r) => r.status === 200), answers.map((r) => r.status).join(','));
  assert.equal(new Set(answers.map((r) => r.body.flow_id)).size, 1);
  assert.equal(new Set(answers.map((r) => r.body.user_code)).size, 1);
  assert.equal(h.fake.counts.usercode, 1);
  assert.equal(await h.engine.pendingCount(), 1);

  const later = await h.start();
  assert.equal(later.body.flow_id, answers[0]!.body.flow_id, 'a start while pending returns the same flow');
  assert.equal(h.fake.counts.usercode, 1);
});

test('polls are spaced by the interval; slow_down and 429 add 5 s for good; Retry-After is honoured', async (t) => {
  const h = await useHarness(t, { fake: { interval: '7' } });
  const t0 = h.clock.now();
  const start = await h.startFlow();
  assert.equal(start.poll_interval_seconds, 7);
  await h.advancePoll(); // pending
  await h.advancePoll(); // pending
  h.fake.failNext('poll', faults.slowDown());
  await h.advancePoll(); // slow_down → 12
  await h.advancePoll(); // pending
  h.fake.failNext('poll', faults.rateLimited());
  await h.advancePoll(); // 429 → 17
  await h.advancePoll(); // pending
  h.fake.failNext('poll', faults.rateLimited(40));
  await h.advancePoll(); // 429 with Retry-After 40 → interval 22, next wait 40
  await h.advancePoll(); // pending
  await h.advancePoll(); // pending
  await h.fake.waitForRequests('poll', 9);
  assert.deepEqual(pollGaps(h, t0), [7, 7, 7, 12, 12, 17, 17, 40, 22]);
  assert.equal((await h.poll(start.flow_id)).body.status, 'pending');
});

test('a provider that hangs cannot keep a flow pending past expires_at', async (t) => {
  const h = await useHarness(t, { fake: { expiresIn: 20 } });
  const t0 = h.clock.now();
  const start = await h.startFlow();
  assert.equal(start.expires_at, Math.floor(t0 / 1000) + 20);
  const gate = h.fake.hold('poll');
  await h.advancePoll();
  await gate.reached;
  await h.clock.advance(start.expires_at * 1000 - h.clock.now() - 1);
  assert.equal((await h.poll(start.flow_id)).body.status, 'pending', 'still pending 1 ms before expires_at');
  await h.clock.advance(1);
  await h.waitForStatus(start.flow_id, 'expired');
  assert.equal((await h.engine.get(start.flow_id))?.endedAt, start.expires_at * 1000, 'it ended exactly at expires_at, not after the held poll');
  assert.equal((await h.poll(start.flow_id)).body.status, 'expired');
  assert.equal(await h.engine.pendingCount(), 0);
  assert.equal(await h.authBytes(), undefined);
});

test('two accounts get two entries; the same account again updates its entry in place', async (t) => {
  const h = await useHarness(t);
  const first = await h.signIn({ email: 'ada@example.com' });
  await h.clock.advance(60_000);
  await h.signIn({ email: 'bob@example.com' });
  let pool = codexPool(await h.readAuth());
  assert.equal(pool.length, 2);
  assert.deepEqual(pool.map((e) => e.label), ['Codex OAuth (ada@example.com)', 'Codex OAuth (bob@example.com)']);
  assert.notEqual(pool[0].id, pool[1].id);
  const [adaBefore, bob] = pool;

  await h.clock.advance(60_000);
  await h.signIn({ accountId: first.account.accountId, sub: first.account.sub, email: 'ada@example.com' });
  pool = codexPool(await h.readAuth());
  assert.equal(pool.length, 2, 'no new entry for the same account');
  const adaAfter = pool[0];
  assert.equal(adaAfter.id, adaBefore.id, 'same id');
  assert.notEqual(adaAfter.access_token, adaBefore.access_token, 'new access token');
  assert.notEqual(adaAfter.refresh_token, adaBefore.refresh_token, 'new refresh token');
  assert.equal(adaAfter.created_at, adaBefore.created_at);
  assert.equal(adaAfter.updated_at, new Date(h.clock.now()).toISOString());
  assert.deepEqual(pool[1], bob, 'the other account is untouched');
});

test('a legacy oauth_device entry with opaque tokens is updated in place', async (t) => {
  const h = await useHarness(t);
  const legacy = {
    id: 'leg001',
    label: 'openai-codex device login',
    auth_type: 'oauth',
    priority: 0,
    source: 'oauth_device',
    access_token: 'opaque-legacy-access-token',
    refresh_token: 'opaque-legacy-refresh-token',
    base_url: CODEX_BASE_URL,
    created_at: '2025-06-01T00:00:00Z',
    hermes_note: 'kept',
  };
  await h.writeAuth({ version: 1, credential_pool: { 'openai-codex': [legacy] } });
  await h.signIn({ email: 'ada@example.com' });
  const pool = codexPool(await h.readAuth());
  assert.equal(pool.length, 1, 'the legacy entry is the same entry');
  const entry = pool[0];
  assert.equal(entry.id, 'leg001');
  assert.equal(entry.source, 'manual:device_code');
  assert.equal(entry.label, 'openai-codex device login', 'a re-sign-in keeps the label, as Hermes Agent does');
  assert.ok(h.fake.issued.includes(entry.access_token) && h.fake.issued.includes(entry.refresh_token));
  assert.equal(entry.created_at, '2025-06-01T00:00:00Z');
  assert.equal(entry.hermes_note, 'kept');
});
