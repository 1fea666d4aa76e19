/** Fixtures of the lifecycle tests: auth.json files in Hermes Agent's shapes, tokens with claims, file helpers. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UnsecuredJWT } from 'jose';
import type { PoolEntry } from '../../src/store/pool.js';

/** A JWT (unsigned: Hermes Agent and we only decode claims) with these claims. */
export function jwt(claims: Record<string, unknown>): string {
  return new UnsecuredJWT(claims).encode();
}

/** An OpenAI-style access token for a ChatGPT account. */
export function codexToken(opts: { accountId: string; sub: string; email?: string; exp: number; plan?: string }): string {
  return jwt({
    sub: opts.sub,
    exp: opts.exp,
    ...(opts.email && { email: opts.email }),
    'https://api.openai.com/auth': { chatgpt_account_id: opts.accountId, ...(opts.plan && { chatgpt_plan_type: opts.plan }) },
  });
}

/** Who a Codex fixture token names; an email alone names `acct-<entry id>` / `sub-<entry id>`. */
export type CodexWho = { accountId: string; sub: string; email: string } | string;

/**
 * A Codex pool entry as our sign-in saves it (docs/api.md, Files › Codex and xAI): its access token a JWT
 * naming `who` and expiring at `exp` (epoch s); `refresh: null` leaves the refresh token out.
 */
export function codexEntry(
  id: string,
  priority: number,
  who: CodexWho,
  opts: { exp: number; refresh?: string | null; label?: string; extra?: Record<string, unknown> },
): PoolEntry {
  const person = typeof who === 'string' ? { accountId: `acct-${id}`, sub: `sub-${id}`, email: who } : who;
  const refresh = opts.refresh === undefined ? `rt-${id}-0123456789` : opts.refresh;
  return {
    id,
    label: opts.label ?? `Codex OAuth (${person.email})`,
    auth_type: 'oauth',
    priority,
    source: 'manual:device_code',
    access_token: codexToken({ ...person, exp: opts.exp }),
    ...(refresh !== null && { refresh_token: refresh }),
    base_url: 'https://chatgpt.com/backend-api/codex',
    created_at: '2026-11-01T00:00:00.000Z',
    last_refresh: '2026-11-01T00:00:00.000Z',
    updated_at: '2026-11-01T00:00:00.000Z',
    ...opts.extra,
  };
}

/** A manual API-key entry as `hermes auth add <provider> --api-key` writes it. */
export function apiKeyEntry(id: string, priority: number, key: string, extra: Record<string, unknown> = {}): PoolEntry {
  return { id, label: `key-${id}`, auth_type: 'api_key', priority, source: 'manual', access_token: key, base_url: 'https://openrouter.ai/api/v1', ...extra };
}

/** Writes `<home>/auth.json` (0600) as Hermes Agent would. */
export async function writeStore(home: string, store: Record<string, unknown>): Promise<void> {
  await fsp.writeFile(path.join(home, 'auth.json'), `${JSON.stringify({ version: 1, ...store }, null, 2)}\n`, { mode: 0o600 });
}

/** Reads `<home>/auth.json`. */
export async function readStore(home: string): Promise<Record<string, unknown> & { credential_pool?: Record<string, Array<Record<string, unknown>>> }> {
  return JSON.parse(await fsp.readFile(path.join(home, 'auth.json'), 'utf8'));
}

/** The raw bytes of a file (for "nothing was written" checks). */
export function bytes(file: string): Promise<Buffer> {
  return fsp.readFile(file);
}

/** Copies a Hermes home (auth.json and .env) into another folder, for running two tools on the same start. */
export async function copyHome(from: string, to: string): Promise<void> {
  for (const name of ['auth.json', '.env']) {
    await fsp.copyFile(path.join(from, name), path.join(to, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
