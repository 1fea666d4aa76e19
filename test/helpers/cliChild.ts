/**
 * The real command line as a child process: `hermes-onboard serve --port 0 --home <dir>`, with an environment
 * the test controls, waited for until it prints its address, and killed when the test ends; and the pieces
 * any CLI child shares: the kill when the test ends and the waits on what it prints.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { spawnServe, type ServeChild } from './spawnServe.js';

export { CLI, childEnv, START_TIMEOUT_MS, watchOutput, type ChildExit, type ChildOutput } from './spawnServe.js';

/** A running `hermes-onboard serve`. */
export type CliServer = ServeChild;

/** Kills `proc` (SIGKILL) when the test `t` ends, unless it has exited: a failed test never leaves a child behind. */
export function killWhenDone(t: TestContext, proc: ChildProcess): void {
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
}

/** Starts `serve --port 0 --home <home>` with `env` (on top of childEnv); resolves once it listens, killed when `t` ends. */
export async function startCli(t: TestContext, home: string, env: Record<string, string>): Promise<CliServer> {
  const server = await spawnServe({ home, env });
  killWhenDone(t, server.proc);
  return server;
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
