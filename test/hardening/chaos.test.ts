/**
 * Broken providers (issue 6 §1): every fault of the chaos server, at every step of a sign-in, through
 * the real HTTP app and flow engine, with the provider's issuer pointed at the chaos server. Time runs
 * on the harness's ManualClock; requests that hang or trickle are ended by the provider request
 * timeout and the flow deadline, which run on that clock, so nothing here waits in real time.
 *
 * Each row asserts: the expected end (502 at start, `error`, or `expired`) by `expires_at` at the
 * latest; a short (≤200 characters), clear message; no secret (the fakes' device codes, authorization
 * codes, verifiers, tokens, nor the made-up secrets inside the broken bodies) in any response or log
 * line; auth.json byte-identical with the same mtime and nothing else written in the home; no request
 * left hanging on the chaos server; the redirect target never contacted.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { START_TIMEOUT_MS } from '../../src/limits.js';
import { MAX_RESPONSE_BYTES } from '../../src/util/http.js';
import { chaos, startChaosServer, ProviderTraffic, HUGE_BODY_BYTES, type ChaosFault, type ChaosServer } from '../fakes/chaosServer.js';
import { startNousFake } from '../fakes/nousFake.js';
import { guarded, settleIo, useHarness, type Harness } from '../helpers/harness.js';

type Mode =
  | 'refused'
  | 'reset'
  | 'hang'
  | 'trickle'
  | 'html200'
  | 'html502'
  | 'html503'
  | 'invalidJson'
  | 'huge'
  | 'wrongContentType'
  | 'redirect'
  | 'noAccessToken'
  | 'slowDown';
type Step = 'start' | 'poll' | 'exchange';
type ProviderName = 'codex' | 'nous';
/** 502: start refused, no flow. `error`/`expired`: the flow's end status. */
type End = 502 | 'error' | 'expired';

interface Row {
  provider: ProviderName;
  step: Step;
  mode: Mode;
  end: End;
  /** What the person reads (start's `error`, or the flow's `error`); unset for `expired`. */
  says?: RegExp;
}

const unreachable = /could not reach .+\b(ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|network error)\b/i;
const codexGaveUp = /^OpenAI Codex \(ChatGPT\) failed 6 times in a row\b/;
const nousGaveUp = /^Nous Portal failed 6 times in a row\b/;
const tooBig = /sent an answer larger than 1 MiB, which was refused/;
const redirected = /answered with a redirect \(HTTP 302\), which is not followed/;
const timedOut = /did not answer in time/;

/** Every fault, the step it hits, and how the sign-in must end. */
const TABLE: readonly Row[] = [
  // OpenAI Codex: POST /api/accounts/deviceauth/usercode (start)
  { provider: 'codex', step: 'start', mode: 'refused', end: 502, says: unreachable },
  { provider: 'codex', step: 'start', mode: 'reset', end: 502, says: unreachable },
  { provider: 'codex', step: 'start', mode: 'hang', end: 502, says: timedOut },
  { provider: 'codex', step: 'start', mode: 'trickle', end: 502, says: timedOut },
  { provider: 'codex', step: 'start', mode: 'html200', end: 502, says: /sent an answer without a user code/ },
  { provider: 'codex', step: 'start', mode: 'html502', end: 502, says: /device-auth service answered HTTP 502\. Try again later/ },
  { provider: 'codex', step: 'start', mode: 'html503', end: 502, says: /device-auth service answered HTTP 503\. Try again later/ },
  { provider: 'codex', step: 'start', mode: 'invalidJson', end: 502, says: /sent an answer without a user code/ },
  { provider: 'codex', step: 'start', mode: 'huge', end: 502, says: tooBig },
  { provider: 'codex', step: 'start', mode: 'wrongContentType', end: 502, says: /sent an answer without a user code/ },
  { provider: 'codex', step: 'start', mode: 'redirect', end: 502, says: redirected },
  // OpenAI Codex: POST /api/accounts/deviceauth/token (poll)
  { provider: 'codex', step: 'poll', mode: 'refused', end: 'error', says: codexGaveUp },
  { provider: 'codex', step: 'poll', mode: 'reset', end: 'error', says: codexGaveUp },
  { provider: 'codex', step: 'poll', mode: 'hang', end: 'error', says: codexGaveUp },
  { provider: 'codex', step: 'poll', mode: 'trickle', end: 'error', says: codexGaveUp },
  { provider: 'codex', step: 'poll', mode: 'html200', end: 'error', says: /sent no authorization code; try signing in again/ },
  { provider: 'codex', step: 'poll', mode: 'html502', end: 'error', says: codexGaveUp },
  { provider: 'codex', step: 'poll', mode: 'html503', end: 'error', says: codexGaveUp },
  { provider: 'codex', step: 'poll', mode: 'invalidJson', end: 'error', says: /sent no authorization code; try signing in again/ },
  { provider: 'codex', step: 'poll', mode: 'huge', end: 'error', says: tooBig },
  { provider: 'codex', step: 'poll', mode: 'wrongContentType', end: 'error', says: /sent no authorization code; try signing in again/ },
  { provider: 'codex', step: 'poll', mode: 'redirect', end: 'error', says: redirected },
  { provider: 'codex', step: 'poll', mode: 'slowDown', end: 'expired' },
  // OpenAI Codex: POST /oauth/token (exchange; the code is single-use, so every failure is final)
  { provider: 'codex', step: 'exchange', mode: 'reset', end: 'error', says: /could not reach .+ Try signing in again\.$/i },
  { provider: 'codex', step: 'exchange', mode: 'hang', end: 'error', says: /did not answer in time\. Try signing in again\.$/ },
  { provider: 'codex', step: 'exchange', mode: 'trickle', end: 'error', says: /did not answer in time\. Try signing in again\.$/ },
  { provider: 'codex', step: 'exchange', mode: 'html200', end: 'error', says: /token endpoint sent no access token; try signing in again/ },
  { provider: 'codex', step: 'exchange', mode: 'html502', end: 'error', says: /token endpoint answered HTTP 502; try signing in again/ },
  { provider: 'codex', step: 'exchange', mode: 'html503', end: 'error', says: /token endpoint answered HTTP 503; try signing in again/ },
  { provider: 'codex', step: 'exchange', mode: 'invalidJson', end: 'error', says: /token endpoint sent no access token; try signing in again/ },
  { provider: 'codex', step: 'exchange', mode: 'huge', end: 'error', says: tooBig },
  { provider: 'codex', step: 'exchange', mode: 'wrongContentType', end: 'error', says: /token endpoint sent no access token; try signing in again/ },
  { provider: 'codex', step: 'exchange', mode: 'redirect', end: 'error', says: redirected },
  { provider: 'codex', step: 'exchange', mode: 'noAccessToken', end: 'error', says: /token endpoint sent no access token; try signing in again/ },
  // Nous Portal (RFC 8628): POST /api/oauth/device/code (start)
  { provider: 'nous', step: 'start', mode: 'refused', end: 502, says: unreachable },
  { provider: 'nous', step: 'start', mode: 'reset', end: 502, says: unreachable },
  { provider: 'nous', step: 'start', mode: 'hang', end: 502, says: timedOut },
  { provider: 'nous', step: 'start', mode: 'trickle', end: 502, says: timedOut },
  { provider: 'nous', step: 'start', mode: 'html200', end: 502, says: /something that is not JSON/ },
  { provider: 'nous', step: 'start', mode: 'html502', end: 502, says: /Nous Portal had a problem \(HTTP 502\)/ },
  { provider: 'nous', step: 'start', mode: 'html503', end: 502, says: /Nous Portal had a problem \(HTTP 503\)/ },
  { provider: 'nous', step: 'start', mode: 'invalidJson', end: 502, says: /something that is not JSON/ },
  { provider: 'nous', step: 'start', mode: 'huge', end: 502, says: tooBig },
  { provider: 'nous', step: 'start', mode: 'wrongContentType', end: 502, says: /something that is not JSON/ },
  { provider: 'nous', step: 'start', mode: 'redirect', end: 502, says: redirected },
  // Nous Portal (RFC 8628): POST /api/oauth/token (poll; its approval carries the tokens)
  { provider: 'nous', step: 'poll', mode: 'refused', end: 'error', says: nousGaveUp },
  { provider: 'nous', step: 'poll', mode: 'reset', end: 'error', says: nousGaveUp },
  { provider: 'nous', step: 'poll', mode: 'hang', end: 'error', says: nousGaveUp },
  { provider: 'nous', step: 'poll', mode: 'trickle', end: 'error', says: nousGaveUp },
  { provider: 'nous', step: 'poll', mode: 'html200', end: 'error', says: /answered the approval without an access token/ },
  { provider: 'nous', step: 'poll', mode: 'html502', end: 'error', says: nousGaveUp },
  { provider: 'nous', step: 'poll', mode: 'html503', end: 'error', says: nousGaveUp },
  { provider: 'nous', step: 'poll', mode: 'invalidJson', end: 'error', says: /answered the approval without an access token/ },
  { provider: 'nous', step: 'poll', mode: 'huge', end: 'error', says: tooBig },
  { provider: 'nous', step: 'poll', mode: 'wrongContentType', end: 'error', says: /answered the approval without an access token/ },
  { provider: 'nous', step: 'poll', mode: 'redirect', end: 'error', says: redirected },
  { provider: 'nous', step: 'poll', mode: 'noAccessToken', end: 'error', says: /answered the approval without an access token/ },
  { provider: 'nous', step: 'poll', mode: 'slowDown', end: 'expired' },
];

/** A normal fake behind the chaos server: the protocol's good answers for the steps that are not broken. */
interface Upstream {
  url: string;
  approve(userCode: string): void;
  /** Every secret it handed out (device codes, authorization codes, verifiers, tokens). */
  secrets(): string[];
}

/** How each provider is reached, and the parts of its protocol a row needs. */
interface Target {
  id: string;
  issuerEnv: string;
  paths: Partial<Record<Step, string>>;
  upstream(h: Harness, t: TestContext): Promise<Upstream>;
}

const TARGETS: Record<ProviderName, Target> = {
  codex: {
    id: 'openai-codex',
    issuerEnv: 'HERMES_ONBOARD_OPENAI_CODEX_ISSUER',
    paths: { start: '/api/accounts/deviceauth/usercode', poll: '/api/accounts/deviceauth/token', exchange: '/oauth/token' },
    async upstream(h) {
      return { url: h.fake.issuer, approve: (code) => void h.fake.approve(code), secrets: () => h.fake.issued };
    },
  },
  nous: {
    id: 'nous',
    issuerEnv: 'HERMES_ONBOARD_NOUS_ISSUER',
    paths: { start: '/api/oauth/device/code', poll: '/api/oauth/token' },
    async upstream(h, t) {
      const fake = await startNousFake({ now: () => h.clock.now() });
      t.after(() => fake.close());
      return {
        url: fake.url,
        approve: (code) => fake.approve(code),
        secrets: () =>
          [...fake.records.values()].flatMap((r) => [r.deviceCode, ...Object.values(r.issued ?? {}).filter((v): v is string => typeof v === 'string')]),
      };
    },
  },
};

/** The chaos fault a row puts on its step's path (`refused` is handled by closing the port instead). */
function faultFor(row: Row, elsewhere: ChaosServer, scripted: string[]): ChaosFault {
  switch (row.mode) {
    case 'refused':
      return chaos.pass();
    case 'reset':
      return chaos.reset();
    case 'hang':
      return chaos.hang();
    case 'trickle':
      return chaos.trickle();
    case 'html200':
      return chaos.html(200);
    case 'html502':
      return chaos.html(502);
    case 'html503':
      return chaos.html(503);
    case 'invalidJson':
      return chaos.invalidJson();
    case 'huge':
      return chaos.huge();
    case 'wrongContentType':
      return chaos.wrongContentType();
    case 'redirect':
      return chaos.redirect(`${elsewhere.url}/collect?from=chaos`);
    case 'slowDown':
      return chaos.slowDown();
    case 'noAccessToken': {
      const secret = `rt_${randomBytes(24).toString('base64url')}`;
      scripted.push(secret);
      return chaos.json(200, { refresh_token: secret, token_type: 'Bearer', expires_in: 3600 });
    }
  }
}

/** Starts the redirect target on another loopback address when the system has one, else on 127.0.0.1. */
async function startElsewhere(): Promise<ChaosServer> {
  const answer = chaos.json(200, { access_token: 'never-asked-for' });
  try {
    return await startChaosServer({ host: '127.0.0.2', fault: answer });
  } catch {
    return startChaosServer({ fault: answer });
  }
}

/** Every file under `dir` with its size and mtime, to prove nothing was written. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const lines = await Promise.all(
    entries.map(async (e) => {
      const file = path.join(e.parentPath, e.name);
      const s = await stat(file);
      return `${path.relative(dir, file)} ${e.isDirectory() ? 'dir' : `${s.size} ${s.mtimeMs}`}`;
    }),
  );
  return lines.sort();
}

/**
 * Moves the ManualClock from timer to timer until `done()`, each time only once every provider request
 * is answered or held by a chaos server on purpose. Fails when `done()` has not happened by `limit`.
 */
async function drive(h: Harness, traffic: ProviderTraffic, done: () => boolean, limit: number, what: string): Promise<void> {
  for (;;) {
    await guarded(traffic.idle(), `provider requests to settle before ${what}`);
    await settleIo();
    if (!traffic.isIdle) continue;
    if (done()) return;
    const next = h.clock.nextTimerAt();
    assert.ok(next !== undefined, `no timer is left, yet ${what} has not happened`);
    assert.ok(next <= limit, `${what} had not happened by ${new Date(limit).toISOString()}`);
    await h.clock.advance(next - h.clock.now());
  }
}

/** What is wrong with a message a person reads: it must be short plain text, whole, in our own words, saying what to do next. */
function messageProblems(message: unknown, row: Row): string[] {
  if (typeof message !== 'string' || message === '') return ['no message'];
  const problems: string[] = [];
  if (message.length > 200) problems.push(`longer than 200 characters (${message.length})`);
  if (/[<>\n]|undefined|\[object/.test(message)) problems.push('not plain text');
  if (message.includes('[redacted]')) problems.push('our own words were scrubbed ([redacted])');
  if (message.endsWith('…')) problems.push('cut off at 200 characters');
  if (!/\b(try|check|start|sign in|wait|turn on|ask)\b/i.test(message)) problems.push('does not say what to do next');
  if (/\bretrying\b/i.test(message)) problems.push('says "retrying" in an end message');
  if (row.says && !row.says.test(message)) problems.push(`does not match ${row.says}`);
  return problems;
}

for (const row of TABLE) {
  test(`${row.provider}: ${row.mode} at ${row.step} → ${row.end}`, { timeout: 20_000 }, async (t) => {
    const target = TARGETS[row.provider];
    const server = await startChaosServer();
    const elsewhere = await startElsewhere();
    t.after(() => Promise.all([server.close(), elsewhere.close()]));
    const h = await useHarness(t, { env: { [target.issuerEnv]: server.url } });
    server.setClock(h.clock);
    const upstream = await target.upstream(h, t);
    server.setUpstream(upstream.url);
    const scripted: string[] = [];
    server.route(target.paths[row.step]!, faultFor(row, elsewhere, scripted));
    const traffic = new ProviderTraffic([server, elsewhere]);
    t.after(() => traffic.stop());

    await h.writeAuth({ version: 1, providers: { other: { note: 'kept as is' } }, credential_pool: {}, unknown_key: [1, 2, 3] });
    const authBefore = await h.authBytes();
    const homeBefore = await snapshot(h.home);

    if (row.mode === 'refused' && row.step === 'start') await server.refuseConnections();
    const t0 = h.clock.now();
    let started: Awaited<ReturnType<Harness['start']>> | undefined;
    const starting = h.start({ provider: target.id }).then((res) => (started = res));
    await drive(h, traffic, () => started !== undefined, t0 + START_TIMEOUT_MS, 'the start answer');
    const res = (await starting)!;

    let message: unknown;
    if (row.step === 'start') {
      assert.equal(res.status, row.end, `start answered ${res.status}: ${res.text}`);
      assert.equal(res.body.ok, false);
      const took = h.clock.now() - t0;
      if (row.mode === 'hang' || row.mode === 'trickle') assert.equal(took, START_TIMEOUT_MS, 'start gave up exactly at its timeout');
      else assert.ok(took < START_TIMEOUT_MS, `an answer that came at once (however bad) did not run out the start timeout (${took} ms)`);
      assert.equal(await h.engine.pendingCount(), 0, 'no flow is left behind');
      message = res.body.error;
    } else {
      assert.equal(res.status, 200, `start answered ${res.status}: ${res.text}`);
      const started = (await h.engine.get(res.body.flow_id))!;
      assert.equal(Math.floor(started.expiresAt / 1000), res.body.expires_at);
      let flow = started;
      h.engine.subscribe(started.id, (ended) => (flow = ended));
      if (row.mode === 'refused') await server.refuseConnections();
      if (row.step === 'exchange') upstream.approve(res.body.user_code);
      await drive(h, traffic, () => flow.status !== 'pending', flow.expiresAt, `the end of the flow (${row.end})`);
      assert.equal(flow.status, row.end, `flow ended as ${flow.status}: ${flow.error ?? ''}`);
      assert.ok(flow.endedAt! <= flow.expiresAt, 'the flow ended by its expires_at');
      assert.equal(await h.engine.pendingCount(), 0);
      const polled = await h.poll(flow.id);
      assert.equal(polled.status, 200);
      assert.equal(polled.body.status, row.end);
      message = polled.body.error;
      if (row.end === 'expired') {
        assert.equal(message, undefined);
        assert.equal(flow.endedAt, flow.expiresAt, 'an expired flow ends exactly at expires_at');
      }
      assert.equal(h.clock.pendingTimers, 1, 'only the forget-later timer is left');
    }
    if (row.mode === 'slowDown') {
      const waits = h.waits;
      assert.ok(waits.length >= 5, `polled several times (${waits.join(', ')})`);
      waits.forEach((w, i) => assert.equal(w, 5 + 5 * i, `slow_down adds 5 s for good (${waits.join(', ')})`));
    }
    if (row.mode === 'huge') {
      const huge = server.requests.find((r) => r.fault === 'huge')!;
      await guarded(server.untilNoneOpen(), 'the client to hang up on the 50 MB body');
      assert.ok(huge.bytesWritten >= MAX_RESPONSE_BYTES, `the client read up to the cap (${huge.bytesWritten} bytes sent)`);
      assert.ok(huge.bytesWritten < HUGE_BODY_BYTES / 5, `the client hung up long before 50 MB (${huge.bytesWritten} bytes sent)`);
      t.diagnostic(`50 MB body: the server got ${huge.bytesWritten} bytes out before the client hung up`);
    }
    if (row.mode === 'redirect') assert.equal(elsewhere.requests.length, 0, 'the redirect was not followed');
    if (row.mode === 'hang' || row.mode === 'trickle') {
      assert.ok(server.requests.some((r) => r.fault === row.mode), 'the fault was hit');
    }
    await guarded(server.untilNoneOpen(), 'every held request to be abandoned by the client');
    if (row.mode === 'trickle') {
      const trickled = server.requests.filter((r) => r.fault === 'trickle').map((r) => r.bytesWritten);
      assert.ok(trickled.every((n) => n > 0), `body bytes trickled out before the client gave up (${trickled.join(', ')})`);
      t.diagnostic(`trickle: ${trickled.join(', ')} body bytes sent per request before the client gave up`);
    }

    h.assertNoSecrets([], [...server.issued, ...upstream.secrets(), ...scripted]);
    assert.deepEqual(await h.authBytes(), authBefore, 'auth.json is byte-identical');
    assert.deepEqual(await snapshot(h.home), homeBefore, 'nothing was written in the Hermes home');
    t.diagnostic(`end: ${row.end}${message === undefined ? '' : ` — ${String(message)}`}`);
    if (row.end !== 'expired') assert.deepEqual(messageProblems(message, row), [], `unclear message: ${String(message)}`);
  });
}
