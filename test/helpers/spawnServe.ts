/**
 * The real server as a child process, shared by the tests and the benchmarks: `node dist/src/cli.js serve
 * --port 0 --home <home>` in a scrubbed environment, its output read line by line, and its address taken from
 * the "listening on" log line. No test context and no app imports.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI (dist/src/cli.js). */
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Longest the child may take to print a line waited for (a cold start on a loaded machine). */
export const START_TIMEOUT_MS = 20_000;
/** How long `stop` lets the child shut down after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5000;

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** True for a variable that would change the child's behaviour: HERMES_* settings, proxies, extra CAs. */
function scrubbed(name: string): boolean {
  return name.startsWith('HERMES_') || /proxy/i.test(name) || name === 'NODE_EXTRA_CA_CERTS';
}

/** Our environment without anything that would change the child's behaviour (HERMES_*, proxies, extra CAs), plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!scrubbed(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** What a child printed, and waits on it. */
export interface ChildOutput {
  /** Everything written on stdout so far. */
  stdout(): string;
  /** The complete stdout lines so far (a live array). */
  lines: string[];
  /** Everything written on stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited and its output is all read. */
  exited: Promise<ChildExit>;
  /** Resolves with the first match of `pattern` in stdout (now or later); rejects when the child exits first or after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
}

/** Collects a child's stdout and stderr and answers waits on stdout, re-checked on each chunk (never on a timer). */
export function watchOutput(proc: ChildProcessWithoutNullStreams, what = 'the command'): ChildOutput {
  let out = '';
  let err = '';
  const lines: string[] = [];
  const wakers = new Set<() => void>();
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const complete = out.split('\n');
    lines.splice(0, lines.length, ...complete.slice(0, -1));
    for (const wake of [...wakers]) wake();
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<ChildExit>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  const waitFor = (pattern: RegExp, ms = START_TIMEOUT_MS): Promise<RegExpExecArray> =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const settle = (done: () => void) => {
        clearTimeout(timer);
        wakers.delete(check);
        done();
      };
      const check = () => {
        const match = pattern.exec(out);
        if (match) settle(() => resolve(match));
      };
      const timer = setTimeout(() => settle(() => reject(new Error(`timed out after ${ms} ms waiting for ${what} to print ${pattern}`))), ms);
      wakers.add(check);
      check();
      void exited.then(({ code, signal }) => {
        check();
        settle(() => reject(new Error(`${what} exited (${code ?? signal}) before printing ${pattern}:\n${out}\n${err}`)));
      });
    });
  return { stdout: () => out, lines, stderr: () => err, exited, waitFor };
}

/** What to start. */
export interface ServeOptions {
  /** The Hermes home (`--home`); also the child's HOME unless `env` says otherwise. */
  home: string;
  /** Variables on top of childEnv (and of HOME and HERMES_ONBOARD_LOG_LEVEL=info). */
  env?: Record<string, string>;
  /** More command-line arguments after `serve --port 0 --home <home>`. */
  args?: readonly string[];
}

/** A running `hermes-onboard serve`. */
export interface ServeChild {
  /** Its base URL, from the "listening on" log line. */
  url: string;
  proc: ChildProcessWithoutNullStreams;
  /** Every stdout line (JSON log lines) so far. */
  output: string[];
  /** Everything written on stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited and its output is all read. */
  exited: Promise<ChildExit>;
  /** Resolves with the first output line containing `text` (now or later); rejects when the child exits first or after `ms`. */
  waitForLine(text: string, ms?: number): Promise<string>;
  /** Sends SIGTERM (SIGKILL after a grace period) unless it has exited; resolves once it has. */
  stop(): Promise<ChildExit>;
}

/** The address in a "listening on" line, which must be a JSON log line. */
function listeningUrl(line: string): string {
  let url: string | undefined;
  try {
    url = /listening on (http:\/\/[^\s"]+)/.exec((JSON.parse(line) as { msg: string }).msg)?.[1];
  } catch (error) {
    throw new Error(`the "listening on" line is not a JSON log line: ${line} (${(error as Error).message})`);
  }
  if (!url) throw new Error(`no address in the "listening on" line: ${line}`);
  return url;
}

/** Starts `serve --port 0 --home <home>`; resolves once it listens, or kills it and rejects saying why. */
export async function spawnServe(options: ServeOptions): Promise<ServeChild> {
  const { home } = options;
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--home', home, ...(options.args ?? [])], {
    env: childEnv({ HOME: home, HERMES_ONBOARD_LOG_LEVEL: 'info', ...options.env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const watched = watchOutput(proc, 'the server');
  const { exited } = watched;
  const running = () => proc.exitCode === null && proc.signalCode === null;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const waitForLine = async (text: string, ms = START_TIMEOUT_MS): Promise<string> =>
    (await watched.waitFor(new RegExp(`^.*${escape(text)}.*$`, 'm'), ms))[0];

  const stop = async (): Promise<ChildExit> => {
    if (!running()) return exited;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    return exited.finally(() => clearTimeout(killer));
  };

  try {
    const url = listeningUrl(await waitForLine('listening on'));
    return { url, proc, output: watched.lines, stderr: watched.stderr, exited, waitForLine, stop };
  } catch (error) {
    if (running()) proc.kill('SIGKILL');
    throw error;
  }
}
