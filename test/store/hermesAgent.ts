/**
 * Runs Hermes Agent's own credential code (../shared/hermes-agent) through test/fixtures/hermes_lifecycle.py:
 * HOME an empty temp folder, HERMES_HOME the home under test, the network closed by the script. Python and
 * the Hermes Agent folder come from test/helpers/python.ts (needHermes skips with a reason, fails in CI).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fixture, hermesEnv as cleanEnv, hermesPython } from '../helpers/python.js';
import { LineChild, tempDir } from './helpers.js';

export { needHermes } from '../helpers/python.js';

const SCRIPT = fixture('hermes_lifecycle.py');

/** The environment Hermes Agent runs in: nothing of ours, HOME empty, HERMES_HOME the home under test. */
function hermesEnv(t: TestContext, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv(tempDir(t, 'hermes-user-'), home, extra);
}

/** Runs one command of hermes_lifecycle.py and returns the JSON it printed last. */
export function runHermes<T = unknown>(t: TestContext, home: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): T {
  const r = spawnSync(hermesPython(), [SCRIPT, ...args], { env: hermesEnv(t, home, extraEnv), encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`hermes_lifecycle.py ${args[0]} failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Runs several commands in one Python process (importing Hermes Agent takes seconds); one JSON result each. */
export function runHermesBatch(t: TestContext, home: string, commands: string[][]): unknown[] {
  const r = spawnSync(hermesPython(), [SCRIPT, 'batch', JSON.stringify(commands)], { env: hermesEnv(t, home), encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`hermes_lifecycle.py batch failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown);
}

/** Starts a long-running command (hold-mark) as a LineChild, killed when the test ends. */
export function hermesChild(t: TestContext, home: string, args: string[]): LineChild {
  const child = new LineChild(hermesPython(), [SCRIPT, ...args], { env: hermesEnv(t, home) });
  t.after(() => {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  });
  return child;
}

/** One entry of `list`, as Hermes Agent sees it. */
export interface HermesListEntry {
  id: string;
  label: string;
  source: string;
  priority: number;
  last_status: string | null;
  classified: string | null;
  show_retry: boolean | null;
  exhausted_until: number | null;
  shown: string;
}

/** What `list` prints: the pool after load_pool, and the entry `hermes auth list` marks as current. */
export interface HermesList {
  entries: HermesListEntry[];
  current: string | null;
}

/** Runs a few lines of Python against the home with Hermes Agent importable; returns the JSON it prints last. */
export function hermesEval<T = unknown>(t: TestContext, home: string, code: string): T {
  // the drivers' sandbox closes the network before the code imports anything of Hermes Agent
  const prelude = [`import sys; sys.path.insert(0, ${JSON.stringify(path.dirname(SCRIPT))})`, 'import hermes_sandbox, json'].join('\n');
  const r = spawnSync(hermesPython(), ['-c', `${prelude}\n${code}`], { env: hermesEnv(t, home), encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
