/**
 * Runs Hermes Agent's own credential code (../shared/hermes-agent) through test/fixtures/hermes_lifecycle.py:
 * HOME an empty temp folder, HERMES_HOME the home under test, the network closed by the script. Needs a
 * python3 with httpx, yaml and python-dotenv (what Hermes Agent imports); skips with a reason where there is
 * none, and fails instead in CI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { allowedSkip } from '../helpers/requirements.js';
import { LineChild, tempDir } from './helpers.js';

/** The repository root (this file runs from dist/test/store/). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Hermes Agent's modules: HERMES_AGENT_DIR, else ../shared/hermes-agent next to the repository. */
export const HERMES_AGENT_DIR = process.env.HERMES_AGENT_DIR ?? path.resolve(REPO, '../shared/hermes-agent');
const SCRIPT = path.join(REPO, 'test/fixtures/hermes_lifecycle.py');

let found: { python?: string; reason?: string } | undefined;

/** The python able to import Hermes Agent's credential modules, or why there is none. */
function findPython(): { python?: string; reason?: string } {
  if (found) return found;
  if (!existsSync(path.join(HERMES_AGENT_DIR, 'agent/credential_pool.py'))) {
    return (found = { reason: `Hermes Agent's modules are not at ${HERMES_AGENT_DIR} (set HERMES_AGENT_DIR)` });
  }
  const candidates = [process.env.HERMES_TEST_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import fcntl, httpx, yaml, dotenv'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return (found = { python });
  }
  return (found = { reason: 'no python3 with httpx, yaml and python-dotenv (apt-get install python3-httpx python3-yaml python3-dotenv)' });
}

/** Skips the test with a printed reason when Hermes Agent cannot run here; true when it can. */
export function needHermes(t: TestContext): boolean {
  const reason = allowedSkip(findPython().reason);
  if (reason === undefined) return true;
  t.diagnostic(`skipped: ${reason}`);
  t.skip(reason);
  return false;
}

/** The environment Hermes Agent runs in: nothing of ours, HOME empty, HERMES_HOME the home under test. */
function hermesEnv(t: TestContext, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...extra,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tempDir(t, 'hermes-user-'),
    HERMES_HOME: home,
    PYTHONPATH: HERMES_AGENT_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
  };
}

/** Runs one command of hermes_lifecycle.py and returns the JSON it printed last. */
export function runHermes<T = unknown>(t: TestContext, home: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): T {
  const r = spawnSync(findPython().python!, [SCRIPT, ...args], { env: hermesEnv(t, home, extraEnv), encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`hermes_lifecycle.py ${args[0]} failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Runs several commands in one Python process (importing Hermes Agent takes seconds); one JSON result each. */
export function runHermesBatch(t: TestContext, home: string, commands: string[][]): unknown[] {
  const r = spawnSync(findPython().python!, [SCRIPT, 'batch', JSON.stringify(commands)], { env: hermesEnv(t, home), encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`hermes_lifecycle.py batch failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown);
}

/** Starts a long-running command (hold-mark) as a LineChild, killed when the test ends. */
export function hermesChild(t: TestContext, home: string, args: string[]): LineChild {
  const child = new LineChild(findPython().python!, [SCRIPT, ...args], { env: hermesEnv(t, home) });
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
  const prelude = [
    'import json, socket',
    'def _closed(*a, **k): raise OSError("network closed")',
    'socket.socket.connect = _closed; socket.getaddrinfo = _closed; socket.create_connection = _closed',
  ].join('\n');
  const r = spawnSync(findPython().python!, ['-c', `${prelude}\n${code}`], { env: hermesEnv(t, home), encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
