/**
 * GET /api/openapi.json and docs/api.md: the document is served, every documented route answers as
 * documented (the harness checks each answer against the document), and the prose lists every route
 * and every error code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/errors.js';
import { allProviders } from '../../src/providers/index.js';
import { scriptedCodeProvider, scriptedDetectProvider } from '../flows/scriptedProvider.js';
import { sseEvents, useHarness } from '../helpers/harness.js';
import { checkedRoutes, componentMismatch, documentedRoutes, openApiMismatch } from '../helpers/openapiCheck.js';

const apiDoc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');

test('the OpenAPI 3.1 document is served, and docs/api.md names every route and error code in it', async (t) => {
  const h = await useHarness(t);
  const res = await h.request({ url: '/api/openapi.json' });
  assert.equal(res.status, 200);
  assert.equal(res.body.openapi, '3.1.0');
  assert.deepEqual(Object.keys(res.body.paths).sort(), [...new Set(documentedRoutes().map((r) => r.split(' ')[1]))].sort());
  for (const route of documentedRoutes()) assert.ok(apiDoc.includes(`### ${route}`), `docs/api.md describes ${route}`);
  for (const code of ERROR_CODES) assert.ok(apiDoc.includes(`\`${code}\``), `docs/api.md lists the error code ${code}`);
});

test('every documented route answers as the document says, for each kind of sign-in', async (t) => {
  const code = scriptedCodeProvider();
  const detect = scriptedDetectProvider();
  const h = await useHarness(t, { providers: [...allProviders, code.provider, detect.provider] });

  assert.equal((await h.request({ url: '/api/health' })).status, 200);
  assert.equal((await h.request({ url: '/api/openapi.json' })).status, 200);
  assert.equal((await h.request({ url: '/api/onboarding/profiles' })).status, 200);
  assert.equal((await h.request({ url: '/api/onboarding/providers' })).status, 200);
  assert.equal((await h.request({ url: '/api/onboarding/providers?profile=nope' })).status, 400);

  // device code: start, poll, cancel, then the event stream of the ended flow
  const device = await h.startFlow();
  assert.equal((await h.poll(device.flow_id)).status, 200);
  assert.equal((await h.cancel(device.flow_id)).body.status, 'cancelled');
  const events = await h.request({ url: `/api/onboarding/oauth/events?flow_id=${device.flow_id}` });
  assert.equal(events.status, 200);
  const data = events.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
  assert.equal(data.length, 1);
  assert.equal(componentMismatch('StatusResponse', data[0]), undefined);
  assert.equal((await h.request({ url: '/api/onboarding/oauth/events?flow_id=unknown' })).status, 404);
  assert.equal((await h.cancel('unknown')).body.status, 'cancelled');

  // authorization code: the start shows the address; a pasted code is taken once
  const started = await h.request({ method: 'POST', url: '/api/onboarding/oauth/start', json: { provider: code.provider.id } });
  assert.equal(started.status, 200);
  assert.equal(started.body.kind, 'authorization_code');
  const submit = (c: string) => h.request({ method: 'POST', url: '/api/onboarding/oauth/submit', json: { flow_id: started.body.flow_id, code: c } });
  assert.equal((await submit('the-code')).status, 200);
  await h.waitForStatus(started.body.flow_id, 'success');
  assert.equal((await submit('again')).status, 400);
  assert.equal((await h.request({ method: 'POST', url: '/api/onboarding/oauth/submit', json: { flow_id: 'nope', code: 'x' } })).status, 404);
  assert.equal((await h.poll(started.body.flow_id)).body.status, 'success');

  // detect: the start says what to run
  const watching = await h.request({ method: 'POST', url: '/api/onboarding/oauth/start', json: { provider: detect.provider.id } });
  assert.equal(watching.body.kind, 'detect');
  assert.match(watching.body.action_required, /scripted login/);

  // the provider's redirect back: an unknown link is an HTML page, not JSON
  const callback = await h.request({ url: `/api/onboarding/oauth/callback/${'a'.repeat(32)}.${'b'.repeat(43)}?code=c` });
  assert.equal(callback.status, 400);
  assert.match(String(callback.headers['content-type']), /^text\/html/);
  // an API key, saved unchecked
  const key = await h.request({ method: 'POST', url: '/api/onboarding/keys', json: { provider: 'deepseek', api_key: 'sk-openapi-check-0001', verify: false } });
  assert.equal(key.status, 200, key.text);
  assert.equal((await h.request({ method: 'POST', url: '/api/onboarding/keys', json: { provider: 'deepseek', api_key: 'two words' } })).status, 400);
  // the credential lifecycle: removing, signing out, and the providers event stream (its first event)
  assert.equal((await h.request({ method: 'DELETE', url: '/api/onboarding/accounts/openai-codex/nope00' })).status, 404);
  assert.equal((await h.request({ method: 'POST', url: '/api/onboarding/logout', json: { provider: 'openai-codex' } })).status, 200);
  const base = await h.listen();
  const controller = new AbortController();
  const stream = await fetch(`${base}/api/onboarding/providers/events`, { signal: controller.signal });
  assert.equal(openApiMismatch('GET', '/api/onboarding/providers/events', stream.status, stream.headers.get('content-type') ?? undefined, undefined), undefined);
  const first = await sseEvents(stream.body!).next();
  controller.abort();
  assert.equal(first.value?.event, 'providers');
  assert.equal(componentMismatch('ProvidersResponse', JSON.parse(first.value!.data)), undefined);

  assert.equal((await h.request({ url: '/api/nowhere' })).status, 404);
  h.assertNoSecrets([], ['sk-openapi-check-0001']);
  assert.deepEqual([...checkedRoutes].sort(), documentedRoutes().sort(), 'every documented route was checked');
});
