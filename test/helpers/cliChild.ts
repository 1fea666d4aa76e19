/**
 * The real command line as a child process: `hermes-onboard serve --port 0 --home <dir>`, with an environment
 * the test controls, waited for until it prints its address, and killed when the test ends.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { guarded } from './harness.js';

/** The compiled CLI (dist/src/cli.js). */
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Longest the child may take to print its address (a cold start on a loaded machine). */
const START_GUARD_MS = 20_000;

/** How the child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `hermes-onboard serve`. */
export interface CliServer {
  /** Its base URL, from the "listening on" log line. */
  url: string;
  proc: ChildProcessWithoutNullStreams;
  /** Every stdout line (JSON log lines) so far. */
  output: string[];
  /** Everything written on stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<ChildExit>;
  /** Resolves with the first output line containing `text` (now or later); rejects when the child exits first. */
  waitForLine(text: string): Promise<string>;
}

/** Our environment without anything that would change the child's behaviour (HERMES_*, proxies, extra CAs), plus `extra`. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('HERMES_') && !/proxy/i.test(k) && k !== 'NODE_EXTRA_CA_CERTS') env[k] = v;
  }
  return { ...env, ...extra };
}

/** Starts `serve --port 0 --home <home>` with `env` (on top of childEnv); resolves once it listens. */
export async function startCli(t: TestContext, home: string, env: Record<string, string>): Promise<CliServer> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--home', home], {
    env: childEnv({ HOME: home, HERMES_ONBOARD_LOG_LEVEL: 'info', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const output: string[] = [];
  const lineWaiters = new Set<() => void>();
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    output.push(line);
    for (const wake of [...lineWaiters]) wake();
  });
  const exited = new Promise<ChildExit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));

  const waitForLine = (text: string): Promise<string> => {
    let wake = () => {};
    const found = new Promise<string>((resolve, reject) => {
      wake = () => {
        const line = output.find((l) => l.includes(text));
        if (line !== undefined) resolve(line);
      };
      lineWaiters.add(wake);
      wake();
      void exited.then(({ code, signal }) => reject(new Error(`the server exited (${code ?? signal}) before printing "${text}": ${stderr}`)));
    });
    return guarded(found, `the server to print "${text}"`, START_GUARD_MS).finally(() => lineWaiters.delete(wake));
  };

  const line = await waitForLine('listening on');
  let url: string | undefined;
  try {
    url = /listening on (http:\/\/[^\s"]+)/.exec((JSON.parse(line) as { msg: string }).msg)?.[1];
  } catch (error) {
    throw new Error(`the "listening on" line is not a JSON log line: ${line} (${(error as Error).message})`);
  }
  if (!url) throw new Error(`no address in the "listening on" line: ${line}`);
  return { url, proc, output, stderr: () => stderr, exited, waitForLine };
}

/** POSTs JSON to the child; returns the status and parsed body. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Why /proc/<pid>/fd cannot be read here (not Linux), or undefined when it can. */
export function procFdMissingReason(): string | undefined {
  try {
    readdirSync(`/proc/${process.pid}/fd`);
    return undefined;
  } catch {
    return 'this system has no /proc/<pid>/fd to see which files a process holds open';
  }
}

/** True when process `pid` holds `file` open (read from /proc/<pid>/fd; Linux only). */
export function holdsOpen(pid: number, file: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
    } catch {
      return false; // closed meanwhile
    }
  });
}
