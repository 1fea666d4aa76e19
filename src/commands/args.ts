/** What the CLI commands share: the profile a command works on. */
import { homeOptions, type Config } from '../config.js';
import { resolveProfileHome, type HomeResolution } from '../store/home.js';

export { UsageError } from '../errors.js';

/** The profile named by `--profile` (default: the active one) under `--home` / HERMES_HOME / ~/.hermes. */
export function targetProfile(values: { profile?: string; home?: string }, config: Pick<Config, 'hermesHome' | 'userHome'>): HomeResolution {
  return resolveProfileHome(values.profile, homeOptions({ home: values.home, hermesHome: config.hermesHome, userHome: config.userHome }));
}
