/** Crash-safe file replacement: temp file (0600 from creation) → write → fsync → rename → fsync of the folder. */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

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
  const tmp = tempPathFor(file);
  try {
    await writeNewPrivateFile(tmp, data, owner);
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDir(path.dirname(file));
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
  const names = (await fsp.readdir(dir)).filter((name) => pattern.test(name));
  await Promise.all(names.map((name) => fsp.rm(path.join(dir, name), { force: true })));
  return names;
}

/** Writes `data` to a new file (never replacing one) with mode 0600 whatever the umask, and fsyncs it. */
export async function writeNewPrivateFile(file: string, data: string | Uint8Array, owner?: FileOwner): Promise<void> {
  const fh = await fsp.open(file, 'wx', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
    if (owner) await fh.chown(owner.uid, owner.gid);
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
