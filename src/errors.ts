/**
 * The one error catalogue (docs/api.md, "Errors"): every error the program raises on purpose has a stable
 * code, an HTTP status, a CLI exit code and a default message that says what to do. Routes and the CLI
 * map any error through `classify()`, never through their own `instanceof` chains.
 *
 * Errors raised by this program are `OnboardError`s carrying their code. Errors of lower layers that
 * cannot know this catalogue (the store's, Node's, fastify's) are recognised in the tables below.
 */
import { ProfileError, StoreError, StoreLockTimeoutError, StoreReadError, StoreShapeError } from './store/index.js';
import { BODY_LIMIT_BYTES, CLOSING_RETRY_AFTER_SECONDS, PENDING_RETRY_AFTER_SECONDS } from './limits.js';
import { safeMessage } from './util/secrets.js';
import { AccountNotFoundError, LifecycleInputError } from './store/hermesPool.js';

/** One row of the catalogue. */
export interface CatalogueEntry {
  /** HTTP status of an API answer. */
  readonly status: number;
  /** Exit code of the `hermes-onboard` command. */
  readonly exit: number;
  /** What a person reads when the error carries no message of its own. */
  readonly message: string;
  /** True when the error's own message may be shown (false: only `message` above, the details go to the log). */
  readonly expose: boolean;
  /** `Retry-After` seconds sent with the HTTP answer, when the client should simply wait. */
  readonly retryAfterSeconds?: number;
  /** True when the message may quote text from outside (paths, file contents): it is scrubbed of secrets first. */
  readonly scrub?: boolean;
}

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_CANCELLED = 130;

const entry = (status: number, exit: number, message: string, extra: Partial<CatalogueEntry> = {}): CatalogueEntry => ({
  status,
  exit,
  message,
  expose: true,
  ...extra,
});

/** The catalogue, by stable code. docs/api.md lists the same codes. */
export const ERROR_CATALOGUE = {
  invalid_request: entry(400, 2, 'The request could not be understood.'),
  invalid_json: entry(400, 2, 'The request body is not valid JSON.'),
  empty_body: entry(400, 2, 'The request body is empty; send a JSON object.'),
  invalid_content_length: entry(400, 2, 'The Content-Length header does not match the body.'),
  invalid_address: entry(400, 2, 'The address is not valid (check its %-encoding).'),
  unknown_provider: entry(400, 2, 'Unknown provider; name one that can sign in here.'),
  provider_not_supported: entry(400, 2, 'This provider cannot be signed in to here yet; use `hermes auth add <provider>` (Hermes Agent) in a terminal.'),
  invalid_profile: entry(400, 2, 'That profile cannot be used; name an existing profile.'),
  flow_not_awaiting_code: entry(400, 2, 'This sign-in does not wait for a code; start a new one.'),
  gate_refused: entry(403, 1, 'Onboarding is not open to this client.'),
  host_refused: entry(403, 1, 'This server does not answer to that Host name. Open it as http://127.0.0.1 or http://localhost, or start it with --allowed-host <name>.'),
  cross_site_refused: entry(403, 1, 'Cross-site requests are refused: the Origin does not match this server.'),
  route_not_found: entry(404, 2, 'No such route. See the API in the README.'),
  account_not_found: entry(404, 1, 'No such account in this profile; nothing was changed. Reload the list of accounts.'),
  flow_not_found: entry(404, 1, 'No such sign-in: it finished more than five minutes ago or never existed. Start a new one.'),
  body_too_large: entry(413, 2, `The request body is larger than ${BODY_LIMIT_BYTES / 1024} KiB.`),
  unsupported_media_type: entry(415, 2, 'Send the body as JSON with "Content-Type: application/json".'),
  too_many_pending: entry(429, 1, 'Too many sign-ins are pending; finish or cancel one, or wait for them to expire.', { retryAfterSeconds: PENDING_RETRY_AFTER_SECONDS }),
  rate_limited: entry(429, 1, 'Too many sign-ins started from this address; try again in a minute.'),
  provider_failed: entry(502, 1, 'The provider could not start a sign-in; see the server log.'),
  key_rejected: entry(422, 1, 'The provider rejected the API key; nothing was saved.'),
  redis_unavailable: entry(503, 1, 'The shared flow store (Redis) is unreachable; try again in a few seconds.', { retryAfterSeconds: CLOSING_RETRY_AFTER_SECONDS }),
  server_closing: entry(503, EXIT_CANCELLED, 'The server is shutting down; try again in a moment.', { retryAfterSeconds: CLOSING_RETRY_AFTER_SECONDS }),
  store_locked: entry(500, 1, 'auth.json is locked by another process; try again in a moment.', { scrub: true }),
  store_unreadable: entry(500, 1, 'auth.json cannot be read; nothing was written.', { scrub: true }),
  store_malformed: entry(500, 1, 'auth.json holds something Hermes Agent does not write; it was left unchanged.', { scrub: true }),
  store_failed: entry(500, 1, 'The credentials could not be written; see the server log.', { scrub: true }),
  config_invalid: entry(500, 2, 'A setting cannot be used; fix it and start again.'),
  usage: entry(400, 2, 'The command line cannot be run as given; see --help.'),
  address_in_use: entry(500, 1, 'the address is already in use; stop the other server or pass --port 0 for any free port.', { expose: false }),
  address_forbidden: entry(500, 1, 'not allowed to bind that address/port; pick a port above 1024.', { expose: false }),
  internal: entry(500, 1, 'The server hit an unexpected error; see its log.', { expose: false }),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every error code, for docs and the OpenAPI document. */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** An error the program raises on purpose: its code picks the catalogue row; `message` is safe to show. */
export class OnboardError extends Error {
  override name = 'OnboardError';
  readonly code: ErrorCode;
  /** Extra HTTP headers (e.g. a computed `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: ErrorCode, message?: string, options: { cause?: unknown; headers?: Record<string, string> } = {}) {
    super(message ?? ERROR_CATALOGUE[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

/** Start refused because too many flows are pending (HTTP 429). */
export class FlowLimitError extends OnboardError {
  override name = 'FlowLimitError';
  constructor(message?: string, options?: { cause?: unknown }) {
    super('too_many_pending', message, options);
  }
}

/** The server is shutting down and takes no new sign-ins (HTTP 503). */
export class ServerClosingError extends OnboardError {
  override name = 'ServerClosingError';
  constructor(options?: { cause?: unknown }) {
    super('server_closing', undefined, options);
  }
}

/** The provider could not give us a code (HTTP 502); `message` is safe to show. */
export class FlowStartError extends OnboardError {
  override name = 'FlowStartError';
  constructor(message?: string, options?: { cause?: unknown }) {
    super('provider_failed', message, options);
  }
}

/** A configuration value that cannot be used; the message names the variable or flag. */
export class ConfigError extends OnboardError {
  override name = 'ConfigError';
  constructor(message?: string, options?: { cause?: unknown }) {
    super('config_invalid', message, options);
  }
}

/** A command line that cannot be run as given (exit code 2); the message says what to type instead. */
export class UsageError extends OnboardError {
  override name = 'UsageError';
  constructor(message?: string, options?: { cause?: unknown }) {
    super('usage', message, options);
  }
}

/**
 * Errors of the store layer, which cannot import this catalogue: the first class that matches wins, so
 * the specific ones come before their base class.
 */
const STORE_ERRORS: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, ErrorCode]> = [
  [StoreLockTimeoutError, 'store_locked'],
  [StoreReadError, 'store_unreadable'],
  [StoreShapeError, 'store_malformed'],
  [LifecycleInputError, 'invalid_request'],
  [AccountNotFoundError, 'account_not_found'],
  [StoreError, 'store_failed'],
  [ProfileError, 'invalid_profile'],
];

/** Node's own error codes the program expects (binding a port, parsing the command line). */
const NODE_CODES: Readonly<Record<string, ErrorCode>> = {
  EADDRINUSE: 'address_in_use',
  EACCES: 'address_forbidden',
  ERR_PARSE_ARGS_UNKNOWN_OPTION: 'usage',
  ERR_PARSE_ARGS_INVALID_OPTION_VALUE: 'usage',
  ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: 'usage',
};

/** Fastify's client errors (body parsing), worded by the catalogue. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_body',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/** What an error means for a client or a person: its row, the message to show and extra headers. */
export interface Classified {
  code: ErrorCode;
  status: number;
  exit: number;
  /** Safe to show: the error's own message when the row exposes it, else the row's message. */
  message: string;
  headers: Record<string, string>;
}

/** Looks any thrown value up in the catalogue; unknown errors are `internal` (details belong in the log). */
export function classify(error: unknown): Classified {
  const code = codeOf(error);
  const row: CatalogueEntry = ERROR_CATALOGUE[code];
  const own = error instanceof Error && error.message ? error.message : undefined;
  // fastify's own wording is replaced by ours; a store message may quote paths, so it is scrubbed
  const fromFastify = error instanceof Error && fastifyCode(error) !== undefined;
  let message = row.expose && own && !fromFastify ? own : row.message;
  if (row.scrub) message = safeMessage(message);
  const headers: Record<string, string> = {};
  if (row.retryAfterSeconds !== undefined) headers['retry-after'] = String(row.retryAfterSeconds);
  if (error instanceof OnboardError) Object.assign(headers, error.headers);
  return { code, status: row.status, exit: row.exit, message, headers };
}

/** The catalogue code of any thrown value. */
export function codeOf(error: unknown): ErrorCode {
  if (error instanceof OnboardError) return error.code;
  if (!(error instanceof Error)) return 'internal';
  for (const [type, code] of STORE_ERRORS) if (error instanceof type) return code;
  const fst = fastifyCode(error);
  if (fst !== undefined) return FASTIFY_CODES[fst] ?? (error instanceof SyntaxError ? 'invalid_json' : 'invalid_request');
  const errno = (error as NodeJS.ErrnoException).code;
  if (typeof errno === 'string' && Object.hasOwn(NODE_CODES, errno)) return NODE_CODES[errno]!;
  return 'internal';
}

/** The code of a fastify client error (4xx raised while reading a request), else undefined. */
function fastifyCode(error: Error): string | undefined {
  const e = error as Error & { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return undefined;
  return typeof e.code === 'string' && e.code.startsWith('FST_') ? e.code : '';
}
