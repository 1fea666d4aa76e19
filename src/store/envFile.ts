/**
 * Hermes Agent's `.env` file in a Hermes home: set one key atomically, keeping every other line byte for
 * byte. Values are written the way python-dotenv (what Hermes Agent reads `.env` with) reads them back.
 * The file is handled as bytes (latin1 round-trips every byte), so a file in any encoding survives.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../util/clock.js';
import { isErrno, removeStaleTemps, writeFileAtomic } from './atomicWrite.js';
import { acquireFlock } from './lock.js';
import { ownerToKeep, serializeByPath } from './serialize.js';

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

function checkKey(key: string): void {
  if (!KEY_RE.test(key)) throw new Error(`${JSON.stringify(key)} is not a valid .env variable name.`);
}

/**
 * Formats a value for a `.env` line: as is when it is plain, else single-quoted with `\` and `'` escaped
 * (python-dotenv neither interpolates nor cuts comments inside single quotes). Line breaks are refused.
 */
export function formatEnvValue(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error('A .env value cannot hold a line break.');
  if (PLAIN_VALUE_RE.test(value)) return value;
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * Returns `content` (bytes as latin1) with every assignment of `key` set to `value`, keeping its indent and
 * `export ` prefix and every other byte of the file. When the key is missing, a line is appended (after a
 * line break if the file lacks a final one), using the file's own line ending.
 */
export function setEnvLine(content: string, key: string, value: string): string {
  checkKey(key);
  const encoded = Buffer.from(formatEnvValue(value), 'utf8').toString('latin1');
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

/** The file's bytes as latin1, or '' when it does not exist. */
async function readBytes(file: string): Promise<string> {
  try {
    return (await fsp.readFile(file)).toString('latin1');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return '';
    throw error;
  }
}

/** The value of `key` in the .env file at `file`, or undefined when the file or the key is missing. */
export async function readEnvValue(file: string, key: string): Promise<string | undefined> {
  return getEnvLine(await readBytes(file), key);
}

/** The file to write: the target of a symlinked .env (so the link survives), else `file` itself. */
async function writeTarget(file: string): Promise<string> {
  try {
    return await fsp.realpath(file);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return path.resolve(file);
    throw error;
  }
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
  formatEnvValue(value);
  const home = path.dirname(path.resolve(file));
  await fsp.mkdir(home, { recursive: true, mode: 0o700 });
  const target = await writeTarget(file);
  await serializeByPath(target, async () => {
    const lock = await acquireFlock(path.join(home, 'auth.lock'), { timeoutMs: opts.lockTimeoutMs ?? ENV_LOCK_TIMEOUT_MS, clock: opts.clock });
    try {
      await removeStaleTemps(path.dirname(target), path.basename(target));
      const next = setEnvLine(await readBytes(target), key, value);
      await writeFileAtomic(target, Buffer.from(next, 'latin1'), await ownerToKeep(target));
    } finally {
      await lock.release();
    }
  });
}
