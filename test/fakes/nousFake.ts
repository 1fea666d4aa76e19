/**
 * A standard RFC 8628 device-grant server on 127.0.0.1 (node:http), and the Nous Portal built on it.
 * The core speaks the protocol as RFC 8628 and RFC 6749 §5 write it (errors as HTTP 400 JSON); options
 * layer a provider's own habits on top (the GitHub fake answers errors with HTTP 200 and form bodies).
 * Tests drive it in process: approve, deny, expire, inject raw answers, read the request log.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { GateSet, type RequestGate } from './requestGate.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** One request the fake received. */
export interface FakeRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  form: Record<string, string>;
}

/** A raw answer to send instead of the protocol's (for outages, rate limits, nonsense). */
export interface RawAnswer {
  status: number;
  body: string | Record<string, unknown>;
  headers?: Record<string, string>;
}

/** A device code the fake issued, and what became of it. */
export interface DeviceRecord {
  deviceCode: string;
  userCode: string;
  scope: string;
  expiresAt: number;
  interval: number;
  lastPollAt: number | undefined;
  state: 'pending' | 'approved' | 'denied' | 'consumed';
  account: string;
  /** What was issued for it (access and refresh token), once consumed. */
  issued: Record<string, unknown> | undefined;
}

export interface DeviceFakeOptions {
  devicePath: string;
  tokenPath: string;
  clientId: string;
  /** Clock the fake reads (share the test's ManualClock). */
  now?: () => number;
  /** Interval sent in the device answer, as a number or a string. */
  interval?: number | string;
  expiresIn?: number;
  /** Path of the verification page; `verification_uri_complete` is sent unless false. */
  verificationPath?: string;
  sendComplete?: boolean;
  /** HTTP status for an error code (standard: 400, or 401 for invalid_client). */
  errorStatus?: (code: string) => number;
  /** Name of the error sent for an unknown client id (standard: invalid_client). */
  unknownClientError?: string;
  /** Name of the error sent for an unknown device code (standard: invalid_grant). */
  unknownDeviceCodeError?: string;
  /** Answer form-encoded instead of JSON for this request. */
  answerForm?: (req: FakeRequest) => boolean;
  /** Polling faster than the interval answers slow_down and adds 5 s (as GitHub does). */
  slowDownWhenTooFast?: boolean;
  /** An error code to answer every request with (e.g. a disabled feature), checked per request. */
  refusal?: () => string | undefined;
  /** Builds the token answer for an approved code. */
  issueTokens: (record: DeviceRecord) => Promise<Record<string, unknown>>;
}

/** A running fake and its control API. */
export interface DeviceFake {
  url: string;
  requests: FakeRequest[];
  records: Map<string, DeviceRecord>;
  /** Marks the code with this user code approved by `account`. */
  approve(userCode: string, account?: string): void;
  deny(userCode: string): void;
  /** Makes the code expire now. */
  expire(userCode: string): void;
  /** Answers the next request to `which` with `answer` instead of the protocol. */
  inject(which: 'device' | 'token', answer: RawAnswer): void;
  /** Holds every request to `which` until the gate is released (e.g. cancel while the token request is in flight). */
  hold(which: 'device' | 'token'): RequestGate;
  /** The record behind a user code. */
  record(userCode: string): DeviceRecord;
  close(): Promise<void>;
}

function defaultErrorStatus(code: string): number {
  return code === 'invalid_client' ? 401 : 400;
}

async function readForm(req: http.IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function userCode(): string {
  const letters = 'BCDFGHJKLMNPQRSTVWXZ';
  const pick = () => letters[randomBytes(1)[0]! % letters.length];
  return `${Array.from({ length: 4 }, pick).join('')}-${Array.from({ length: 4 }, pick).join('')}`;
}

/** Starts a standard device-grant server with the given paths and habits. */
export async function startDeviceFake(options: DeviceFakeOptions): Promise<DeviceFake> {
  const now = options.now ?? Date.now;
  const requests: FakeRequest[] = [];
  const records = new Map<string, DeviceRecord>();
  const injected: Record<'device' | 'token', RawAnswer[]> = { device: [], token: [] };
  const gates: Record<'device' | 'token', GateSet> = { device: new GateSet(), token: new GateSet() };
  const errorStatus = options.errorStatus ?? defaultErrorStatus;
  let url = '';

  function send(res: http.ServerResponse, req: FakeRequest, status: number, body: Record<string, unknown>): void {
    if (options.answerForm?.(req)) {
      const form = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString();
      res.writeHead(status, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(form);
    } else {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    }
  }
  function error(res: http.ServerResponse, req: FakeRequest, code: string, extra: Record<string, unknown> = {}): void {
    send(res, req, errorStatus(code), { error: code, error_description: `fake: ${code}`, ...extra });
  }
  function sendRaw(res: http.ServerResponse, answer: RawAnswer): void {
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const type = typeof answer.body === 'string' ? 'text/plain' : 'application/json';
    res.writeHead(answer.status, { 'content-type': type, ...answer.headers }).end(body);
  }

  function deviceAuthorization(res: http.ServerResponse, req: FakeRequest): void {
    const record: DeviceRecord = {
      deviceCode: randomBytes(24).toString('base64url'),
      userCode: userCode(),
      scope: req.form.scope ?? '',
      expiresAt: now() + (options.expiresIn ?? 900) * 1000,
      interval: Number(options.interval ?? 5),
      lastPollAt: undefined,
      state: 'pending',
      account: '',
      issued: undefined,
    };
    records.set(record.deviceCode, record);
    const verificationUri = `${url}${options.verificationPath ?? '/device'}`;
    send(res, req, 200, {
      device_code: record.deviceCode,
      user_code: record.userCode,
      verification_uri: verificationUri,
      ...(options.sendComplete === false ? {} : { verification_uri_complete: `${verificationUri}?user_code=${record.userCode}` }),
      expires_in: options.expiresIn ?? 900,
      interval: options.interval ?? 5,
    });
  }

  async function token(res: http.ServerResponse, req: FakeRequest): Promise<void> {
    if (req.form.grant_type !== DEVICE_CODE_GRANT) return error(res, req, 'unsupported_grant_type');
    const record = records.get(req.form.device_code ?? '');
    if (!record) return error(res, req, options.unknownDeviceCodeError ?? 'invalid_grant');
    if (record.state === 'consumed') return error(res, req, 'invalid_grant');
    if (now() >= record.expiresAt) return error(res, req, 'expired_token');
    const tooFast = record.lastPollAt !== undefined && now() - record.lastPollAt < record.interval * 1000;
    record.lastPollAt = now();
    if (record.state === 'denied') {
      record.state = 'consumed';
      return error(res, req, 'access_denied');
    }
    if (options.slowDownWhenTooFast && tooFast) {
      record.interval += 5;
      return error(res, req, 'slow_down', { interval: record.interval });
    }
    if (record.state === 'pending') return error(res, req, 'authorization_pending');
    record.state = 'consumed';
    record.issued = await options.issueTokens(record);
    send(res, req, 200, record.issued);
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const fakeReq: FakeRequest = { path, headers: req.headers, form: await readForm(req) };
      requests.push(fakeReq);
      const which = path === options.devicePath ? 'device' : path === options.tokenPath ? 'token' : undefined;
      if (req.method !== 'POST' || !which) return sendRaw(res, { status: 404, body: 'not found' });
      await gates[which].pass();
      const raw = injected[which].shift();
      if (raw) return sendRaw(res, raw);
      const refused = options.refusal?.();
      if (refused) return error(res, fakeReq, refused);
      if (fakeReq.form.client_id !== options.clientId) return error(res, fakeReq, options.unknownClientError ?? 'invalid_client');
      if (which === 'device') return deviceAuthorization(res, fakeReq);
      return token(res, fakeReq);
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function record(code: string): DeviceRecord {
    for (const r of records.values()) if (r.userCode === code) return r;
    throw new Error(`fake: no device code for user code ${code}`);
  }
  return {
    url,
    requests,
    records,
    approve(code, account = 'user-1') {
      Object.assign(record(code), { state: 'approved', account });
    },
    deny(code) {
      record(code).state = 'denied';
    },
    expire(code) {
      record(code).expiresAt = now();
    },
    inject(which, answer) {
      injected[which].push(answer);
    },
    hold: (which) => gates[which].hold(),
    record,
    close: () =>
      new Promise<void>((resolve) => {
        for (const set of Object.values(gates)) set.releaseAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Options of the Nous Portal fake. */
export interface NousFakeOptions {
  now?: () => number;
  /** Sent as `inference_base_url` in the token answer when set. */
  inferenceBaseUrl?: string;
  interval?: number | string;
  expiresIn?: number;
  /** Lifetime of the access token, in seconds. */
  tokenTtl?: number;
}

const FAKE_SIGNING_KEY = randomBytes(32);

/**
 * The Nous Portal's device login: POST /api/oauth/device/code and /api/oauth/token (client `hermes-cli`),
 * JSON answers, access tokens that are JWTs carrying `scope` and `exp`, a refresh token, and optionally
 * an `inference_base_url`.
 */
export async function startNousFake(options: NousFakeOptions = {}): Promise<DeviceFake> {
  const now = options.now ?? Date.now;
  const ttl = options.tokenTtl ?? 3600;
  return startDeviceFake({
    devicePath: '/api/oauth/device/code',
    tokenPath: '/api/oauth/token',
    clientId: 'hermes-cli',
    now,
    interval: options.interval ?? 5,
    expiresIn: options.expiresIn ?? 900,
    verificationPath: '/device',
    async issueTokens(record) {
      const iat = Math.floor(now() / 1000);
      const accessToken = await new SignJWT({ scope: record.scope })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(record.account)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttl)
        .sign(FAKE_SIGNING_KEY);
      return {
        access_token: accessToken,
        refresh_token: `nous-rt-${randomBytes(16).toString('hex')}`,
        token_type: 'Bearer',
        expires_in: ttl,
        scope: record.scope,
        ...(options.inferenceBaseUrl ? { inference_base_url: options.inferenceBaseUrl } : {}),
      };
    },
  });
}
