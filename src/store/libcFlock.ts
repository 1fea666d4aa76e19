/**
 * flock(2) straight from the C library, called through koffi: an FFI whose prebuilt binaries arrive as
 * per-platform npm packages, so installing needs no compiler and no install script. It is the kernel lock
 * Python's `fcntl.flock` takes (Hermes Agent), not an fcntl/OFD record lock, which on Linux would not
 * exclude a flock holder at all.
 */
import koffi, { type KoffiFunc, type LibraryHandle } from 'koffi';
import { getSystemErrorName } from 'node:util';

/** flock(2) operations: the same values in Linux's and macOS's <sys/file.h>. */
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/** The platform has no C library this program knows how to load flock(2) from. */
export class UnsupportedPlatformError extends Error {
  override name = 'UnsupportedPlatformError';
}

/**
 * The C library to take flock from on `platform`, as names to try in order. glibc's is `libc.so.6`. musl's
 * dynamic loader is the C library itself and answers to `libc.so` without a file on disk (a glibc machine's
 * `libc.so` is a linker script, which never loads, so it is only the fallback). On macOS libSystem carries it.
 */
export function libcCandidates(platform: NodeJS.Platform): string[] {
  switch (platform) {
    case 'linux':
      return ['libc.so.6', 'libc.so'];
    case 'darwin':
      return ['/usr/lib/libSystem.B.dylib'];
    default:
      throw new UnsupportedPlatformError(
        `hermes-onboard cannot run on ${platform}: it locks auth.json with flock(2) from the C library, as Hermes ` +
          'Agent does, and knows how to load it only on Linux (glibc or musl) and macOS.',
      );
  }
}

/** The first of `names` koffi can load; otherwise an error naming the platform and every name tried. */
function loadLibc(names: string[]): LibraryHandle {
  const failures: string[] = [];
  for (const name of names) {
    try {
      return koffi.load(name);
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new UnsupportedPlatformError(
    `hermes-onboard cannot load the C library on ${process.platform} ${process.arch} to lock auth.json with flock(2) (${failures.join('; ')}).`,
  );
}

type FlockFn = KoffiFunc<(fd: number, operation: number) => number>;

/** Loaded once at start-up, so an unsupported platform fails there with a clear message, not at the first save. */
const flock: FlockFn = loadLibc(libcCandidates(process.platform)).func('int flock(int fd, int operation)');

const { EINTR, EWOULDBLOCK, EAGAIN } = koffi.os.errno;

/** A failed flock call as Node reports failed system calls (`code` such as 'EBADF' or 'ENOLCK'). */
function flockError(errno: number): NodeJS.ErrnoException {
  // libuv's error numbers are the negated errno on every POSIX platform.
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`flock failed: ${code}`), { code, errno: -errno, syscall: 'flock' });
}

/** One LOCK_EX|LOCK_NB attempt on the calling thread: true when taken, false when another holder has it. */
export function tryLockExclusive(fd: number): boolean {
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
    const errno = koffi.errno();
    if (errno === EWOULDBLOCK || errno === EAGAIN) return false;
    if (errno !== EINTR) throw flockError(errno);
  }
}

/** Releases the lock held through `fd`. */
export function unlock(fd: number): void {
  for (;;) {
    if (flock(fd, LOCK_UN) === 0) return;
    const errno = koffi.errno();
    if (errno !== EINTR) throw flockError(errno);
  }
}

/**
 * A blocking LOCK_EX on one of libuv's worker threads (koffi's async call): resolves once the kernel grants
 * the lock, in the order it queues waiters, while the event loop stays free. The call cannot be cancelled;
 * see lock.ts for how a wait that outlives its caller is handled.
 */
export function lockExclusiveOnWorker(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () =>
      flock.async(fd, LOCK_EX, (err: unknown, result: number) => {
        if (err) return reject(err);
        if (result === 0) return resolve();
        // koffi restores the worker's errno while this callback runs.
        const errno = koffi.errno();
        if (errno === EINTR) return attempt();
        reject(flockError(errno));
      });
    attempt();
  });
}
