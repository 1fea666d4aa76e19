/**
 * The detect driver: wait for a credential another program writes (e.g. Claude Code's file). Looks at
 * once, then every interval on the injected clock, until found or the flow's deadline; aborts with the flow.
 */
import type { DetectAuthorization, DetectProvider } from '../../providers/types.js';
import { settle, sleepFor, type BeginSignIn, type DriverRun, type Obtained, type Started } from './driver.js';

/** Starts a detect sign-in with `provider`. */
export function detectDriver<B, C>(provider: DetectProvider<B, C>): BeginSignIn {
  return async (ctx, bounds, options) => detectStarted(provider, await provider.begin(ctx, bounds, options));
}

/** A started detection as a started flow (also rebuilt from a flow's record by a replica taking it over). */
export function detectStarted<B, C>(provider: DetectProvider<B, C>, started: DetectAuthorization<B>): Started {
  const intervalMs = Math.max(1, started.intervalSeconds) * 1000;
  return {
    public: { kind: 'detect', actionRequired: started.actionRequired },
    secret: started.secret,
    expiresInSeconds: started.expiresInSeconds,
    obtain: (run, done) => settle(look(run), done),
  };

  async function look(run: DriverRun): Promise<Obtained> {
    const { clock } = run.ctx;
    for (;;) {
      const credentials = await provider.detect(run.ctx, started.secret, run.bounds);
      if (credentials) return { kind: 'credentials', credentials };
      const left = run.bounds.deadline - clock.now();
      if (left <= intervalMs) {
        await sleepFor(run, Math.max(0, left));
        return { kind: 'expired' };
      }
      run.observer.onWait?.(intervalMs / 1000, 'interval');
      await sleepFor(run, intervalMs);
    }
  }
}
