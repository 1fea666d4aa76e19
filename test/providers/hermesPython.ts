/**
 * Runs Hermes Agent's own code (../shared/hermes-agent) through test/fixtures/hermes_providers.py against
 * a Hermes home, with HOME a temp folder and the network closed, and returns what it printed as JSON.
 * Needs a python3 with httpx, yaml and dotenv (Hermes Agent imports them): HERMES_ONBOARD_TEST_PYTHON,
 * else the first of `python3`, `/usr/bin/python3` that has them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { allowedSkip } from '../helpers/requirements.js';

/** Hermes Agent's modules, beside the project checkout (shared/ is a sibling of the worktree). */
export const HERMES_AGENT_DIR = fileURLToPath(new URL('../../../../shared/hermes-agent', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/hermes_providers.py', import.meta.url));

let chosen: { python?: string; reason?: string } | undefined;

function choosePython(): { python?: string; reason?: string } {
  if (chosen) return chosen;
  if (!existsSync(path.join(HERMES_AGENT_DIR, 'hermes_cli', 'auth.py'))) {
    return (chosen = { reason: `Hermes Agent's modules are not at ${HERMES_AGENT_DIR}` });
  }
  const candidates = [process.env.HERMES_ONBOARD_TEST_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import httpx, yaml, dotenv, fcntl'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return (chosen = { python });
  }
  return (chosen = { reason: `no python3 with httpx, yaml and python-dotenv (tried ${candidates.join(', ')})` });
}

/** True when Hermes Agent can be run; otherwise skips the test (fails in CI). */
export function needHermesAgent(t: TestContext): boolean {
  const reason = allowedSkip(choosePython().reason);
  if (reason === undefined) return true;
  t.diagnostic(`skipped: ${reason}`);
  t.skip(reason);
  return false;
}

/**
 * Runs one hermes_providers.py command with HERMES_HOME=`home` and HOME=`userHome`, in a clean
 * environment (plus `extraEnv`); returns its JSON. Throws with its stderr when it fails.
 */
export function runHermes<T = Record<string, unknown>>(
  userHome: string,
  home: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): T {
  const { python } = choosePython();
  if (!python) throw new Error('runHermes called without a usable python3');
  const r = spawnSync(python, [SCRIPT, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: userHome,
      HERMES_HOME: home,
      PYTHONPATH: HERMES_AGENT_DIR,
      PYTHONDONTWRITEBYTECODE: '1',
      ...extraEnv,
    },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`hermes_providers.py ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}
