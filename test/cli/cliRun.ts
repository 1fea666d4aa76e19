/**
 * A run-to-completion CLI command (`login`, `status`) as a real child process, built on the shared CLI child
 * pieces: a clean environment, its output collected, waits on what it prints (never on sleeps), and a kill
 * when the test ends.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { TestContext } from 'node:test';
import { CLI, childEnv, killWhenDone, START_TIMEOUT_MS, watchOutput, type ChildOutput } from '../helpers/cliChild.js';
import { guarded } from '../helpers/harness.js';

/** The code box line, e.g. "│   ABCD-EFGH   │". */
const CODE_RE = /│\s+(\S+)\s+│/;

/** A running `hermes-onboard <command>`. */
export interface CliRun extends ChildOutput {
  proc: ChildProcessWithoutNullStreams;
}

/** Starts `hermes-onboard ...args` with HOME=`home` and `env` on top of a clean environment; killed when `t` ends. */
export function runCli(t: TestContext, home: string, args: string[], env: Record<string, string> = {}): CliRun {
  const proc = spawn(process.execPath, [CLI, ...args], { env: childEnv({ HOME: home, ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
  killWhenDone(t, proc);
  return { proc, ...watchOutput(proc, `hermes-onboard ${args[0]}`) };
}

/** Resolves with the user code `login` prints in its box. */
export async function waitForCode(run: CliRun): Promise<string> {
  return (await run.waitFor(CODE_RE))[1]!;
}

/** Runs `hermes-onboard ...args` to its end; resolves with its exit and output. */
export async function runToEnd(t: TestContext, home: string, args: string[], env: Record<string, string> = {}) {
  const run = runCli(t, home, args, env);
  const exit = await guarded(run.exited, `hermes-onboard ${args[0]} to finish`, START_TIMEOUT_MS);
  return { ...exit, stdout: run.stdout(), stderr: run.stderr() };
}
