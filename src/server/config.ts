/** Server configuration: environment variables (CONTRACT §2) overridden by command-line flags. */

export interface ServerConfig {
  host: string;
  port: number;
  /** --home flag: the Hermes home to use instead of HERMES_HOME / ~/.hermes. */
  home: string | undefined;
  /** When set, every /api/ request must carry `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** Lets clients outside loopback/private networks in without a token. */
  open: boolean;
  maxPending: number;
  /** Starts per client address per minute; 0 = no limit. */
  startRate: number;
  /** IPv6 clients are counted by network of this many bits (IPv4 by address). */
  ipv6Prefix: number;
  /** Extra Host header values the server answers to. */
  allowedHosts: string[];
}

/** A configuration value that cannot be used; the message names the variable or flag. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${value.slice(0, 40)}".`);
  const n = Number(value.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got ${n}.`);
  return n;
}

/** Reads the configuration from `env` and the parsed command-line `flags`. */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  flags: { host?: string; port?: string; home?: string; allowedHost?: string[] } = {},
): ServerConfig {
  const token = env.HERMES_ONBOARD_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 16) {
    throw new ConfigError('HERMES_ONBOARD_TOKEN is too short; use at least 16 random characters (e.g. `openssl rand -hex 24`).');
  }
  const fromEnv = (env.HERMES_ONBOARD_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return {
    host: flags.host ?? env.HERMES_ONBOARD_HOST ?? '127.0.0.1',
    port: integer(flags.port ?? env.HERMES_ONBOARD_PORT, flags.port ? '--port' : 'HERMES_ONBOARD_PORT', 8788, 0, 65535),
    home: flags.home,
    token,
    open: env.HERMES_ONBOARD_OPEN === '1',
    maxPending: integer(env.HERMES_ONBOARD_MAX_PENDING, 'HERMES_ONBOARD_MAX_PENDING', 1000, 1, 1_000_000),
    startRate: integer(env.HERMES_ONBOARD_START_RATE, 'HERMES_ONBOARD_START_RATE', 10, 0, 1_000_000),
    ipv6Prefix: integer(env.HERMES_ONBOARD_IPV6_PREFIX, 'HERMES_ONBOARD_IPV6_PREFIX', 64, 32, 128),
    allowedHosts: [...fromEnv, ...(flags.allowedHost ?? [])].map((h) => h.toLowerCase()),
  };
}
