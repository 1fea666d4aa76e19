/**
 * An in-process provider driven by a script, for testing the provider-agnostic flow engine and poller
 * with a ManualClock. (Protocol behaviour is tested against real HTTP fakes elsewhere.)
 */
import { TransientProviderError, ProviderError } from '../../src/providers/errors.js';
import type { DeviceAuthorization, ObtainedCredentials, PollOutcome, Provider, StepBounds } from '../../src/providers/types.js';

export type ScriptStep = PollOutcome | { kind: 'transient'; retryAfterSeconds?: number } | { kind: 'fatal' } | { kind: 'hang' };

/** A deferred promise, resolved from outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function hang(bounds: StepBounds): Promise<never> {
  return new Promise((_r, reject) => bounds.signal.addEventListener('abort', () => reject(bounds.signal.reason), { once: true }));
}

/** Builds a provider whose poll answers follow `script` (then `pending` forever). */
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
  const calls = { begin: 0, poll: [] as number[], finish: 0, save: 0, saved: [] as string[] };
  const beginReached = deferred();
  const finishReached = deferred();
  const saveReached = deferred();
  const provider: Provider = {
    id: options.id ?? 'scripted',
    label: 'Scripted',
    kind: 'device_code',
    aliases: [],
    supported: true,
    async begin(): Promise<DeviceAuthorization> {
      calls.begin += 1;
      beginReached.resolve();
      await options.beginGate;
      if (options.beginFails) throw new TransientProviderError('Could not reach scripted.example: ECONNREFUSED.');
      return { userCode: 'ABCD-EFGH', verificationUri: 'https://example.test/device', expiresInSeconds: options.expiresIn ?? 600, intervalSeconds: options.interval ?? 5, secret: { deviceCode: 'dc-secret' } };
    },
    async poll(_ctx, _auth, bounds): Promise<PollOutcome> {
      calls.poll.push(options.clockNow());
      const step = script.shift() ?? { kind: 'pending' };
      if (step.kind === 'transient') throw new TransientProviderError('scripted outage', { retryAfterSeconds: step.retryAfterSeconds });
      if (step.kind === 'fatal') throw new ProviderError('The provider refused the device code.');
      if (step.kind === 'hang') return hang(bounds);
      return step;
    },
    async finish(_ctx, _auth, _grant, bounds): Promise<ObtainedCredentials> {
      calls.finish += 1;
      finishReached.resolve();
      if (options.finishGate) await Promise.race([options.finishGate, hang(bounds)]);
      return { account: { label: 'Scripted (a@example.test)', email: 'a@example.test' }, secret: { accessToken: 'at-secret' } };
    },
    async save(_ctx, home) {
      calls.save += 1;
      saveReached.resolve();
      await options.saveGate;
      calls.saved.push(home);
      return { label: 'Scripted (a@example.test)', email: 'a@example.test' };
    },
    async accounts() {
      return [];
    },
  };
  return { provider, calls, beginReached: beginReached.promise, finishReached: finishReached.promise, saveReached: saveReached.promise };
}
