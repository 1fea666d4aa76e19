/**
 * A GitHub-style device flow on 127.0.0.1, with GitHub's habits: POST /login/device/code and
 * /login/oauth/access_token; every protocol error (authorization_pending, slow_down with a new
 * `interval`, incorrect_device_code, device_flow_disabled…) sent with HTTP 200; answers form-encoded
 * unless the request says `Accept: application/json` (or always, with `formAnswers`); polling faster
 * than the interval answers slow_down and adds 5 s.
 */
import { randomBytes } from 'node:crypto';
import { startDeviceFake, type DeviceFake, type FakeRequest } from './nousFake.js';

export const GITHUB_FAKE_CLIENT_ID = 'Iv1.b507a08c87ecfe98';

/** Options of the GitHub fake; flags may be changed while it runs. */
export interface GithubFakeOptions {
  now?: () => number;
  /** Answer form-encoded even when JSON was asked for (older GitHub Enterprise, proxies). */
  formAnswers?: boolean;
  /** Device flow switched off for the app: every request answers device_flow_disabled. */
  deviceFlowDisabled?: boolean;
  /** Interval in the device answer (GitHub sends a number in JSON, a string in form bodies). */
  interval?: number;
}

/** A running GitHub fake; `settings` can be changed between requests. */
export interface GithubFake extends DeviceFake {
  settings: GithubFakeOptions;
}

/** True when the request asked for JSON, as GitHub decides. */
function wantsJson(req: FakeRequest): boolean {
  return String(req.headers.accept ?? '').includes('application/json');
}

/** Starts the GitHub-style fake. */
export async function startGithubFake(options: GithubFakeOptions = {}): Promise<GithubFake> {
  const settings: GithubFakeOptions = { ...options };
  const fake = await startDeviceFake({
    devicePath: '/login/device/code',
    tokenPath: '/login/oauth/access_token',
    clientId: GITHUB_FAKE_CLIENT_ID,
    ...(settings.now ? { now: settings.now } : {}),
    interval: settings.interval ?? 5,
    expiresIn: 899,
    verificationPath: '/login/device',
    sendComplete: false,
    errorStatus: () => 200,
    unknownClientError: 'incorrect_client_credentials',
    unknownDeviceCodeError: 'incorrect_device_code',
    answerForm: (req) => Boolean(settings.formAnswers) || !wantsJson(req),
    slowDownWhenTooFast: true,
    refusal: () => (settings.deviceFlowDisabled ? 'device_flow_disabled' : undefined),
    async issueTokens(record) {
      return {
        access_token: `ghu_${randomBytes(18).toString('hex')}`,
        token_type: 'bearer',
        scope: record.scope,
        expires_in: 28800,
        refresh_token: `ghr_${randomBytes(30).toString('hex')}`,
        refresh_token_expires_in: 15811200,
      };
    },
  });
  return Object.assign(fake, { settings });
}
