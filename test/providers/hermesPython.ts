/**
 * Runs Hermes Agent's own code (../shared/hermes-agent) through test/fixtures/hermes_providers.py against
 * a Hermes home, with HOME a temp folder and the network closed, and returns what it printed as JSON.
 * Python and the Hermes Agent folder come from test/helpers/python.ts.
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fixture, hermesEnv, hermesPython, needHermes } from '../helpers/python.js';

const SCRIPT = fixture('hermes_providers.py');

/** True when Hermes Agent can be run; otherwise skips the test (fails in CI). */
export function needHermesAgent(t: TestContext): boolean {
  return needHermes(t);
}

/**
 * Runs one hermes_providers.py command with HERMES_HOME=`home` and HOME=`userHome`, in a clean
 * environment (plus `extraEnv`); returns its JSON. Throws with its stderr when it fails. A secret the
 * command needs goes in `stdin`, never in `args` (argv is visible to every user of the machine).
 */
export function runHermes<T = Record<string, unknown>>(
  userHome: string,
  home: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  stdin = '',
): T {
  const r = spawnSync(hermesPython(), [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000, env: hermesEnv(userHome, home, extraEnv), input: stdin });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`hermes_providers.py ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}
