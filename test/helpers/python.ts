/**
 * The one place tests pick a Python interpreter and find Hermes Agent's code. `python3` on PATH may be a
 * shim (pyenv) without the packages Hermes Agent imports while the system's /usr/bin/python3 has them, so
 * each caller names the modules it needs and gets the first interpreter that imports them all.
 * Override with HERMES_ONBOARD_PYTHON; point at another Hermes Agent checkout with HERMES_AGENT_DIR.
 * Missing tools skip with a printed reason on a developer's machine and fail in CI (see requirements.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { allowedSkip } from './requirements.js';

/** The repository root (this file runs from dist/test/helpers/). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** What Hermes Agent's credential code imports beyond the standard library (and the lock it takes). */
export const HERMES_MODULES = ['fcntl', 'httpx', 'yaml', 'dotenv'] as const;

/** Hermes Agent's modules: $HERMES_AGENT_DIR, else ../shared/hermes-agent next to the repository. */
export function hermesAgentDir(): string {
  return process.env.HERMES_AGENT_DIR || path.resolve(REPO, '..', 'shared', 'hermes-agent');
}

/** A driver script in test/fixtures (.py files are not compiled, so read from the source tree). */
export function fixture(name: string): string {
  return path.join(REPO, 'test', 'fixtures', name);
}

/** An interpreter, or why there is none. */
export interface PythonChoice {
  python?: string;
  reason?: string;
}

const chosen = new Map<string, PythonChoice>();

/** The first of $HERMES_ONBOARD_PYTHON, python3, /usr/bin/python3 that imports every one of `modules` (cached). */
export function pythonFor(modules: readonly string[]): PythonChoice {
  const key = [...modules].sort().join(',');
  const known = chosen.get(key);
  if (known) return known;
  const candidates = [process.env.HERMES_ONBOARD_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  let choice: PythonChoice = {
    reason: `no Python imports ${modules.join(', ')} (tried ${candidates.join(', ')}; apt-get install python3-httpx python3-yaml python3-dotenv, or set HERMES_ONBOARD_PYTHON)`,
  };
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', `import ${modules.length ? modules.join(', ') : 'sys'}`], { encoding: 'utf8' });
    if (!r.error && r.status === 0) {
      choice = { python };
      break;
    }
  }
  chosen.set(key, choice);
  return choice;
}

/** The interpreter for `modules`; throws when there is none (call after a need* gate). */
export function requirePython(modules: readonly string[]): string {
  const { python, reason } = pythonFor(modules);
  if (!python) throw new Error(`no usable Python: ${reason}`);
  return python;
}

/** Why Hermes Agent's own code cannot run here, or undefined when it can. */
export function hermesMissingReason(): string | undefined {
  const dir = hermesAgentDir();
  for (const file of ['hermes_cli/auth.py', 'agent/credential_pool.py']) {
    if (!existsSync(path.join(dir, file))) return `Hermes Agent's modules are not at ${dir} (set HERMES_AGENT_DIR)`;
  }
  return pythonFor(HERMES_MODULES).reason;
}

/** The interpreter that runs Hermes Agent's code; throws when there is none (call after needHermes). */
export function hermesPython(): string {
  const reason = hermesMissingReason();
  if (reason !== undefined) throw new Error(reason);
  return requirePython(HERMES_MODULES);
}

/** Skips `t` with a printed reason (or fails it in CI) when `reason` is set; true when the test may go on. */
function gate(t: TestContext, missing: string | undefined): boolean {
  const reason = allowedSkip(missing);
  if (reason === undefined) return true;
  t.diagnostic(`skipped: ${reason}`);
  t.skip(reason);
  return false;
}

/** Gate for tests that run Hermes Agent's own code. */
export function needHermes(t: TestContext): boolean {
  return gate(t, hermesMissingReason());
}

/** Gate for tests that need a Python importing `modules` (the standard library's fcntl by default). */
export function needPython(t: TestContext, modules: readonly string[] = ['fcntl']): boolean {
  return gate(t, pythonFor(modules).reason);
}

/**
 * The environment Hermes Agent runs in: nothing of the caller's (tokens, HERMES_*), HOME `userHome` (an
 * empty temp folder), HERMES_HOME the home under test, Hermes Agent importable.
 */
export function hermesEnv(userHome: string, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: userHome,
    HERMES_HOME: home,
    HERMES_AGENT_DIR: hermesAgentDir(),
    PYTHONPATH: hermesAgentDir(),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
    ...extra,
  };
}
