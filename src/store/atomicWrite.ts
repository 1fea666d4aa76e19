/** Crash-safe file replacement: temp file (0600 from creation) → write → fsync → rename → fsync of the folder. */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { StoreError } from './storeError.js';

/** Mode of every file the store writes. */
export const PRIVATE_FILE_MODE = 0o600;

/** Owner to give the new file (used when root rewrites a file another user owns). */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** True when `err` is a Node.js error with this errno code. */
export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === code;
}

/** Matches the temp files writeFileAtomic makes for `base`: `.<base>.tmp-<pid>-<hex>`. */
export function tempFilePattern(base: string): RegExp {
  return new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-[0-9a-f]+$`);
}

/** Fresh temp names tried before giving up (each is random, so a second collision means something is wrong). */
const TEMP_NAME_TRIES = 8;

/** A file of the store could not be written; the message names it and what to do. Nothing was changed. */
export class StoreWriteError extends StoreError {
  override name = 'StoreWriteError';
  readonly code: string | undefined;
  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    super(`${writeFailureText(file, code)} The file was left as it was.`);
    this.code = code;
  }
}

function writeFailureText(file: string, code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `Cannot write ${file}: permission denied. Run hermes-onboard as the user that owns the Hermes home, or give this user write access to its folder.`;
    case 'EISDIR':
      return `Cannot write ${file}: a folder of that name is in the way. Move that folder out of the way.`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `Cannot write ${file}: the disk (or the user's quota) is full. Free some space, then try again.`;
    case 'EROFS':
      return `Cannot write ${file}: the file system is read-only.`;
    default:
      return `Cannot write ${file} (${code ?? 'unknown error'}). Check the file and its folder, then try again.`;
  }
}

/** A fresh temp path next to `file`, named after this process so leftovers can be recognised. */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Replaces `file` with `data` atomically: a temp file in the same folder created 0600 (open 'wx', then
 * fchmod to beat the umask), written, fsynced, renamed over `file`, then the folder fsynced.
 * Readers see the old or the new content, never a mix; the final file is 0600 whatever the old mode.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, owner?: FileOwner): Promise<void> {
  let tmp: string | undefined;
  try {
    tmp = await createTemp(file, data, owner);
    await fsp.rename(tmp, file);
  } catch (err) {
    // only ever remove the temp file this call created (an unlink never follows a link)
    if (tmp !== undefined) await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err instanceof StoreError ? err : new StoreWriteError(file, err);
  }
  await fsyncDir(path.dirname(file));
}

/**
 * Writes `data` to a new temp file next to `file` and returns its path. The name is random and created
 * with O_EXCL, so whatever already has that name (a planted folder, a link) is never written through:
 * another random name is tried instead.
 */
async function createTemp(file: string, data: string | Uint8Array, owner?: FileOwner): Promise<string> {
  for (let tries = 1; ; tries++) {
    const tmp = tempPathFor(file);
    try {
      await writeNewPrivateFile(tmp, data, owner);
      return tmp;
    } catch (err) {
      if (!isErrno(err, 'EEXIST') || tries >= TEMP_NAME_TRIES) throw err;
    }
  }
}

/** Flushes a folder's entries (a rename inside it) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Removes temp files of `base` left in `dir` by writers that died mid-write. Call it only while holding
 * the file's lock: every writer makes its temp file under that lock, so any temp file seen then is a
 * leftover, whether its pid is dead, reused, or our own. Returns the names removed.
 */
export async function removeStaleTemps(dir: string, base: string): Promise<string[]> {
  const pattern = tempFilePattern(base);
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => pattern.test(e.name));
  // Only regular files can be our leftovers: a folder (or anything else) with such a name is someone
  // else's, is left alone, and cannot collide with a new temp file (see createTemp).
  const names = entries.filter((e) => e.isFile()).map((e) => e.name);
  await Promise.all(names.map((name) => fsp.rm(path.join(dir, name), { force: true }).catch(() => undefined)));
  return names;
}

/** Writes `data` to a new file (never replacing one) with mode 0600 whatever the umask, and fsyncs it. */
export async function writeNewPrivateFile(file: string, data: string | Uint8Array, owner?: FileOwner): Promise<void> {
  // O_EXCL: never opens an existing name, a symlink included, so the chown below only touches this new file
  const fh = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
    if (owner) await fh.chown(owner.uid, owner.gid);
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
