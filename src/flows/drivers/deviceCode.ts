/** The device-code driver (RFC 8628 and OpenAI's device auth): show a code, poll until approved, finish. */
import type { DeviceAuthorization, DeviceCodeProvider } from '../../providers/types.js';
import type { BeginSignIn, Obtained, Started } from './driver.js';
import { pollUntilDone } from './poller.js';

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
    // a promise chain, not an async function: a suspended frame here would be kept by every sleeping flow
    obtain: (run) =>
      pollUntilDone(provider, run.ctx, auth, run.bounds, run.observer, run).then(
        async (end): Promise<Obtained> => (end.kind === 'approved' ? { kind: 'credentials', credentials: await provider.finish(run.ctx, auth, end.grant, run.bounds) } : end),
      ),
  };
}
