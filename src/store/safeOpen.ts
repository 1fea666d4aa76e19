/**
 * Opening files in a Hermes home without trusting what is planted there. When root serves a user's home,
 * the user controls every name in it: a symlink would make root read or write any file on the machine,
 * and a FIFO would block a read forever. So every file the store opens is opened with O_NOFOLLOW (and
 * O_NONBLOCK, so a FIFO cannot block the open), then checked on the opened descriptor to be a regular file.
 */
import { constants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isErrno, PRIVATE_FILE_MODE, type FileOwner } from './atomicWrite.js';
import { StoreError } from './storeError.js';

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Largest file the store reads (auth.json, .env): far above any real one, small enough to hold in memory. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;

/** Why a path was refused. */
export type UnsafeReason = 'symlink' | 'folder' | 'not-a-file' | 'not-a-folder' | 'too-large';

/**
 * A file in a Hermes home is a symlink, a FIFO, a device, a folder… and was refused before anything was
 * read or written (a link could point root at any file on the machine; a FIFO would block forever).
 */
export class UnsafeFileError extends StoreError {
  override name = 'UnsafeFileError';
  readonly file: string;
  readonly reason: UnsafeReason;
  constructor(file: string, reason: UnsafeReason) {
    // short: a flow's error is cut at 200 characters, and what, why and what to do must all fit
    super(`Refused ${file}: it is ${describe(reason)}. ${advice(reason)}`);
    this.file = file;
    this.reason = reason;
  }
}

function describe(reason: UnsafeReason): string {
  switch (reason) {
    case 'symlink':
      return 'a symbolic link, which is never followed';
    case 'folder':
      return 'a folder, not a file';
    case 'not-a-file':
      return 'not a regular file (a FIFO, socket or device)';
    case 'not-a-folder':
      return 'not a folder';
    case 'too-large':
      return `larger than ${MAX_READ_BYTES / 1024 / 1024} MiB`;
  }
}

function advice(reason: UnsafeReason): string {
  return reason === 'symlink' ? 'Replace it with the real file.' : 'Move it out of the way.';
}

/** A refusal for an errno of an O_NOFOLLOW open: ELOOP (Linux) or EMLINK (some BSDs) mean a symlink. */
function refusalFor(file: string, err: unknown): UnsafeFileError | undefined {
  if (isErrno(err, 'ELOOP') || isErrno(err, 'EMLINK')) return new UnsafeFileError(file, 'symlink');
  if (isErrno(err, 'EISDIR')) return new UnsafeFileError(file, 'folder');
  return undefined;
}

/**
 * Refuses a symlink or a non-folder among the components of `file` that lie below `home` (not the home
 * itself, which the operator chose, nor `file`'s own name, which its open checks). Missing ones are fine.
 */
export async function checkComponentsUnder(home: string, file: string): Promise<void> {
  const rel = path.relative(path.resolve(home), path.resolve(path.dirname(file)));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return;
  let current = path.resolve(home);
  for (const part of rel.split(path.sep)) {
    current = path.join(current, part);
    let st: Stats;
    try {
      st = await fsp.lstat(current);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    if (st.isSymbolicLink()) throw new UnsafeFileError(current, 'symlink');
    if (!st.isDirectory()) throw new UnsafeFileError(current, 'not-a-folder');
  }
}

/**
 * Refuses a profile home (`<root>/profiles/<name>`) whose `profiles` or `<name>` folder is a symlink. The
 * profile was checked when it was chosen (home.ts), but a sign-in saves minutes later, time enough for the
 * home's owner to swap the folder for a link to another home; so every read and write checks again.
 */
export async function checkProfileHome(home: string): Promise<void> {
  const parent = path.dirname(path.resolve(home));
  if (path.basename(parent) !== 'profiles') return;
  await checkComponentsUnder(path.dirname(parent), path.join(home, 'auth.json'));
}

/** Refuses `st` unless it is a regular file of at most MAX_READ_BYTES. */
function checkRegular(file: string, st: Stats, maxBytes = MAX_READ_BYTES): void {
  if (st.isDirectory()) throw new UnsafeFileError(file, 'folder');
  if (!st.isFile()) throw new UnsafeFileError(file, 'not-a-file');
  if (st.size > maxBytes) throw new UnsafeFileError(file, 'too-large');
}

/**
 * Reads `file` without following a symlink and without blocking on a FIFO: undefined when it does not
 * exist; UnsafeFileError when it is a link or not a regular file; other errors (EACCES…) are thrown as they are.
 */
export async function readRegularFile(file: string): Promise<{ bytes: Buffer; stat: Stats } | undefined> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw refusalFor(file, err) ?? err;
  }
  try {
    const stat = await fh.stat();
    checkRegular(file, stat);
    return { stat, bytes: await fh.readFile() };
  } finally {
    await fh.close();
  }
}

/**
 * Checks, without opening it, that `file` is missing or a regular file (not a link, FIFO, folder…), so a
 * caller can refuse it before taking a lock.
 */
export async function checkRegularOrMissing(file: string): Promise<void> {
  let st: Stats;
  try {
    st = await fsp.lstat(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  if (st.isSymbolicLink()) throw new UnsafeFileError(file, 'symlink');
  checkRegular(file, st);
}

/**
 * Opens (creating it 0600 when missing) the lock file at `lockPath`, read-write, never through a symlink
 * and only when it is a regular file. `owner` is given only to a file this call created: chowning an
 * existing one would hand whatever it is to that owner.
 */
export async function openLockFile(lockPath: string, owner?: FileOwner): Promise<FileHandle> {
  for (;;) {
    let fh: FileHandle;
    try {
      fh = await fsp.open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, PRIVATE_FILE_MODE);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw refusalFor(lockPath, err) ?? err;
      try {
        fh = await fsp.open(lockPath, O_RDWR | O_NOFOLLOW | O_NONBLOCK);
      } catch (openErr) {
        if (isErrno(openErr, 'ENOENT')) continue; // removed between the two opens: create it again
        throw refusalFor(lockPath, openErr) ?? openErr;
      }
      try {
        checkRegular(lockPath, await fh.stat());
      } catch (checkErr) {
        await fh.close();
        throw checkErr;
      }
      return fh;
    }
    try {
      await fh.chmod(PRIVATE_FILE_MODE);
      if (owner) await fh.chown(owner.uid, owner.gid);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return fh;
  }
}
