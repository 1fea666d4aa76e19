/**
 * Outbound provider requests honour HTTPS_PROXY / HTTP_PROXY with NO_PROXY, and NODE_EXTRA_CA_CERTS, in the real
 * command line. The Codex fake sits behind a TLS terminator whose certificate a test CA (made with openssl)
 * signed; the issuer is a name that is not loopback (auth.test.invalid), which only the test proxy resolves (to
 * 127.0.0.1), so nothing but 127.0.0.1 is ever contacted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCodexFake, type CodexFake } from '../fakes/codexFake.js';
import { startForwardProxy, startTlsTerminator, type ForwardProxy } from '../fakes/relays.js';
import { postJson, startCli } from '../helpers/cliChild.js';
import { assertNoLeak } from '../helpers/harness.js';
import { allowedSkip } from '../helpers/requirements.js';
import { makeTestPki, opensslMissingReason, type TestPki } from '../helpers/testCa.js';
import { tempDir } from '../store/helpers.js';

/** A name that never resolves in DNS; only the test proxy knows it. */
const ISSUER_HOST = 'auth.test.invalid';

/** Why these tests cannot run here (no openssl to make the test CA); the reporter prints it with the skip. */
const skip = allowedSkip(opensslMissingReason());

describe('outbound requests: proxy and extra CAs', { skip }, () => {
  let pkiDir: string;
  let pki: TestPki;
  let fake: CodexFake;
  let tlsPort: number;
  let proxy: ForwardProxy;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    pkiDir = mkdtempSync(path.join(os.tmpdir(), 'hermes-pki-'));
    pki = makeTestPki(pkiDir, [ISSUER_HOST, 'localhost']);
    fake = await startCodexFake();
    const terminator = await startTlsTerminator({ cert: pki.cert, key: pki.key, targetPort: Number(new URL(fake.issuer).port) });
    tlsPort = terminator.port;
    proxy = await startForwardProxy({ [ISSUER_HOST]: '127.0.0.1' });
    closers.push(() => proxy.close(), () => terminator.close(), () => fake.close());
  });
  after(async () => {
    for (const close of closers) await close();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  /** Starts a child server with `env`, POSTs a Codex start to it, checks no issued secret is in the answer or the output, and returns the answer. */
  async function startCodex(t: Parameters<typeof tempDir>[0], env: Record<string, string>) {
    const server = await startCli(t, tempDir(t, 'hermes-outbound-'), env);
    const start = await postJson(`${server.url}/api/onboarding/oauth/start`, { provider: 'openai-codex' });
    assertNoLeak([JSON.stringify(start.body), ...server.output, server.stderr()], fake.issued);
    return start;
  }

  const viaProxy = () => ({
    HTTPS_PROXY: proxy.url,
    HTTP_PROXY: proxy.url,
    NODE_EXTRA_CA_CERTS: pki.caPath,
    HERMES_ONBOARD_OPENAI_CODEX_ISSUER: `https://${ISSUER_HOST}:${tlsPort}`,
  });

  test('HTTPS_PROXY: the provider is reached through the proxy (CONNECT) and the start succeeds', async (t) => {
    const seen = proxy.seen.length;
    const usercodes = fake.counts.usercode;
    const start = await startCodex(t, viaProxy());
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(start.body.verification_uri, `https://${ISSUER_HOST}:${tlsPort}/codex/device`);
    assert.deepEqual(proxy.seen.slice(seen), [`CONNECT ${ISSUER_HOST}:${tlsPort}`], 'one tunnel through the proxy');
    assert.equal(fake.counts.usercode - usercodes, 1, 'the request reached the provider');
  });

  test('NO_PROXY naming the issuer host bypasses the proxy (the name then does not resolve: a clear 502)', async (t) => {
    const seen = proxy.seen.length;
    const usercodes = fake.counts.usercode;
    const start = await startCodex(t, { ...viaProxy(), NO_PROXY: ISSUER_HOST });
    assert.equal(start.status, 502, JSON.stringify(start.body));
    assert.match(String(start.body.error), new RegExp(`Could not reach ${ISSUER_HOST.replace(/\./g, '\\.')}:${tlsPort}`));
    assert.deepEqual(proxy.seen.slice(seen), [], 'the proxy saw nothing');
    assert.equal(fake.counts.usercode, usercodes);
  });

  test('a loopback issuer never goes through the proxy', async (t) => {
    const seen = proxy.seen.length;
    const start = await startCodex(t, { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.deepEqual(proxy.seen.slice(seen), [], 'the proxy saw nothing');
  });

  test('NODE_EXTRA_CA_CERTS: a provider certificate from a private CA fails without it (502) and works with it', async (t) => {
    const issuer = `https://localhost:${tlsPort}`;
    const usercodes = fake.counts.usercode;
    const refused = await startCodex(t, { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: issuer });
    assert.equal(refused.status, 502, JSON.stringify(refused.body));
    assert.match(String(refused.body.error), /localhost:\d+'s TLS certificate is not trusted \([A-Z_]*(CERT|SIGNATURE|ISSUER)[A-Z_]*\)\. If it uses a private CA, start the server with NODE_EXTRA_CA_CERTS/);
    assert.equal(fake.counts.usercode, usercodes, 'no request got past the TLS handshake');

    const trusted = await startCodex(t, { HERMES_ONBOARD_OPENAI_CODEX_ISSUER: issuer, NODE_EXTRA_CA_CERTS: pki.caPath });
    assert.equal(trusted.status, 200, JSON.stringify(trusted.body));
    assert.equal(trusted.body.verification_uri, `${issuer}/codex/device`);
    assert.equal(fake.counts.usercode - usercodes, 1);
  });
});
