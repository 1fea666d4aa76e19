/** OpenRouter PKCE steps (authorize URL, callback, paste, key exchange) against the loopback fake. */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  authorizeUrl,
  callbackUrl,
  checkPastedCode,
  codeFromCallback,
  createPkce,
  exchangeCodeForKey,
  isCallbackNonce,
  newCallbackNonce,
  openrouterSite,
  OPENROUTER_CALLBACK_PREFIX,
  OPENROUTER_SITE,
} from '../../src/providers/openrouter.js';
import { ProviderError } from '../../src/providers/errors.js';
import type { ProviderContext, StepBounds } from '../../src/providers/types.js';
import { ManualClock } from '../helpers/clock.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { s256, startOpenRouterFake, type OpenRouterFake } from '../fakes/openrouterFake.js';
import { loadConfig } from '../../src/config.js';

let fake: OpenRouterFake;
before(async () => {
  fake = await startOpenRouterFake();
});
after(() => fake.close());
beforeEach(() => fake.clearFaults());

function ctxFor(clock: Clock = systemClock): ProviderContext {
  return { clock, config: loadConfig({ HERMES_ONBOARD_OPENROUTER_ISSUER: fake.site }), logger: silentLogger() };
}
function boundsFor(clock: Clock = systemClock, signal = new AbortController().signal): StepBounds {
  return { signal, deadline: clock.now() + 15 * 60_000 };
}

/** Fails when `text` holds a code, key or verifier. */
function assertNoSecrets(text: string, extra: string[] = []): void {
  for (const secret of [...fake.issued, ...extra]) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e as Error,
  );
}

/** Follows OpenRouter's consent page as the browser would (one redirect, not followed), returning the Location. */
async function consent(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302);
  return new URL(res.headers.get('location')!);
}

describe('openrouter PKCE and nonce', () => {
  it('makes a 43-character verifier whose S256 challenge is the one sent, fresh each time', async () => {
    const a = await createPkce();
    const b = await createPkce();
    assert.match(a.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(a.codeChallenge, s256(a.codeVerifier));
    assert.notEqual(a.codeVerifier, b.codeVerifier);
  });

  it('makes unguessable nonces (32 random bytes) that never repeat', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => newCallbackNonce()));
    assert.equal(nonces.size, 200);
    for (const n of nonces) assert.ok(isCallbackNonce(n));
    assert.equal(isCallbackNonce('short'), false);
    assert.equal(isCallbackNonce(`${'a'.repeat(42)}/`), false);
  });
});

describe('openrouter addresses', () => {
  it('builds the callback from the origin the browser used, dropping any path', () => {
    const nonce = newCallbackNonce();
    assert.equal(callbackUrl('http://127.0.0.1:8788/some/page?x=1', nonce), `http://127.0.0.1:8788${OPENROUTER_CALLBACK_PREFIX}${nonce}`);
    assert.throws(() => callbackUrl('javascript:alert(1)', nonce), ProviderError);
    assert.throws(() => callbackUrl('http://user:pw@host', nonce), ProviderError);
    assert.throws(() => callbackUrl('http://127.0.0.1', '../../etc'), ProviderError);
  });

  it('puts callback_url, the challenge and S256 in the authorize URL; paste mode drops the callback', () => {
    const cb = callbackUrl('http://127.0.0.1:8788', newCallbackNonce());
    const withCallback = new URL(authorizeUrl(OPENROUTER_SITE, 'CHALLENGE', cb));
    assert.equal(withCallback.origin + withCallback.pathname, 'https://openrouter.ai/auth');
    assert.deepEqual([...withCallback.searchParams], [
      ['callback_url', cb],
      ['code_challenge', 'CHALLENGE'],
      ['code_challenge_method', 'S256'],
    ]);
    const paste = new URL(authorizeUrl(OPENROUTER_SITE, 'CHALLENGE'));
    assert.equal(paste.searchParams.has('callback_url'), false);
    assert.equal(paste.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(paste.searchParams.get('key_label'), 'hermes-agent');
  });

  it('uses HERMES_ONBOARD_OPENROUTER_ISSUER, refusing plain http outside loopback', () => {
    assert.equal(openrouterSite(loadConfig({})).url, OPENROUTER_SITE);
    assert.equal(openrouterSite(loadConfig({ HERMES_ONBOARD_OPENROUTER_ISSUER: `${fake.site}/` })).url, fake.site);
    assert.throws(() => openrouterSite(loadConfig({ HERMES_ONBOARD_OPENROUTER_ISSUER: 'http://example.com' })), /HERMES_ONBOARD_OPENROUTER_ISSUER/);
  });
});

describe('openrouter round trips against the fake', () => {
  it('callback mode: consent redirects to our nonce path with a code, which swaps once for the key', async () => {
    const { codeVerifier, codeChallenge } = await createPkce();
    const nonce = newCallbackNonce();
    const cb = callbackUrl('http://127.0.0.1:8788', nonce);
    const back = await consent(authorizeUrl(fake.site, codeChallenge, cb));
    assert.equal(back.pathname, `${OPENROUTER_CALLBACK_PREFIX}${nonce}`);
    const code = codeFromCallback(back.searchParams);
    const key = await exchangeCodeForKey(ctxFor(), boundsFor(), fake.site, code, codeVerifier);
    assert.equal(key, fake.keys.at(-1));
    const exchange = fake.requests.at(-1)!;
    assert.equal(exchange.path, '/api/v1/auth/keys');
    assert.match(exchange.contentType ?? '', /application\/json/);
    assert.deepEqual(exchange.body, { code, code_verifier: codeVerifier, code_challenge_method: 'S256' });

    // the code is single-use: OpenRouter answers 403, and the error says why without the code
    const again = await rejection(exchangeCodeForKey(ctxFor(), boundsFor(), fake.site, code, codeVerifier));
    assert.ok(again instanceof ProviderError);
    assert.match(again.message, /already used/);
    assertNoSecrets(again.message, [codeVerifier]);
  });

  it('paste mode: the code shown on the page swaps for a key', async () => {
    const { codeVerifier, codeChallenge } = await createPkce();
    const page = await (await fetch(authorizeUrl(fake.site, codeChallenge))).text();
    const shown = /<code id="auth-code">([^<]+)<\/code>/.exec(page)![1]!;
    const key = await exchangeCodeForKey(ctxFor(), boundsFor(), fake.site, checkPastedCode(`  ${shown}\n`), codeVerifier);
    assert.equal(key, fake.keys.at(-1));
  });

  it('a wrong verifier is refused by OpenRouter (403) and ends the flow', async () => {
    const { codeChallenge } = await createPkce();
    const code = fake.codeFor(codeChallenge);
    const other = await createPkce();
    const error = await rejection(exchangeCodeForKey(ctxFor(), boundsFor(), fake.site, code, other.codeVerifier));
    assert.ok(error instanceof ProviderError);
    assert.equal(error.code, 'invalid_grant');
    assertNoSecrets(error.message, [other.codeVerifier]);
  });

  it('a refusal on the consent page comes back as error=access_denied and ends the flow', async () => {
    const { codeChallenge } = await createPkce();
    fake.deny();
    const back = await consent(authorizeUrl(fake.site, codeChallenge, callbackUrl('http://127.0.0.1:1', newCallbackNonce())));
    const error = (() => {
      try {
        codeFromCallback(back.searchParams);
      } catch (e) {
        return e as ProviderError;
      }
      return assert.fail('expected a refusal');
    })();
    assert.equal(error.code, 'access_denied');
  });
});

describe('openrouter garbage and failures', () => {
  const garbage: Array<[string, Parameters<OpenRouterFake['failNext']>[1], RegExp]> = [
    ['a non-JSON 200', { status: 200, text: '<html>hello</html>' }, /not a JSON object/],
    ['a JSON array', { status: 200, body: ['sk-or-v1-x'] }, /not a JSON object/],
    ['no key', { status: 200, body: { user_id: 'u' } }, /sent no key/],
    ['a key that is not a string', { status: 200, body: { key: 12345 } }, /sent no key/],
    ['a key with spaces', { status: 200, body: { key: 'sk-or v1' } }, /spaces or control characters/],
    ['a key over 4 KiB', { status: 200, body: { key: 'k'.repeat(5000) } }, /too long/],
    ['HTTP 400 echoing the code', { status: 400, body: { error: 'bad', echo: 'REPLACED' } }, /HTTP 400/],
    ['HTTP 500 (transient, but the code is single-use)', { status: 500, body: {} }, /HTTP 500.*Start the sign-in again/],
    ['a redirect', { status: 302, headers: { location: 'https://elsewhere.example' } }, /redirect/],
    ['a reset connection', { reset: true }, /Could not reach.*Start the sign-in again/],
  ];
  for (const [name, fault, pattern] of garbage) {
    it(`ends the flow with a clear error on ${name}, leaking nothing`, async () => {
      const { codeVerifier, codeChallenge } = await createPkce();
      const code = fake.codeFor(codeChallenge);
      const echoing = 'body' in fault && fault.body && typeof fault.body === 'object' && 'echo' in fault.body ? { ...fault, body: { ...fault.body, echo: `${code} ${codeVerifier}` } } : fault;
      fake.failNext('/api/v1/auth/keys', echoing);
      const error = await rejection(exchangeCodeForKey(ctxFor(), boundsFor(), fake.site, code, codeVerifier));
      assert.ok(error instanceof ProviderError, `expected ProviderError, got ${String(error)}`);
      assert.match(error.message, pattern);
      assertNoSecrets(error.message, [codeVerifier]);
    });
  }

  it('a provider that never answers is given up on at the request timeout, on the injected clock', async (t) => {
    const hanging = createServer(() => {});
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    t.after(() => {
      hanging.closeAllConnections();
      hanging.close();
    });
    const site = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const clock = new ManualClock();
    const pending = rejection(exchangeCodeForKey(ctxFor(clock), boundsFor(clock), site, 'code', 'verifier'));
    await clock.untilTimers(1);
    await clock.advance(30_000);
    const error = await pending;
    assert.ok(error instanceof ProviderError);
    assert.match(error.message, /did not answer in time/);
  });

  it('an aborted step rejects with the abort reason and sends nothing', async () => {
    const controller = new AbortController();
    const reason = new Error('flow cancelled');
    controller.abort(reason);
    const before = fake.requests.length;
    const error = await rejection(exchangeCodeForKey(ctxFor(), boundsFor(systemClock, controller.signal), fake.site, 'c', 'v'));
    assert.equal(error, reason);
    assert.equal(fake.requests.length, before);
  });

  it('refuses malformed callback and pasted codes', () => {
    assert.throws(() => codeFromCallback(new URLSearchParams('')), /no authorization code/);
    assert.throws(() => codeFromCallback(new URLSearchParams('code=a%20b')), /spaces/);
    assert.throws(() => codeFromCallback(new URLSearchParams(`error=${encodeURIComponent('<script>')}`)), (e: ProviderError) => !e.message.includes('<script>'));
    assert.throws(() => checkPastedCode('   '), /empty/);
    assert.throws(() => checkPastedCode('abc\u0007def'), /control/);
    assert.throws(() => checkPastedCode('x'.repeat(2000)), /too long/);
  });
});
