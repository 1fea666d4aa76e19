/**
 * Removing an account and signing a provider out, checked against Hermes Agent's own code: the same start
 * is removed by us in one home and by `hermes auth remove` in a copy, and both must read back the same in
 * Hermes Agent's load_pool (the entry gone and not re-seeded on its next load, the same suppressed_sources,
 * singletons and `.env`). Plus active_provider, Copilot's `.env` line, logout, bad input (nothing written)
 * and a removal racing a Hermes Agent write under auth.lock.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { AccountNotFoundError, LifecycleInputError } from '../../src/store/hermesPool.js';
import { findRemovableAccount, logoutProvider, removeAccount } from '../../src/store/removal.js';
import { readAuthStore } from '../../src/store/authStore.js';
import { StoreShapeError } from '../../src/store/pool.js';
import { tempDir } from './helpers.js';
import { hermesChild, hermesEval, needHermes, runHermes, runHermesBatch, type HermesList } from './hermesAgent.js';
import { apiKeyEntry, bytes, codexToken, copyHome, readStore, writeStore } from './lifecycleFixtures.js';

const FAR = () => Math.floor(Date.now() / 1000) + 86_400;

/** What Hermes Agent sees in a home after a removal: the pool (as load_pool leaves it), suppressions, singletons, active provider. */
interface HermesView {
  entries: Array<{ id: string; source: string; priority: number }>;
  suppressed: Record<string, string[]>;
  providers: string[];
  active: string | null;
}

function hermesView(t: TestContext, home: string, provider: string): HermesView {
  return runHermes<HermesView>(t, home, ['view', provider]);
}

/**
 * Builds a home with `setup`, lets Hermes seed it (load_pool), copies it, removes `pick(entries)` with
 * removeAccount in one and with `hermes auth remove` in the other, and returns both views.
 */
async function removeBothWays(
  t: TestContext,
  provider: string,
  setup: (home: string) => Promise<void>,
  pick: (entries: HermesList['entries']) => string,
) {
  const ours = tempDir(t, 'rm-ours-');
  const theirs = tempDir(t, 'rm-hermes-');
  await setup(ours);
  const seeded = runHermes<HermesList>(t, ours, ['list', provider]);
  await copyHome(ours, theirs);
  const id = pick(seeded.entries);
  const outcome = await removeAccount(ours, provider, id);
  const [hermesOut, theirsView] = runHermesBatch(t, theirs, [['remove', provider, id], ['view', provider]]) as [{ output: string; exit: number }, HermesView];
  assert.equal(hermesOut.exit, 0, hermesOut.output);
  return { ours, theirs, id, outcome, hermesOut, seeded, oursView: hermesView(t, ours, provider), theirsView };
}

describe('removeAccount agrees with `hermes auth remove`', () => {
  it('Codex seeded from providers.openai-codex: entry and singleton go, device_code is suppressed, nothing comes back', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const r = await removeBothWays(
      t,
      'openai-codex',
      async (home) =>
        writeStore(home, {
          active_provider: 'openai-codex',
          providers: { 'openai-codex': { tokens: { access_token: codexToken({ accountId: 'a1', sub: 's1', email: 'ada@example.com', exp: FAR() }), refresh_token: 'rt-1' }, last_refresh: '2026-11-01T00:00:00Z' } },
          credential_pool: {
            'openai-codex': [
              { id: 'man001', label: 'Codex OAuth (bob@example.com)', auth_type: 'oauth', priority: 0, source: 'manual:device_code', access_token: codexToken({ accountId: 'a2', sub: 's2', exp: FAR() }), refresh_token: 'rt-2', base_url: 'https://chatgpt.com/backend-api/codex' },
            ],
          },
        }),
      (entries) => entries.find((e) => e.source === 'device_code')!.id,
    );
    assert.deepEqual(r.oursView, r.theirsView);
    assert.deepEqual(r.oursView.entries, [{ id: 'man001', source: 'manual:device_code', priority: 0 }]);
    assert.deepEqual(r.oursView.suppressed, { 'openai-codex': ['device_code'] });
    assert.deepEqual(r.oursView.providers, []);
    assert.equal(r.oursView.active, 'openai-codex'); // an account is left
    assert.deepEqual(r.outcome.removed.map((a) => [a.id, a.source]), [[r.id, 'device_code']]);
    assert.deepEqual(r.outcome.cleaned, ['Cleared openai-codex OAuth tokens from auth store']);
    assert.ok(r.outcome.hints.some((h) => h.includes('~/.codex/auth.json')));
  });

  it('an env-seeded key: its .env line goes (every other byte kept), env:<VAR> is suppressed, Hermes does not seed it again', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const envText = '# my keys\r\nexport OTHER_KEY="keep me"  # note\nOPENROUTER_API_KEY=sk-or-v1-0123456789abcdef0123\nTAIL=1';
    const r = await removeBothWays(
      t,
      'openrouter',
      async (home) => {
        await fsp.writeFile(path.join(home, '.env'), envText);
        await writeStore(home, { credential_pool: { openrouter: [apiKeyEntry('man001', 0, 'sk-or-v1-manualmanualmanual00')] } });
      },
      (entries) => entries.find((e) => e.source === 'env:OPENROUTER_API_KEY')!.id,
    );
    assert.deepEqual(r.oursView, r.theirsView);
    assert.deepEqual(r.oursView.entries, [{ id: 'man001', source: 'manual', priority: 0 }]);
    assert.deepEqual(r.oursView.suppressed, { openrouter: ['env:OPENROUTER_API_KEY'] });
    assert.equal(await fsp.readFile(path.join(r.ours, '.env'), 'utf8'), '# my keys\r\nexport OTHER_KEY="keep me"  # note\nTAIL=1');
    assert.deepEqual(r.outcome.cleaned, ['Cleared OPENROUTER_API_KEY from .env']);
    // the key still exported in Hermes Agent's own environment does not bring the entry back: it is suppressed
    const exported = runHermes<HermesView>(t, r.ours, ['view', 'openrouter'], { OPENROUTER_API_KEY: 'sk-or-v1-0123456789abcdef0123' });
    assert.deepEqual(exported.entries, [{ id: 'man001', source: 'manual', priority: 0 }]);
  });

  it('Nous: the providers.nous login goes with its seeded entry and device_code is suppressed', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const r = await removeBothWays(
      t,
      'nous',
      async (home) =>
        writeStore(home, {
          active_provider: 'nous',
          providers: { nous: { portal_base_url: 'https://portal.nousresearch.com', inference_base_url: 'https://inference-api.nousresearch.com/v1', client_id: 'hermes-cli', scope: 'inference:invoke', token_type: 'Bearer', access_token: 'nous-access-token-0123456789', refresh_token: 'nous-refresh-0123456789', expires_at: new Date(FAR() * 1000).toISOString() } },
        }),
      (entries) => entries[0]!.id,
    );
    assert.deepEqual({ ...r.oursView, active: 'ignored' }, { ...r.theirsView, active: 'ignored' });
    assert.deepEqual(r.oursView.entries, []);
    assert.deepEqual(r.oursView.suppressed, { nous: ['device_code'] });
    assert.deepEqual(r.oursView.providers, []);
    // Hermes' `auth remove` leaves active_provider naming a provider with nothing left; we clear it (as its logout does)
    assert.equal(r.theirsView.active, 'nous');
    assert.equal(r.oursView.active, null);
    assert.equal(r.outcome.activeProviderCleared, true);
  });

  it('a manual entry: only the entry goes, the rest are renumbered from 0, nothing is suppressed, unknown keys stay', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const r = await removeBothWays(
      t,
      'openrouter',
      async (home) =>
        writeStore(home, {
          future_top_level: { keep: true },
          credential_pool: {
            openrouter: [
              apiKeyEntry('aaa000', 0, 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa'),
              apiKeyEntry('bbb111', 1, 'sk-or-v1-bbbbbbbbbbbbbbbbbbbb'),
              apiKeyEntry('ccc222', 2, 'sk-or-v1-cccccccccccccccccccc', { future_field: 42 }),
            ],
          },
        }),
      () => 'aaa000',
    );
    assert.deepEqual(r.oursView, r.theirsView);
    assert.deepEqual(r.oursView.entries, [
      { id: 'bbb111', source: 'manual', priority: 0 },
      { id: 'ccc222', source: 'manual', priority: 1 },
    ]);
    assert.deepEqual(r.oursView.suppressed, {});
    const store = await readStore(r.ours);
    assert.deepEqual(store.future_top_level, { keep: true });
    assert.equal(store.credential_pool!.openrouter!.find((e) => e.id === 'ccc222')!.future_field, 42);
    assert.deepEqual(r.outcome.suppressed, []);
  });
});

describe('removeAccount on its own', () => {
  it("Copilot: COPILOT_GITHUB_TOKEN leaves .env byte for byte, every Copilot source is suppressed, active_provider cleared; Hermes reads it so", async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'rm-copilot-');
    const envBytes = Buffer.from('\xEF\xBB\xBFCOPILOT_GITHUB_TOKEN=gho_0123456789abcdefghij\nA=\xE9t\xE9\r\n\n# end', 'latin1');
    await fsp.writeFile(path.join(home, '.env'), envBytes);
    await writeStore(home, { active_provider: 'copilot' });
    const found = findRemovableAccount(await readAuthStore(home), 'copilot', 'env', 'gho_0123456789abcdefghij');
    assert.equal(found.id, 'env');
    const outcome = await removeAccount(home, 'copilot', 'env');
    assert.deepEqual(await bytes(path.join(home, '.env')), Buffer.from('\xEF\xBB\xBFA=\xE9t\xE9\r\n\n# end', 'latin1'));
    assert.deepEqual(outcome.suppressed, ['gh_cli', 'env:COPILOT_GITHUB_TOKEN', 'env:GH_TOKEN', 'env:GITHUB_TOKEN']);
    assert.equal(outcome.activeProviderCleared, true);
    const hermes = hermesEval<{ suppressed: boolean[]; env: string | null; active: string | null }>(
      t,
      home,
      [
        'from hermes_cli.auth import is_source_suppressed, get_active_provider',
        'from hermes_cli.config import load_env',
        'srcs = ["gh_cli", "env:COPILOT_GITHUB_TOKEN", "env:GH_TOKEN", "env:GITHUB_TOKEN"]',
        'print(json.dumps({"suppressed": [is_source_suppressed("copilot", s) for s in srcs], "env": load_env().get("COPILOT_GITHUB_TOKEN"), "active": get_active_provider()}))',
      ].join('\n'),
    );
    assert.deepEqual(hermes, { suppressed: [true, true, true, true], env: null, active: null });
  });

  it('an unknown account is AccountNotFoundError and a malformed id or provider LifecycleInputError; auth.json and .env are untouched', async (t: TestContext) => {
    const home = tempDir(t, 'rm-bad-');
    await writeStore(home, { credential_pool: { openrouter: [apiKeyEntry('aaa000', 0, 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa')] }, active_provider: 'openrouter' });
    await fsp.writeFile(path.join(home, '.env'), 'OPENROUTER_API_KEY=x\n');
    const before = [await bytes(path.join(home, 'auth.json')), await bytes(path.join(home, '.env'))];
    await assert.rejects(removeAccount(home, 'openrouter', 'nope00'), (e: unknown) => e instanceof AccountNotFoundError && e.accountId === 'nope00');
    await assert.rejects(removeAccount(home, 'nous', 'nous'), AccountNotFoundError);
    await assert.rejects(removeAccount(home, 'copilot', 'env'), AccountNotFoundError);
    for (const [provider, id] of [['openrouter', '../x'], ['openrouter', '__proto__'], ['openrouter', ''], ['open router', 'aaa000'], ['__proto__', 'aaa000'], ['x'.repeat(70), 'aaa000']] as const) {
      await assert.rejects(removeAccount(home, provider, id), LifecycleInputError, `${provider}/${id}`);
    }
    for (const provider of ['open router', '__proto__', '../etc', 'x'.repeat(70)]) await assert.rejects(logoutProvider(home, provider), LifecycleInputError);
    assert.deepEqual([await bytes(path.join(home, 'auth.json')), await bytes(path.join(home, '.env'))], before);
  });

  it('a suppressed_sources that is not what Hermes writes is a StoreShapeError, and nothing is written', async (t: TestContext) => {
    const home = tempDir(t, 'rm-shape-');
    await writeStore(home, { suppressed_sources: ['oops'], credential_pool: { openrouter: [{ id: 'e00001', source: 'env:OPENROUTER_API_KEY', auth_type: 'api_key', priority: 0 }] } });
    const before = await bytes(path.join(home, 'auth.json'));
    await assert.rejects(removeAccount(home, 'openrouter', 'e00001'), (e: unknown) => e instanceof StoreShapeError && e.key === 'suppressed_sources');
    assert.deepEqual(await bytes(path.join(home, 'auth.json')), before);
  });

  it('a removal racing a Hermes Agent write under auth.lock loses neither change', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const home = tempDir(t, 'rm-race-');
    await writeStore(home, { credential_pool: { openrouter: [apiKeyEntry('aaa000', 0, 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa'), apiKeyEntry('bbb111', 1, 'sk-or-v1-bbbbbbbbbbbbbbbbbbbb')] } });
    // Hermes Agent takes its own auth.lock, and will bench bbb111 while still holding it
    const hermes = hermesChild(t, home, ['hold-mark', 'openrouter', 'bbb111', '429', JSON.stringify({ reason: 'rate_limit_exceeded' })]);
    await hermes.waitFor('locked');
    let waited!: () => void;
    const lockWait = new Promise<void>((resolve) => (waited = resolve));
    const removal = removeAccount(home, 'openrouter', 'aaa000', { onLockWait: () => waited() });
    await lockWait; // our removal is blocked on Hermes' flock
    hermes.send();
    await hermes.waitFor('released');
    await hermes.succeeded();
    const outcome = await removal;
    assert.deepEqual(outcome.removed.map((a) => a.id), ['aaa000']);
    const pool = (await readStore(home)).credential_pool!.openrouter!;
    assert.deepEqual(pool.map((e) => [e.id, e.priority, e.last_status, e.last_error_code]), [['bbb111', 0, 'exhausted', 429]]);
  });
});

describe('removeAccount: Anthropic sources', () => {
  it("the Claude Code link suppresses claude_code and says Claude Code's own file stays; a Hermes PKCE login's file is deleted", async (t: TestContext) => {
    const home = tempDir(t, 'rm-anthropic-');
    await fsp.writeFile(path.join(home, '.anthropic_oauth.json'), '{"accessToken":"sk-ant-oat-x"}');
    await writeStore(home, {
      credential_pool: {
        anthropic: [
          { id: 'link01', label: 'Claude Code (linked)', auth_type: 'oauth', priority: 0, source: 'claude_code_linked' },
          { id: 'pkce02', label: 'hermes_pkce', auth_type: 'oauth', priority: 1, source: 'hermes_pkce', expires_at_ms: 1 },
        ],
      },
    });
    const link = await removeAccount(home, 'anthropic', 'link01');
    assert.deepEqual(link.suppressed, ['claude_code']);
    assert.ok(link.hints.some((h) => h.includes('.credentials.json')));
    const pkce = await removeAccount(home, 'anthropic', 'pkce02');
    assert.deepEqual(pkce.cleaned, ['Cleared Hermes Anthropic OAuth credentials']);
    assert.deepEqual(pkce.suppressed, ['hermes_pkce']);
    await assert.rejects(fsp.stat(path.join(home, '.anthropic_oauth.json')), { code: 'ENOENT' });
    const store = await readStore(home);
    assert.deepEqual(store.suppressed_sources, { anthropic: ['claude_code', 'hermes_pkce'] });
    assert.deepEqual(store.credential_pool, { anthropic: [] });
  });
});

describe('logoutProvider', () => {
  it('signs Codex out like `hermes logout` (pool, singleton, active_provider) and also suppresses what would come back', async (t: TestContext) => {
    if (!needHermes(t)) return;
    const ours = tempDir(t, 'logout-ours-');
    const theirs = tempDir(t, 'logout-hermes-');
    await writeStore(ours, {
      active_provider: 'openai-codex',
      other_tool: 'kept',
      providers: { 'openai-codex': { tokens: { access_token: codexToken({ accountId: 'a1', sub: 's1', exp: FAR() }), refresh_token: 'rt-1' } }, nous: { access_token: 'nous-a' } },
      credential_pool: {
        'openai-codex': [{ id: 'man001', label: 'Codex', auth_type: 'oauth', priority: 0, source: 'manual:device_code', access_token: codexToken({ accountId: 'a2', sub: 's2', exp: FAR() }), refresh_token: 'rt-2' }],
        openrouter: [apiKeyEntry('or0001', 0, 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa')],
      },
    });
    runHermes(t, ours, ['list', 'openai-codex']); // Hermes seeds its device_code entry
    await copyHome(ours, theirs);
    const outcome = await logoutProvider(ours, 'openai-codex');
    const hermesOut = runHermes<{ output: string }>(t, theirs, ['logout', 'openai-codex']);
    assert.match(hermesOut.output, /Logged out/);
    const [o, h] = [hermesView(t, ours, 'openai-codex'), hermesView(t, theirs, 'openai-codex')];
    assert.deepEqual(o.entries, []);
    assert.deepEqual(h.entries, []);
    assert.deepEqual([o.providers, o.active], [h.providers, h.active]);
    assert.deepEqual(o.providers, ['nous']);
    assert.equal(o.active, null);
    // Hermes' logout suppresses nothing; ours also runs each source's removal step
    assert.deepEqual(o.suppressed, { 'openai-codex': ['device_code', 'manual:device_code'] });
    assert.deepEqual(outcome.removed.map((a) => a.source).sort(), ['device_code', 'manual:device_code']);
    const store = await readStore(ours);
    assert.equal(store.other_tool, 'kept');
    assert.deepEqual(Object.keys(store.credential_pool!), ['openrouter']);
  });

  it('a provider with nothing saved: an empty outcome, and auth.json is not written', async (t: TestContext) => {
    const home = tempDir(t, 'logout-empty-');
    await writeStore(home, { credential_pool: { openrouter: [apiKeyEntry('aaa000', 0, 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa')] } });
    const before = await bytes(path.join(home, 'auth.json'));
    const outcome = await logoutProvider(home, 'xai-oauth');
    assert.deepEqual(outcome, { provider: 'xai-oauth', removed: [], cleaned: [], suppressed: [], activeProviderCleared: false, hints: [] });
    assert.deepEqual(await bytes(path.join(home, 'auth.json')), before);
  });

  it('Copilot logout removes the .env token and suppresses its sources', async (t: TestContext) => {
    const home = tempDir(t, 'logout-copilot-');
    await fsp.writeFile(path.join(home, '.env'), 'A=1\nCOPILOT_GITHUB_TOKEN=gho_x\nB=2\n');
    const outcome = await logoutProvider(home, 'copilot');
    assert.equal(await fsp.readFile(path.join(home, '.env'), 'utf8'), 'A=1\nB=2\n');
    assert.deepEqual(outcome.removed.map((a) => a.id), ['env']);
    assert.deepEqual((await readStore(home)).suppressed_sources, { copilot: ['gh_cli', 'env:COPILOT_GITHUB_TOKEN', 'env:GH_TOKEN', 'env:GITHUB_TOKEN'] });
  });
});
