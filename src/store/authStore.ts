/**
 * A Hermes profile's auth.json, shared with Hermes Agent (docs/api.md, Files): lockless reads, and one
 * read-modify-write path (updateAuthStore) under an in-process queue plus the flock on auth.lock.
 */
import { EventEmitter } from 'node:events';
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createLogger, type Logger } from '../util/logger.js';
import { safeMessage } from '../util/secrets.js';
import { systemClock, type Clock } from '../util/clock.js';
import { isErrno, removeStaleTemps, writeFileAtomic, writeNewPrivateFile, type FileOwner } from './atomicWrite.js';
import { cloneJson, JsonTooDeepError, MAX_JSON_DEPTH, parseJson, stringifyJson } from './jsonText.js';
import { acquireFlock } from './lock.js';
import { checkProfileHome, checkRegularOrMissing, readRegularFile, UnsafeFileError } from './safeOpen.js';
import { ownerToKeep, serializeByPath } from './serialize.js';
import { StoreError } from './storeError.js';
import type { PoolEntry } from './pool.js';

export { StoreLockTimeoutError } from './lock.js';

/** The credential file Hermes Agent reads. */
export const AUTH_FILE = 'auth.json';
/** The file both programs flock around every read-modify-write. */
export const LOCK_FILE = 'auth.lock';
/** Schema version written on every save. */
export const AUTH_STORE_VERSION = 1;
/** Default bound on the wait for auth.lock (Hermes Agent uses the same). */
export const DEFAULT_LOCK_TIMEOUT_MS = 15_000;
/** Name of the event emitted after a committed change. */
export const CREDENTIALS_CHANGED = 'credentials-changed';

/** The parsed auth.json; keys the program does not know are kept as they are. */
export interface AuthStore {
  version?: number;
  updated_at?: string;
  active_provider?: string;
  providers?: Record<string, Record<string, unknown>>;
  credential_pool?: Record<string, PoolEntry[]>;
  [key: string]: unknown;
}

/** Payload of a `credentials-changed` event. */
export interface CredentialsChangedEvent {
  provider: string;
  home: string;
}

/** auth.json exists but cannot be read (permission denied, a folder in the way…); nothing was written. */
export class StoreReadError extends StoreError {
  override name = 'StoreReadError';
  /** The errno code of the failed read. */
  readonly code: string | undefined;
  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    super(`${readFailureText(file, code)} Nothing was written, so the credentials in it are untouched.`);
    this.code = code;
  }
}

/** auth.json nests deeper than anything Hermes Agent reads; it was left untouched. */
export class StoreTooDeepError extends StoreError {
  override name = 'StoreTooDeepError';
  constructor(file: string) {
    super(
      `Cannot read ${file}: its JSON is nested more than ${MAX_JSON_DEPTH} levels deep, which neither hermes-onboard ` +
        'nor Hermes Agent can read. Nothing was written, so the file is untouched. Move it aside ' +
        `(\`mv ${file} ${file}.bad\`) or remove the deeply nested part, then try again.`,
    );
  }
}

/** Options of updateAuthStore. */
export interface UpdateOptions {
  /** Longest wait for auth.lock, in milliseconds (default 15000). */
  lockTimeoutMs?: number;
  /** Where the corrupt-file warning goes (default: the program logger). */
  logger?: Logger;
  /** Clock for the lock's waits and `updated_at` (default: the wall clock). */
  clock?: Clock;
  /** Called once if auth.lock is busy when first tried. */
  onLockWait?: () => void;
}

/** Emits `credentials-changed` ({ provider, home }) after each committed write, once per changed provider. */
export const credentialEvents = new EventEmitter();

let defaultLogger: Logger | undefined;

/** Reads `<home>/auth.json` without locking: missing → {}; a BOM is fine; invalid JSON → kept aside, warned, {}. */
export async function readAuthStore(home: string, opts: { logger?: Logger } = {}): Promise<AuthStore> {
  await checkProfileHome(home);
  return (await loadStore(path.resolve(home), opts.logger ?? programLogger())).store;
}

/**
 * The only way to change auth.json: queued behind earlier updates of the same home in this process,
 * then under an exclusive flock on auth.lock, re-reads the file, applies `fn` (which edits the store in
 * place) and writes it atomically (0600, `version: 1`, fresh `updated_at`). If `fn` throws, or the file
 * cannot be read, nothing is written and the error propagates.
 */
export function updateAuthStore<T>(
  home: string,
  fn: (store: AuthStore) => T | Promise<T>,
  opts: UpdateOptions = {},
): Promise<T> {
  const dir = path.resolve(home);
  return serializeByPath(dir, async () => {
    // refused before the lock is taken: a FIFO, a link or a folder in place of auth.json must not leave
    // Hermes Agent locked out while we fail on it
    await checkProfileHome(dir);
    await checkRegularOrMissing(path.join(dir, AUTH_FILE));
    return runUpdate(dir, fn, opts);
  });
}

/** One locked read-modify-write of `<dir>/auth.json`. */
async function runUpdate<T>(dir: string, fn: (store: AuthStore) => T | Promise<T>, opts: UpdateOptions): Promise<T> {
  const logger = opts.logger ?? programLogger();
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const homeOwner = await ownerToKeep(dir);
  const lock = await acquireFlock(path.join(dir, LOCK_FILE), {
    timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    clock: opts.clock,
    onWait: opts.onLockWait,
    owner: homeOwner,
  });
  let result: T;
  let changed: string[];
  try {
    const { store: before, owner = homeOwner } = await loadStore(dir, logger);
    const store = cloneJson(before);
    result = await fn(store);
    store.version = AUTH_STORE_VERSION;
    store.updated_at = new Date((opts.clock ?? systemClock).now()).toISOString();
    await removeStaleTemps(dir, AUTH_FILE);
    await writeFileAtomic(path.join(dir, AUTH_FILE), `${stringifyJson(store, 2)}\n`, owner);
    changed = changedProviders(before, store);
  } finally {
    await lock.release();
  }
  emitChanges(dir, changed, logger);
  return result;
}

/** Reads and parses `<dir>/auth.json`, with the owner a rewrite must keep (see ownerToKeep). */
async function loadStore(dir: string, logger: Logger): Promise<{ store: AuthStore; owner?: FileOwner }> {
  const file = path.join(dir, AUTH_FILE);
  const raw = await readRaw(file);
  if (!raw) return { store: {} };
  const owner = await ownerToKeep(raw.stat);
  const store = parseStore(raw.bytes, file);
  if (store) return { store, owner };
  const kept = await keepCorruptCopy(file, raw.bytes, owner);
  logger.warn(
    { file, keptAs: kept },
    'auth.json is not valid JSON; kept a copy of it and treated the store as empty. Look at the copy to recover anything lost.',
  );
  return { store: {}, owner };
}

/**
 * The file's bytes and stat; undefined when it does not exist; UnsafeFileError for a link or anything but
 * a regular file (never followed, never blocked on); StoreReadError for any other failure.
 */
async function readRaw(file: string): Promise<{ bytes: Buffer; stat: Stats } | undefined> {
  try {
    return await readRegularFile(file);
  } catch (err) {
    if (err instanceof UnsafeFileError) throw err;
    throw new StoreReadError(file, err);
  }
}

/**
 * The store in `bytes` (UTF-8, optional BOM), or undefined when it is not a JSON object. Numbers are kept
 * exact (see jsonText.ts); StoreTooDeepError when it nests too deeply to read.
 */
function parseStore(bytes: Uint8Array, file: string): AuthStore | undefined {
  let value: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    value = parseJson(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError) throw new StoreTooDeepError(file);
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as AuthStore) : undefined;
}

/**
 * Keeps the unparseable bytes as `auth.json.corrupt-<timestamp>` (0600). The copy is written from the
 * bytes that were read, so it never races a writer replacing auth.json; an identical latest copy is reused.
 */
async function keepCorruptCopy(file: string, bytes: Uint8Array, owner: FileOwner | undefined): Promise<string> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.corrupt-`;
  const existing = (await fsp.readdir(dir)).filter((n) => n.startsWith(prefix)).sort();
  const latest = existing.at(-1);
  if (latest !== undefined) {
    const old = await readRegularFile(path.join(dir, latest)).catch(() => undefined);
    if (old && Buffer.compare(old.bytes, bytes) === 0) return path.join(dir, latest);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (let n = 0; ; n++) {
    const target = path.join(dir, `${prefix}${stamp}${n ? `-${n}` : ''}`);
    try {
      await writeNewPrivateFile(target, bytes, owner);
      return target;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
  }
}

/** Providers whose `credential_pool[p]` or `providers[p]` differ between two stores. */
export function changedProviders(before: AuthStore, after: AuthStore): string[] {
  const sections = ['credential_pool', 'providers'] as const;
  const names = new Set<string>();
  for (const section of sections) {
    for (const s of [before, after]) for (const p of Object.keys(sectionOf(s, section))) names.add(p);
  }
  return [...names].filter((p) =>
    sections.some((section) => !isDeepStrictEqual(sectionOf(before, section)[p], sectionOf(after, section)[p])),
  );
}

/** A store section as a plain record ({} when missing or not an object). */
function sectionOf(store: AuthStore, key: 'credential_pool' | 'providers'): Record<string, unknown> {
  const value = store[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Emits one event per changed provider; a throwing listener is logged, never undoes the committed write. */
function emitChanges(home: string, providers: string[], logger: Logger): void {
  for (const provider of providers) {
    try {
      credentialEvents.emit(CREDENTIALS_CHANGED, { provider, home } satisfies CredentialsChangedEvent);
    } catch (err) {
      logger.error({ provider, home, err: safeMessage(String(err)) }, 'a credentials-changed listener failed');
    }
  }
}

/** What went wrong reading auth.json, and what to do about it. */
function readFailureText(file: string, code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `Cannot read ${file}: permission denied. Run hermes-onboard as the user that owns the Hermes home, or give this user read and write access to the file.`;
    case 'EISDIR':
      return `Cannot read ${file}: it is a folder, not a file. Move that folder out of the way.`;
    case 'ENOTDIR':
      return `Cannot read ${file}: a part of its path is a file, not a folder. Check HERMES_HOME / --home.`;
    default:
      return `Cannot read ${file} (${code ?? 'unknown error'}). Check the file and its folder, then try again.`;
  }
}

/** The logger used when a caller gives none. */
function programLogger(): Logger {
  defaultLogger ??= createLogger();
  return defaultLogger;
}
