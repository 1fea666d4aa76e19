/**
 * Hermes Agent's `.env` file in a Hermes home: set one key atomically, keeping every other line byte for
 * byte. Values are written the way python-dotenv (what Hermes Agent reads `.env` with) reads them back.
 * The file is handled as bytes (latin1 round-trips every byte), so a file in any encoding survives.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../util/clock.js';
import { removeStaleTemps, writeFileAtomic } from './atomicWrite.js';
import { acquireFlock } from './lock.js';
import { checkProfileHome, checkRegularOrMissing, readRegularFile } from './safeOpen.js';
import { ownerToKeep, serializeByPath } from './serialize.js';
import { StoreError } from './storeError.js';

/** How long a write waits for `auth.lock` (held by Hermes Agent or another writer). */
export const ENV_LOCK_TIMEOUT_MS = 15_000;

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Values written without quotes: nothing python-dotenv or a shell would read differently. */
const PLAIN_VALUE_RE = /^[A-Za-z0-9_\-.\/+=:@~,%]*$/;
const UTF8_BOM = '\xEF\xBB\xBF';

/** An assignment of `key` at the start of a line: optional BOM, indent and `export `, then `key =`. */
function assignmentRe(key: string): RegExp {
  return new RegExp(`^(${UTF8_BOM})?([ \\t]*)(export[ \\t]+)?${key}[ \\t]*=`);
}

/**
 * What python-dotenv expands in every value, quoted or not (it has no escape for it): `${NAME}` and
 * `${NAME:-default}`. A value holding one would read back as another variable's value.
 */
const INTERPOLATION_RE = /\$\{[^}]*\}/;

/** A value (or key) that cannot be written to .env so that Hermes Agent reads it back exactly; nothing was written. */
export class EnvValueError extends StoreError {
  override name = 'EnvValueError';
}

/** True for a name `.env` can assign (letters, digits, `_`; not starting with a digit). */
export function isEnvKey(key: string): boolean {
  return KEY_RE.test(key);
}

function checkKey(key: string): void {
  if (!KEY_RE.test(key)) throw new EnvValueError(`${JSON.stringify(key)} is not a valid .env variable name.`);
}

/**
 * Formats a value for a `.env` line: as is when it is plain, else single-quoted with `\` and `'` escaped
 * (python-dotenv cuts no comment inside single quotes and decodes exactly those two escapes there).
 * Refused, naming the key but never showing the value (it is a secret): line breaks and NUL (the line
 * based editing here cannot keep them), `${…}` (python-dotenv interpolates it even inside single quotes,
 * so a token holding `${OPENAI_API_KEY}` would hand that key to whoever receives the token), and text
 * that is not valid Unicode (it cannot be encoded as UTF-8 exactly).
 */
export function formatEnvValue(value: string, key = 'the variable'): string {
  if (/[\r\n\0]/.test(value)) throw new EnvValueError(`The value for ${key} holds a line break or NUL, which a .env line cannot keep; it was not written.`);
  if (INTERPOLATION_RE.test(value)) {
    throw new EnvValueError(`The value for ${key} contains "\${…}", which Hermes Agent would expand into another variable's value; not written.`);
  }
  if (/\p{Cs}/u.test(value)) throw new EnvValueError(`The value for ${key} is not valid Unicode text; it was not written.`);
  if (PLAIN_VALUE_RE.test(value)) return value;
  if (!value.endsWith('\\')) return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
  // python-dotenv reads `\'` in quotes as an escaped quote, so a quoted value cannot end with a backslash
  // (its closing quote would be swallowed, and the following lines with it). Unquoted, the value is read
  // as it is, so long as it has no surrounding space, no opening quote and no ` #` (a comment).
  if (/^[^\s'"]/.test(value) && !/\s$/.test(value) && !/\s#/.test(value)) return value;
  throw new EnvValueError(`The value for ${key} ends with a backslash and holds spaces, quotes or " #", which a .env line cannot keep exactly; it was not written.`);
}

/**
 * Returns `content` (bytes as latin1) with every assignment of `key` set to `value`, keeping its indent and
 * `export ` prefix and every other byte of the file. When the key is missing, a line is appended (after a
 * line break if the file lacks a final one), using the file's own line ending.
 */
export function setEnvLine(content: string, key: string, value: string): string {
  checkKey(key);
  const encoded = Buffer.from(formatEnvValue(value, key), 'utf8').toString('latin1');
  const re = assignmentRe(key);
  let found = false;
  const lines = content.split('\n').map((line) => {
    const m = re.exec(line);
    if (!m) return line;
    found = true;
    return `${m[1] ?? ''}${m[2]}${m[3] ?? ''}${key}=${encoded}${line.endsWith('\r') ? '\r' : ''}`;
  });
  if (found) return lines.join('\n');
  const eol = /\r\n/.test(content) && !/(^|[^\r])\n/.test(content) ? '\r\n' : '\n';
  const separator = content === '' || content.endsWith('\n') ? '' : eol;
  return `${content}${separator}${key}=${encoded}${eol}`;
}

/** Reads a value as python-dotenv does, for the common forms: 'single', "double" (with escapes), or plain up to ` #`. */
function parseEnvValue(raw: string): string {
  const text = raw.trimStart();
  const quote = text[0];
  if (quote === "'" || quote === '"') {
    const m = (quote === "'" ? /^'((?:\\.|[^'\\])*)'/ : /^"((?:\\.|[^"\\])*)"/).exec(text);
    if (m) {
      const inner = m[1]!;
      if (quote === "'") return inner.replace(/\\([\\'])/g, '$1');
      const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
      return inner.replace(/\\(.)/g, (all, c: string) => escapes[c] ?? all);
    }
  }
  return text.replace(/\s+#.*$/, '').trim();
}

/** The value `key` has in `content` (the last assignment wins, as in python-dotenv), or undefined. */
export function getEnvLine(content: string, key: string): string | undefined {
  checkKey(key);
  const re = assignmentRe(key);
  let value: string | undefined;
  for (const line of content.split('\n')) {
    const m = re.exec(line);
    if (m) value = parseEnvValue(line.slice(m[0].length).replace(/\r$/, ''));
  }
  return value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8');
}

/**
 * The value of `key` in the .env file at `file`, or undefined when the file or the key is missing. A
 * symlinked .env, or one that is not a regular file, is refused (UnsafeFileError), never followed.
 */
export async function readEnvValue(file: string, key: string): Promise<string | undefined> {
  await checkProfileHome(path.dirname(path.resolve(file)));
  const raw = await readRegularFile(file);
  return getEnvLine(raw ? raw.bytes.toString('latin1') : '', key);
}

/**
 * Sets `key=value` in the .env file at `file` (created when missing, with its folder). Serialised in the
 * process per file and across processes by the flock on `auth.lock` in the same folder; written atomically
 * (temp file 0600 in the same folder, fsync, rename, fsync of the folder); the final file is 0600.
 */
export async function setEnvValue(
  file: string,
  key: string,
  value: string,
  opts: { lockTimeoutMs?: number; clock?: Clock } = {},
): Promise<void> {
  checkKey(key);
  formatEnvValue(value, key);
  const target = path.resolve(file);
  const home = path.dirname(target);
  await checkProfileHome(home);
  await fsp.mkdir(home, { recursive: true, mode: 0o700 });
  await editEnvFile(target, opts, (content) => ({ content: setEnvLine(content ?? '', key, value), result: undefined }));
}

/**
 * Runs `edit` on the .env file at `target` (its bytes as latin1; undefined when missing) and writes the
 * content it returns, if any: serialised per file in the process, under the flock on `auth.lock` in the same
 * folder across processes, atomically (temp file 0600 in the same folder, fsync, rename, fsync of the folder).
 * A symlinked or special .env is refused, never written through: as root in a user's home, a link could name
 * any file on the machine. Checked before the lock, so a FIFO cannot leave Hermes Agent locked out.
 */
async function editEnvFile<T>(
  target: string,
  opts: { lockTimeoutMs?: number; clock?: Clock },
  edit: (content: string | undefined) => { content?: string; result: T },
): Promise<T> {
  const home = path.dirname(target);
  return serializeByPath(target, async () => {
    await checkRegularOrMissing(target);
    const lock = await acquireFlock(path.join(home, 'auth.lock'), {
      timeoutMs: opts.lockTimeoutMs ?? ENV_LOCK_TIMEOUT_MS,
      clock: opts.clock,
      owner: await ownerToKeep(home),
    });
    try {
      const raw = await readRegularFile(target);
      const { content, result } = edit(raw?.bytes.toString('latin1'));
      if (content !== undefined) {
        await removeStaleTemps(home, path.basename(target));
        await writeFileAtomic(target, Buffer.from(content, 'latin1'), await ownerToKeep(raw ? raw.stat : home));
      }
      return result;
    } finally {
      await lock.release();
    }
  });
}

/**
 * Returns `content` (bytes as latin1) without any line assigning `key` (optionally indented, optionally
 * `export `-prefixed, as python-dotenv reads them), and the number of lines removed. A UTF-8 BOM on a
 * removed first line stays at the start of the file; every other byte is kept.
 */
export function removeEnvLines(content: string, key: string): { content: string; removed: number } {
  checkKey(key);
  const re = new RegExp(`^(${UTF8_BOM})?[ \\t]*(export[ \\t]+)?${key}[ \\t]*=`);
  // split keeping each line's own terminator, so nothing but the removed lines changes
  const lines = content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  let removed = 0;
  let bom = '';
  const kept = lines.filter((line, index) => {
    const m = re.exec(line);
    if (!m) return true;
    removed += 1;
    if (index === 0 && m[1]) bom = UTF8_BOM;
    return false;
  });
  return { content: bom + kept.join(''), removed };
}

/**
 * Removes every assignment of `keys` from the .env file at `file`; returns the keys that were there. A
 * missing file, or one without those keys, is left untouched (not even rewritten). Same discipline as
 * setEnvValue: a linked or special `.env` is refused before the lock, never written through.
 */
export async function removeEnvValues(
  file: string,
  keys: readonly string[],
  opts: { lockTimeoutMs?: number; clock?: Clock } = {},
): Promise<string[]> {
  for (const key of keys) checkKey(key);
  const target = path.resolve(file);
  await checkProfileHome(path.dirname(target));
  return editEnvFile(target, opts, (before) => {
    let content = before ?? '';
    const removed: string[] = [];
    for (const key of keys) {
      const result = removeEnvLines(content, key);
      if (result.removed > 0) removed.push(key);
      content = result.content;
    }
    // a missing file, or one without these keys, is not rewritten
    return removed.length > 0 ? { content, result: removed } : { result: removed };
  });
}
