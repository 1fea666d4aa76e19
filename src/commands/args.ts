/** What the CLI commands share: usage errors and the profile a command works on. */
import { resolveProfileHome, type HomeResolution } from '../store/home.js';

/** A command line that cannot be run as given (exit code 2); the message says what to type instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The profile named by `--profile` (default: the active one) under `--home` / HERMES_HOME / ~/.hermes. */
export function targetProfile(values: { profile?: string; home?: string }, env: NodeJS.ProcessEnv): HomeResolution {
  return resolveProfileHome(values.profile, { homeFlag: values.home, env });
}
