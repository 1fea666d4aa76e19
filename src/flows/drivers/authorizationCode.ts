/**
 * The authorization-code driver (PKCE, RFC 7636): show the authorization address, wait for the code to
 * come back (a callback to this server, or pasted by the user through engine.submitCode), exchange it.
 * The wait ends with the flow: cancel and expiry abort it.
 */
import type { AuthorizationCodeProvider } from '../../providers/types.js';
import type { BeginSignIn } from './driver.js';

/** Starts an authorization-code sign-in with `provider`. */
export function authorizationCodeDriver<B, C>(provider: AuthorizationCodeProvider<B, C>): BeginSignIn {
  return async (ctx, bounds, options) => {
    const started = await provider.begin(ctx, bounds, options);
    return {
      public: { kind: 'authorization_code', authorizeUrl: started.authorizeUrl },
      secret: started.secret,
      ...(started.callbackNonce !== undefined && { callbackNonce: started.callbackNonce }),
      expiresInSeconds: started.expiresInSeconds,
      async obtain(run) {
        const code = await run.code();
        return { kind: 'credentials', credentials: await provider.exchange(run.ctx, started.secret, code, run.bounds) };
      },
    };
  };
}
