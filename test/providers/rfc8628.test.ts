/**
 * The RFC 8628 engine: its helpers, and one shared suite run over every standard device-grant provider
 * (Nous, xAI, Copilot) through the flow engine: single flight, cancel, expiry and success behave as for Codex.
 */
import { loadConfig } from '../../src/config.js';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { FlowEngine } from '../../src/flows/engine.js';
import type { FlowRecord } from '../../src/flows/flow.js';
import type { Config } from '../../src/config.js';
import { copilotProvider } from '../../src/providers/copilot.js';
import { ProviderError } from '../../src/providers/errors.js';
import { nousProvider } from '../../src/providers/nous.js';
import {
  DEFAULT_EXPIRES_IN_SECONDS,
  MAX_EXPIRES_IN_SECONDS,
  normalizeExpiresIn,
  normalizeInterval,
  parseSeconds,
} from '../../src/providers/answerFields.js';
import { resolveIssuer } from '../../src/providers/issuer.js';
import type { Provider } from '../../src/providers/types.js';
import { isLoopbackHost } from '../../src/util/http.js';
import { xaiProvider } from '../../src/providers/xai.js';
import { ManualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { startGithubFake } from '../fakes/githubFake.js';
import { startNousFake, type DeviceFake } from '../fakes/nousFake.js';
import { startOidcDeviceServer } from '../fakes/oidcDeviceServer.js';
import type { RequestGate } from '../fakes/requestGate.js';
import { settleIo } from '../helpers/harness.js';
import { tempDir } from '../store/helpers.js';

describe('rfc8628 helpers', () => {
  it('reads intervals sent as numbers or strings, defaults to 5 s and never goes below 1 s', () => {
    assert.equal(normalizeInterval(7), 7);
    assert.equal(normalizeInterval('7'), 7);
    assert.equal(normalizeInterval(' 10 '), 10);
    assert.equal(normalizeInterval(2.5), 3);
    assert.equal(normalizeInterval(undefined), 5);
    assert.equal(normalizeInterval('soon'), 5);
    assert.equal(normalizeInterval(0), 1);
    assert.equal(normalizeInterval('0'), 1);
    assert.equal(parseSeconds('1e3'), undefined);
    assert.equal(parseSeconds(Number.NaN), undefined);
  });

  it('defaults and caps the code lifetime', () => {
    assert.equal(normalizeExpiresIn(900), 900);
    assert.equal(normalizeExpiresIn('600'), 600);
    assert.equal(normalizeExpiresIn(undefined), DEFAULT_EXPIRES_IN_SECONDS);
    assert.equal(normalizeExpiresIn(-1), DEFAULT_EXPIRES_IN_SECONDS);
    assert.equal(normalizeExpiresIn(86_400), MAX_EXPIRES_IN_SECONDS);
  });

  it('resolves the issuer override: plain http only for loopback', () => {
    assert.deepEqual(resolveIssuer(loadConfig({}), 'xai-oauth', 'https://auth.x.ai'), {
      url: 'https://auth.x.ai',
      overridden: false,
      loopback: false,
      insecure: false,
      envName: 'HERMES_ONBOARD_XAI_OAUTH_ISSUER',
    });
    const local = resolveIssuer(loadConfig({ HERMES_ONBOARD_NOUS_ISSUER: 'http://127.0.0.1:9000/' }), 'nous', 'https://x');
    assert.deepEqual(local, { url: 'http://127.0.0.1:9000', overridden: true, loopback: true, insecure: true, envName: 'HERMES_ONBOARD_NOUS_ISSUER' });
    assert.throws(() => resolveIssuer(loadConfig({ HERMES_ONBOARD_NOUS_ISSUER: 'http://portal.example' }), 'nous', 'https://x'), ProviderError);
    assert.throws(() => resolveIssuer(loadConfig({ HERMES_ONBOARD_NOUS_ISSUER: 'not a url' }), 'nous', 'https://x'), ProviderError);
    assert.equal(isLoopbackHost('127.1.2.3'), true);
    assert.equal(isLoopbackHost('[::1]'), true);
    assert.equal(isLoopbackHost('127.0.0.1.evil.example'), false);
  });
});

/** What a device-code flow shows the user. */
function device(flow: FlowRecord): Extract<FlowRecord['public'], { kind: 'device_code' }> {
  assert.ok(flow.public?.kind === 'device_code', 'a started device-code flow');
  return flow.public;
}

/** The controls of a running fake, as the shared suite needs them. */
interface SuiteFake {
  config: Config;
  approve(userCode: string): Promise<void>;
  deviceRequests(): number;
  tokenRequests(): number;
  /** Holds the token endpoint's requests until released. */
  holdToken(): RequestGate;
  close(): Promise<void>;
}

/** One provider and its loopback fake. */
interface Case {
  provider: Provider;
  /** Starts the fake; returns the env pointing at it and its controls. */
  start(clock: ManualClock): Promise<SuiteFake>;
  /** The file a successful sign-in writes in the home. */
  savedFile: string;
}

/** What tells one standard device-grant fake (startDeviceFake) from another: its issuer variable and paths. */
interface DeviceFakeCase extends Omit<Case, 'start'> {
  issuerEnv: string;
  devicePath: string;
  tokenPath: string;
  startFake(now: () => number): Promise<DeviceFake>;
}

/** A case whose fake is a standard device-grant fake. */
function deviceFakeCase({ issuerEnv, devicePath, tokenPath, startFake, ...rest }: DeviceFakeCase): Case {
  return {
    ...rest,
    async start(clock) {
      const fake = await startFake(() => clock.now());
      const count = (p: string) => fake.requests.filter((r) => r.path === p).length;
      return {
        config: loadConfig({ [issuerEnv]: fake.url }),
        approve: async (code) => fake.approve(code),
        deviceRequests: () => count(devicePath),
        tokenRequests: () => count(tokenPath),
        holdToken: () => fake.hold('token'),
        close: () => fake.close(),
      };
    },
  };
}

const cases: Case[] = [
  deviceFakeCase({
    provider: nousProvider,
    savedFile: 'auth.json',
    issuerEnv: 'HERMES_ONBOARD_NOUS_ISSUER',
    devicePath: '/api/oauth/device/code',
    tokenPath: '/api/oauth/token',
    startFake: (now) => startNousFake({ now }),
  }),
  {
    provider: xaiProvider,
    savedFile: 'auth.json',
    async start(clock) {
      const server = await startOidcDeviceServer({ now: () => clock.now() });
      return {
        config: loadConfig({ HERMES_ONBOARD_XAI_OAUTH_ISSUER: server.url }),
        approve: (code) => server.approve(code, { sub: 'shared-suite', email: 'suite@example.com' }),
        deviceRequests: () => server.deviceRequests(),
        tokenRequests: () => server.tokenRequests.length,
        holdToken: () => server.holdToken(),
        close: () => server.close(),
      };
    },
  },
  deviceFakeCase({
    provider: copilotProvider,
    savedFile: '.env',
    issuerEnv: 'HERMES_ONBOARD_COPILOT_ISSUER',
    devicePath: '/login/device/code',
    tokenPath: '/login/oauth/access_token',
    startFake: (now) => startGithubFake({ now }),
  }),
];

for (const c of cases) {
  describe(`${c.provider.id} through the flow engine`, () => {
    let clock: ManualClock;
    let fake: SuiteFake;
    let engine: FlowEngine;

    before(async () => {
      clock = new ManualClock(Date.now());
      fake = await c.start(clock);
      engine = new FlowEngine({ clock, logger: silentLogger(), config: fake.config });
    });
    after(async () => {
      await engine.close();
      await fake.close();
    });

    /** A fresh Hermes home, removed when the test ends. */
    const newHome = (t: TestContext) => tempDir(t, `suite-${c.provider.id}-`);
    const exists = (file: string) => fsp.stat(file).then(() => true, () => false);

    it('single flight: 20 concurrent starts share one flow and one device request', async (t) => {
      const home = newHome(t);
      const before = fake.deviceRequests();
      const flows = await Promise.all(Array.from({ length: 20 }, () => engine.start(c.provider, home, 'default')));
      assert.equal(new Set(flows.map((f) => f.id)).size, 1);
      assert.equal(fake.deviceRequests() - before, 1);
      await engine.cancel(flows[0]!.id);
    });

    it('cancel before approval: nothing is asked or written afterwards, and it stays cancelled', async (t) => {
      const home = newHome(t);
      const flow = await engine.start(c.provider, home, 'default');
      const tokensBefore = fake.tokenRequests();
      assert.equal((await engine.cancel(flow.id))?.status, 'cancelled');
      await fake.approve(device(flow).userCode);
      await clock.advance(60_000);
      assert.equal((await engine.get(flow.id))?.status, 'cancelled');
      assert.equal(fake.tokenRequests(), tokensBefore);
      assert.equal(await exists(path.join(home, c.savedFile)), false);
    });

    it('cancel while the final token request is in flight: cancelled, the request aborted, nothing written', async (t) => {
      const home = newHome(t);
      const flow = await engine.start(c.provider, home, 'default');
      await fake.approve(device(flow).userCode);
      const gate = fake.holdToken();
      t.after(() => gate.release());
      await clock.advance(device(flow).intervalSeconds * 1000);
      await gate.reached; // the poll that will carry the tokens has reached the provider
      const signal = engine.signalOf(flow.id);
      assert.equal((await engine.cancel(flow.id))?.status, 'cancelled');
      assert.ok(signal?.aborted, 'the request in flight is aborted');
      gate.release(); // the provider now answers with the tokens, to nobody
      await engine.waitForEnd(flow.id);
      await clock.advance(60_000);
      await settleIo();
      assert.equal((await engine.get(flow.id))?.status, 'cancelled');
      assert.equal(await exists(path.join(home, c.savedFile)), false);
      assert.deepEqual(await c.provider.accounts(home), []);
    });

    it('expiry: the flow ends expired at its expires_at and writes nothing', async (t) => {
      const home = newHome(t);
      const flow: FlowRecord = await engine.start(c.provider, home, 'default');
      await clock.advance(flow.expiresAt - clock.now());
      const end = await engine.waitForEnd(flow.id);
      assert.equal(end?.status, 'expired');
      assert.equal(await exists(path.join(home, c.savedFile)), false);
    });

    it('success: approved, saved, and listed', async (t) => {
      const home = newHome(t);
      const flow = await engine.start(c.provider, home, 'default');
      await fake.approve(device(flow).userCode);
      await clock.advance(device(flow).intervalSeconds * 1000);
      const end = await engine.waitForEnd(flow.id);
      assert.equal(end?.status, 'success', end?.error);
      assert.ok(end?.account?.label);
      assert.equal((await fsp.stat(path.join(home, c.savedFile))).mode & 0o777, 0o600);
      assert.equal((await c.provider.accounts(home)).length, 1);
    });
  });
}
