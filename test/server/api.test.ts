/** Health, the response headers of every answer, and every bad input answering 4xx with a clear message and changing nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { useHarness, type ApiRequest, type ApiResponse, type Harness } from '../helpers/harness.js';

/** Asserts the headers every API answer carries. */
function assertApiHeaders(res: ApiResponse, what: string): void {
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', what);
  assert.equal(res.headers['cache-control'], 'no-store', what);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(res.headers['x-frame-options'], 'DENY', what);
}

test('GET /api/health answers ok and the package version', async (t) => {
  const h = await useHarness(t);
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const res = await h.request({ url: '/api/health' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ok: true, version: pkg.version });
  assertApiHeaders(res, 'health');
});

const START = '/api/onboarding/oauth/start';
const POLL = '/api/onboarding/oauth/poll';
const CANCEL = '/api/onboarding/oauth/cancel';
const UNKNOWN_ID = '0123456789abcdef0123456789abcdef';

/** A bad request, the status it must get, and what the message must say. */
interface BadCase {
  name: string;
  req: ApiRequest;
  status: number;
  message: RegExp;
}

const json = (url: string, body: unknown): ApiRequest => ({ method: 'POST', url, json: body });
const raw = (url: string, payload: string): ApiRequest => ({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });

const BAD: BadCase[] = [
  { name: 'missing provider', req: json(START, {}), status: 400, message: /provider is required/ },
  { name: 'provider not a string', req: json(START, { provider: 42 }), status: 400, message: /provider/ },
  { name: 'provider null', req: json(START, { provider: null }), status: 400, message: /provider/ },
  { name: 'empty provider', req: json(START, { provider: '  ' }), status: 400, message: /provider is required/ },
  { name: 'unknown provider', req: json(START, { provider: 'no-such-ai' }), status: 400, message: /Unknown provider "no-such-ai".*openai-codex/ },
  { name: 'unsupported provider', req: json(START, { provider: 'qwen-oauth' }), status: 400, message: /hermes auth add qwen-oauth.*openai-codex/ },
  { name: 'unsupported provider outside `hermes auth add`', req: json(START, { provider: 'google-gemini-cli' }), status: 400, message: /`hermes model`.*openai-codex/ },
  { name: 'unknown method', req: json(START, { provider: 'openrouter', method: 'device_code' }), status: 400, message: /no method "device_code".*authorization_code, api_key/ },
  { name: 'api_key method', req: json(START, { provider: 'deepseek' }), status: 400, message: /API key.*POST \/api\/onboarding\/keys/ },
  { name: 'region for another provider', req: json(START, { provider: 'openai-codex', region: 'cn' }), status: 400, message: /region applies to minimax-oauth/ },
  { name: 'unknown region', req: json(START, { provider: 'minimax-oauth', region: 'eu' }), status: 400, message: /region must be "global" or "cn"/ },
  { name: 'clear_env_keys for another provider', req: json(START, { provider: 'openai-codex', clear_env_keys: true }), status: 400, message: /clear_env_keys applies to the Claude Code link/ },
  { name: 'profile with a path', req: json(START, { provider: 'openai-codex', profile: '../x' }), status: 400, message: /not a valid profile name/ },
  { name: 'profile with capitals', req: json(START, { provider: 'openai-codex', profile: 'NoSuch' }), status: 400, message: /not a valid profile name/ },
  { name: 'profile that does not exist', req: json(START, { provider: 'openai-codex', profile: 'nosuch' }), status: 400, message: /does not exist.*hermes profile create nosuch/ },
  { name: 'profile not a string', req: json(START, { provider: 'openai-codex', profile: 7 }), status: 400, message: /profile/ },
  { name: 'invalid JSON', req: raw(START, '{"provider": "openai-codex"'), status: 400, message: /not valid JSON/ },
  { name: 'empty body', req: raw(START, ''), status: 400, message: /empty/ },
  { name: 'array body', req: json(START, [{ provider: 'openai-codex' }]), status: 400, message: /must be a JSON object/ },
  { name: 'string body', req: json(START, 'openai-codex'), status: 400, message: /must be a JSON object/ },
  { name: 'extra field', req: json(START, { provider: 'openai-codex', device_code: 'x' }), status: 400, message: /Unknown field.*device_code/ },
  { name: 'body over 16 KiB', req: json(START, { provider: 'openai-codex', pad: 'x'.repeat(17 * 1024) }), status: 413, message: /16 KiB/ },
  { name: 'poll without flow_id', req: { url: POLL }, status: 400, message: /flow_id is required/ },
  { name: 'poll with an empty flow_id', req: { url: `${POLL}?flow_id=` }, status: 400, message: /flow_id is required/ },
  { name: 'poll of an unknown flow', req: { url: `${POLL}?flow_id=${UNKNOWN_ID}` }, status: 404, message: /Start a new one/ },
  { name: 'flow_id given twice', req: { url: `${POLL}?flow_id=a&flow_id=b` }, status: 400, message: /flow_id/ },
  { name: 'cancel without flow_id', req: json(CANCEL, {}), status: 400, message: /flow_id is required/ },
  { name: 'cancel with a numeric flow_id', req: json(CANCEL, { flow_id: 5 }), status: 400, message: /flow_id/ },
  { name: 'unknown route', req: { url: '/api/onboarding/nope' }, status: 404, message: /No such route: GET \/api\/onboarding\/nope/ },
  { name: 'wrong method on start', req: { method: 'GET', url: START }, status: 404, message: /No such route: GET/ },
  { name: 'wrong method on poll', req: { method: 'DELETE', url: `${POLL}?flow_id=${UNKNOWN_ID}` }, status: 404, message: /No such route: DELETE/ },
];

/** Sends every case and returns one line per mismatch (all of them, not just the first). */
async function mismatches(h: Harness, cases: readonly BadCase[]): Promise<string[]> {
  const problems: string[] = [];
  for (const c of cases) {
    const res = await h.request(c.req);
    const statusOk = res.status === c.status || (c.name.startsWith('wrong method') && res.status === 405);
    try {
      assert.ok(statusOk, `status ${res.status}`);
      assertApiHeaders(res, c.name);
      assert.equal(res.body?.ok, false);
      assert.deepEqual(Object.keys(res.body).sort(), ['error', 'ok']);
      assert.match(res.body.error, c.message);
      assert.ok(res.body.error.length <= 300, 'message too long');
    } catch (error) {
      problems.push(`${c.name}: ${(error as Error).message.split('\n')[0]} (${res.status} ${res.text.slice(0, 200)})`);
    }
  }
  return problems;
}

test('every bad input answers 4xx with a clear JSON message, and changes nothing', async (t) => {
  const h = await useHarness(t);
  await h.writeAuth({ version: 1, credential_pool: { nous: [{ id: 'n1', access_token: 'keep-me' }] }, other: true });
  const before = await h.authBytes();
  assert.deepEqual(await mismatches(h, BAD), []);
  assert.deepEqual(await h.authBytes(), before, 'auth.json is byte-identical');
  assert.equal(h.fake.counts.usercode, 0, 'nothing was asked of the provider');
  assert.equal(await h.engine.pendingCount(), 0, 'no flow was started');
});

/** Wrong types must say "must be a string", not "is required". */
const WRONG_TYPES: BadCase[] = [
  { name: 'provider not a string', req: json(START, { provider: 42 }), status: 400, message: /provider must be a string/ },
  { name: 'profile not a string', req: json(START, { provider: 'openai-codex', profile: 7 }), status: 400, message: /profile must be a string/ },
  { name: 'flow_id given twice', req: { url: `${POLL}?flow_id=a&flow_id=b` }, status: 400, message: /flow_id must be a string/ },
  { name: 'cancel with a numeric flow_id', req: json(CANCEL, { flow_id: 5 }), status: 400, message: /flow_id must be a string/ },
];

test('a field of the wrong type is named as such, not as missing', async (t) => {
  const h = await useHarness(t);
  assert.deepEqual(await mismatches(h, WRONG_TYPES), []);
});

test('cancelling an unknown flow answers 200 cancelled', async (t) => {
  const h = await useHarness(t);
  const res = await h.request(json(CANCEL, { flow_id: UNKNOWN_ID }));
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ok: true, flow_id: UNKNOWN_ID, status: 'cancelled' });
  assertApiHeaders(res, 'cancel unknown');
});

test('success answers carry the same headers', async (t) => {
  const h = await useHarness(t);
  const start = await h.start();
  assertApiHeaders(start, 'start');
  assertApiHeaders(await h.poll(start.body.flow_id), 'poll');
  assertApiHeaders(await h.request({ url: '/api/onboarding/providers' }), 'providers');
  assertApiHeaders(await h.request({ url: '/api/onboarding/profiles' }), 'profiles');
  assertApiHeaders(await h.cancel(start.body.flow_id), 'cancel');
});

test('a provider alias starts the same provider', async (t) => {
  const h = await useHarness(t);
  const res = await h.start({ provider: 'codex' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.provider, 'openai-codex');
});
