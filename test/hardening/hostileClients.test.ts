/**
 * Hostile clients (issue 6 §2): property-based tests (fast-check) throwing random methods, paths, query
 * strings, headers and bodies at every route through `app.inject`. Properties: never a 5xx, the process
 * keeps answering, every /api/ answer is JSON — `{ok: false, error}` for a 4xx, the route's own strict
 * shape for a 2xx — with `Cache-Control: no-store`, auth.json is never touched, Object.prototype is never
 * polluted, no secret is ever answered, and no request leaves the machine.
 *
 * Every provider's issuer points at a loopback server (the harness's Codex fake, and a device-grant
 * stand-in for the others), so a random request that happens to be a valid start stays local.
 * Runs are reproducible: a fixed seed (override with FC_SEED) and a fixed number of runs.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { stat } from 'node:fs/promises';
import fc from 'fast-check';
import { z } from 'zod';
import { allProviders, supportedProviders } from '../../src/providers/index.js';
import { CODEX_PROVIDER_ID } from '../../src/providers/codex.js';
import { issuerEnvName } from '../../src/util/http.js';
import { chaos, startChaosServer } from '../fakes/chaosServer.js';
import { useHarness, type ApiRequest, type ApiResponse, type Harness } from '../helpers/harness.js';

// A safety net: anything not on loopback goes to a dead proxy instead of the Internet (read by the
// shared dispatcher when it is first made, so before any provider request); the origin check below
// still reports the attempt.
process.env.HTTP_PROXY = process.env.HTTPS_PROXY = 'http://127.0.0.1:9';
process.env.NO_PROXY = '127.0.0.1,localhost,::1';

const SEED = Number(process.env.FC_SEED ?? 20260106);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const PROFILES = ['p1', 'work'];
/** Every provider id and alias, unsupported ones too, plus near misses. */
const PROVIDER_NAMES = [...allProviders.flatMap((p) => [p.id, ...p.aliases]), 'OPENAI-CODEX', ' codex ', 'codex\u0000'];
/**
 * Ids of the supported providers (each gets its issuer pointed at loopback). MiniMax is left out: its
 * start must echo a random `state`, which the stand-in below cannot, so its start would answer 502.
 */
const SUPPORTED = supportedProviders.map((p) => p.id).filter((id) => id !== 'minimax-oauth');

// ---------------------------------------------------------------------------------------------------
// The success shape of every route (strict: an extra field, e.g. a leaked secret, fails the property).

const statusValue = z.enum(['pending', 'success', 'error', 'expired', 'cancelled']);
const statusPayload = z.strictObject({
  ok: z.literal(true),
  provider: z.string(),
  flow_id: z.string(),
  status: statusValue,
  error: z.string().max(200).optional(),
  account: z.strictObject({ label: z.string(), email: z.string().optional(), plan: z.string().optional() }).optional(),
});
const startPayload = z.strictObject({
  ok: z.literal(true),
  provider: z.string(),
  flow_id: z.string().regex(/^[0-9a-f]{32}$/),
  status: z.literal('pending'),
  kind: z.literal('device_code'),
  verification_uri: z.string().url(),
  verification_uri_complete: z.string().url().optional(),
  user_code: z.string().min(1),
  expires_at: z.number().int(),
  poll_interval_seconds: z.number().int().min(1),
});
const kindStart = {
  ok: z.literal(true),
  provider: z.string(),
  flow_id: z.string().regex(/^[0-9a-f]{32}$/),
  status: z.literal('pending'),
  expires_at: z.number().int(),
};
const codeStartPayload = z.strictObject({ ...kindStart, kind: z.literal('authorization_code'), authorize_url: z.string().url() });
const detectStartPayload = z.strictObject({ ...kindStart, kind: z.literal('detect'), action_required: z.string().min(1) });
const providersPayload = z.strictObject({
  ok: z.literal(true),
  profile: z.string(),
  providers: z.array(
    z.strictObject({
      id: z.string(),
      label: z.string(),
      kind: z.enum(['device_code', 'authorization_code', 'detect', 'api_key', 'link', 'paste']),
      methods: z.array(z.enum(['device_code', 'authorization_code', 'detect', 'api_key'])),
      supported: z.boolean(),
      connected: z.boolean(),
      accounts: z.array(z.object({ id: z.string(), label: z.string() })),
      terminal_command: z.string().min(1).optional(),
    }),
  ),
});
const errorPayload = z.strictObject({ ok: z.literal(false), error: z.string().min(1).max(400) });

/** Route → method → the schema of its 2xx JSON answer. */
const SUCCESS: Record<string, Partial<Record<string, z.ZodType>>> = {
  '/api/health': { GET: z.strictObject({ ok: z.literal(true), version: z.string() }) },
  '/api/onboarding/oauth/start': { POST: z.union([startPayload, codeStartPayload, detectStartPayload, statusPayload]) },
  '/api/onboarding/oauth/poll': { GET: statusPayload },
  // docs/api.md: an unknown id answers `{ok: true, flow_id, status: 'cancelled'}` (no provider: there is none).
  '/api/onboarding/oauth/cancel': { POST: z.union([statusPayload, z.strictObject({ ok: z.literal(true), flow_id: z.string(), status: z.literal('cancelled') })]) },
  '/api/onboarding/oauth/events': { GET: statusPayload },
  '/api/onboarding/providers': { GET: providersPayload },
  '/api/onboarding/profiles': { GET: z.strictObject({ ok: z.literal(true), active: z.string(), profiles: z.array(z.string()) }) },
};
const ROUTES = Object.keys(SUCCESS);
/** The page and its assets: not JSON, and revalidated (`no-cache`) rather than `no-store`. */
const PAGE_ROUTES = new Set(['/', '/assets/app.js', '/assets/app.css', '/assets/icon.svg']);

/** The path as `app.inject` and the router see it: WHATWG-normalised (dot segments, backslashes), then percent-decoded. */
function routedPath(url: string): string {
  let path: string;
  try {
    path = new URL(url, 'http://h').pathname;
  } catch {
    path = url.split('?')[0]!;
  }
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Asserts every promise the API makes about one answer. */
function checkAnswer(req: ApiRequest, res: ApiResponse): void {
  const what = `${req.method} ${req.url.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`;
  assert.ok(res.status >= 200 && res.status < 500, `no 5xx (nor 1xx/3xx) for a client's request: ${what}`);
  const path = routedPath(req.url);
  const page = PAGE_ROUTES.has(path) && res.status === 200;
  assert.equal(res.headers['cache-control'], page && path !== '/' ? 'no-cache' : 'no-store', `Cache-Control: ${what}`);
  if (req.method === 'HEAD' || page) return;
  if (res.status === 200 && path === '/api/onboarding/oauth/events') {
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const first = /^event: status\ndata: (.+)\n\n/.exec(res.text);
    assert.ok(first, `an SSE status event: ${what}`);
    statusPayload.parse(JSON.parse(first[1]!));
    return;
  }
  assert.match(String(res.headers['content-type']), /^application\/json; charset=utf-8$/, `JSON answer: ${what}`);
  assert.notEqual(res.body, undefined, `the body parses as JSON: ${what}`);
  if (res.status >= 400) {
    const parsed = errorPayload.safeParse(res.body);
    assert.ok(parsed.success, `an error answer is {ok: false, error}: ${what}`);
    return;
  }
  const schema = SUCCESS[path]?.[req.method ?? 'GET'];
  assert.ok(schema, `a 2xx only from a known route: ${what}`);
  const parsed = schema.safeParse(res.body);
  assert.ok(parsed.success, `the answer has its route's shape (${parsed.error?.issues[0]?.message}): ${what}`);
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries.

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
type Method = (typeof METHODS)[number];

/** Printable ASCII (what a header value may hold). */
const ascii = (maxLength: number) => fc.string({ unit: 'grapheme-ascii', maxLength });
/** Any text, including lone surrogates and control characters. */
const anyText = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
/** A long run of one character, up to ~64 KB, built cheaply. */
const hugeText = fc.tuple(fc.constantFrom('x', 'é', '"', '\\', '\u0000', '🙂', '%'), fc.integer({ min: 1000, max: 64 * 1024 })).map(([c, n]) => c.repeat(n));
const junkText = fc.oneof({ weight: 4, arbitrary: anyText(40) }, { weight: 1, arbitrary: hugeText });
const dangerousKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf');

/** Percent-encodes any text (lone surrogates become U+FFFD first), keeping slashes. */
function percentEncoded(text: string): string {
  return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8')).replace(/%2F/g, '/');
}

/** Known flow ids: [pending ones, ended ones], filled before the properties run. */
const knownFlows: { pending: string[]; ended: string[] } = { pending: [], ended: [] };

/** A flow id: a known one (read when generated, once the flows exist; pending ones only when the route may get them), or junk. */
const flowIdValue = (allowPending: boolean) =>
  fc.oneof(
    fc.nat({ max: 99 }).map((i) => {
      const pool = allowPending ? [...knownFlows.pending, ...knownFlows.ended] : knownFlows.ended;
      return pool[i % pool.length] ?? 'no-flow-yet';
    }),
    fc.stringMatching(/^[0-9a-f]{32}$/),
    junkText,
  );

const queryValue = fc.oneof(fc.constantFrom(...PROVIDER_NAMES, 'default', ...PROFILES, 'missing', '../..', ''), junkText);

/** Whether a request to `path` may reach the SSE route (which stays open for a pending flow), whatever the router's case or slash rules. */
const mayReachEvents = (path: string) => /events/i.test(routedPath(path));

/** A query string for `path`: known keys (also repeated, bracketed or prototype-named) with junk values; pending flows only where no event stream can open. */
const queryString = (path: string) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('flow_id', 'profile', 'provider', 'flow_id[]', 'flow_id[a]', '__proto__', '__proto__[polluted]', 'constructor[prototype][polluted]'), dangerousKey, ascii(12)),
        fc.oneof(flowIdValue(!mayReachEvents(path)), queryValue),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${percentEncoded(k)}=${percentEncoded(v)}`).join('&'));

/** A path: a known route (maybe with junk around it), or junk. */
const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES, ...PAGE_ROUTES) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...ROUTES), fc.constantFrom('/', '//', '/..', '%00', '%2e%2e', '.json', ';x', '%20', '/../../etc/passwd'))
      .map(([route, junk]) => `${route}${junk}`),
  },
  { weight: 2, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
  { weight: 1, arbitrary: anyText(60).map((t) => `/${percentEncoded(t)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 8000 }).map((n) => `/api/${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.constantFrom('/API/health', '/api/Onboarding/profiles', '/%61pi/health', '/api/health/', '*', '/api') },
);

/** A JSON body shaped like the routes' own, with wrong types and extra keys mixed in. */
const startLike = fc.record(
  {
    provider: fc.oneof(fc.constantFrom(...PROVIDER_NAMES), junkText, fc.jsonValue({ maxDepth: 3 })),
    profile: fc.oneof(fc.constantFrom('default', ...PROFILES, 'missing', 'Bad Name', '../etc', '.'), junkText, fc.jsonValue({ maxDepth: 2 })),
    flow_id: flowIdValue(true),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** Deep nesting: arrays or objects, thousands of levels. */
const deepJson = fc
  .tuple(fc.integer({ min: 10, max: 6000 }), fc.boolean())
  .map(([n, arrays]) => (arrays ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`));

/** Prototype-pollution attempts as raw JSON text (an object literal would set the prototype instead). */
const pollutingJson = fc
  .tuple(dangerousKey, fc.constantFrom('openai-codex', 'nous', 'zzz'), fc.boolean())
  .map(([key, provider, nested]) =>
    nested
      ? `{"provider":"${provider}","profile":{"${key}":{"polluted":"yes","prototype":{"polluted":"yes"}}}}`
      : `{"${key}":{"polluted":"yes","prototype":{"polluted":"yes"}},"provider":"${provider}","flow_id":"x"}`,
  );

/** Bytes that are not UTF-8, alone or inside JSON. */
const invalidUtf8 = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom(Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])), fc.boolean())
  .map(([random, bad, wrap]) => {
    const bytes = Buffer.concat([Buffer.from(random), bad]);
    return wrap ? Buffer.concat([Buffer.from('{"provider":"'), bytes, Buffer.from('"}')]) : bytes;
  });

/** A start the server accepts (so the routes also answer real flows). */
const validStart = fc.record(
  { provider: fc.constantFrom(...SUPPORTED), profile: fc.constantFrom('default', ...PROFILES) },
  { requiredKeys: ['provider'] },
);

const bodyArb: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: validStart.map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: startLike.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: deepJson },
  { weight: 2, arbitrary: pollutingJson },
  { weight: 1, arbitrary: hugeText.map((t) => JSON.stringify({ provider: t })) },
  { weight: 1, arbitrary: invalidUtf8 },
  { weight: 1, arbitrary: anyText(200) },
);

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', ''];

/** Headers: content types, origins, hosts, tokens, forwarding headers and random ones. */
const headersArb = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom(...CONTENT_TYPES), ascii(40)),
    origin: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('http://127.0.0.1:8788', 'http://localhost:8788') },
      { weight: 1, arbitrary: fc.constantFrom('http://evil.example', 'null') },
      { weight: 1, arbitrary: ascii(40) },
    ),
    host: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('127.0.0.1:8788', 'localhost', '[::1]:8788', 'LOCALHOST:1') },
      { weight: 1, arbitrary: fc.constantFrom('evil.example', '127.0.0.1.nip.io', '') },
      { weight: 1, arbitrary: ascii(40) },
    ),
    authorization: fc.oneof(fc.constant('Bearer x'), ascii(80)),
    'x-forwarded-for': fc.constantFrom('203.0.113.7', '127.0.0.1'),
    accept: fc.constantFrom('text/event-stream', '*/*', 'application/json'),
  },
  { requiredKeys: [] },
);
const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), ascii(100), { maxKeys: 3 });

/** Client addresses: loopback, private, IPv4-mapped and public (refused by the gate). */
const remoteArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '192.168.7.9', 'fd00::1') },
  { weight: 1, arbitrary: fc.constantFrom('203.0.113.9', '2001:db8::1') },
);

const requestArb: fc.Arbitrary<ApiRequest> = fc
  .record({
    method: fc.constantFrom<Method>(...METHODS),
    target: pathArb.chain((path) => fc.tuple(fc.constant(path), fc.option(queryString(path), { nil: undefined }))),
    headers: headersArb,
    extra: extraHeaders,
    payload: bodyArb,
    remoteAddress: remoteArb,
  })
  .map(({ target: [path, query], ...rest }) => ({ ...rest, path, query }))
  .map(({ method, path, query, headers, extra, payload, remoteAddress }) => ({
    method,
    url: query === undefined ? path : `${path}?${query}`,
    headers: { ...extra, ...headers, ...(payload !== undefined && headers['content-type'] === undefined && { 'content-type': 'application/json' }) },
    ...(payload !== undefined && method !== 'GET' && method !== 'HEAD' && { payload }),
    remoteAddress,
  }));

/** Requests to the routes as the page sends them (method, JSON content type, same origin), with hostile bodies and queries. */
const routeRequestArb: fc.Arbitrary<ApiRequest> = fc.oneof(
  fc.tuple(fc.constantFrom('/api/onboarding/oauth/start', '/api/onboarding/oauth/cancel'), fc.oneof({ weight: 1, arbitrary: validStart.map((v) => JSON.stringify(v)) }, { weight: 3, arbitrary: bodyArb })).map(([url, payload]) => ({
    method: 'POST' as const,
    url,
    headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:8788' },
    ...(payload !== undefined && { payload }),
  })),
  fc
    .constantFrom('/api/onboarding/oauth/poll', '/api/onboarding/oauth/events', '/api/onboarding/providers', '/api/onboarding/profiles', '/api/health')
    .chain((route) => queryString(route).map((q) => ({ method: 'GET' as const, url: `${route}?${q}` }))),
);

// ---------------------------------------------------------------------------------------------------
// The world the properties run in, and the invariants checked after them.

interface World {
  h: Harness;
  /** Secrets the device-grant stand-in hands out. */
  secrets: string[];
  /** Origins of every outbound request the app made. */
  origins: string[];
  authBefore: Buffer;
  authMtime: number;
  protoKeys: string[];
}

/** A harness with every provider pointed at loopback, a seeded auth.json, and a few known flows. */
async function world(t: TestContext): Promise<World> {
  const deviceCode = `dc_${'k'.repeat(8)}${Date.now().toString(36)}`;
  const standIn = await startChaosServer();
  t.after(() => standIn.close());
  standIn.setDefault(chaos.json(200, { device_code: deviceCode, user_code: 'WDJB-MJHT', verification_uri: `${standIn.url}/device`, expires_in: 900, interval: 5 }));
  standIn.route('/.well-known/openid-configuration', chaos.json(200, { issuer: standIn.url, device_authorization_endpoint: `${standIn.url}/device/code`, token_endpoint: `${standIn.url}/token` }));
  const others = SUPPORTED.filter((id) => id !== CODEX_PROVIDER_ID);
  const env = Object.fromEntries(others.map((id) => [issuerEnvName(id), standIn.url]));
  const h = await useHarness(t, { env, profiles: PROFILES, configEnv: { HERMES_ONBOARD_MAX_PENDING: '1000000' }, logLevel: 'debug' });

  const origins: string[] = [];
  const onCreate = (message: unknown) => origins.push(String((message as { request: { origin: string } }).request.origin));
  diagnostics.subscribe('undici:request:create', onCreate);
  t.after(() => diagnostics.unsubscribe('undici:request:create', onCreate));

  await h.writeAuth({ version: 1, providers: { nous: { note: 'not a real token' } }, credential_pool: { 'openai-codex': [{ id: 'x', label: 'seeded' }] }, extra: true });
  const authBefore = (await h.authBytes())!;
  const authMtime = (await stat(h.authPath())).mtimeMs;

  const pending = await h.startFlow({ provider: 'openai-codex' });
  const ended = await h.startFlow({ provider: 'nous', profile: 'p1' });
  assert.equal((await h.cancel(ended.flow_id)).status, 200);
  knownFlows.pending = [pending.flow_id];
  knownFlows.ended = [ended.flow_id];
  return { h, secrets: [deviceCode], origins, authBefore, authMtime, protoKeys: Object.getOwnPropertyNames(Object.prototype).sort() };
}

/** What must hold after any number of hostile requests. */
async function checkWorld(w: World): Promise<void> {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), w.protoKeys, 'Object.prototype gained no property');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted');
  assert.deepEqual(await w.h.authBytes(), w.authBefore, 'auth.json is byte-identical');
  assert.equal((await stat(w.h.authPath())).mtimeMs, w.authMtime, 'auth.json was not rewritten');
  const health = await w.h.request({ url: '/api/health' });
  assert.equal(health.status, 200, 'the server still answers');
  const strangers = w.origins.filter((o) => !/^http:\/\/127\.0\.0\.1:\d+$/.test(o));
  assert.deepEqual(strangers, [], 'no request left the machine');
  w.h.assertNoSecrets([], w.secrets);
}

/** Runs `arb` requests against the app, checking every answer, then the world; reports how often each status came. */
async function runProperty(t: TestContext, w: World, arb: fc.Arbitrary<ApiRequest>, runs = RUNS): Promise<void> {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      const res = await w.h.request(req);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      checkAnswer(req, res);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted');
    }),
    { seed: SEED, numRuns: runs, endOnFailure: true },
  );
  t.diagnostic(`answers by status: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(', ')}`);
  await checkWorld(w);
}

/** Paths fastify's router cannot decode (bad or truncated percent-encoding, invalid UTF-8). */
const MALFORMED_PATHS = ['/api/onboarding/providers%ZZ', '/%', '/api/health%E0%A4%A', '/api/%C0%80', '/api/onboarding/oauth/poll%FF?flow_id=x'];

test('a path that is not valid percent-encoding gets the API error shape and headers', async (t) => {
  const w = await world(t);
  for (const url of MALFORMED_PATHS) {
    for (const method of ['GET', 'POST'] as const) {
      const req: ApiRequest = { method, url, ...(method === 'POST' && { json: { provider: 'openai-codex' } }) };
      checkAnswer(req, await w.h.request(req));
    }
  }
  await checkWorld(w);
});

test('any method, path, query, headers and body: never a 5xx, always the API shape', { timeout: 20_000 }, async (t) => {
  const w = await world(t);
  await runProperty(t, w, requestArb);
});

test('hostile bodies and queries sent to the routes as the page sends them', { timeout: 20_000 }, async (t) => {
  const w = await world(t);
  await runProperty(t, w, routeRequestArb);
  const started = w.h.transcript.filter((line) => line.startsWith('200 ') && line.includes('"verification_uri"')).length;
  assert.ok(started >= 5, `some random requests were valid starts (${started})`);
});

test('prototype-pollution keys in bodies and queries never reach Object.prototype', { timeout: 20_000 }, async (t) => {
  const w = await world(t);
  const arb = fc.oneof(
    pollutingJson.map((payload) => ({ method: 'POST' as const, url: '/api/onboarding/oauth/start', headers: { 'content-type': 'application/json' }, payload })),
    pollutingJson.map((payload) => ({ method: 'POST' as const, url: '/api/onboarding/oauth/cancel', headers: { 'content-type': 'application/json' }, payload })),
    fc.tuple(dangerousKey, fc.constantFrom('/api/onboarding/oauth/poll', '/api/onboarding/providers')).map(([key, route]) => ({
      method: 'GET' as const,
      url: `${route}?${key}[polluted]=yes&${key}.polluted=yes&constructor[prototype][polluted]=yes&flow_id=${key}`,
    })),
  );
  await runProperty(t, w, arb, 200);
});
