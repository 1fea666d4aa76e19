/**
 * In-process providers driven by a script, one per sign-in kind, for testing the provider-agnostic flow
 * engine and its drivers with a ManualClock. (Protocol behaviour is tested against real HTTP fakes elsewhere.)
 */
import { TransientProviderError, ProviderError } from '../../src/providers/errors.js';
import {
  defineProvider,
  type AccountSummary,
  type DeviceAuthorization,
  type ObtainedCredentials,
  type PollOutcome,
  type StepBounds,
} from '../../src/providers/types.js';
import { deferred } from '../helpers/deferred.js';

export type ScriptStep = PollOutcome | { kind: 'transient'; retryAfterSeconds?: number } | { kind: 'fatal' } | { kind: 'hang' };

/** What a scripted begin keeps: typed end to end, like a real provider's secret. */
export interface ScriptedSecret {
  deviceCode: string;
}
/** What a scripted sign-in obtains. */
export interface ScriptedTokens {
  accessToken: string;
}

const ACCOUNT: AccountSummary = { label: 'Scripted (a@example.test)', email: 'a@example.test' };

function hang(bounds: StepBounds): Promise<never> {
  return new Promise((_r, reject) => bounds.signal.addEventListener('abort', () => reject(bounds.signal.reason), { once: true }));
}

/** Builds a device-code provider whose poll answers follow `script` (then `pending` forever). */
export function scriptedProvider(options: {
  id?: string;
  script?: ScriptStep[];
  interval?: number;
  expiresIn?: number;
  beginGate?: Promise<void>;
  beginFails?: boolean;
  finishGate?: Promise<void>;
  saveGate?: Promise<void>;
  clockNow: () => number;
}) {
  const script = [...(options.script ?? [])];
  const calls = { begin: 0, poll: [] as number[], finish: 0, save: 0, saved: [] as string[], aborted: 0, secrets: [] as ScriptedSecret[] };
  const beginReached = deferred();
  const finishReached = deferred();
  const saveReached = deferred();
  const provider = defineProvider<ScriptedSecret, unknown, ScriptedTokens>({
    id: options.id ?? 'scripted',
    label: 'Scripted',
    kind: 'device_code',
    signIn: 'device_code',
    savesTo: 'pool',
    aliases: [],
    supported: true,
    async begin(): Promise<DeviceAuthorization<ScriptedSecret>> {
      calls.begin += 1;
      beginReached.resolve();
      await options.beginGate;
      if (options.beginFails) throw new TransientProviderError('Could not reach scripted.example: ECONNREFUSED.');
      return { userCode: 'ABCD-EFGH', verificationUri: 'https://example.test/device', expiresInSeconds: options.expiresIn ?? 600, intervalSeconds: options.interval ?? 5, secret: { deviceCode: 'dc-secret' } };
    },
    async poll(_ctx, auth, bounds): Promise<PollOutcome> {
      calls.poll.push(options.clockNow());
      calls.secrets.push(auth.secret);
      const step = script.shift() ?? { kind: 'pending' };
      if (step.kind === 'transient') throw new TransientProviderError('scripted outage', { retryAfterSeconds: step.retryAfterSeconds });
      if (step.kind === 'fatal') throw new ProviderError('The provider refused the device code.');
      if (step.kind === 'hang') {
        bounds.signal.addEventListener('abort', () => (calls.aborted += 1), { once: true });
        return hang(bounds);
      }
      return step;
    },
    async finish(_ctx, _auth, _grant, bounds): Promise<ObtainedCredentials<ScriptedTokens>> {
      calls.finish += 1;
      finishReached.resolve();
      if (options.finishGate) await Promise.race([options.finishGate, hang(bounds)]);
      return { account: ACCOUNT, secret: { accessToken: 'at-secret' } };
    },
    async save(_ctx, home, credentials) {
      calls.save += 1;
      saveReached.resolve();
      await options.saveGate;
      calls.saved.push(`${home}`);
      if (credentials.secret.accessToken !== 'at-secret') throw new Error('save got the wrong credentials');
      return ACCOUNT;
    },
    async accounts() {
      return [];
    },
  });
  return { provider, calls, beginReached: beginReached.promise, finishReached: finishReached.promise, saveReached: saveReached.promise };
}

/** A PKCE authorization-code provider: the verifier stays server-side; `exchange` accepts only `goodCode`. */
export function scriptedCodeProvider(options: { id?: string; goodCode?: string; expiresIn?: number } = {}) {
  const goodCode = options.goodCode ?? 'the-code';
  const calls = { begin: 0, exchanged: [] as Array<{ verifier: string; code: string }>, saved: [] as string[] };
  const provider = defineProvider<{ verifier: string; state: string }, ScriptedTokens>({
    id: options.id ?? 'scripted-code',
    label: 'Scripted Code',
    kind: 'paste',
    signIn: 'authorization_code',
    savesTo: 'pool',
    aliases: [],
    supported: true,
    async begin() {
      calls.begin += 1;
      return { authorizeUrl: 'https://example.test/authorize?state=s1&code_challenge=c1', expiresInSeconds: options.expiresIn ?? 600, secret: { verifier: 'pkce-verifier-secret', state: 's1' } };
    },
    async exchange(_ctx, secret, code) {
      calls.exchanged.push({ verifier: secret.verifier, code });
      if (code !== goodCode) throw new ProviderError('The provider refused the code; start the sign-in again.', 'invalid_grant');
      return { account: ACCOUNT, secret: { accessToken: 'at-secret' } };
    },
    async save(_ctx, home, credentials) {
      calls.saved.push(`${home}:${credentials.secret.accessToken}`);
      return credentials.account;
    },
    async accounts() {
      return [];
    },
  });
  return { provider, calls };
}

/** A detect provider: `detect` finds the credential once `appear()` was called (another program wrote it). */
export function scriptedDetectProvider(options: { id?: string; interval?: number; expiresIn?: number } = {}) {
  let present = false;
  const calls = { looks: 0, saved: [] as string[] };
  const provider = defineProvider<{ path: string }, ScriptedTokens>({
    id: options.id ?? 'scripted-detect',
    label: 'Scripted Detect',
    kind: 'link',
    signIn: 'detect',
    savesTo: 'pool',
    aliases: [],
    supported: true,
    async begin() {
      return { actionRequired: 'Run `scripted login` on this machine.', expiresInSeconds: options.expiresIn ?? 600, intervalSeconds: options.interval ?? 2, secret: { path: '/tmp/scripted.json' } };
    },
    async detect() {
      calls.looks += 1;
      return present ? { account: ACCOUNT, secret: { accessToken: 'at-secret' } } : undefined;
    },
    async save(_ctx, home, credentials) {
      calls.saved.push(`${home}:${credentials.secret.accessToken}`);
      return credentials.account;
    },
    async accounts() {
      return [];
    },
  });
  return { provider, calls, appear: () => (present = true) };
}
