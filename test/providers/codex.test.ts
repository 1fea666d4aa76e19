/** OpenAI Codex device auth at the provider level (begin / poll / finish / save / accounts), against the loopback fake. */
import type { AccountView } from '../../src/providers/types.js';
import { loadConfig } from '../../src/config.js';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UnsecuredJWT } from 'jose';
import {
  CODEX_BASE_URL,
  CODEX_CLIENT_ID,
  codexIssuer,
  codexProvider,
  type CodexGrant,
  type CodexTokens,
} from '../../src/providers/codex.js';
import { ProviderError, TransientProviderError } from '../../src/providers/errors.js';
import type { CodexDeviceSecret } from '../../src/providers/codex.js';
import type { DeviceAuthorization, ProviderContext, StepBounds } from '../../src/providers/types.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { faults, pkceChallenge, startCodexFake, type CodexFake, type CodexFault, type FakeAccount } from '../fakes/codexFake.js';
import { deferred } from '../helpers/deferred.js';
import { tempDir } from '../store/helpers.js';

/** What a listing shows of a provider's account: id, label, email and plan (never a secret). */
const shown = ({ id, label, email, plan }: AccountView) => ({ id, label, ...(email && { email }), ...(plan && { plan }) });

/** A ManualClock that records every sleep asked of it and signals each one, so tests can see (and drive) retry waits. */
class RecordingClock extends ManualClock {
  readonly sleeps: number[] = [];
  #slept = deferred();
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    const done = super.sleep(ms, signal);
    this.#slept.resolve();
    this.#slept = deferred();
    return done;
  }

  /** Resolves once more than `count` sleeps have been asked for. */
  async sleepsAbove(count: number): Promise<void> {
    while (this.sleeps.length <= count) await this.#slept.promise;
  }
}

let fake: CodexFake;
before(async () => {
  fake = await startCodexFake();
});
after(() => fake.close());
beforeEach(() => {
  fake.clearFaults();
  fake.configure({ interval: '5', expiresIn: null, userCodeField: 'user_code' });
});

function ctxFor(clock: Clock = systemClock, issuer = fake.issuer): ProviderContext {
  return { clock, config: loadConfig({ HERMES_ONBOARD_OPENAI_CODEX_ISSUER: issuer }), logger: silentLogger() };
}

function boundsFor(clock: Clock = systemClock, signal = new AbortController().signal): StepBounds {
  return { signal, deadline: clock.now() + 15 * 60_000 };
}

/** Settles `promise` while advancing `clock` through each sleep it records (waits on the sleeps, never on time). */
async function driveSleeps<T>(clock: RecordingClock, promise: Promise<T>): Promise<T> {
  const settled = promise.then(() => true, () => true);
  for (let handled = 0; ; handled++) {
    if (await Promise.race([settled, clock.sleepsAbove(handled).then(() => false)])) return promise;
    await clock.advance(clock.sleeps[handled]!);
  }
}

/** Fails when `text` holds any secret the fake handed out. */
function assertNoSecrets(text: string): void {
  const leaked = fake.issued.filter((s) => text.includes(s));
  assert.equal(leaked.length, 0, `an issued secret leaked into: ${text.slice(0, 80)}…`);
}

/** Asserts `promise` rejects with an error of `type` whose message matches `pattern` and leaks nothing. */
async function rejectsSafely(promise: Promise<unknown>, type: typeof ProviderError | typeof TransientProviderError, pattern: RegExp) {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
  assert.match(error.message, pattern);
  assertNoSecrets(error.message);
  assert.doesNotMatch(error.message, /eyJ|Bearer|code_verifier=/);
  return error;
}

async function begin(clock: Clock = systemClock): Promise<DeviceAuthorization<CodexDeviceSecret>> {
  return codexProvider.begin(ctxFor(clock), boundsFor(clock));
}

/** begin → approve as `account` → poll → finish. */
async function signIn(clock: Clock = systemClock, account: Partial<FakeAccount> = {}) {
  const ctx = ctxFor(clock);
  const auth = await codexProvider.begin(ctx, boundsFor(clock));
  const approved = fake.approve(auth.userCode, account);
  const outcome = await codexProvider.poll(ctx, auth, boundsFor(clock));
  assert.ok(outcome.kind === 'approved', `expected approved, got ${outcome.kind}`);
  const grant = (outcome as { grant: CodexGrant }).grant;
  const credentials = await codexProvider.finish(ctx, auth, grant, boundsFor(clock));
  return { auth, grant, approved, credentials, tokens: credentials.secret as CodexTokens };
}

const lastRequest = (endpoint: 'usercode' | 'poll' | 'exchange') => fake.requests.filter((r) => r.endpoint === endpoint).at(-1)!;

describe('codex begin', { timeout: 20_000 }, () => {
  it('reads the string interval, the user code and the default lifetime, and sends the client id as JSON', async () => {
    const before = fake.counts.usercode;
    const auth = await begin();
    assert.equal(fake.counts.usercode, before + 1);
    assert.equal(auth.userCode, fake.userCodes().at(-1));
    assert.equal(auth.intervalSeconds, 5);
    assert.equal(auth.expiresInSeconds, 15 * 60);
    assert.equal(auth.verificationUri, `${fake.issuer}/codex/device`);
    const secret = auth.secret as { issuer: string; deviceAuthId: string };
    assert.equal(secret.issuer, fake.issuer);
    assert.ok(fake.issued.includes(secret.deviceAuthId));
    const req = lastRequest('usercode');
    assert.deepEqual(req.body, { client_id: CODEX_CLIENT_ID });
    assert.match(req.contentType ?? '', /application\/json/);
  });

  it('accepts the older `usercode` field name', async () => {
    fake.configure({ userCodeField: 'usercode' });
    const auth = await begin();
    assert.equal(auth.userCode, fake.userCodes().at(-1));
  });

  it('parses intervals given as numbers or strings, never below 1 s, defaulting to 5 s', async () => {
    const cases: Array<[string | number | null, number]> = [
      ['12', 12],
      [7, 7],
      ['0', 1],
      [0.2, 1],
      [null, 5],
      ['soon', 5],
      [-3, 5],
    ];
    for (const [given, expected] of cases) {
      fake.setInterval(given);
      assert.equal((await begin()).intervalSeconds, expected, `interval ${JSON.stringify(given)}`);
    }
  });

  it('caps the lifetime at 15 minutes and keeps shorter ones', async () => {
    const cases: Array<[string | number | null, number]> = [
      [3600, 900],
      ['120', 120],
      [null, 900],
      [0, 900],
    ];
    for (const [given, expected] of cases) {
      fake.configure({ expiresIn: given });
      assert.equal((await begin()).expiresInSeconds, expected, `expires_in ${JSON.stringify(given)}`);
    }
  });

  it('explains a 404: device-code login is not enabled, and where to enable it', async () => {
    const before = fake.counts.usercode;
    fake.failNext('usercode', faults.status(404, { detail: 'Not Found' }));
    await rejectsSafely(begin(), ProviderError, /not enabled.*Settings → Security.*admin/s);
    assert.equal(fake.counts.usercode, before + 1, 'a 404 is not retried');
  });

  it('retries a 429, waiting exactly what Retry-After says', async () => {
    const clock = new RecordingClock();
    const local = await startCodexFake({ clock });
    try {
      local.failNext('usercode', faults.rateLimited(7), 2);
      const auth = await driveSleeps(clock, codexProvider.begin(ctxFor(clock, local.issuer), boundsFor(clock)));
      assert.equal(auth.userCode, local.userCodes()[0]);
      assert.deepEqual(clock.sleeps, [7000, 7000]);
      const times = local.requests.map((r) => r.time);
      assert.equal(times.length, 3);
      assert.deepEqual([times[1]! - times[0]!, times[2]! - times[1]!], [7000, 7000], 'no request before Retry-After passed');
    } finally {
      await local.close();
    }
  });

  const giveUps: Array<{ name: string; fault: CodexFault; status: number; sleeps: number[] }> = [
    { name: 'gives up after three 429 retries with exponential backoff', fault: faults.rateLimited(), status: 429, sleeps: [1000, 2000, 4000] },
    { name: 'gives up at once when Retry-After is longer than a person should wait', fault: faults.rateLimited(120), status: 429, sleeps: [] },
    { name: 'retries a 5xx twice, then fails', fault: faults.serverError(503), status: 503, sleeps: [1000, 2000] },
  ];
  for (const { name, fault, status, sleeps } of giveUps) {
    it(name, async () => {
      const clock = new RecordingClock();
      const before = fake.counts.usercode;
      fake.failNext('usercode', fault, Infinity);
      const error = await rejectsSafely(driveSleeps(clock, begin(clock)), TransientProviderError, new RegExp(`HTTP ${status}`));
      assert.equal((error as TransientProviderError).status, status);
      assert.deepEqual(clock.sleeps, sleeps);
      assert.equal(fake.counts.usercode, before + sleeps.length + 1, 'one request, then one per retry');
    });
  }

  it('recovers from one 5xx and one dropped connection', async () => {
    const clock = new RecordingClock();
    fake.failNext('usercode', faults.serverError(500, 3));
    fake.failNext('usercode', faults.outage());
    const auth = await driveSleeps(clock, begin(clock));
    assert.equal(auth.userCode, fake.userCodes().at(-1));
    assert.deepEqual(clock.sleeps, [3000, 2000], 'Retry-After on the 5xx, then the second backoff step after the network error');
  });

  it('refuses answers without a user code or with an unexpected status, never quoting the body', async () => {
    fake.failNext('usercode', faults.status(200, { device_auth_id: 'deviceauth_only' }));
    await rejectsSafely(begin(), ProviderError, /without a user code/);
    fake.failNext('usercode', faults.leakyError(400, 'invalid_request'));
    const error = await rejectsSafely(begin(), ProviderError, /HTTP 400/);
    assert.doesNotMatch(error.message, /rejected|invalid_request/);
  });

  it('checks the issuer override, and defaults to auth.openai.com', async () => {
    assert.equal(codexIssuer(loadConfig({})), 'https://auth.openai.com');
    assert.equal(codexIssuer(loadConfig({ HERMES_ONBOARD_OPENAI_CODEX_ISSUER: `${fake.issuer}/` })), fake.issuer);
    const before = fake.counts.usercode;
    const ctx = { ...ctxFor(), config: loadConfig({ HERMES_ONBOARD_OPENAI_CODEX_ISSUER: 'http://auth.example.com' }) };
    await rejectsSafely(codexProvider.begin(ctx, boundsFor()), ProviderError, /HERMES_ONBOARD_OPENAI_CODEX_ISSUER.*https:\/\//);
    assert.equal(fake.counts.usercode, before);
  });

  it('stops when the flow is cancelled while OpenAI hangs', async () => {
    const gate = fake.hold('usercode');
    try {
      const controller = new AbortController();
      const pending = codexProvider.begin(ctxFor(), boundsFor(systemClock, controller.signal));
      await gate.reached;
      const reason = new Error('cancelled by the user');
      controller.abort(reason);
      await assert.rejects(pending, (e) => e === reason);
    } finally {
      gate.release();
    }
  });
});

describe('codex poll', { timeout: 20_000 }, () => {
  let auth: DeviceAuthorization<CodexDeviceSecret>;
  beforeEach(async () => {
    auth = await begin();
  });
  const poll = () => codexProvider.poll(ctxFor(), auth, boundsFor());

  it('is pending while OpenAI answers 403, and sends device_auth_id and user_code as JSON', async () => {
    assert.deepEqual(await poll(), { kind: 'pending' });
    const req = lastRequest('poll');
    assert.deepEqual(req.body, {
      device_auth_id: (auth.secret as { deviceAuthId: string }).deviceAuthId,
      user_code: auth.userCode,
    });
    assert.match(req.contentType ?? '', /application\/json/);
  });

  it('treats 404 as pending', async () => {
    fake.failNext('poll', faults.status(404));
    assert.deepEqual(await poll(), { kind: 'pending' });
  });

  it('slows down on 429 (with Retry-After) and on a slow_down error', async () => {
    fake.failNext('poll', faults.rateLimited(9));
    assert.deepEqual(await poll(), { kind: 'slow_down', retryAfterSeconds: 9 });
    fake.failNext('poll', faults.slowDown());
    assert.deepEqual(await poll(), { kind: 'slow_down' });
    fake.failNext('poll', faults.status(400, { error: { code: 'slow_down', message: 'Slow down' } }));
    assert.deepEqual(await poll(), { kind: 'slow_down' });
  });

  it('throws a transient error on 5xx (with Retry-After) and on a dropped connection', async () => {
    fake.failNext('poll', faults.serverError(502, 4));
    const error = (await rejectsSafely(poll(), TransientProviderError, /HTTP 502/)) as TransientProviderError;
    assert.equal(error.status, 502);
    assert.equal(error.retryAfterSeconds, 4);
    fake.failNext('poll', faults.outage());
    await rejectsSafely(poll(), TransientProviderError, /Could not reach/);
  });

  it('reports denial and expiry, in either error-body style', async () => {
    fake.failNext('poll', faults.status(403, { error: 'access_denied' }));
    assert.deepEqual(await poll(), { kind: 'denied' });
    fake.failNext('poll', faults.status(400, { error: 'expired_token' }));
    assert.deepEqual(await poll(), { kind: 'expired' });
    fake.deny(auth.userCode);
    assert.deepEqual(await poll(), { kind: 'denied' });
    const other = await begin();
    fake.expire(other.userCode);
    assert.deepEqual(await codexProvider.poll(ctxFor(), other, boundsFor()), { kind: 'expired' });
  });

  it('returns the server-generated code and PKCE verifier once approved', async () => {
    fake.approve(auth.userCode);
    const outcome = await poll();
    assert.ok(outcome.kind === 'approved', `expected approved, got ${outcome.kind}`);
    const grant = (outcome as { grant: CodexGrant }).grant;
    assert.ok(fake.issued.includes(grant.authorizationCode));
    assert.ok(fake.issued.includes(grant.codeVerifier));
    assert.ok(fake.issued.includes(pkceChallenge(grant.codeVerifier)), 'the verifier matches the challenge the server kept');
  });

  it('refuses a 200 without the code or verifier', async () => {
    fake.failNext('poll', faults.status(200, { authorization_code: 'ac_only' }));
    await rejectsSafely(poll(), ProviderError, /no authorization code/);
  });

  it('ends on any other 4xx with the status only', async () => {
    fake.approve(auth.userCode);
    fake.failNext('poll', faults.leakyError(401, 'unauthorized'));
    const error = await rejectsSafely(poll(), ProviderError, /HTTP 401/);
    assert.doesNotMatch(error.message, /rejected|device_auth_id/);
  });

  it('stops when the flow is cancelled while OpenAI hangs', async () => {
    const gate = fake.hold('poll');
    try {
      const controller = new AbortController();
      const pending = codexProvider.poll(ctxFor(), auth, boundsFor(systemClock, controller.signal));
      await gate.reached;
      controller.abort(new Error('expired'));
      await assert.rejects(pending, /expired/);
    } finally {
      gate.release();
    }
  });
});

describe('codex finish', { timeout: 20_000 }, () => {
  it('exchanges the code with PKCE and labels the account from the claims', async () => {
    const { approved, credentials, tokens, grant } = await signIn(systemClock, { email: 'ada@example.com', plan: 'pro' });
    assert.deepEqual(credentials.account, { label: 'Codex OAuth (ada@example.com)', email: 'ada@example.com', plan: 'pro' });
    assert.equal(tokens.accountId, approved.accountId);
    assert.equal(tokens.sub, approved.sub);
    assert.ok(fake.issued.includes(tokens.accessToken) && fake.issued.includes(tokens.refreshToken));
    const req = lastRequest('exchange');
    assert.match(req.contentType ?? '', /application\/x-www-form-urlencoded/);
    assert.deepEqual(req.body, {
      grant_type: 'authorization_code',
      code: grant.authorizationCode,
      redirect_uri: `${fake.issuer}/deviceauth/callback`,
      client_id: CODEX_CLIENT_ID,
      code_verifier: grant.codeVerifier,
    });
  });

  it('labels "Codex OAuth" when there is no email, or no readable claims at all', async () => {
    const noEmail = await signIn(systemClock, { email: null, plan: null });
    assert.deepEqual(noEmail.credentials.account, { label: 'Codex OAuth' });
    assert.ok(noEmail.tokens.accountId);
    const opaque = await signIn(systemClock, { jwt: false });
    assert.deepEqual(opaque.credentials.account, { label: 'Codex OAuth' });
    assert.equal(opaque.tokens.accountId, undefined);
    assert.equal(opaque.tokens.sub, undefined);
  });

  it('reads the email from the access token when there is no id token', async () => {
    const { auth, grant } = await approvedGrant();
    const accessToken = new UnsecuredJWT({
      'https://api.openai.com/auth': { chatgpt_account_id: 'acct-profile', chatgpt_plan_type: 'team' },
      'https://api.openai.com/profile': { email: 'grace@example.com' },
    })
      .setSubject('auth0|grace')
      .encode();
    fake.failNext('exchange', faults.status(200, { access_token: accessToken, refresh_token: 'rt_profile' }));
    const { account, secret } = await finish(auth, grant);
    assert.deepEqual(account, { label: 'Codex OAuth (grace@example.com)', email: 'grace@example.com', plan: 'team' });
    assert.deepEqual(secret, { accessToken, refreshToken: 'rt_profile', accountId: 'acct-profile', sub: 'auth0|grace' });
  });

  async function approvedGrant(): Promise<{ auth: DeviceAuthorization<CodexDeviceSecret>; grant: CodexGrant }> {
    const auth = await begin();
    fake.approve(auth.userCode);
    const outcome = await codexProvider.poll(ctxFor(), auth, boundsFor());
    return { auth, grant: (outcome as { grant: CodexGrant }).grant };
  }
  const finish = (auth: DeviceAuthorization<CodexDeviceSecret>, grant: CodexGrant, signal?: AbortSignal) =>
    codexProvider.finish(ctxFor(), auth, grant, boundsFor(systemClock, signal));

  it('fails when the verifier does not match (the fake checks PKCE), and when a code is reused', async () => {
    const { auth, grant } = await approvedGrant();
    const wrong = await rejectsSafely(finish(auth, { ...grant, codeVerifier: `${grant.codeVerifier}x` }), ProviderError, /HTTP 400 \(invalid_grant\)/);
    assert.equal((wrong as ProviderError).code, 'invalid_grant');
    await finish(auth, grant);
    await rejectsSafely(finish(auth, grant), ProviderError, /invalid_grant/);
  });

  it('fails when the answer has no access token', async () => {
    const { auth, grant } = await approvedGrant();
    fake.failNext('exchange', faults.status(200, { refresh_token: 'rt_only', token_type: 'Bearer' }));
    await rejectsSafely(finish(auth, grant), ProviderError, /no access token/);
  });

  it('never copies an error body, even one full of secrets', async () => {
    const { auth, grant } = await approvedGrant();
    fake.failNext('exchange', faults.leakyError(400, 'invalid_grant'));
    const error = await rejectsSafely(finish(auth, grant), ProviderError, /HTTP 400 \(invalid_grant\); try signing in again/);
    assert.ok(!error.message.includes(grant.authorizationCode) && !error.message.includes(grant.codeVerifier));
    assert.doesNotMatch(error.message, /rejected/);
  });

  it('ends the flow (not a retry) on 5xx and network failures', async () => {
    const { auth, grant } = await approvedGrant();
    fake.failNext('exchange', faults.serverError(500));
    const e500 = await rejectsSafely(finish(auth, grant), ProviderError, /HTTP 500; try signing in again/);
    assert.ok(!(e500 instanceof TransientProviderError));
    fake.failNext('exchange', faults.outage());
    await rejectsSafely(finish(auth, grant), ProviderError, /Could not reach .*Try signing in again/);
  });

  it('stops when the flow is cancelled while the exchange is held', async () => {
    const { auth, grant } = await approvedGrant();
    const gate = fake.holdExchange();
    try {
      const controller = new AbortController();
      const pending = finish(auth, grant, controller.signal);
      await gate.reached;
      assert.equal(gate.waiting, 1);
      controller.abort(new Error('cancelled by the user'));
      await assert.rejects(pending, /cancelled by the user/);
    } finally {
      gate.release();
    }
  });
});

describe('codex save and accounts', { timeout: 20_000 }, () => {
  let home: string;
  const authFile = () => path.join(home, 'auth.json');
  const readStore = async () => JSON.parse(await readFile(authFile(), 'utf8'));
  const pool = async () => (await readStore()).credential_pool['openai-codex'] as Array<Record<string, unknown>>;

  // beforeEach gets the test's own context, so the folder goes when each test ends.
  beforeEach((t) => void (home = tempDir(t as TestContext, 'codex-save-')));

  async function signInAndSave(clock: ManualClock, account: Partial<FakeAccount> = {}) {
    const run = await signIn(clock, account);
    const saved = await codexProvider.save(ctxFor(clock), home, run.credentials);
    return { ...run, saved };
  }

  it('writes the docs/api.md (Files) entry (0600) and keeps everything else in the file', async () => {
    const other = {
      version: 1,
      active_provider: 'nous',
      providers: { nous: { access_token: 'nous-at', note: 'kept' } },
      credential_pool: { anthropic: [{ id: 'a1', label: 'Claude', access_token: 'sk-ant-kept' }] },
      some_future_key: { nested: [1, 2, 3] },
    };
    await writeFile(authFile(), JSON.stringify(other), { mode: 0o600 });
    const clock = new ManualClock(Date.UTC(2026, 2, 4, 5, 6, 7));
    const { saved, credentials, tokens } = await signInAndSave(clock, { email: 'ada@example.com', plan: 'pro' });

    assert.deepEqual(saved, credentials.account);
    assert.equal((await stat(authFile())).mode & 0o777, 0o600);
    const store = await readStore();
    assert.equal(store.version, 1);
    assert.match(store.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual(store.providers, other.providers);
    assert.deepEqual(store.credential_pool.anthropic, other.credential_pool.anthropic);
    assert.deepEqual(store.some_future_key, other.some_future_key);
    assert.equal(store.active_provider, 'nous');

    const entries = store.credential_pool['openai-codex'];
    assert.equal(entries.length, 1);
    const entry = entries[0];
    assert.match(entry.id, /^\S+$/);
    const now = '2026-03-04T05:06:07.000Z';
    assert.deepEqual({ ...entry, id: 'ID' }, {
      id: 'ID',
      label: 'Codex OAuth (ada@example.com)',
      auth_type: 'oauth',
      priority: 0,
      source: 'manual:device_code',
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      base_url: CODEX_BASE_URL,
      created_at: now,
      last_refresh: now,
      updated_at: now,
      account_id: tokens.accountId,
      sub: tokens.sub,
    });
  });

  it('keeps one entry per account: two accounts → two entries, the same account again → updated in place', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const first = await signInAndSave(clock, { email: 'one@example.com' });
    await signInAndSave(clock, { email: 'two@example.com' });
    assert.equal((await pool()).length, 2);

    const before = (await pool())[0]!;
    await clock.advance(60_000);
    const again = await signInAndSave(clock, {
      accountId: first.approved.accountId,
      sub: first.approved.sub,
      email: 'one@example.com',
      plan: 'pro',
    });
    const entries = await pool();
    assert.equal(entries.length, 2);
    const updated = entries[0]!;
    assert.equal(updated.id, before.id);
    assert.equal(updated.created_at, before.created_at);
    assert.equal(updated.access_token, again.tokens.accessToken);
    assert.equal(updated.refresh_token, again.tokens.refreshToken);
    assert.equal(updated.last_refresh, new Date(clock.now()).toISOString());
    const views = await codexProvider.accounts(home);
    assert.deepEqual(views.map((v) => [v.email, v.plan]), [['one@example.com', 'pro'], ['two@example.com', 'plus']]);
  });

  it('treats the same workspace with another user as another account', async () => {
    const clock = new ManualClock();
    const first = await signInAndSave(clock);
    await signInAndSave(clock, { accountId: first.approved.accountId });
    assert.equal((await pool()).length, 2);
  });

  it('updates a legacy oauth_device entry in place when the new tokens carry no claims', async () => {
    const legacy = {
      id: 'legacy1',
      label: 'old device login',
      auth_type: 'oauth',
      priority: 2,
      source: 'oauth_device',
      access_token: 'old-opaque-access',
      refresh_token: 'old-opaque-refresh',
      created_at: '2025-01-01T00:00:00Z',
      hermes_private: { keep: true },
    };
    const pasted = { id: 'paste1', label: 'pasted', source: 'manual:paste', access_token: 'pasted-at' };
    await writeFile(authFile(), JSON.stringify({ credential_pool: { 'openai-codex': [pasted, legacy] } }), { mode: 0o600 });
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const { tokens } = await signInAndSave(clock, { jwt: false });

    const entries = await pool();
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[0], pasted, 'other entries are untouched');
    const updated = entries[1]!;
    assert.equal(updated.id, 'legacy1');
    assert.equal(updated.source, 'manual:device_code');
    assert.equal(updated.access_token, tokens.accessToken);
    assert.equal(updated.refresh_token, tokens.refreshToken);
    assert.equal(updated.created_at, '2025-01-01T00:00:00Z');
    assert.equal(updated.priority, 2, 'the pool order the user chose is kept');
    assert.equal(updated.label, 'old device login', 'the label the user chose is kept');
    assert.deepEqual(updated.hermes_private, { keep: true });
  });

  it('updates a legacy oauth_device entry of the same account', async () => {
    const clock = new ManualClock();
    const first = await signInAndSave(clock);
    const store = await readStore();
    store.credential_pool['openai-codex'][0].source = 'oauth_device';
    await writeFile(authFile(), JSON.stringify(store), { mode: 0o600 });
    await signInAndSave(clock, { accountId: first.approved.accountId, sub: first.approved.sub });
    const entries = await pool();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.source, 'manual:device_code');
  });

  it('lists saved accounts without secrets', async () => {
    assert.deepEqual(await codexProvider.accounts(home), []);
    const clock = new ManualClock();
    await signInAndSave(clock, { email: 'ada@example.com', plan: 'team' });
    await signInAndSave(clock, { email: null, plan: null });
    // what a client sees of them (the one allowlist, server/presenters.ts)
    const accounts = (await codexProvider.accounts(home)).map(shown);
    const entries = await pool();
    assert.deepEqual(accounts, [
      { id: entries[0]!.id, label: 'Codex OAuth (ada@example.com)', email: 'ada@example.com', plan: 'team' },
      { id: entries[1]!.id, label: 'Codex OAuth' },
    ]);
    assertNoSecrets(JSON.stringify(accounts));
  });
});
