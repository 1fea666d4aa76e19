/**
 * Runs Hermes Agent's own credential code (`<repo>/../shared/hermes-agent`) through the driver
 * test/fixtures/hermes_interop.py, with the network closed, HOME an empty temp folder and HERMES_HOME the
 * home under test. Python and the Hermes Agent folder come from test/helpers/python.ts (needHermes skips
 * with a reason where they are missing, and fails instead in CI).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { SignJWT } from 'jose';
import { fixture, hermesEnv, hermesPython } from '../helpers/python.js';

export { needHermes } from '../helpers/python.js';

/** The driver. */
const DRIVER = fixture('hermes_interop.py');
/** Longest a driver run may take (imports alone take a second or two on a loaded machine). */
const RUN_TIMEOUT_MS = 60_000;

/** One op of the driver (see test/fixtures/hermes_interop.py). */
export type HermesOp = { op: string } & Record<string, unknown>;

/** An entry as Hermes Agent's load_pool sees it. */
export interface HermesEntry {
  id: string;
  label: string;
  source: string;
  priority: number;
  access_token: string;
  refresh_token: string | null;
  last_status: string | null;
}

/** What the `read` op reports. */
export interface HermesRead {
  active_provider: string | null;
  entries?: HermesEntry[];
  selected?: HermesEntry | null;
  resolved: { api_key?: string; source?: string; error?: string; code?: string } | null;
  suppressed: Record<string, string[]> | null;
}

/** A driver run's output. */
export interface HermesRun {
  results: unknown[];
  /** Every token-refresh function Hermes Agent called (outside a simulated refresh, each one failed). */
  refresh_calls: string[];
  /** Every connect / name lookup attempted (each one failed). */
  network_attempts: string[];
}

/** Runs `ops` in one Hermes Agent process against `home`. */
export async function runHermes(t: TestContext, home: string, ops: HermesOp[]): Promise<HermesRun> {
  const exe = hermesPython();
  const userHome = mkdtempSync(path.join(os.tmpdir(), 'hermes-user-'));
  t.after(() => rmSync(userHome, { recursive: true, force: true }));
  // a clean environment: nothing of the caller's (tokens, HERMES_*) reaches Hermes Agent
  const child = spawn(exe, [DRIVER], { env: hermesEnv(userHome, home), stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  child.stdin.end(JSON.stringify({ ops }));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`Hermes Agent driver exited ${code}: ${err.slice(-2000)}`);
  return JSON.parse(out) as HermesRun;
}

/** Runs one `read` op for `provider`. */
export async function hermesRead(t: TestContext, home: string, provider: string): Promise<HermesRead & { refresh_calls: string[] }> {
  const run = await runHermes(t, home, [{ op: 'read', provider }]);
  return { ...(run.results[0] as HermesRead), refresh_calls: run.refresh_calls };
}

/** The parsed auth.json of `home`. */
export async function readStore(home: string): Promise<Record<string, unknown> & { credential_pool?: Record<string, Array<Record<string, unknown>>>; providers?: Record<string, Record<string, unknown>> }> {
  return JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8')) as never;
}

const KEY = new TextEncoder().encode('interop-test-signing-key-0123456789');

/** A JWT (HS256, test key) with these claims, issued now and valid for `ttlSeconds` (an hour). */
export async function jwt(claims: Record<string, unknown>, ttlSeconds = 3600): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat, exp: iat + ttlSeconds, jti: Math.random().toString(36).slice(2), ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(KEY);
}

/** An OpenAI (ChatGPT) access token for an account, with the claims OpenAI puts in it. */
export function codexAccessToken(account: { accountId: string; sub: string; email?: string; plan?: string }): Promise<string> {
  return jwt({
    sub: account.sub,
    'https://api.openai.com/auth': { chatgpt_account_id: account.accountId, ...(account.plan && { chatgpt_plan_type: account.plan }) },
    ...(account.email && { 'https://api.openai.com/profile': { email: account.email } }),
  });
}

/** A random refresh token. */
export function refreshToken(prefix: string): string {
  return `${prefix}-rt-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
