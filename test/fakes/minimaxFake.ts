/**
 * A fake MiniMax OAuth portal: a real HTTP server on 127.0.0.1 speaking MiniMax's user-code grant with
 * PKCE, as Hermes Agent's `_minimax_oauth_login` talks to it.
 *
 *   POST /oauth/code   form response_type=code, client_id, scope, code_challenge, code_challenge_method=S256,
 *                      state (header x-request-id) → {user_code, verification_uri, expired_in, interval, state}
 *   POST /oauth/token  form grant_type=urn:ietf:params:oauth:grant-type:user_code, client_id, user_code,
 *                      code_verifier → {status: "pending"} | {status: "success", access_token, refresh_token,
 *                      expired_in, token_type, resource_url} | {status: "error"}; a wrong verifier or an unknown
 *                      code → 400 {base_resp: {status_code, status_msg}}
 *
 * `expired_in` comes in either of MiniMax's forms (`settings.expiredIn`): epoch milliseconds (by the fake's
 * clock) or a TTL in seconds. The verification address, the echoed state and the interval can be bent
 * to test the client's checks.
 */
import { randomBytes } from 'node:crypto';
import { startFakeServer, type FakeAnswer, type FakeFault, type FakeRequest } from './httpFake.js';
import { s256 } from './openrouterFake.js';

export const FAKE_MINIMAX_CLIENT_ID = '78257093-7e40-4613-99e0-527b14b39113';

export interface MinimaxFakeSettings {
  /** How `expired_in` is sent, for the user code and for the token. */
  expiredIn: 'epoch_ms' | 'ttl_seconds';
  /** Seconds the user code and the access token live. */
  codeTtlSeconds: number;
  tokenTtlSeconds: number;
  /** `interval` in milliseconds; null leaves it out. */
  intervalMs: number | null;
  /** The verification address; `{code}` is replaced by the user code. */
  verificationUri: string;
  /** Echo a different state than was sent. */
  wrongState: boolean;
}

export interface MinimaxFake {
  /** Use as HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER. */
  readonly portal: string;
  readonly requests: FakeRequest[];
  readonly issued: string[];
  readonly settings: MinimaxFakeSettings;
  configure(settings: Partial<MinimaxFakeSettings>): void;
  userCodes(): string[];
  approve(userCode: string): { accessToken: string; refreshToken: string };
  deny(userCode: string): void;
  failNext(pathSuffix: '/oauth/code' | '/oauth/token', fault: FakeFault, times?: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULTS: MinimaxFakeSettings = {
  expiredIn: 'epoch_ms',
  codeTtlSeconds: 600,
  tokenTtlSeconds: 900,
  intervalMs: 2000,
  verificationUri: 'https://www.minimaxi.io/oauth-authorize?user_code={code}&client=hermes',
  wrongState: false,
};

interface Authorization {
  userCode: string;
  challenge: string;
  state: 'pending' | 'approved' | 'denied';
  tokens?: { accessToken: string; refreshToken: string };
}

export async function startMinimaxFake(options: { now?: () => number } = {}): Promise<MinimaxFake> {
  const now = options.now ?? Date.now;
  const settings: MinimaxFakeSettings = { ...DEFAULTS };
  const byCode = new Map<string, Authorization>();
  const issued: string[] = [];

  const expiredIn = (ttl: number) => (settings.expiredIn === 'epoch_ms' ? now() + ttl * 1000 : ttl);
  const minimaxError = (status: number, msg: string): FakeAnswer => ({ status, body: { base_resp: { status_code: 1004, status_msg: msg } } });

  function code(req: FakeRequest): FakeAnswer {
    const b = req.body ?? {};
    if (
      !req.contentType?.includes('application/x-www-form-urlencoded') ||
      b.response_type !== 'code' ||
      b.client_id !== FAKE_MINIMAX_CLIENT_ID ||
      b.scope !== 'group_id profile model.completion' ||
      b.code_challenge_method !== 'S256' ||
      typeof b.code_challenge !== 'string' ||
      typeof b.state !== 'string' ||
      typeof req.headers['x-request-id'] !== 'string'
    ) {
      return minimaxError(400, 'invalid authorization request');
    }
    const userCode = randomBytes(4).toString('hex').toUpperCase();
    byCode.set(userCode, { userCode, challenge: b.code_challenge, state: 'pending' });
    return {
      status: 200,
      body: {
        user_code: userCode,
        verification_uri: settings.verificationUri.replace('{code}', userCode),
        expired_in: expiredIn(settings.codeTtlSeconds),
        ...(settings.intervalMs !== null && { interval: settings.intervalMs }),
        state: settings.wrongState ? `${b.state}x` : b.state,
      },
    };
  }

  function token(req: FakeRequest): FakeAnswer {
    const b = req.body ?? {};
    const auth = typeof b.user_code === 'string' ? byCode.get(b.user_code) : undefined;
    if (b.grant_type !== 'urn:ietf:params:oauth:grant-type:user_code' || b.client_id !== FAKE_MINIMAX_CLIENT_ID || !auth) {
      return minimaxError(400, 'invalid user code');
    }
    if (typeof b.code_verifier !== 'string' || s256(b.code_verifier) !== auth.challenge) return minimaxError(400, 'code_verifier mismatch');
    if (auth.state === 'pending') return { status: 200, body: { status: 'pending' } };
    if (auth.state === 'denied') return { status: 200, body: { status: 'error' } };
    const tokens = auth.tokens!;
    return {
      status: 200,
      body: {
        status: 'success',
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expired_in: expiredIn(settings.tokenTtlSeconds),
        token_type: 'Bearer',
        resource_url: 'https://api.minimax.io',
        notification_message: 'Welcome',
      },
    };
  }

  const server = await startFakeServer((req) => {
    if (req.method === 'POST' && req.path === '/oauth/code') return code(req);
    if (req.method === 'POST' && req.path === '/oauth/token') return token(req);
    return { status: 404, body: {} };
  });

  return {
    portal: server.url,
    requests: server.requests,
    issued,
    settings,
    configure(next) {
      Object.assign(settings, next);
    },
    userCodes: () => [...byCode.keys()],
    approve(userCode) {
      const auth = byCode.get(userCode);
      if (!auth) throw new Error(`unknown user code ${userCode}`);
      auth.state = 'approved';
      auth.tokens = { accessToken: `mm-at-${randomBytes(24).toString('hex')}`, refreshToken: `mm-rt-${randomBytes(24).toString('hex')}` };
      issued.push(auth.tokens.accessToken, auth.tokens.refreshToken);
      return auth.tokens;
    },
    deny(userCode) {
      const auth = byCode.get(userCode);
      if (auth) auth.state = 'denied';
    },
    failNext: (suffix, fault, times) => server.failNext(suffix, fault, times),
    clearFaults: () => server.clearFaults(),
    close: () => server.close(),
  };
}
