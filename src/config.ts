/**
 * Every setting, read once at start-up from the environment and the command-line flags into a typed,
 * frozen object that is passed down (docs/api.md, "Configuration"). Nothing else reads process.env.
 */
import type { HomeOptions } from './store/index.js';
import { ConfigError } from './errors.js';
import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_PENDING, DEFAULT_START_RATE } from './limits.js';

export * from './limits.js';

/** What provider modules may read: issuer and API-base overrides, and where other programs keep credentials. */
export interface ProviderConfig {
  /** `HERMES_ONBOARD_<PROVIDER>_ISSUER` values, keyed by that variable's name (checked when used). */
  readonly issuers: Readonly<Record<string, string>>;
  /** `HERMES_ONBOARD_<PROVIDER>_BASE_URL` values, keyed by that variable's name (checked when used). */
  readonly baseUrls: Readonly<Record<string, string>>;
  /** `CLAUDE_CONFIG_DIR`: where Claude Code keeps `.credentials.json` (default `~/.claude`, decided by its user). */
  readonly claudeConfigDir: string | undefined;
  /** `HOME` at start-up: where `~/.claude` and a `~/` in HERMES_SHARED_AUTH_DIR point (default: the OS's). */
  readonly userHome: string | undefined;
  /** `HERMES_SHARED_AUTH_DIR`: Hermes Agent's shared store folder (`nous_auth.json`), default `<root>/shared`. */
  readonly sharedAuthDir: string | undefined;
}

/** The whole configuration. */
export interface Config extends ProviderConfig {
  readonly host: string;
  readonly port: number;
  /** --home flag: the Hermes home to use instead of HERMES_HOME / ~/.hermes. */
  readonly home: string | undefined;
  /** HERMES_HOME as it was at start-up. */
  readonly hermesHome: string | undefined;
  /** When set, every /api/ request must carry `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** Lets clients outside loopback/private networks in without a token. */
  readonly open: boolean;
  readonly maxPending: number;
  /** Starts per client address per minute; 0 = no limit. */
  readonly startRate: number;
  /** IPv6 clients are counted by network of this many bits (IPv4 by address). */
  readonly ipv6Prefix: number;
  /** Extra Host header values the server answers to. */
  readonly allowedHosts: readonly string[];
  /** HERMES_ONBOARD_LOG_LEVEL, when set. */
  readonly logLevel: string | undefined;
  /** True in an SSH session (SSH_CONNECTION / SSH_TTY / SSH_CLIENT set), as Hermes Agent's `_is_remote_session` decides: a browser is elsewhere. */
  readonly remoteSession: boolean;
  /** HERMES_ONBOARD_REDIS_URL or --redis-url: flows, single flight, limits and events shared through Redis/Valkey. */
  readonly redisUrl: string | undefined;
  /** HERMES_ONBOARD_SECRET_KEY as 32 bytes: encrypts flow secrets before they reach Redis (required with Redis). */
  readonly secretKey: Uint8Array | undefined;
  /** HERMES_ONBOARD_LEASE_TTL_MS: how soon another replica takes over the flows of one that died (Redis only). */
  readonly leaseTtlMs: number;
}

/** Command-line flags that override the environment. */
export interface ConfigFlags {
  host?: string;
  port?: string;
  home?: string;
  allowedHost?: string[];
  redisUrl?: string;
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${value.slice(0, 40)}".`);
  const n = Number(value.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got ${n}.`);
  return n;
}

/** The `HERMES_ONBOARD_*_<suffix>` variables that are set, keyed by name, in a record without a prototype. */
function overrides(env: NodeJS.ProcessEnv, suffix: string): Readonly<Record<string, string>> {
  const out: Record<string, string> = Object.create(null);
  const pattern = new RegExp(`^HERMES_ONBOARD_[A-Z0-9_]+_${suffix}$`);
  for (const [name, value] of Object.entries(env)) {
    if (pattern.test(name) && value !== undefined && value.trim() !== '') out[name] = value.trim();
  }
  return Object.freeze(out);
}

/** Reads a 32-byte key written as 64 hex digits or as base64; ConfigError otherwise. */
function secretKey(value: string | undefined): Uint8Array | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  const bytes = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : /^[A-Za-z0-9+/_-]+=*$/.test(raw) ? Buffer.from(raw, 'base64') : undefined;
  if (bytes?.length !== 32) {
    throw new ConfigError('HERMES_ONBOARD_SECRET_KEY must be 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -base64 32`).');
  }
  return new Uint8Array(bytes);
}

/** A Redis URL's scheme is checked here; the connection checks the rest (and never prints a password). */
function redisUrl(value: string | undefined, name: string): string | undefined {
  const url = value?.trim();
  if (!url) return undefined;
  if (!/^rediss?:\/\//i.test(url)) throw new ConfigError(`${name} must be a redis:// or rediss:// (TLS) URL, e.g. redis://valkey:6379/0.`);
  return url;
}

/**
 * Refuses a shared-store setup that cannot work: Redis without HERMES_ONBOARD_SECRET_KEY (flow secrets would reach
 * Redis in clear). Called by `serve` only: `login` and `status` never use Redis. Returns the key when Redis is on.
 */
export function checkSharedSettings(config: Pick<Config, 'redisUrl' | 'secretKey'>): Uint8Array | undefined {
  if (config.redisUrl === undefined) return undefined;
  if (config.secretKey === undefined) {
    throw new ConfigError(
      'HERMES_ONBOARD_SECRET_KEY is required with HERMES_ONBOARD_REDIS_URL: it encrypts device codes and PKCE verifiers before they reach Redis. ' +
        'Make one with `openssl rand -base64 32` and give every replica the same value.',
    );
  }
  return config.secretKey;
}

/** Reads the configuration from `env` and the parsed command-line `flags`; the result is frozen. */
export function loadConfig(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}): Config {
  const token = env.HERMES_ONBOARD_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 16) {
    throw new ConfigError('HERMES_ONBOARD_TOKEN is too short; use at least 16 random characters (e.g. `openssl rand -hex 24`).');
  }
  const fromEnv = (env.HERMES_ONBOARD_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return Object.freeze({
    host: flags.host ?? env.HERMES_ONBOARD_HOST ?? '127.0.0.1',
    port: integer(flags.port ?? env.HERMES_ONBOARD_PORT, flags.port ? '--port' : 'HERMES_ONBOARD_PORT', 8788, 0, 65535),
    home: flags.home,
    hermesHome: env.HERMES_HOME,
    token,
    open: env.HERMES_ONBOARD_OPEN === '1',
    maxPending: integer(env.HERMES_ONBOARD_MAX_PENDING, 'HERMES_ONBOARD_MAX_PENDING', DEFAULT_MAX_PENDING, 1, 1_000_000),
    startRate: integer(env.HERMES_ONBOARD_START_RATE, 'HERMES_ONBOARD_START_RATE', DEFAULT_START_RATE, 0, 1_000_000),
    ipv6Prefix: integer(env.HERMES_ONBOARD_IPV6_PREFIX, 'HERMES_ONBOARD_IPV6_PREFIX', 64, 32, 128),
    allowedHosts: Object.freeze([...fromEnv, ...(flags.allowedHost ?? [])].map((h) => h.toLowerCase())),
    logLevel: env.HERMES_ONBOARD_LOG_LEVEL || undefined,
    issuers: overrides(env, 'ISSUER'),
    baseUrls: overrides(env, 'BASE_URL'),
    claudeConfigDir: env.CLAUDE_CONFIG_DIR?.trim() || undefined,
    userHome: env.HOME?.trim() || undefined,
    sharedAuthDir: env.HERMES_SHARED_AUTH_DIR?.trim() || undefined,
    remoteSession: Boolean(env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT),
    redisUrl: redisUrl(flags.redisUrl ?? env.HERMES_ONBOARD_REDIS_URL, flags.redisUrl !== undefined ? '--redis-url' : 'HERMES_ONBOARD_REDIS_URL'),
    secretKey: secretKey(env.HERMES_ONBOARD_SECRET_KEY),
    leaseTtlMs: integer(env.HERMES_ONBOARD_LEASE_TTL_MS, 'HERMES_ONBOARD_LEASE_TTL_MS', DEFAULT_LEASE_TTL_MS, 200, 600_000),
  });
}

/** How the store finds Hermes homes under this configuration (`userHome` replaces os.homedir(), for tests). */
export function homeOptions(config: Pick<Config, 'home' | 'hermesHome' | 'userHome'>, userHome = config.userHome): HomeOptions {
  const env: NodeJS.ProcessEnv = config.hermesHome === undefined ? {} : { HERMES_HOME: config.hermesHome };
  return { homeFlag: config.home, env, ...(userHome !== undefined && { userHome }) };
}
