/**
 * GET /api/onboarding/providers/events over a real socket: the providers payload at once, then a fresh one
 * when another process changes the profile's auth.json (Hermes Agent's own code benching an account) or
 * .env, without a reload; the poll fallback where watching is off; one watcher per home, gone with the
 * last subscriber.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { guarded, sseEvents, useHarness, type Harness, type SseEvent } from '../helpers/harness.js';
import { componentMismatch, openApiMismatch } from '../helpers/openapiCheck.js';
import { hermesChild, needHermes } from '../store/hermesAgent.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requirePython } from '../helpers/python.js';
import { needPython } from '../store/helpers.js';
import { codexToken } from '../store/lifecycleFixtures.js';

const NOW = Date.UTC(2026, 0, 1) / 1000;

function store() {
  const entry = (id: string, priority: number) => ({
    id,
    label: id,
    auth_type: 'oauth',
    priority,
    source: 'manual:device_code',
    access_token: codexToken({ accountId: `acct-${id}`, sub: `sub-${id}`, exp: NOW + 3600 }),
    refresh_token: `rt-${id}-0123456789`,
    base_url: 'https://chatgpt.com/backend-api/codex',
  });
  return { version: 1, providers: {}, credential_pool: { 'openai-codex': [entry('ada001', 0), entry('bob002', 1)] } };
}

/** A Python process adds a Codex pool entry to `<home>/auth.json` under an exclusive flock on auth.lock, replacing the file as Hermes Agent does. */
async function pythonWritesCodexEntry(home: string): Promise<void> {
  const code = [
    'import fcntl, json, os, sys',
    'home = sys.argv[1]',
    "with open(os.path.join(home, 'auth.lock'), 'a+') as lock:",
    '    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)',
    "    path = os.path.join(home, 'auth.json')",
    "    store = json.load(open(path)) if os.path.exists(path) else {'version': 1, 'providers': {}}",
    "    store.setdefault('credential_pool', {})['openai-codex'] = [json.loads(sys.argv[2])]",
    "    with open(path + '.tmp', 'w') as f:",
    '        json.dump(store, f)',
    "    os.replace(path + '.tmp', path)",
  ].join('\n');
  const entry = store().credential_pool['openai-codex'][0];
  await promisify(execFile)(requirePython(['fcntl']), ['-c', code, home, JSON.stringify(entry)], { timeout: 30_000 });
}

/** Opens the providers event stream; returns the reader and a way to close it. */
async function openStream(h: Harness, query = '') {
  const base = await h.listen();
  const controller = new AbortController();
  const res = await fetch(`${base}/api/onboarding/providers/events${query}`, { signal: controller.signal });
  assert.equal(res.status, 200);
  assert.equal(openApiMismatch('GET', '/api/onboarding/providers/events', res.status, res.headers.get('content-type') ?? undefined, undefined), undefined);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.ok(res.body);
  const events = sseEvents(res.body);
  return {
    events,
    close: () => {
      controller.abort();
      void events.return(undefined).catch(() => {});
    },
  };
}

/** The next `providers` event's payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function nextProviders(events: AsyncGenerator<SseEvent>): Promise<any> {
  const next = await guarded(events.next(), 'the next providers event');
  assert.equal(next.done, false, 'the stream ended early');
  assert.equal(next.value!.event, 'providers');
  const payload = JSON.parse(next.value!.data);
  assert.equal(componentMismatch('ProvidersResponse', payload), undefined);
  return payload;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const codexHealth = (payload: any) => payload.providers.find((p: { id: string }) => p.id === 'openai-codex').accounts.map((a: { id: string; health: string }) => [a.id, a.health]);

test('providers/events: the payload at once, then the change Hermes Agent makes to auth.json from another process, without a reload', async (t) => {
  if (!needHermes(t)) return;
  const h = await useHarness(t);
  await h.writeAuth(store());
  const stream = await openStream(h);
  t.after(stream.close);
  assert.deepEqual(codexHealth(await nextProviders(stream.events)), [['ada001', 'ok'], ['bob002', 'ok']]);

  // Hermes Agent's own pool kills ada001 (401 token_revoked), in its own process under its own lock
  const hermes = hermesChild(t, h.home, ['hold-mark', 'openai-codex', 'ada001', '401', JSON.stringify({ reason: 'token_revoked', message: 'revoked' })]);
  await hermes.waitFor('locked');
  hermes.send();
  await hermes.succeeded();
  assert.deepEqual(codexHealth(await nextProviders(stream.events)), [['ada001', 'dead'], ['bob002', 'ok']]);
  h.assertNoSecrets([], ['rt-ada001-0123456789', 'rt-bob002-0123456789']);
});

test('providers/events: a .env change (a Copilot token written by another program) is pushed too, for the profile asked for', async (t) => {
  const h = await useHarness(t, { profiles: ['work'] });
  const stream = await openStream(h, '?profile=work');
  t.after(stream.close);
  const first = await nextProviders(stream.events);
  assert.equal(first.profile, 'work');
  assert.equal(first.providers.find((p: { id: string }) => p.id === 'copilot').connected, false);
  await writeFile(path.join(h.profileHome('work'), '.env'), 'COPILOT_GITHUB_TOKEN=ghu_abcdefghijklmnop\n');
  const next = await nextProviders(stream.events);
  assert.deepEqual(next.providers.find((p: { id: string }) => p.id === 'copilot').accounts.map((a: { id: string }) => a.id), ['env']);
  h.assertNoSecrets([], ['ghu_abcdefghijklmnop']);
});

test('providers/events: where watching is off, the poll fallback notices a change made by a Python process once the poll interval passes', async (t) => {
  if (!needPython(t)) return;
  const h = await useHarness(t, { watch: { forcePoll: true, pollMs: 2000 } });
  const stream = await openStream(h);
  t.after(stream.close);
  assert.equal((await nextProviders(stream.events)).providers.find((p: { id: string }) => p.id === 'openai-codex').connected, false);
  await pythonWritesCodexEntry(h.home);
  await h.clock.advance(2000);
  const next = await nextProviders(stream.events);
  assert.equal(next.providers.find((p: { id: string }) => p.id === 'openai-codex').connected, true);
});

test('providers/events: 400 for a bad profile, before any stream opens', async (t) => {
  const h = await useHarness(t);
  const res = await h.request({ url: '/api/onboarding/providers/events?profile=nope' });
  assert.equal(res.status, 400);
  assert.equal(res.body.ok, false);
});

test('providers/events: open streams end and the watchers close when the app closes', async (t) => {
  const h = await useHarness(t);
  const stream = await openStream(h);
  t.after(stream.close);
  await nextProviders(stream.events);
  await h.app.close();
  // the server ends the stream, or drops the connection while closing: either way the reader is not left waiting
  const ended = await guarded(
    stream.events.next().then(
      (r) => r.done === true,
      () => true,
    ),
    'the end of the stream',
  );
  assert.equal(ended, true);
});
