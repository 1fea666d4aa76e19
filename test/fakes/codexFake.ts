/**
 * A fake OpenAI device-auth server: a real HTTP server on 127.0.0.1 speaking the protocol the Codex CLI
 * speaks, for provider, flow, API and browser tests.
 *
 *   POST /api/accounts/deviceauth/usercode  JSON {client_id} → {device_auth_id, user_code, interval: "5"}
 *   POST /api/accounts/deviceauth/token     JSON {device_auth_id, user_code} → 403 while pending;
 *                                           200 {authorization_code, code_challenge, code_verifier} once approved
 *   POST /oauth/token                       form grant_type=authorization_code, code, redirect_uri, client_id,
 *                                           code_verifier → {id_token, access_token, refresh_token} (JWTs with
 *                                           OpenAI's account claims)
 *
 * The PKCE pair is made by the server on approval (as OpenAI's is) and the exchange checks the verifier
 * against the stored challenge. Control methods approve, deny or expire a code, change the usercode
 * answer, inject faults (`failNext`), and hold requests at a gate (`hold`) for deterministic races.
 * Every secret it hands out is recorded in `issued`, so tests can scan outputs for leaks.
 *
 * Typical use:
 *   const fake = await startCodexFake();
 *   env.HERMES_ONBOARD_OPENAI_CODEX_ISSUER = fake.issuer;
 *   … start a sign-in, read its user code …
 *   fake.approve(userCode, { email: 'ada@example.com' });
 *   … poll until success …
 *   assertNoLeak(output, fake.issued);
 *   await fake.close();
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SignJWT } from 'jose';
import { GateSet, type RequestGate } from './requestGate.js';

export type { RequestGate } from './requestGate.js';

/** The client id the fake accepts (OpenAI's Codex CLI client). */
export const FAKE_CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** The three endpoints of the protocol. */
export type CodexEndpoint = 'usercode' | 'poll' | 'exchange';

const PATHS: Record<string, CodexEndpoint> = {
  '/api/accounts/deviceauth/usercode': 'usercode',
  '/api/accounts/deviceauth/token': 'poll',
  '/oauth/token': 'exchange',
};

/** The account an approval signs in as; every field has a generated default. */
export interface FakeAccount {
  /** `https://api.openai.com/auth`.`chatgpt_account_id`. */
  accountId: string;
  /** The tokens' `sub`. */
  sub: string;
  /** `email` claim; null leaves it out. */
  email: string | null;
  /** `chatgpt_plan_type`; null leaves it out. */
  plan: string | null;
  /** false issues opaque (non-JWT) tokens, so no claims can be read. */
  jwt: boolean;
}

/** How the usercode endpoint answers. */
export interface CodexFakeSettings {
  /** `interval`: a string like the real server's ("5"), a number, or null to leave it out. */
  interval: string | number | null;
  /** `expires_in`: null (the default) leaves it out, as the real server does. */
  expiresIn: string | number | null;
  /** Name of the user-code field: `user_code` (real) or the older `usercode`. */
  userCodeField: 'user_code' | 'usercode';
}

/** A fault injected in place of the normal answer. */
export type CodexFault =
  /** Answer this status, JSON body (or `bodyFrom` the request's parsed body) and headers. */
  | {
      status: number;
      body?: unknown;
      bodyFrom?: (request: Record<string, unknown> | undefined) => unknown;
      headers?: Record<string, string>;
    }
  /** Accept the connection, then reset it (a network error for the client). */
  | { outage: true };

/** Ready-made faults. */
export const faults = {
  /** An HTTP error with an optional JSON body. */
  status: (status: number, body?: unknown): CodexFault => ({ status, body }),
  /** 429 with a Retry-After header (seconds), as a rate-limited OpenAI answers. */
  rateLimited: (retryAfterSeconds?: number): CodexFault => ({
    status: 429,
    body: { error: { message: 'Too many requests', code: 'rate_limit_exceeded' } },
    headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  }),
  /** A `slow_down` error body (RFC 8628 §3.5 style), HTTP 400. */
  slowDown: (): CodexFault => ({ status: 400, body: { error: 'slow_down' } }),
  /** A 5xx, with Retry-After when given. */
  serverError: (status = 500, retryAfterSeconds?: number): CodexFault => ({
    status,
    body: { error: { message: 'Internal error', code: 'server_error' } },
    headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  }),
  /** The connection is reset. */
  outage: (): CodexFault => ({ outage: true }),
  /**
   * An error whose body echoes the request's secrets (code, code_verifier, device_auth_id) and a
   * bearer token, as careless servers do: whatever shows it has leaked them.
   */
  leakyError: (status = 400, code = 'invalid_grant'): CodexFault => ({
    status,
    bodyFrom: (request) => ({
      error: code,
      error_description: `rejected code=${String(request?.code)} code_verifier=${String(request?.code_verifier)} device_auth_id=${String(request?.device_auth_id)}`,
      debug: `Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.${'x'.repeat(43)}`,
    }),
  }),
};

/** One request the fake received. `body` may hold secrets (it is the test's view of the wire). */
export interface LoggedRequest {
  method: string;
  path: string;
  endpoint: CodexEndpoint | undefined;
  /** When it arrived, by the fake's clock (Date.now unless a clock was given). */
  time: number;
  /** The parsed JSON or form body; undefined when it was neither. */
  body: Record<string, unknown> | undefined;
  contentType: string | undefined;
}


/** Options for startCodexFake. */
export interface CodexFakeOptions extends Partial<CodexFakeSettings> {
  /** The clock stamping the request log, e.g. a ManualClock; Date.now by default. */
  clock?: { now(): number };
}

/** A running fake. */
export interface CodexFake {
  /** Base URL, e.g. http://127.0.0.1:41234; use as HERMES_ONBOARD_OPENAI_CODEX_ISSUER. */
  readonly issuer: string;
  /** Every request received, in order. */
  readonly requests: LoggedRequest[];
  /** Requests received per endpoint. */
  readonly counts: Record<CodexEndpoint, number>;
  /** Every secret handed out: device_auth_ids, authorization codes, PKCE challenges and verifiers, tokens. */
  readonly issued: string[];
  /** The current usercode settings (mutable through configure / setInterval). */
  readonly settings: CodexFakeSettings;
  /** Changes how later usercode requests are answered. */
  configure(settings: Partial<CodexFakeSettings>): void;
  /** Sets the `interval` later usercode answers carry (a string like "5", a number, or null to omit). */
  setInterval(interval: string | number | null): void;
  /** The user codes issued so far, oldest first. */
  userCodes(): string[];
  /** Approves a user code as `account`; the next poll answers 200 with a fresh code and PKCE verifier. Returns the account. */
  approve(userCode: string, account?: Partial<FakeAccount>): FakeAccount;
  /** Denies a user code: later polls answer 400 access_denied. */
  deny(userCode: string): void;
  /** Expires a user code: later polls answer 400 expired_token. */
  expire(userCode: string): void;
  /** Answers the next `times` requests to `endpoint` with `fault` (Infinity: until clearFaults). */
  failNext(endpoint: CodexEndpoint, fault: CodexFault, times?: number): void;
  /** Drops every queued fault. */
  clearFaults(): void;
  /** Holds every request to `endpoint` until the gate is released; an unreleased gate is a hanging server. */
  hold(endpoint: CodexEndpoint): RequestGate;
  /** Holds the next exchange requests: `reached` resolves when one arrives, `release()` lets it answer. */
  holdExchange(): RequestGate;
  /** Resolves once `endpoint` has received at least `count` requests. */
  waitForRequests(endpoint: CodexEndpoint, count: number): Promise<void>;
  /** Stops the server, dropping held and open connections. */
  close(): Promise<void>;
}

interface DeviceAuth {
  deviceAuthId: string;
  userCode: string;
  state: 'pending' | 'approved' | 'denied' | 'expired';
  approval?: { code: string; verifier: string; challenge: string };
}

interface AuthorizationCode {
  challenge: string;
  account: FakeAccount;
  used: boolean;
}

interface QueuedFault {
  fault: CodexFault;
  remaining: number;
}

const JWT_KEY = new TextEncoder().encode('codex-fake-signing-key-not-a-secret');

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** The S256 PKCE challenge of a verifier (RFC 7636 §4.2). */
export function pkceChallenge(verifier: string): string {
  return base64url(createHash('sha256').update(verifier).digest());
}

function randomUserCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  if (contentType?.includes('application/json')) {
    try {
      const value: unknown = JSON.parse(text);
      return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** OpenAI-style error body: {"error": {"message", "code"}}. */
function openAiError(code: string, message: string): unknown {
  return { error: { message, type: 'invalid_request_error', code } };
}

/** Starts the fake on 127.0.0.1 at a free port. */
export async function startCodexFake(options: CodexFakeOptions = {}): Promise<CodexFake> {
  const clock = options.clock ?? { now: () => Date.now() };
  const settings: CodexFakeSettings = {
    interval: options.interval !== undefined ? options.interval : '5',
    expiresIn: options.expiresIn !== undefined ? options.expiresIn : null,
    userCodeField: options.userCodeField ?? 'user_code',
  };
  const requests: LoggedRequest[] = [];
  const counts: Record<CodexEndpoint, number> = { usercode: 0, poll: 0, exchange: 0 };
  const issued: string[] = [];
  const byDeviceAuthId = new Map<string, DeviceAuth>();
  const byUserCode = new Map<string, DeviceAuth>();
  const codes = new Map<string, AuthorizationCode>();
  const queued: Record<CodexEndpoint, QueuedFault[]> = { usercode: [], poll: [], exchange: [] };
  const gates: Record<CodexEndpoint, GateSet> = { usercode: new GateSet(), poll: new GateSet(), exchange: new GateSet() };
  const countWaiters: Array<{ endpoint: CodexEndpoint; count: number; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  let accountSeq = 0;
  let issuer = '';

  const secret = (prefix: string, bytes = 24) => {
    const value = `${prefix}${base64url(randomBytes(bytes))}`;
    issued.push(value);
    return value;
  };

  async function tokenFor(account: FakeAccount, kind: 'access' | 'id'): Promise<string> {
    if (!account.jwt) return secret(kind === 'access' ? 'opaque-access-' : 'opaque-id-', 32);
    const claims: Record<string, unknown> = {
      'https://api.openai.com/auth': {
        chatgpt_account_id: account.accountId,
        ...(account.plan !== null && { chatgpt_plan_type: account.plan }),
      },
    };
    if (account.email !== null) {
      if (kind === 'id') claims.email = account.email;
      else claims['https://api.openai.com/profile'] = { email: account.email };
    }
    const now = Math.floor(clock.now() / 1000);
    const jwt = await new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(account.sub)
      .setAudience(kind === 'id' ? FAKE_CODEX_CLIENT_ID : 'https://api.openai.com/v1')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(JWT_KEY);
    issued.push(jwt);
    return jwt;
  }

  function takeFault(endpoint: CodexEndpoint): CodexFault | undefined {
    const head = queued[endpoint][0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queued[endpoint].shift();
    return head.fault;
  }

  function handleUsercode(body: Record<string, unknown> | undefined, res: ServerResponse): void {
    if (body?.client_id !== FAKE_CODEX_CLIENT_ID) {
      return send(res, 400, openAiError('invalid_client', 'Unknown client.'));
    }
    const auth: DeviceAuth = { deviceAuthId: secret('deviceauth_'), userCode: randomUserCode(), state: 'pending' };
    byDeviceAuthId.set(auth.deviceAuthId, auth);
    byUserCode.set(auth.userCode, auth);
    send(res, 200, {
      device_auth_id: auth.deviceAuthId,
      [settings.userCodeField]: auth.userCode,
      ...(settings.interval !== null && { interval: settings.interval }),
      ...(settings.expiresIn !== null && { expires_in: settings.expiresIn }),
    });
  }

  function handlePoll(body: Record<string, unknown> | undefined, res: ServerResponse): void {
    const auth = byDeviceAuthId.get(String(body?.device_auth_id));
    if (!auth || auth.userCode !== body?.user_code) {
      return send(res, 404, openAiError('deviceauth_not_found', 'Device authorization not found.'));
    }
    switch (auth.state) {
      case 'pending':
        return send(res, 403, openAiError('deviceauth_authorization_unknown', 'Device authorization is unknown. Please try again.'));
      case 'denied':
        return send(res, 400, openAiError('access_denied', 'The user denied the request.'));
      case 'expired':
        return send(res, 400, openAiError('expired_token', 'The device code has expired.'));
      case 'approved': {
        const { code, challenge, verifier } = auth.approval!;
        return send(res, 200, { authorization_code: code, code_challenge: challenge, code_verifier: verifier });
      }
    }
  }

  async function handleExchange(body: Record<string, unknown> | undefined, contentType: string | undefined, res: ServerResponse) {
    const invalid = (code: string, description: string, status = 400) => send(res, status, { error: code, error_description: description });
    if (!contentType?.includes('application/x-www-form-urlencoded') || !body) return invalid('invalid_request', 'Form body expected.');
    if (body.grant_type !== 'authorization_code') return invalid('unsupported_grant_type', 'Unsupported grant type.');
    if (body.client_id !== FAKE_CODEX_CLIENT_ID) return invalid('invalid_client', 'Unknown client.', 401);
    if (body.redirect_uri !== `${issuer}/deviceauth/callback`) return invalid('invalid_grant', 'redirect_uri mismatch.');
    const grant = codes.get(String(body.code));
    if (!grant || grant.used) return invalid('invalid_grant', 'Unknown or used authorization code.');
    if (typeof body.code_verifier !== 'string' || pkceChallenge(body.code_verifier) !== grant.challenge) {
      return invalid('invalid_grant', 'PKCE verification failed.');
    }
    grant.used = true;
    const [idToken, accessToken] = await Promise.all([tokenFor(grant.account, 'id'), tokenFor(grant.account, 'access')]);
    send(res, 200, {
      id_token: idToken,
      access_token: accessToken,
      refresh_token: secret('rt_', 32),
      token_type: 'Bearer',
      expires_in: 3600,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const endpoint = req.method === 'POST' ? PATHS[path] : undefined;
    const contentType = req.headers['content-type'];
    const body = parseBody(await readBody(req), contentType);
    requests.push({ method: req.method ?? '', path, endpoint, time: clock.now(), body, contentType });
    if (!endpoint) return send(res, 404, openAiError('not_found', 'Not found.'));
    counts[endpoint] += 1;
    for (const w of countWaiters.filter((x) => x.endpoint === endpoint && counts[endpoint] >= x.count)) {
      countWaiters.splice(countWaiters.indexOf(w), 1);
      w.resolve();
    }
    await gates[endpoint].pass();
    const fault = takeFault(endpoint);
    if (fault && 'outage' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault) {
      const payload = fault.bodyFrom ? fault.bodyFrom(body) : fault.body;
      return send(res, fault.status, payload, fault.headers);
    }
    if (endpoint === 'usercode') return handleUsercode(body, res);
    if (endpoint === 'poll') return handlePoll(body, res);
    return handleExchange(body, contentType, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, openAiError('fake_error', 'The fake failed.')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function deviceAuth(userCode: string): DeviceAuth {
    const auth = byUserCode.get(userCode);
    if (!auth) throw new Error(`codexFake: no such user code ${userCode}`);
    return auth;
  }

  function hold(endpoint: CodexEndpoint): RequestGate {
    return gates[endpoint].hold();
  }

  return {
    get issuer() {
      return issuer;
    },
    requests,
    counts,
    issued,
    settings,
    configure(next) {
      Object.assign(settings, next);
    },
    setInterval(interval) {
      settings.interval = interval;
    },
    userCodes: () => [...byUserCode.keys()],
    approve(userCode, partial = {}) {
      const auth = deviceAuth(userCode);
      const n = ++accountSeq;
      const account: FakeAccount = {
        accountId: `acct-${n}-${randomUUID()}`,
        sub: `auth0|user-${n}`,
        email: `user${n}@example.com`,
        plan: 'plus',
        jwt: true,
        ...partial,
      };
      const verifier = secret('', 48);
      const challenge = pkceChallenge(verifier);
      issued.push(challenge);
      const code = secret('ac_', 32);
      codes.set(code, { challenge, account, used: false });
      auth.state = 'approved';
      auth.approval = { code, verifier, challenge };
      return account;
    },
    deny(userCode) {
      deviceAuth(userCode).state = 'denied';
    },
    expire(userCode) {
      deviceAuth(userCode).state = 'expired';
    },
    failNext(endpoint, fault, times = 1) {
      queued[endpoint].push({ fault, remaining: times });
    },
    clearFaults() {
      for (const list of Object.values(queued)) list.length = 0;
    },
    hold,
    holdExchange: () => hold('exchange'),
    waitForRequests(endpoint, count) {
      if (counts[endpoint] >= count) return Promise.resolve();
      return new Promise<void>((resolve) => countWaiters.push({ endpoint, count, resolve }));
    },
    async close() {
      for (const set of Object.values(gates)) set.releaseAll();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
