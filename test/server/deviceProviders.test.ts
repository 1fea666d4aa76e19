/**
 * Every device-code provider over the HTTP API, against the loopback fakes (Codex fake, Nous fake, oidc-provider
 * as xAI, GitHub fake): Hermes Agent's aliases are accepted by start, the start payload carries
 * `verification_uri_complete` exactly when the provider sends one, and after a sign-in each provider is listed
 * as connected with its account.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StartPayload } from '../../src/contract.js';
import { startGithubFake } from '../fakes/githubFake.js';
import { startNousFake } from '../fakes/nousFake.js';
import { startOidcDeviceServer } from '../fakes/oidcDeviceServer.js';
import { useHarness } from '../helpers/harness.js';

/** One device-code provider: the alias a user may type, and how its fake approves a code. */
interface DeviceCase {
  alias: string;
  id: string;
  /** Whether the provider sends verification_uri_complete. */
  sendsComplete: boolean;
  approve(userCode: string): Promise<void>;
  /** The account label the flow's success payload carries. */
  signedInAs: string;
  /** The fields of the account `GET /api/onboarding/providers` must then show. */
  account: Record<string, unknown>;
}

test('aliases start their providers; verification_uri_complete only when sent; all four device-code providers listed, then connected', async (t) => {
  const now = () => harness.clock.now(); // called only once the harness below exists
  const nous = await startNousFake({ now });
  const xai = await startOidcDeviceServer({ now });
  const github = await startGithubFake({ now });
  t.after(() => Promise.all([nous.close(), xai.close(), github.close()]));
  const harness = await useHarness(t, {
    env: { HERMES_ONBOARD_NOUS_ISSUER: nous.url, HERMES_ONBOARD_XAI_OAUTH_ISSUER: xai.url, HERMES_ONBOARD_COPILOT_ISSUER: github.url },
  });

  const cases: DeviceCase[] = [
    {
      alias: 'codex',
      id: 'openai-codex',
      sendsComplete: false,
      approve: async (code) => void harness.fake.approve(code, { email: 'ada@example.com', plan: 'plus' }),
      signedInAs: 'Codex OAuth (ada@example.com)',
      account: { label: 'Codex OAuth (ada@example.com)', email: 'ada@example.com', plan: 'plus' },
    },
    {
      alias: 'nous',
      id: 'nous',
      sendsComplete: true,
      approve: async (code) => nous.approve(code, 'nous-user'),
      signedInAs: 'Nous Portal',
      account: { id: 'nous', label: 'Nous Portal' },
    },
    {
      alias: 'xai',
      id: 'xai-oauth',
      sendsComplete: true,
      approve: (code) => xai.approve(code, { sub: 'grok-sub', email: 'grok@example.com' }),
      signedInAs: 'xAI Grok (grok@example.com)',
      // details come from the stored access token (what Hermes Agent keeps); this server's are opaque, so only
      // the label names the account (xAI's own access tokens are JWTs naming it)
      account: { label: 'xAI Grok (grok@example.com)', email: undefined },
    },
    {
      alias: 'github-copilot',
      id: 'copilot',
      sendsComplete: false,
      approve: async (code) => github.approve(code),
      signedInAs: 'GitHub Copilot',
      account: { id: 'env', label: 'GitHub token in .env' },
    },
  ];

  const listed = async () => {
    const res = await harness.request({ url: '/api/onboarding/providers' });
    assert.equal(res.status, 200, res.text);
    return res.body.providers as Array<{ id: string; kind: string; supported: boolean; connected: boolean; accounts: Array<Record<string, unknown>> }>;
  };
  // MiniMax is a device-code provider too, with its own fake and regions: test/server/signIns.test.ts
  const deviceIds = (await listed()).filter((p) => p.kind === 'device_code' && p.supported && p.id !== 'minimax-oauth').map((p) => p.id);
  assert.deepEqual(deviceIds.sort(), cases.map((c) => c.id).sort(), 'all four device-code providers are listed as supported');
  assert.ok((await listed()).every((p) => !p.connected), 'nothing is connected before a sign-in');

  for (const c of cases) {
    const res = await harness.start({ provider: c.alias });
    assert.equal(res.status, 200, `${c.alias}: ${res.text}`);
    const start = res.body as StartPayload;
    assert.equal(start.provider, c.id, `the alias ${c.alias} starts ${c.id}`);
    if (c.sendsComplete) {
      const complete = start.verification_uri_complete ?? '';
      assert.ok(complete.startsWith(start.verification_uri), `${c.id} passes verification_uri_complete on`);
      assert.ok(complete.includes(start.user_code), `${c.id}: the complete address carries the code`);
    } else {
      assert.equal('verification_uri_complete' in start, false, `${c.id} sends none, so the payload has none`);
    }
    const again = await harness.start({ provider: c.id });
    assert.equal(again.body.flow_id, start.flow_id, `${c.alias} and ${c.id} share one pending flow`);

    await c.approve(start.user_code);
    await harness.advancePoll();
    const status = await harness.waitForStatus(start.flow_id, 'success');
    assert.equal(status.account?.label, c.signedInAs);
  }

  const providers = await listed();
  for (const c of cases) {
    const entry = providers.find((p) => p.id === c.id)!;
    assert.equal(entry.connected, true, `${c.id} is connected after its sign-in`);
    assert.equal(entry.accounts.length, 1, `${c.id}: one account`);
    const shown = entry.accounts[0]!;
    const picked = Object.fromEntries(Object.keys(c.account).map((k) => [k, shown[k]]));
    assert.deepEqual(picked, c.account, `${c.id}: the account shown`);
    assert.equal(typeof shown.id, 'string');
  }
  assert.ok(providers.filter((p) => !p.supported).every((p) => !p.connected && p.accounts.length === 0));

  const auth = await harness.readAuth();
  const xaiSaved = auth.credential_pool['xai-oauth'].flatMap((e: Record<string, string>) => [e.access_token, e.refresh_token]);
  assert.ok(xaiSaved.every((token: string) => xai.issued.includes(token)), 'the xAI fake recorded the tokens that were saved');
  assert.ok(xai.issued.length >= 4, 'a device code and access, refresh and id tokens were issued');
  const issued = [
    ...[...nous.records.values(), ...github.records.values()].flatMap((r) => [r.deviceCode, String(r.issued?.access_token), String(r.issued?.refresh_token)]),
    ...xai.issued,
  ];
  harness.assertNoSecrets([], issued); // every answer the harness saw (the starts included) and every log line
});
