/** The device-code driver (RFC 8628 and OpenAI's device auth): show a code, poll until approved, finish. */
import type { DeviceCodeProvider } from '../../providers/types.js';
import type { BeginSignIn, Obtained } from './driver.js';
import { pollUntilDone } from './poller.js';

/** Starts a device-code sign-in with `provider`; waiting polls at the provider's interval until the deadline. */
export function deviceCodeDriver<B, G, C>(provider: DeviceCodeProvider<B, G, C>): BeginSignIn {
  return async (ctx, bounds) => {
    const auth = await provider.begin(ctx, bounds);
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
      async obtain(run): Promise<Obtained> {
        const end = await pollUntilDone(provider, run.ctx, auth, run.bounds, run.observer, run.sleep);
        if (end.kind !== 'approved') return end;
        return { kind: 'credentials', credentials: await provider.finish(run.ctx, auth, end.grant, run.bounds) };
      },
    };
  };
}
