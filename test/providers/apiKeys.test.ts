/** API keys: shape checks, the live check in each provider's header style against the /models fake, and the pool save. */
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  API_KEY_PROVIDERS,
  ApiKeyFormatError,
  ApiKeyRejectedError,
  ApiKeyUnverifiedError,
  baseUrlEnvName,
  checkBaseUrl,
  findApiKeyProvider,
  keyHint,
  normalizeApiKey,
  saveApiKey,
  saveOpenRouterPkceKey,
  verifyApiKey,
  type ApiKeyProviderSpec,
} from '../../src/providers/apiKeys.js';
import type { ProviderContext, StepBounds } from '../../src/providers/types.js';
import { StoreShapeError } from '../../src/store/index.js';
import { POOL_STATUS_RESET } from '../../src/store/providerState.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startModelsFake, type ModelsFake, type ModelsStyle } from '../fakes/modelsFake.js';
import { tempDir } from '../store/helpers.js';
import { loadConfig } from '../../src/config.js';

const GOOD = 'sk-good-0123456789abcdefA1B2';
const BAD = 'sk-bad-9876543210fedcbaZ9Y8';

let fake: ModelsFake;
before(async () => {
  fake = await startModelsFake(GOOD);
});
after(() => fake.close());
beforeEach(() => {
  fake.clearFaults();
  fake.accept(GOOD);
});

const spec = (id: string): ApiKeyProviderSpec => findApiKeyProvider(id)!;
function ctxFor(id: string, style: ModelsStyle): ProviderContext {
  return { clock: systemClock, config: loadConfig({ [baseUrlEnvName(id)]: fake.base(style) }), logger: silentLogger() };
}
const bounds = (signal = new AbortController().signal): StepBounds => ({ signal, deadline: Date.now() + 60_000 });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e as Error,
  );
}

describe('api key shape', () => {
  it('trims surrounding whitespace and keeps the key otherwise as given', () => {
    assert.equal(normalizeApiKey(`  ${GOOD}\n`), GOOD);
    assert.equal(normalizeApiKey('k'.repeat(4096)).length, 4096);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['empty', '   ', /empty/],
    ['inner space', 'sk-abc def', /spaces/],
    ['inner tab', 'sk-abc\tdef', /spaces/],
    ['inner line break', 'sk-abc\ndef', /spaces/],
    ['a control character', 'sk-abc\u0001def', /control/],
    ['DEL', 'sk-abc\u007fdef', /control/],
    ['over 4 KiB', 'k'.repeat(4097), /4 KiB/],
    ['non-ASCII', 'sk-abcdé', /printable ASCII/],
  ];
  for (const [name, key, pattern] of refused) {
    it(`refuses ${name} with a 400 error that does not repeat the key`, () => {
      const error = (() => {
        try {
          normalizeApiKey(key);
        } catch (e) {
          return e as ApiKeyFormatError;
        }
        return assert.fail('expected a refusal');
      })();
      assert.ok(error instanceof ApiKeyFormatError);
      assert.equal(error.status, 400);
      assert.match(error.message, pattern);
      if (key.trim().length > 3) assert.ok(!error.message.includes(key.trim()));
    });
  }

  it('hints at a key with its prefix and last four characters only', () => {
    assert.equal(keyHint('sk-proj-abcdefghijklmnopa1b2'), 'sk-…a1b2');
    assert.equal(keyHint('AIzaSyD-abcdefghijklmnop9z8y'), '…9z8y');
    assert.equal(keyHint('sk-short'), 'sk-…rt');
    assert.equal(keyHint('abcdefgh'), '…gh');
  });
});

describe('api key providers', () => {
  it('finds providers by id and by alias, case-insensitively', () => {
    assert.equal(findApiKeyProvider('DeepSeek')?.id, 'deepseek');
    assert.equal(findApiKeyProvider('glm')?.id, 'zai');
    assert.equal(findApiKeyProvider('kimi')?.id, 'kimi-coding');
    assert.equal(findApiKeyProvider('claude')?.id, 'anthropic');
    assert.equal(findApiKeyProvider('nous'), undefined);
  });

  it('has unique ids and aliases, and https base URLs', () => {
    const names = API_KEY_PROVIDERS.flatMap((p) => [p.id, ...p.aliases]);
    assert.equal(new Set(names).size, names.length);
    for (const p of API_KEY_PROVIDERS) assert.match(p.baseUrl, /^https:\/\/[^/]+/);
    for (const id of ['openrouter', 'anthropic', 'gemini', 'deepseek', 'kimi-coding', 'zai', 'minimax']) assert.ok(findApiKeyProvider(id), id);
  });

  it('checks against the override, refusing plain http outside loopback (naming the variable), else the registry', () => {
    assert.equal(checkBaseUrl(loadConfig({}), spec('deepseek'), GOOD), 'https://api.deepseek.com/v1');
    assert.equal(checkBaseUrl(loadConfig({ HERMES_ONBOARD_DEEPSEEK_BASE_URL: `${fake.url}/bearer/` }), spec('deepseek'), GOOD), `${fake.url}/bearer`);
    assert.throws(() => checkBaseUrl(loadConfig({ HERMES_ONBOARD_DEEPSEEK_BASE_URL: 'http://example.com' }), spec('deepseek'), GOOD), (e: Error) => e instanceof ApiKeyUnverifiedError && /HERMES_ONBOARD_DEEPSEEK_BASE_URL/.test(e.message));
    assert.equal(checkBaseUrl(loadConfig({}), spec('kimi-coding'), 'sk-kimi-abc'), 'https://api.kimi.com/coding/v1');
    assert.equal(baseUrlEnvName('openai-api'), 'HERMES_ONBOARD_OPENAI_API_BASE_URL');
  });
});

describe('api key live check', () => {
  const cases: Array<[string, ModelsStyle, string, (h: Record<string, unknown>) => void]> = [
    ['deepseek', 'bearer', '/bearer/models', (h) => assert.equal(h.authorization, `Bearer ${GOOD}`)],
    ['openrouter', 'bearer', '/bearer/key', (h) => assert.equal(h.authorization, `Bearer ${GOOD}`)],
    ['anthropic', 'anthropic', '/anthropic/v1/models', (h) => {
      assert.equal(h['x-api-key'], GOOD);
      assert.equal(h['anthropic-version'], '2023-06-01');
      assert.equal(h.authorization, undefined);
    }],
    ['minimax', 'anthropic', '/anthropic/v1/models', (h) => assert.equal(h['x-api-key'], GOOD)],
    ['gemini', 'gemini', '/gemini/models', (h) => {
      assert.equal(h['x-goog-api-key'], GOOD);
      assert.equal(h.authorization, undefined);
    }],
  ];
  for (const [id, style, expectedPath, checkHeaders] of cases) {
    it(`${id}: accepts the right key with its own header style at ${expectedPath}`, async () => {
      await verifyApiKey(ctxFor(id, style), bounds(), spec(id), `  ${GOOD} `);
      const req = fake.requests.at(-1)!;
      assert.equal(req.path, expectedPath);
      assert.equal(req.method, 'GET');
      checkHeaders(req.headers);
    });

    it(`${id}: rejects another key (422) with the provider's words and never the key`, async () => {
      const error = await rejection(verifyApiKey(ctxFor(id, style), bounds(), spec(id), BAD));
      assert.ok(error instanceof ApiKeyRejectedError, String(error));
      assert.equal(error.status, 422);
      assert.ok(!error.message.includes(BAD), error.message);
      assert.ok(!(error.providerMessage ?? '').includes(BAD));
      assert.ok([401, 400].includes(error.providerStatus));
    });
  }

  it('passes on the provider words (the fake echoes the whole key; it is cut out)', async () => {
    const error = (await rejection(verifyApiKey(ctxFor('deepseek', 'bearer'), bounds(), spec('deepseek'), BAD))) as ApiKeyRejectedError;
    assert.match(error.providerMessage ?? '', /^Incorrect API key provided: \[redacted\]/);
    assert.match(error.message, /DeepSeek rejected the key \(HTTP 401\): "Incorrect API key provided/);
  });

  it('sends an Anthropic OAuth token as a bearer with the OAuth beta flag', async () => {
    const token = 'sk-ant-oat01-abcdefghijklmnop';
    fake.accept(token);
    await verifyApiKey(ctxFor('anthropic', 'anthropic'), bounds(), spec('anthropic'), token);
    const h = fake.requests.at(-1)!.headers;
    assert.equal(h.authorization, `Bearer ${token}`);
    assert.equal(h['anthropic-beta'], 'oauth-2025-04-20');
    assert.equal(h['x-api-key'], undefined);
  });

  const unverified: Array<[string, Parameters<ModelsFake['failNext']>[1], RegExp]> = [
    ['HTTP 500', { status: 500, body: {} }, /having trouble \(HTTP 500\)/],
    ['HTTP 429', { status: 429, body: {} }, /limiting requests \(HTTP 429\)/],
    ['HTTP 404', { status: 404, body: {} }, /unexpected answer \(HTTP 404\)/],
    ['a reset connection', { reset: true }, /could not be reached/],
  ];
  for (const [name, fault, pattern] of unverified) {
    it(`says the key could not be checked (502) on ${name}`, async () => {
      fake.failNext('/models', fault);
      const error = await rejection(verifyApiKey(ctxFor('deepseek', 'bearer'), bounds(), spec('deepseek'), GOOD));
      assert.ok(error instanceof ApiKeyUnverifiedError, String(error));
      assert.equal(error.status, 502);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes(GOOD));
    });
  }

  it('says the key could not be checked when nothing listens there', async () => {
    const closed = await startModelsFake(GOOD);
    await closed.close();
    const ctx: ProviderContext = { clock: systemClock, config: loadConfig({ HERMES_ONBOARD_DEEPSEEK_BASE_URL: closed.base('bearer') }), logger: silentLogger() };
    const error = await rejection(verifyApiKey(ctx, bounds(), spec('deepseek'), GOOD));
    assert.ok(error instanceof ApiKeyUnverifiedError);
    assert.match(error.message, /DeepSeek could not be reached to check the key: Could not reach 127\.0\.0\.1/);
    assert.equal(error.providerStatus, undefined);
  });

  it('refuses a malformed key before sending anything', async () => {
    const before = fake.requests.length;
    await assert.rejects(verifyApiKey(ctxFor('deepseek', 'bearer'), bounds(), spec('deepseek'), 'a b'), ApiKeyFormatError);
    assert.equal(fake.requests.length, before);
  });

  it('rethrows the abort reason when the caller gives up', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    controller.abort(reason);
    assert.equal(await rejection(verifyApiKey(ctxFor('deepseek', 'bearer'), bounds(controller.signal), spec('deepseek'), GOOD)), reason);
  });
});

describe('api key save', () => {
  const ctx: ProviderContext = { clock: systemClock, config: loadConfig({}), logger: silentLogger() };
  const read = async (home: string) => JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'));

  it('writes the entry `hermes auth add <provider> --type api-key` writes, and clears the provider\'s suppressions', async (t: TestContext) => {
    const home = tempDir(t);
    await writeFile(path.join(home, 'auth.json'), JSON.stringify({
      suppressed_sources: { deepseek: ['env:DEEPSEEK_API_KEY'], anthropic: ['claude_code'] },
      credential_pool: { openrouter: [{ id: 'keep01', source: 'manual', access_token: 'other' }] },
      other: { kept: true },
    }));
    const saved = await saveApiKey(ctx, home, spec('deepseek'), ` ${GOOD} `);
    assert.deepEqual({ ...saved, id: 'x' }, { id: 'x', label: 'api-key-1', key_hint: 'sk-…A1B2', created: true });
    const store = await read(home);
    assert.deepEqual(store.credential_pool.deepseek, [{
      id: saved.id,
      label: 'api-key-1',
      auth_type: 'api_key',
      priority: 0,
      source: 'manual',
      access_token: GOOD,
      ...POOL_STATUS_RESET,
      base_url: 'https://api.deepseek.com/v1',
      request_count: 0,
    }]);
    assert.match(saved.id, /^[0-9a-f]{6}$/);
    assert.deepEqual(store.suppressed_sources, { anthropic: ['claude_code'] });
    assert.deepEqual(store.credential_pool.openrouter, [{ id: 'keep01', source: 'manual', access_token: 'other' }]);
    assert.deepEqual(store.other, { kept: true });
  });

  it('numbers default labels and priorities after the entries already there; the same key twice is one entry', async (t: TestContext) => {
    const home = tempDir(t);
    const first = await saveApiKey(ctx, home, spec('gemini'), GOOD);
    const second = await saveApiKey(ctx, home, spec('gemini'), BAD, { label: 'work' });
    const again = await saveApiKey(ctx, home, spec('gemini'), GOOD, { label: 'renamed' });
    assert.equal(second.label, 'work');
    assert.equal(again.created, false);
    assert.equal(again.id, first.id);
    const pool = (await read(home)).credential_pool.gemini;
    assert.equal(pool.length, 2);
    assert.deepEqual(pool.map((e: Record<string, unknown>) => [e.label, e.priority]), [['renamed', 0], ['work', 1]]);
    const third = await saveApiKey(ctx, home, spec('gemini'), 'sk-third-key-000000');
    assert.equal(third.label, 'api-key-3');
  });

  it('saves an OpenRouter PKCE key as `hermes auth add openrouter --type oauth` does', async (t: TestContext) => {
    const home = tempDir(t);
    await saveApiKey(ctx, home, spec('openrouter'), BAD);
    const saved = await saveOpenRouterPkceKey(ctx, home, GOOD);
    const entry = (await read(home)).credential_pool.openrouter.find((e: Record<string, unknown>) => e.id === saved.id);
    assert.deepEqual(
      { label: entry.label, auth_type: entry.auth_type, source: entry.source, access_token: entry.access_token, base_url: entry.base_url, priority: entry.priority },
      { label: 'openrouter-oauth-2', auth_type: 'api_key', source: 'manual:openrouter_pkce', access_token: GOOD, base_url: 'https://openrouter.ai/api/v1', priority: 1 },
    );
  });

  it('writes nothing when the pool holds something Hermes Agent never writes', async (t: TestContext) => {
    const home = tempDir(t);
    const before = JSON.stringify({ credential_pool: { deepseek: { not: 'a list' } }, suppressed_sources: { deepseek: ['x'] } });
    await writeFile(path.join(home, 'auth.json'), before);
    await assert.rejects(saveApiKey(ctx, home, spec('deepseek'), GOOD), StoreShapeError);
    assert.equal(await readFile(path.join(home, 'auth.json'), 'utf8'), before);
  });

  it('writes nothing when suppressed_sources has a shape Hermes Agent never writes', async (t: TestContext) => {
    for (const suppressed of ['env:DEEPSEEK_API_KEY', { deepseek: 'env:DEEPSEEK_API_KEY' }]) {
      const home = tempDir(t);
      const before = JSON.stringify({ credential_pool: {}, suppressed_sources: suppressed });
      await writeFile(path.join(home, 'auth.json'), before);
      await assert.rejects(saveApiKey(ctx, home, spec('deepseek'), GOOD), StoreShapeError);
      assert.equal(await readFile(path.join(home, 'auth.json'), 'utf8'), before);
    }
  });

  it('refuses a malformed key or label before touching the file', async (t: TestContext) => {
    const home = tempDir(t);
    await assert.rejects(saveApiKey(ctx, home, spec('deepseek'), 'a\u0000b'), ApiKeyFormatError);
    await assert.rejects(saveApiKey(ctx, home, spec('deepseek'), GOOD, { label: 'x'.repeat(101) }), ApiKeyFormatError);
    await assert.rejects(readFile(path.join(home, 'auth.json')), { code: 'ENOENT' });
  });
});
