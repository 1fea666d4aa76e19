/** GET /api/onboarding/profiles and /providers, and signing a chosen profile in. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { useHarness, type ApiResponse } from '../helpers/harness.js';

/** The openai-codex item of a providers answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function codexItem(res: ApiResponse): any {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return res.body.providers.find((p: any) => p.id === 'openai-codex');
}

test('profiles lists default and every valid folder under profiles/', async (t) => {
  const h = await useHarness(t, { profiles: ['work', 'lab-2'] });
  await mkdir(path.join(h.home, 'profiles', 'Bad Name'));
  await writeFile(path.join(h.home, 'profiles', 'afile'), '');
  const res = await h.request({ url: '/api/onboarding/profiles' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ok: true, active: 'default', profiles: ['default', 'lab-2', 'work'] });
});

test('providers lists openai-codex (not connected yet), every provider with its methods, and the providers not supported in-app', async (t) => {
  const h = await useHarness(t);
  const res = await h.request({ url: '/api/onboarding/providers' });
  assert.equal(res.status, 200);
  assert.equal(res.body.ok, true);
  assert.equal(res.body.profile, 'default');
  const codex = codexItem(res);
  assert.equal(codex.kind, 'device_code');
  assert.equal(codex.connected, false);
  assert.deepEqual(codex.accounts, []);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const qwen = res.body.providers.find((p: any) => p.id === 'qwen-oauth');
  assert.ok(qwen, 'qwen-oauth is listed');
  assert.equal(qwen.supported, false);
  assert.equal(qwen.connected, false);
  assert.deepEqual(qwen.methods, []);
  for (const p of res.body.providers) {
    for (const key of ['id', 'label', 'kind', 'methods', 'connected', 'accounts']) assert.ok(key in p, `${p.id} has ${key}`);
    assert.ok(['device_code', 'authorization_code', 'detect', 'api_key', 'link', 'paste'].includes(p.kind), p.id);
    // a supported provider's kind is its first method
    if (p.supported) assert.equal(p.kind, p.methods[0], p.id);
  }
});

test('a sign-in into profile work writes <root>/profiles/work/auth.json only, and providers?profile=work shows it', async (t) => {
  const h = await useHarness(t, { profiles: ['work'] });
  const { start } = await h.signIn({ email: 'ada@example.com', plan: 'team' }, { provider: 'openai-codex', profile: 'work' });
  assert.equal(await h.authBytes('default'), undefined, 'nothing written into the root');
  assert.equal(await h.authMode('work'), 0o600);
  const auth = await h.readAuth('work');
  assert.equal(auth.credential_pool['openai-codex'].length, 1);
  const entryId = auth.credential_pool['openai-codex'][0].id;

  const work = await h.request({ url: '/api/onboarding/providers?profile=work' });
  assert.equal(work.status, 200);
  assert.equal(work.body.profile, 'work');
  const codex = codexItem(work);
  assert.equal(codex.connected, true);
  const expiresAt = codex.accounts[0]?.expires_at;
  assert.ok(typeof expiresAt === 'number' && expiresAt > h.clock.now() / 1000, 'the access token expiry, from its JWT exp');
  assert.deepEqual(codex.accounts, [
    { id: entryId, label: 'Codex OAuth (ada@example.com)', email: 'ada@example.com', plan: 'team', source: 'device_code', expires_at: expiresAt, health: 'ok', relogin_required: false, used_first: true },
  ]);

  const root = await h.request({ url: '/api/onboarding/providers' });
  assert.equal(codexItem(root).connected, false, 'the root profile is still not connected');
  assert.equal((await h.poll(start.flow_id)).body.status, 'success');
  h.assertNoSecrets();
});

test('flows are per profile: a pending flow for default does not stand in for work', async (t) => {
  const h = await useHarness(t, { profiles: ['work'] });
  const root = await h.startFlow();
  const work = await h.startFlow({ provider: 'openai-codex', profile: 'work' });
  const explicitDefault = await h.startFlow({ provider: 'openai-codex', profile: 'default' });
  assert.notEqual(root.flow_id, work.flow_id);
  assert.equal(explicitDefault.flow_id, root.flow_id, '"default" is the root profile');
  assert.equal(h.fake.counts.usercode, 2);
});

test('providers with a bad or missing profile answers 400', async (t) => {
  const h = await useHarness(t);
  for (const profile of ['..%2Fx', 'NoSuch', 'nosuch']) {
    const res = await h.request({ url: `/api/onboarding/providers?profile=${profile}` });
    assert.equal(res.status, 400, profile);
    assert.equal(res.body.ok, false);
    assert.match(res.body.error, /profile/i);
  }
});

test('an active_profile naming a missing profile is a clear 400 everywhere, not a 500', async (t) => {
  const h = await useHarness(t, { homeFlag: false, profiles: ['work'] });
  await writeFile(path.join(h.home, 'active_profile'), 'gone\n');
  for (const url of ['/api/onboarding/profiles', '/api/onboarding/providers']) {
    const res = await h.request({ url });
    assert.equal(res.status, 400, `${url}: ${res.text}`);
    assert.match(res.body.error, /gone/);
  }
  await writeFile(path.join(h.home, 'active_profile'), 'work\n');
  const res = await h.request({ url: '/api/onboarding/profiles' });
  assert.deepEqual(res.body, { ok: true, active: 'work', profiles: ['default', 'work'] });
});

test('a malformed credential pool in auth.json lists as empty and a sign-in into it fails clearly, leaving the file as it was', async (t) => {
  const h = await useHarness(t);
  const malformed = { version: 1, credential_pool: { 'openai-codex': { not: 'a list' } } };
  await h.writeAuth(malformed);
  const before = await h.authBytes();
  const list = await h.request({ url: '/api/onboarding/providers' });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(codexItem(list).accounts, []);
  const { flow_id, user_code } = await h.startFlow();
  h.fake.approve(user_code);
  await h.advancePoll();
  const end = await h.waitForStatus(flow_id, 'error');
  assert.match(end.error ?? '', /credential_pool\.openai-codex" is not a list/);
  assert.deepEqual(await h.authBytes(), before, 'auth.json unchanged');
});
