/**
 * POST /api/onboarding/keys against a real /models fake on 127.0.0.1 that accepts one key: 400 for a
 * malformed key or an unknown provider, 422 with the provider's words (the key scrubbed from them) when the
 * provider refuses it, 502 when it cannot be reached, `verify: false` saving unchecked, the same key twice
 * one entry, default labels `api-key-<n>`, only a hint in answers and logs, and the entries read back by
 * Hermes Agent's own load_pool (and matching what its `hermes auth add --type api-key` writes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelsFake } from '../fakes/modelsFake.js';
import { useHarness } from '../helpers/harness.js';
import { needHermesAgent, runHermes } from '../providers/hermesPython.js';

const GOOD = 'sk-deepseek-good-key-0123456789abcd';
const BAD = 'sk-deepseek-wrong-key-9876543210zyx';
const KEYS = '/api/onboarding/keys';

interface PoolView {
  entries: Array<Record<string, unknown>>;
  selected: Record<string, unknown> | null;
}

async function setup(t: Parameters<typeof useHarness>[0]) {
  const models = await startModelsFake(GOOD);
  t.after(() => models.close());
  const h = await useHarness(t, {
    env: { HERMES_ONBOARD_DEEPSEEK_BASE_URL: models.base('bearer'), HERMES_ONBOARD_ANTHROPIC_BASE_URL: models.base('anthropic') },
  });
  const add = (body: Record<string, unknown>) => h.request({ method: 'POST', url: KEYS, json: body });
  return { h, models, add };
}

test('keys: malformed keys and unknown providers answer 400 and nothing is asked or saved', async (t) => {
  const { h, models, add } = await setup(t);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ provider: 'deepseek', api_key: '' }, /empty/],
    [{ provider: 'deepseek', api_key: '   ' }, /empty/],
    [{ provider: 'deepseek', api_key: 'sk-two words' }, /spaces/],
    [{ provider: 'deepseek', api_key: 'sk-ctl\u0007key' }, /control characters/],
    [{ provider: 'deepseek', api_key: `sk-${'a'.repeat(4100)}` }, /4 KiB/],
    [{ provider: 'no-such-ai', api_key: GOOD }, /Unknown provider "no-such-ai".*deepseek/],
    [{ provider: 'nous', api_key: GOOD }, /Nous Portal does not take an API key here.*deepseek/],
    [{ provider: 'deepseek', api_key: GOOD, label: 'bad\u0001label' }, /control characters/],
    [{ provider: 'deepseek', api_key: GOOD, extra: 1 }, /Unknown field/],
  ];
  for (const [body, message] of cases) {
    const res = await add(body);
    assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 60)}: ${res.text}`);
    assert.match(res.body.error, message);
  }
  assert.equal(models.requests.length, 0, 'no key was sent to the provider');
  assert.equal(await h.authBytes(), undefined);
  h.assertNoSecrets([], [GOOD, 'sk-ctl\u0007key']);
});

test('keys: a refused key answers 422 with the provider\'s words, an unreachable provider 502; nothing saved unless verify is false', async (t) => {
  const { h, models, add } = await setup(t);
  const refused = await add({ provider: 'deepseek', api_key: BAD });
  assert.equal(refused.status, 422, refused.text);
  assert.match(refused.body.error, /DeepSeek rejected the key \(HTTP 401\): "Incorrect API key provided: \[redacted\]/);
  assert.equal(models.requests.at(-1)?.headers.authorization, `Bearer ${BAD}`);

  models.failNext('/models', { status: 503, body: { error: 'overloaded' } });
  const down = await add({ provider: 'deepseek', api_key: GOOD });
  assert.equal(down.status, 502, down.text);
  assert.match(down.body.error, /could not be checked.*verify": false/);
  models.failNext('/models', { reset: true });
  assert.equal((await add({ provider: 'deepseek', api_key: GOOD })).status, 502, 'a dropped connection is unreachable too');
  assert.equal(await h.authBytes(), undefined, 'nothing was saved');

  models.failNext('/models', { status: 503, body: { error: 'overloaded' } });
  const unchecked = await add({ provider: 'deepseek', api_key: GOOD, verify: false });
  assert.equal(unchecked.status, 200, unchecked.text);
  assert.equal(models.requests.filter((r) => r.path.endsWith('/models')).length, 3, 'verify: false asks nothing');
  assert.equal((await h.readAuth()).credential_pool.deepseek.length, 1);
  h.assertNoSecrets([], [GOOD, BAD]);
});

test('keys: an accepted key is saved as `hermes auth add --type api-key` saves it; the same key twice is one entry; answers show a hint only', async (t) => {
  const { h, add } = await setup(t);
  await h.writeAuth({ version: 1, providers: {}, suppressed_sources: { deepseek: ['env:DEEPSEEK_API_KEY'] }, active_provider: 'nous' });
  const first = await add({ provider: 'deepseek', api_key: `  ${GOOD}\n` });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(Object.keys(first.body).sort(), ['account', 'ok', 'provider']);
  assert.equal(first.body.provider, 'deepseek');
  assert.equal(first.body.account.label, 'api-key-1');
  assert.equal(first.body.account.key_hint, `sk-…${GOOD.slice(-4)}`);

  const again = await add({ provider: 'deepseek', api_key: GOOD, label: 'work' });
  assert.equal(again.status, 200);
  assert.equal(again.body.account.id, first.body.account.id, 'the same key is the same entry');
  assert.equal(again.body.account.label, 'work');

  const auth = await h.readAuth();
  assert.equal(auth.credential_pool.deepseek.length, 1);
  const [entry] = auth.credential_pool.deepseek;
  assert.equal(entry.access_token, GOOD, 'trimmed');
  assert.equal(entry.auth_type, 'api_key');
  assert.equal(entry.source, 'manual');
  assert.equal(entry.base_url, 'https://api.deepseek.com/v1', 'the registry\'s base, not the check\'s override');
  assert.equal(auth.suppressed_sources, undefined, 'a new credential clears the provider\'s suppressed sources');
  assert.equal(auth.active_provider, 'nous', 'an API key leaves the active provider alone, as Hermes Agent does');

  const listed = await h.request({ url: '/api/onboarding/providers' });
  const item = listed.body.providers.find((p: { id: string }) => p.id === 'deepseek');
  assert.deepEqual(item.methods, ['api_key']);
  assert.equal(item.kind, 'api_key');
  assert.equal(item.supported, true);
  assert.equal(item.connected, true);
  h.assertNoSecrets([], [GOOD]);

  if (!needHermesAgent(t)) return;
  const seen = runHermes<PoolView>(h.userHome, h.home, ['pool', 'deepseek']);
  assert.equal(seen.entries.length, 1);
  assert.equal(seen.selected?.runtime_api_key, GOOD);
  assert.equal(seen.selected?.label, 'work');
  assert.equal(seen.selected?.source, 'manual');
  // Hermes Agent's own add of a second key next to ours: its entry and ours agree in shape
  const theirs = runHermes<{ pool: Array<Record<string, unknown>> }>(h.userHome, h.home, ['add-api-key', 'deepseek'], {}, 'sk-deepseek-added-by-hermes-000111');
  assert.equal(theirs.pool.length, 2);
  const [ours, hermes] = theirs.pool as [Record<string, unknown>, Record<string, unknown>];
  for (const field of ['auth_type', 'source', 'base_url']) assert.equal(ours[field], hermes[field], field);
  assert.equal(hermes.label, 'api-key-2');
});

test('keys: an alias picks the key provider (xai is the xAI key, not the xAI sign-in); Anthropic keys are checked with x-api-key', async (t) => {
  const { h, models, add } = await setup(t);
  const anthropicKey = 'sk-ant-api03-anthropic-key-000000000000';
  models.accept(anthropicKey);
  const saved = await add({ provider: 'claude', api_key: anthropicKey });
  assert.equal(saved.status, 200, saved.text);
  assert.equal(saved.body.provider, 'anthropic');
  const check = models.requests.at(-1)!;
  assert.equal(check.path, '/anthropic/v1/models');
  assert.equal(check.headers['x-api-key'], anthropicKey);
  const xai = await add({ provider: 'xai', api_key: 'xai-key-not-checked-000000000', verify: false });
  assert.equal(xai.status, 200, xai.text);
  assert.equal(xai.body.provider, 'xai');
  const auth = await h.readAuth();
  assert.equal(auth.credential_pool.anthropic[0].base_url, 'https://api.anthropic.com');
  assert.equal(auth.credential_pool.xai[0].base_url, 'https://api.x.ai/v1');
  h.assertNoSecrets([], [anthropicKey, 'xai-key-not-checked-000000000']);
});
