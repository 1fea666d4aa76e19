/**
 * The authorization-code driver (PKCE, RFC 7636): show the authorization address, wait for the code to
 * come back (a callback to this server, or pasted by the user through engine.submitCode), exchange it.
 * The wait ends with the flow: cancel and expiry abort it.
 */
import type { AuthorizationCodeProvider, CodeAuthorization } from '../../providers/types.js';
import { settle, type BeginSignIn, type Started } from './driver.js';

/** Starts an authorization-code sign-in with `provider`. */
export function authorizationCodeDriver<B, C>(provider: AuthorizationCodeProvider<B, C>): BeginSignIn {
  return async (ctx, bounds, options) => authorizationCodeStarted(provider, await provider.begin(ctx, bounds, options));
}

/** A started authorization as a started flow (also rebuilt from a flow's record by a replica taking it over). */
export function authorizationCodeStarted<B, C>(provider: AuthorizationCodeProvider<B, C>, started: CodeAuthorization<B>): Started {
  return {
    public: { kind: 'authorization_code', authorizeUrl: started.authorizeUrl },
    secret: started.secret,
    ...(started.callbackNonce !== undefined && { callbackNonce: started.callbackNonce }),
    expiresInSeconds: started.expiresInSeconds,
    obtain: (run, done) =>
      settle(
        run.code().then(async (code) => ({ kind: 'credentials', credentials: await provider.exchange(run.ctx, started.secret, code, run.bounds) }) as const),
        done,
      ),
  };
}
