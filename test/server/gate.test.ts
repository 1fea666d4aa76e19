/** The onboarding gate (who may use the API), the Host rule (DNS rebinding), same-origin POSTs and JSON-only POSTs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness, type ApiResponse, type Harness } from '../helpers/harness.js';

const PUBLIC = '203.0.113.5';
const TOKEN = 'test-token-0123456789abcdef';

/** Asserts a JSON refusal with this status whose message matches `message`. */
function assertRefused(res: ApiResponse, status: number, message?: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(res.body.ok, false);
  assert.equal(typeof res.body.error, 'string');
  if (message) assert.match(res.body.error, message);
}

/** Asserts nothing was started at the provider. */
async function assertNoFlow(h: Harness): Promise<void> {
  assert.equal(h.fake.counts.usercode, 0);
  assert.equal(await h.engine.pendingCount(), 0);
}

test('a public client is refused with a message naming HERMES_ONBOARD_TOKEN; X-Forwarded-For is not trusted', async (t) => {
  const h = await useHarness(t);
  assertRefused(await h.request({ url: '/api/health', remoteAddress: PUBLIC }), 403, /HERMES_ONBOARD_TOKEN/);
  assertRefused(await h.start(undefined, { remoteAddress: PUBLIC }), 403, /HERMES_ONBOARD_TOKEN/);
  assertRefused(await h.start(undefined, { remoteAddress: `::ffff:${PUBLIC}` }), 403);
  assertRefused(await h.start(undefined, { remoteAddress: '2001:db8::1' }), 403);
  assertRefused(await h.start(undefined, { remoteAddress: PUBLIC, headers: { 'x-forwarded-for': '127.0.0.1' } }), 403);
  await assertNoFlow(h);
});

test('loopback and private-network clients are allowed', async (t) => {
  const h = await useHarness(t);
  for (const remoteAddress of ['127.0.0.1', '::1', '192.168.1.10', '10.1.2.3', '172.16.0.9', 'fd00::5', '::ffff:192.168.1.10']) {
    const res = await h.request({ url: '/api/health', remoteAddress });
    assert.equal(res.status, 200, `${remoteAddress}: ${res.text}`);
  }
  assert.equal((await h.start(undefined, { remoteAddress: '192.168.1.10' })).status, 200);
});

test('with HERMES_ONBOARD_TOKEN: no or a wrong bearer is refused (even from loopback), the right one works from anywhere', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_TOKEN: TOKEN } });
  assertRefused(await h.start(), 403, /HERMES_ONBOARD_TOKEN/);
  assertRefused(await h.start(undefined, { remoteAddress: PUBLIC }), 403);
  assertRefused(await h.start(undefined, { headers: { authorization: `Bearer ${TOKEN}x` } }), 403);
  assertRefused(await h.start(undefined, { headers: { authorization: TOKEN } }), 403);
  assertRefused(await h.start(undefined, { headers: { authorization: `Basic ${TOKEN}` } }), 403);
  await assertNoFlow(h);
  const res = await h.start(undefined, { remoteAddress: PUBLIC, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.status, 'pending');
  h.assertNoSecrets([], [TOKEN]);
});

test('HERMES_ONBOARD_OPEN=1 lets a public client in', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_OPEN: '1' } });
  const res = await h.start(undefined, { remoteAddress: PUBLIC });
  assert.equal(res.status, 200, res.text);
});

test('the Host header must be one the server answers to (DNS rebinding)', async (t) => {
  const h = await useHarness(t);
  for (const host of ['evil.example', 'evil.example:8788', '127.0.0.1.evil.example', 'hermes.lan:8788']) {
    assertRefused(await h.request({ url: '/api/health', headers: { host } }), 403, /--allowed-host/);
    assertRefused(await h.start(undefined, { headers: { host } }), 403);
  }
  assertRefused(await h.request({ url: '/', headers: { host: 'evil.example' } }), 403);
  for (const host of ['localhost:8788', 'localhost', '127.0.0.1', '127.0.0.1:8788', '[::1]:8788', '[::1]', 'LOCALHOST:8788']) {
    assert.equal((await h.request({ url: '/api/health', headers: { host } })).status, 200, host);
  }
  await assertNoFlow(h);
});

test('--allowed-host adds a Host name', async (t) => {
  const h = await useHarness(t, { flags: { allowedHost: ['hermes.lan'] } });
  assert.equal((await h.request({ url: '/api/health', headers: { host: 'hermes.lan:8788' } })).status, 200);
  assertRefused(await h.request({ url: '/api/health', headers: { host: 'other.lan:8788' } }), 403);
});

test('a POST whose Origin is another site is refused; same-origin is fine', async (t) => {
  const h = await useHarness(t);
  const cancel = (origin: string) =>
    h.request({ method: 'POST', url: '/api/onboarding/oauth/cancel', json: { flow_id: 'abc' }, headers: { origin } });
  assertRefused(await cancel('http://evil.example'), 403, /Origin/);
  assertRefused(await cancel('http://127.0.0.1:9999'), 403);
  assertRefused(await cancel('null'), 403);
  assertRefused(await h.start(undefined, { headers: { origin: 'http://evil.example' } }), 403);
  await assertNoFlow(h);
  assert.equal((await cancel('http://127.0.0.1:8788')).status, 200);
  assert.equal((await h.start(undefined, { headers: { origin: 'http://127.0.0.1:8788' } })).status, 200);
});

test('a POST that is not application/json answers 415', async (t) => {
  const h = await useHarness(t);
  const body = JSON.stringify({ provider: 'openai-codex' });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const res = await h.request({ method: 'POST', url: '/api/onboarding/oauth/start', payload: body, headers: { 'content-type': type } });
    assertRefused(res, 415, /application\/json/);
  }
  const untyped = await h.request({ method: 'POST', url: '/api/onboarding/oauth/start', payload: body });
  assertRefused(untyped, 415);
  assert.equal(
    (await h.request({ method: 'POST', url: '/api/onboarding/oauth/start', payload: body, headers: { 'content-type': 'application/json; charset=utf-8' } })).status,
    200,
  );
});

/** Sends one raw HTTP/1.1 request line (as a hostile client could) and returns the status code. */
async function rawStatus(base: string, requestLine: string): Promise<number> {
  const { port } = new URL(base);
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`${requestLine}\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

test('the gate cannot be skipped by spelling /api/ differently (%-encoding, absolute-form request lines)', async (t) => {
  const h = await useHarness(t, { configEnv: { HERMES_ONBOARD_TOKEN: TOKEN } });
  for (const url of ['/%61pi/onboarding/profiles', '/%61%70%69/health', '/api/%6Fnboarding/providers']) {
    assertRefused(await h.request({ url }), 403, /HERMES_ONBOARD_TOKEN/);
  }
  assertRefused(await h.request({ method: 'POST', url: '/%61pi/onboarding/oauth/start', json: { provider: 'openai-codex' } }), 403);
  const base = await h.listen();
  assert.equal(await rawStatus(base, 'GET http://localhost/api/onboarding/profiles HTTP/1.1'), 403);
  assert.equal(await rawStatus(base, 'GET /%61pi/onboarding/providers HTTP/1.1'), 403);
  assert.equal(await rawStatus(base, 'GET /api/health HTTP/1.1'), 403);
  assert.equal(await rawStatus(base, 'GET / HTTP/1.1'), 200, 'the page itself stays open');
  await assertNoFlow(h);
});

test('carrier-grade NAT (100.64.0.0/10) is not a private network, and odd Host spellings are refused', async (t) => {
  const h = await useHarness(t);
  assertRefused(await h.request({ url: '/api/health', remoteAddress: '100.64.1.2' }), 403, /HERMES_ONBOARD_TOKEN/);
  for (const host of ['[::1]evil.example', '[::1]evil.example:8788', 'localhost.evil.example', '127.0.0.1.nip.io']) {
    assertRefused(await h.request({ url: '/api/health', headers: { host } }), 403, /Host/);
  }
  assert.equal((await h.request({ url: '/api/health', headers: { host: '[::1]:8788' } })).status, 200);
});
