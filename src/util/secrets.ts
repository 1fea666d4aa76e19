/** The one place that decides what a secret is, and how text is made safe to show. */

/** Field names whose values are secrets wherever they appear (provider answers, store entries, log objects). */
export const SECRET_FIELDS = [
  'access_token',
  'refresh_token',
  'id_token',
  'agent_key',
  'device_code',
  'device_auth_id',
  'authorization_code',
  'code',
  'code_verifier',
  'code_challenge',
  'client_secret',
  'token',
  'authorization',
  'cookie',
  'password',
  'secret',
] as const;

const SECRET_FIELD_SET = new Set<string>(SECRET_FIELDS);

/** True when a field of this name holds a secret. */
export function isSecretField(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_FIELD_SET.has(lower) || (lower.endsWith('token') && lower !== 'token_type');
}

/** pino `redact.paths` covering every secret field at the top level and up to three levels deep. */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const f of SECRET_FIELDS) {
    paths.push(f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`);
  }
  paths.push('req.headers.authorization', 'req.headers.cookie', 'headers.authorization');
  return paths;
}

const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
// 32+ characters of token alphabet; '/' is left out so URL paths in our own messages survive, and our
// own setting names (HERMES_ONBOARD_OPENAI_CODEX_ISSUER…) are not tokens.
const LONG_OPAQUE = /(?<![A-Za-z0-9_\-+=.])(?!HERMES_ONBOARD_[A-Z_]+\b)[A-Za-z0-9_\-+=.]{32,}/g;
const KEY_VALUE = new RegExp(`(?<![A-Za-z0-9_])(${SECRET_FIELDS.join('|')})(["']?\\s*[:=]\\s*["']?)[^"'&\\s,})]+`, 'gi');
const BEARER = /\bBearer\s+[^\s"']+/gi;

/**
 * An absolute file path standing on its own (at the start, or after a space, quote or bracket; not a URL's
 * path, which follows a host), as a capturing splitter: `/home/u/.hermes/.auth.json.tmp-1-0f3a…`.
 */
const FILE_PATH_SPLIT = /((?<=^|[\s"'`(\[])\/(?:[^\s/"'`]+\/?)+)/;

/**
 * Masks anything in free text that looks like a token, code or verifier. A long file name in a path is not
 * a token (masking it hid which file an error was about), so LONG_OPAQUE skips file paths; JWTs and
 * `key=value` secrets are masked everywhere.
 */
export function scrubText(text: string): string {
  return text
    .replace(BEARER, 'Bearer [redacted]')
    .replace(KEY_VALUE, '$1$2[redacted]')
    .replace(JWT_LIKE, '[redacted]')
    .split(FILE_PATH_SPLIT)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(LONG_OPAQUE, '[redacted]')))
    .join('');
}

/** An error reduced to what is safe to log: its class, errno code and a scrubbed message. */
export function describeFailure(error: unknown): { type: string; errno?: string; message: string } {
  const e = error as NodeJS.ErrnoException | undefined;
  const out: { type: string; errno?: string; message: string } = {
    type: e?.name ?? typeof error,
    message: safeMessage(e?.message ?? String(error), 500),
  };
  if (typeof e?.code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(e.code)) out.errno = e.code;
  return out;
}

/** A message fit to show a person: scrubbed of secrets, one line, at most `max` characters. */
export function safeMessage(text: string, max = 200): string {
  const oneLine = scrubText(String(text)).replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
