/** The environment benchmark child processes run with. */
import { childEnv } from '../../test/helpers/spawnServe.js';

/** Keeps loopback traffic off any proxy a library might still pick up. */
export const LOOPBACK_NO_PROXY: Readonly<Record<string, string>> = { NO_PROXY: '127.0.0.1,localhost' };

/**
 * The caller's environment scrubbed like the tests' (no HERMES_* setting, proxy or extra CA, which could point
 * the server at another home, a token, or send loopback traffic elsewhere), plus NO_PROXY for loopback and `extra`.
 */
export function benchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return childEnv({ ...LOOPBACK_NO_PROXY, ...extra });
}
