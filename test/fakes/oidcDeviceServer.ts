/**
 * A real authorization server for the standard device grant: `oidc-provider` on 127.0.0.1 with
 * `features.deviceFlow`, configured with xAI's client id and scopes and serving OpenID Connect discovery.
 * Sign-ins are approved and denied through oidc-provider's own models (the DeviceCode found by its user
 * code gets a Grant and an account, or the error `access_denied`), as its own device pages do.
 * oidc-provider never sends `slow_down`; a middleware injects it on demand. Every device code and token it
 * hands out is recorded in `issued`, so tests can scan outputs for leaks.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { GateSet, type RequestGate } from './requestGate.js';

export const XAI_FAKE_CLIENT_ID = 'b1a00492-073a-47ea-816f-4c329264a828';
const OIDC_SCOPES = ['openid', 'offline_access', 'grok-cli:access', 'api:access'];
/** The secret fields of device authorization and token answers. */
const ISSUED_FIELDS = ['device_code', 'access_token', 'refresh_token', 'id_token'] as const;

/** The parts of oidc-provider's (untyped) API this fake uses. */
interface OidcDeviceCode {
  clientId: string;
  params?: { scope?: string };
  accountId?: string;
  grantId?: string;
  scope?: string;
  authTime?: number;
  error?: string;
  errorDescription?: string;
  save(): Promise<string>;
}
interface OidcGrant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface KoaContext {
  path: string;
  method: string;
  status: number;
  body: unknown;
  set(name: string, value: string): void;
}
interface OidcProvider {
  DeviceCode: { findByUserCode(code: string): Promise<OidcDeviceCode | undefined> };
  Grant: new (init: { accountId: string; clientId: string }) => OidcGrant;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  callback(): http.RequestListener;
}
type ProviderClass = new (issuer: string, config: Record<string, unknown>) => OidcProvider;

/** An account that can approve a sign-in. */
export interface FakeAccount {
  sub: string;
  email?: string;
}

export interface OidcDeviceServerOptions {
  /** Lifetime of device codes, in seconds (default 600). */
  deviceCodeTtl?: number;
  /** Clock used to stamp token requests (share the test's ManualClock). */
  now?: () => number;
  /** Turns on oidc-provider's RFC 7009 revocation endpoint (listed in discovery as `revocation_endpoint`). */
  revocation?: boolean;
}

/** A running server and its control API. */
export interface OidcDeviceServer {
  url: string;
  /** Times (from `now`) of every request to the token endpoint. */
  tokenRequests: number[];
  /** Every device_code, access_token, refresh_token and id_token handed out, oldest first. */
  issued: string[];
  /** Number of device authorization requests received. */
  deviceRequests(): number;
  /** Approves the code with this user code as `account`, through oidc-provider's DeviceCode and Grant. */
  approve(userCode: string, account: FakeAccount): Promise<void>;
  /** Denies it: the DeviceCode gets the error `access_denied`, as oidc-provider's own abort does. */
  deny(userCode: string): Promise<void>;
  /** Answers the next `count` token requests with `slow_down` (with `interval` when given). */
  injectSlowDown(count: number, interval?: number): void;
  /** Holds every token request until the gate is released (e.g. cancel while the final token request is in flight). */
  holdToken(): RequestGate;
  /** Rewrites fields of the discovery document (e.g. point an endpoint elsewhere). */
  overrideDiscovery(fields: Record<string, string>): void;
  close(): Promise<void>;
}

/** Starts oidc-provider on a free loopback port. */
export async function startOidcDeviceServer(options: OidcDeviceServerOptions = {}): Promise<OidcDeviceServer> {
  // oidc-provider ships no type declarations; a non-literal specifier keeps tsc from looking for them
  const moduleName: string = 'oidc-provider';
  const { default: Provider } = (await import(moduleName)) as { default: ProviderClass };
  const now = options.now ?? Date.now;
  const accounts = new Map<string, FakeAccount>();
  const tokenRequests: number[] = [];
  const issued: string[] = [];
  let deviceRequests = 0;
  const discoveryOverrides: Record<string, string> = {};
  let slowDowns: Array<number | undefined> = [];
  const tokenGates = new GateSet();

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'fake-1' };
  const provider = new Provider(url, {
    clients: [
      {
        client_id: XAI_FAKE_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: false }, revocation: { enabled: options.revocation ?? false } },
    scopes: OIDC_SCOPES,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...(account.email && { email: account.email, email_verified: true }) }) };
    },
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    ttl: {
      DeviceCode: () => options.deviceCodeTtl ?? 600,
      AccessToken: 3600,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/device/auth' && ctx.method === 'POST') deviceRequests += 1;
    if (ctx.path === '/token' && ctx.method === 'POST') {
      tokenRequests.push(now());
      await tokenGates.pass();
      if (slowDowns.length > 0) {
        const interval = slowDowns.shift();
        ctx.status = 400;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: 'slow_down', error_description: 'poll less often', ...(interval !== undefined && { interval }) };
        return;
      }
    }
    await next();
    if (!ctx.body || typeof ctx.body !== 'object') return;
    if (ctx.path === '/.well-known/openid-configuration') Object.assign(ctx.body, discoveryOverrides);
    const answer = ctx.body as Record<string, unknown>;
    for (const field of ISSUED_FIELDS) {
      if (typeof answer[field] === 'string') issued.push(answer[field]);
    }
  });
  server.on('request', provider.callback());

  async function deviceCode(userCode: string): Promise<OidcDeviceCode> {
    const code = await provider.DeviceCode.findByUserCode(userCode.toUpperCase().replace(/\W/g, ''));
    if (!code) throw new Error(`oidc fake: no device code for user code ${userCode}`);
    return code;
  }

  return {
    url,
    tokenRequests,
    issued,
    deviceRequests: () => deviceRequests,
    async approve(userCode, account) {
      accounts.set(account.sub, account);
      const code = await deviceCode(userCode);
      const scope = code.params?.scope ?? 'openid';
      const grant = new provider.Grant({ accountId: account.sub, clientId: code.clientId });
      grant.addOIDCScope(scope);
      Object.assign(code, {
        accountId: account.sub,
        grantId: await grant.save(),
        scope,
        authTime: Math.floor(Date.now() / 1000),
      });
      await code.save();
    },
    async deny(userCode) {
      const code = await deviceCode(userCode);
      Object.assign(code, { error: 'access_denied', errorDescription: 'End-User aborted interaction' });
      await code.save();
    },
    injectSlowDown(count, interval) {
      slowDowns = [...slowDowns, ...Array.from({ length: count }, () => interval)];
    },
    holdToken: () => tokenGates.hold(),
    overrideDiscovery(fields) {
      Object.assign(discoveryOverrides, fields);
    },
    close: () =>
      new Promise<void>((resolve) => {
        tokenGates.releaseAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
