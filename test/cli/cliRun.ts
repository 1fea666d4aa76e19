/**
 * A run-to-completion CLI command (`login`, `status`) as a real child process: its stdout and stderr
 * collected, waits on what it prints (never on sleeps), and a kill when the test ends.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { TestContext } from 'node:test';
import { CLI, childEnv, type ChildExit } from '../helpers/cliChild.js';
import { guarded } from '../helpers/harness.js';

/** Longest a wait on the child may take (a cold start on a loaded machine included). */
const GUARD_MS = 20_000;

/** A running `hermes-onboard <command>`. */
export interface CliRun {
  proc: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<ChildExit>;
  /** Resolves with the first match of `pattern` in stdout (now or later); rejects when the child exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

/** Starts `hermes-onboard ...args` with HOME=`home` and `env` on top of a clean environment. */
export function runCli(t: TestContext, home: string, args: string[], env: Record<string, string> = {}): CliRun {
  const proc = spawn(process.execPath, [CLI, ...args], { env: childEnv({ HOME: home, ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<ChildExit>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  const waitFor = (pattern: RegExp): Promise<RegExpExecArray> => {
    let onData = () => {};
    const found = new Promise<RegExpExecArray>((resolve, reject) => {
      onData = () => {
        const match = pattern.exec(out);
        if (match) resolve(match);
      };
      proc.stdout.on('data', onData);
      onData();
      void exited.then(({ code, signal }) => reject(new Error(`the command exited (${code ?? signal}) before printing ${pattern}: ${out}\n${err}`)));
    });
    return guarded(found, `the command to print ${pattern}`, GUARD_MS).finally(() => proc.stdout.off('data', onData));
  };
  return { proc, stdout: () => out, stderr: () => err, exited, waitFor };
}

/** Runs `hermes-onboard ...args` to its end; resolves with its exit and output. */
export async function runToEnd(t: TestContext, home: string, args: string[], env: Record<string, string> = {}) {
  const run = runCli(t, home, args, env);
  const exit = await guarded(run.exited, `hermes-onboard ${args[0]} to finish`, GUARD_MS);
  return { ...exit, stdout: run.stdout(), stderr: run.stderr() };
}
