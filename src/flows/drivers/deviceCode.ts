/** The device-code driver (RFC 8628 and OpenAI's device auth): show a code, poll until approved, finish. */
import type { DeviceAuthorization, DeviceCodeProvider } from '../../providers/types.js';
import type { BeginSignIn, Done, DriverRun, Obtained, Started } from './driver.js';
import { PollLoop, type PollEnd } from './poller.js';

/** Starts a device-code sign-in with `provider`; waiting polls at the provider's interval until the deadline. */
export function deviceCodeDriver<B, G, C>(provider: DeviceCodeProvider<B, G, C>): BeginSignIn {
  return async (ctx, bounds, options) => deviceCodeStarted(provider, await provider.begin(ctx, bounds, options));
}

/** A device authorization as a started flow (also rebuilt from a flow's record when another replica takes it over). */
export function deviceCodeStarted<B, G, C>(provider: DeviceCodeProvider<B, G, C>, auth: DeviceAuthorization<B>): Started {
  return {
    public: {
      kind: 'device_code',
      userCode: auth.userCode,
      verificationUri: auth.verificationUri,
      ...(auth.verificationUriComplete !== undefined && { verificationUriComplete: auth.verificationUriComplete }),
      intervalSeconds: auth.intervalSeconds,
    },
    secret: auth.secret,
    expiresInSeconds: auth.expiresInSeconds,
    obtain: (run, done) => new PollLoop(provider, run.ctx, auth, run.bounds, run.observer, run, new Finish(provider, auth, run, done)).next(),
  };
}

/** Turns the polling's end into the flow's: an approval is finished into credentials. */
class Finish<B, G, C> implements Done<PollEnd<G>> {
  constructor(
    private readonly provider: DeviceCodeProvider<B, G, C>,
    private readonly auth: DeviceAuthorization<B>,
    private readonly run: DriverRun,
    private readonly done: Done<Obtained>,
  ) {}

  resolve(end: PollEnd<G>): void {
    if (end.kind !== 'approved') return this.done.resolve(end);
    this.provider.finish(this.run.ctx, this.auth, end.grant, this.run.bounds).then(
      (credentials) => this.done.resolve({ kind: 'credentials', credentials }),
      (error: unknown) => this.done.reject(error),
    );
  }

  reject(error: unknown): void {
    this.done.reject(error);
  }
}
