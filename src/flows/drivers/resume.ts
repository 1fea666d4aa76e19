/**
 * Rebuilds a started flow from its record, for a replica taking over a flow whose driver died: the public part
 * and the sealed provider state (`secrets.begin`) are exactly what `begin` returned, so the provider goes on as if
 * nothing happened (a device code is polled again, a submitted authorization code is exchanged).
 */
import type { Provider } from '../../providers/types.js';
import type { FlowRecord } from '../flow.js';
import { authorizationCodeStarted } from './authorizationCode.js';
import { detectStarted } from './detect.js';
import { deviceCodeStarted } from './deviceCode.js';
import type { Started } from './driver.js';

/** Seconds between looks of a detect flow taken over (its interval is not part of the record). */
const RESUMED_DETECT_INTERVAL_SECONDS = 2;

/** The started flow `record` is, for `provider`; undefined when the record lacks what resuming needs. */
export function resumeStarted(provider: Provider, record: FlowRecord, now: number): Started | undefined {
  const pub = record.public;
  if (!record.secrets || !pub) return undefined;
  const secret = record.secrets.begin;
  const expiresInSeconds = Math.max(0, Math.floor((record.expiresAt - now) / 1000));
  let started: Started;
  if (provider.signIn === 'device_code' && pub.kind === 'device_code') {
    started = deviceCodeStarted(provider, { ...pub, expiresInSeconds, secret });
  } else if (provider.signIn === 'authorization_code' && pub.kind === 'authorization_code') {
    started = authorizationCodeStarted(provider, { authorizeUrl: pub.authorizeUrl, expiresInSeconds, secret });
  } else if (provider.signIn === 'detect' && pub.kind === 'detect') {
    started = detectStarted(provider, { actionRequired: pub.actionRequired, intervalSeconds: RESUMED_DETECT_INTERVAL_SECONDS, expiresInSeconds, secret });
  } else {
    return undefined;
  }
  // A code submitted before the takeover is already in the record; the new runner would never hear it again.
  const code = record.phase === 'exchanging' ? record.secrets.code : undefined;
  if (code === undefined) return started;
  return {
    ...started,
    obtain: (run, done) =>
      started.obtain(
        { ctx: run.ctx, bounds: run.bounds, observer: run.observer, code: () => Promise.resolve(code), sleep: (ms, sleeper) => run.sleep(ms, sleeper) },
        done,
      ),
  };
}
