/** Shared helpers of the store tests: temp homes, and child processes (Node and Python) spoken to by lines. */
import { allowedSkip } from '../helpers/requirements.js';
import { requirePython } from '../helpers/python.js';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams, type SpawnOptionsWithoutStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** The compiled Node child (dist/test/fixtures/store-child.js). */
export const NODE_CHILD = fileURLToPath(new URL('../fixtures/store-child.js', import.meta.url));
/** The Python stand-in for Hermes Agent; .py files are not compiled, so it is read from the source tree. */
export const PYTHON_CHILD = fileURLToPath(new URL('../../../test/fixtures/hermes_auth.py', import.meta.url));

/** A fresh temp folder, removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'hermes-store-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}


export { needPython } from '../helpers/python.js';

/** A child process spoken to by lines: wait for a line it prints, send it a line, wait for its exit. */
export class LineChild {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = '';
  #waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = [];

  constructor(command: string, args: string[], options: SpawnOptionsWithoutStdio = {}) {
    this.proc = spawn(command, args, { ...options, stdio: 'pipe' });
    this.proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.#onLine(line));
    this.exited = new Promise((resolve) => this.proc.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Everything the child wrote on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the next line (or an earlier unclaimed one) equal to `expected`; rejects if the child exits first. */
  waitFor(expected: string): Promise<string> {
    const match = (line: string) => line === expected;
    const seen = this.lines.findIndex(match);
    if (seen >= 0) return Promise.resolve(this.lines.splice(seen, 1)[0]!);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ match, resolve });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`child exited (${code ?? signal}) before printing "${expected}": ${this.#stderr}`)),
      );
    });
  }

  /** Writes one line to the child's stdin. */
  send(line = 'go'): void {
    this.proc.stdin.write(`${line}\n`);
  }

  /** Waits for the exit and asserts it was clean. */
  async succeeded(): Promise<void> {
    const { code, signal } = await this.exited;
    if (code !== 0) throw new Error(`child failed (${code ?? signal}): ${this.#stderr}`);
  }

  #onLine(line: string): void {
    const index = this.#waiters.findIndex((w) => w.match(line));
    if (index < 0) {
      this.lines.push(line);
      return;
    }
    this.#waiters.splice(index, 1)[0]!.resolve(line);
  }
}

/** Starts a child that is killed when the test ends, so a failed test never leaves a lock holder behind. */
function ownedChild(t: TestContext, command: string, args: string[], options: SpawnOptionsWithoutStdio): LineChild {
  const child = new LineChild(command, args, options);
  t.after(() => {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  });
  return child;
}

/** Starts the Node store child with a command. */
export function nodeChild(t: TestContext, args: string[], options: SpawnOptionsWithoutStdio = {}): LineChild {
  return ownedChild(t, process.execPath, [NODE_CHILD, ...args], options);
}

/** Starts the Python (Hermes Agent stand-in) child with a command. */
export function pythonChild(t: TestContext, args: string[]): LineChild {
  return ownedChild(t, requirePython(['fcntl']), [PYTHON_CHILD, ...args], {});
}

/** The kinds of file system a Hermes home is mounted on in the lock tests. */
export type MountKind = 'tmpfs' | 'overlay';

/**
 * A fresh folder on its own tmpfs, or the merged folder of an overlay mount (`lower` gets `lowerFiles` first,
 * so they are copied up on first write, as in a container image), unmounted and removed when the test ends.
 * Mounting needs root: elsewhere the test skips with the reason; in CI (CI=true) it fails instead.
 */
export function mountedDir(t: TestContext, kind: MountKind, lowerFiles: Record<string, string> = {}): string | undefined {
  const base = mkdtempSync(path.join(os.tmpdir(), `hermes-${kind}-`));
  const mounts: string[] = [];
  t.after(() => {
    for (const target of mounts.reverse()) {
      // A child that failed the test may still hold a file open there: detach lazily then.
      if (spawnSync('umount', [target]).status !== 0) spawnSync('umount', ['--lazy', target]);
    }
    rmSync(base, { recursive: true, force: true });
  });
  const mount = (args: string[], target: string): string | undefined => {
    const r = spawnSync('mount', [...args, target], { encoding: 'utf8' });
    if (r.status === 0) {
      mounts.push(target);
      return undefined;
    }
    return `cannot mount ${kind} (mount ${args.join(' ')}: ${(r.error?.message ?? r.stderr).trim()}); mounting needs root`;
  };
  let failure: string | undefined;
  let home: string;
  if (kind === 'tmpfs') {
    home = path.join(base, 'home');
    mkdirSync(home);
    failure = mount(['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs'], home);
  } else {
    const [lower, upper, work] = ['lower', 'upper', 'work'].map((name) => path.join(base, name)) as [string, string, string];
    home = path.join(base, 'merged');
    for (const dir of [lower, upper, work, home]) mkdirSync(dir);
    for (const [name, text] of Object.entries(lowerFiles)) writeFileSync(path.join(lower, name), text, { mode: 0o600 });
    failure = mount(['-t', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, 'overlay'], home);
  }
  const reason = allowedSkip(failure);
  if (reason === undefined) return home;
  t.diagnostic(`skipped: ${reason}`);
  t.skip(reason);
  return undefined;
}

/** The file system type the kernel reports for `dir` (`tmpfs`, `overlayfs`, `ext2/ext3`…), from stat -f. */
export function fsTypeOf(dir: string): string {
  return spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
}
