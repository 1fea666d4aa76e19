/**
 * A fake OpenRouter: a real HTTP server on 127.0.0.1 speaking OpenRouter's OAuth PKCE protocol.
 *
 *   GET  /auth?callback_url=<cb>&code_challenge=<S256>&code_challenge_method=S256
 *        → the person "approves" at once: 302 to `<cb>?code=<code>`; without callback_url (paste mode)
 *          200 HTML showing the code (`<code id="auth-code">…</code>`), as OpenRouter does
 *   POST /api/v1/auth/keys  JSON {code, code_verifier, code_challenge_method: "S256"}
 *        → 200 {key: "sk-or-v1-…", user_id}; 403 for an unknown, used or wrong-verifier code (OpenRouter's
 *          answer to all three); 400 for a body that is not that JSON
 *
 * `deny()` makes the next consent a refusal (302 to `<cb>?error=access_denied`). Every code and key
 * handed out is recorded in `issued` so tests can scan outputs for leaks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startFakeServer, type FakeAnswer, type FakeFault, type FakeRequest } from './httpFake.js';

export interface OpenRouterFake {
  /** Use as HERMES_ONBOARD_OPENROUTER_ISSUER. */
  readonly site: string;
  readonly requests: FakeRequest[];
  /** Every code and key handed out. */
  readonly issued: string[];
  /** The keys minted so far, oldest first. */
  readonly keys: string[];
  /** Makes the next consent a refusal. */
  deny(): void;
  /** Mints a code for `challenge` directly (as if the person approved in paste mode). */
  codeFor(challenge: string): string;
  failNext(pathSuffix: '/auth' | '/api/v1/auth/keys', fault: FakeFault, times?: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/** The S256 challenge of a verifier (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export async function startOpenRouterFake(): Promise<OpenRouterFake> {
  const codes = new Map<string, { challenge: string; used: boolean }>();
  const issued: string[] = [];
  const keys: string[] = [];
  let denyNext = false;

  function mint(challenge: string): string {
    const code = randomBytes(18).toString('base64url');
    codes.set(code, { challenge, used: false });
    issued.push(code);
    return code;
  }

  function consent(req: FakeRequest): FakeAnswer {
    const challenge = req.query.get('code_challenge');
    if (!challenge || req.query.get('code_challenge_method') !== 'S256') return { status: 400, text: 'code_challenge and S256 required' };
    const callback = req.query.get('callback_url');
    if (denyNext) {
      denyNext = false;
      if (callback) return { status: 302, headers: { location: `${callback}?error=access_denied` } };
      return { status: 200, text: '<p>You declined.</p>' };
    }
    const code = mint(challenge);
    if (callback) {
      const target = new URL(callback);
      target.searchParams.set('code', code);
      return { status: 302, headers: { location: target.toString() } };
    }
    return { status: 200, text: `<p>Paste this code: <code id="auth-code">${code}</code></p>` };
  }

  function exchange(req: FakeRequest): FakeAnswer {
    const body = req.body;
    const code = body?.code;
    const verifier = body?.code_verifier;
    if (!req.contentType?.includes('application/json') || typeof code !== 'string' || typeof verifier !== 'string' || body?.code_challenge_method !== 'S256') {
      return { status: 400, body: { error: { code: 400, message: 'Invalid request body' } } };
    }
    const entry = codes.get(code);
    if (!entry || entry.used || s256(verifier) !== entry.challenge) {
      return { status: 403, body: { error: { code: 403, message: 'Invalid code or code_verifier' } } };
    }
    entry.used = true;
    const key = `sk-or-v1-${randomBytes(32).toString('hex')}`;
    keys.push(key);
    issued.push(key);
    return { status: 200, body: { key, user_id: 'user_fake' } };
  }

  const server = await startFakeServer((req) => {
    if (req.method === 'GET' && req.path === '/auth') return consent(req);
    if (req.method === 'POST' && req.path === '/api/v1/auth/keys') return exchange(req);
    return { status: 404, body: { error: 'not found' } };
  });

  return {
    site: server.url,
    requests: server.requests,
    issued,
    keys,
    deny() {
      denyNext = true;
    },
    codeFor: mint,
    failNext: (suffix, fault, times) => server.failNext(suffix, fault, times),
    clearFaults: () => server.clearFaults(),
    close: () => server.close(),
  };
}
