/**
 * What Hermes Agent's credential pool (agent/credential_pool.py, agent/credential_sources.py) means by the
 * fields it keeps in auth.json, for the lifecycle modules (health, removal, sign in again): entry status,
 * sources, the `providers.<id>` singletons its pool is seeded from, and `suppressed_sources`.
 * Pure functions over the parsed store; nothing here reads or writes a file.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import type { AuthStore } from './authStore.js';
import { isRecord, type PoolEntry } from './pool.js';
import { StoreError } from './storeError.js';
import { jsonNumber } from './jsonText.js';

/** Providers whose login Hermes Agent keeps in `providers.<id>` and seeds into the pool, with the seeded source. */
export const SINGLETON_SOURCES: Readonly<Record<string, string>> = {
  nous: 'device_code',
  'openai-codex': 'device_code',
  'xai-oauth': 'device_code',
  'minimax-oauth': 'oauth',
};

/** The variable Hermes Agent reads Copilot's GitHub token from, and every Copilot source its removal suppresses. */
export const COPILOT_ENV_KEY = 'COPILOT_GITHUB_TOKEN';
export const COPILOT_SOURCES = ['gh_cli', 'env:COPILOT_GITHUB_TOKEN', 'env:GH_TOKEN', 'env:GITHUB_TOKEN'] as const;

/** Id of the account shown for a Copilot token that lives only in `.env` (no pool entry yet). */
export const COPILOT_ENV_ACCOUNT_ID = 'env';

/** Provider ids: Hermes' registry names and custom pools (`custom:<name>`); keeps `__proto__` and friends out. */
const PROVIDER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?::[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$/;
/** Account ids: Hermes' hex ids, or the provider-named ids of singleton and `.env` accounts. */
const ACCOUNT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A provider id or account id that cannot name anything (HTTP 400); nothing was read or written. */
export class LifecycleInputError extends StoreError {
  override name = 'LifecycleInputError';
  readonly field: 'provider' | 'account';
  constructor(field: 'provider' | 'account', value: string) {
    const shown = JSON.stringify(value.slice(0, 70));
    super(`${shown} is not a valid ${field === 'provider' ? 'provider id' : 'account id'}; nothing was changed.`);
    this.field = field;
  }
}

/** No account with this id for this provider (HTTP 404); nothing was written. */
export class AccountNotFoundError extends StoreError {
  override name = 'AccountNotFoundError';
  readonly provider: string;
  readonly accountId: string;
  constructor(provider: string, accountId: string) {
    super(`${provider} has no account "${accountId}" in this profile; nothing was changed. Reload the list of accounts and try again.`);
    this.provider = provider;
    this.accountId = accountId;
  }
}

/** Throws LifecycleInputError for a malformed provider id. */
export function checkProviderId(provider: string): void {
  if (typeof provider !== 'string' || !PROVIDER_ID_RE.test(provider)) throw new LifecycleInputError('provider', String(provider));
}

/** Throws LifecycleInputError for a malformed account id. */
export function checkAccountId(id: string): void {
  if (typeof id !== 'string' || !ACCOUNT_ID_RE.test(id)) throw new LifecycleInputError('account', String(id));
}

/** A non-empty trimmed string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** True for an object entry with a non-empty string id (what the pool helpers count as an entry). */
export function isPoolEntry(value: unknown): value is PoolEntry {
  return isRecord(value) && typeof value.id === 'string' && value.id !== '';
}

/** The provider's pool list as stored (not copied), or undefined when missing or not a list. */
export function poolList(store: AuthStore, provider: string): unknown[] | undefined {
  const pool = store.credential_pool;
  if (!isRecord(pool) || !Object.hasOwn(pool, provider)) return undefined;
  const list = (pool as Record<string, unknown>)[provider];
  return Array.isArray(list) ? list : undefined;
}

/** `providers.<id>` as stored, or undefined. */
export function singletonState(store: AuthStore, provider: string): Record<string, unknown> | undefined {
  const providers = store.providers;
  if (!isRecord(providers) || !Object.hasOwn(providers, provider)) return undefined;
  const state = (providers as Record<string, unknown>)[provider];
  return isRecord(state) ? state : undefined;
}

/** The access and refresh token a singleton holds (Codex and xAI keep them under `tokens`). */
export function singletonTokens(provider: string, state: Record<string, unknown> | undefined): { access?: string; refresh?: string; agentKey?: string } {
  if (!state) return {};
  const holder = provider === 'openai-codex' || provider === 'xai-oauth' ? state.tokens : state;
  if (!isRecord(holder)) return {};
  return { access: text(holder.access_token), refresh: text(holder.refresh_token), agentKey: text(state.agent_key) };
}

/**
 * True when Hermes Agent would seed a pool entry from this singleton on its next load (it has runtime
 * material; Nous counts its agent key too). A singleton Hermes quarantined (tokens wiped) seeds nothing.
 */
export function singletonSeeds(provider: string, state: Record<string, unknown> | undefined): boolean {
  const tokens = singletonTokens(provider, state);
  return Boolean(tokens.access || (provider === 'nous' && tokens.agentKey));
}

/**
 * Hermes Agent's _load_auth_store reads a file as EMPTY unless `providers` or `credential_pool` is an object
 * (its own saves always carry `providers`); a store holding only `suppressed_sources` or `active_provider`
 * would be ignored whole. Adds `providers: {}` in that case, as Hermes Agent itself would write it.
 */
export function keepReadableByHermes(store: AuthStore): void {
  if (!isRecord(store.providers) && !isRecord(store.credential_pool) && store.providers === undefined) store.providers = {};
}

/** True for sources Hermes Agent treats as the user's own entries (`manual`, `manual:*`): never re-seeded. */
export function isManualSource(source: string): boolean {
  const s = source.trim().toLowerCase();
  return s === 'manual' || s.startsWith('manual:');
}

/** Sources whose secrets Hermes Agent owns and keeps in auth.json (credential_persistence.py); all others are borrowed. */
const PERSISTABLE = new Set(['anthropic hermes_pkce', 'minimax-oauth oauth', 'nous device_code', 'openai-codex device_code', 'xai-oauth device_code']);

/** True when Hermes Agent stores only a reference to this source's secret (env var, Claude Code file…), never the secret. */
export function isBorrowedSource(provider: string, source: string): boolean {
  const s = source.trim().toLowerCase();
  if (s === '' || isManualSource(s)) return false;
  return !PERSISTABLE.has(`${provider.trim().toLowerCase()} ${s}`);
}

/** How an account was signed in, as the page names it (an account's `source`, not yet listed under GET /api/onboarding/providers in docs/api.md). */
export type SourceKind = 'device_code' | 'pkce' | 'linked' | 'api_key' | 'env' | 'config' | 'other';

/** The kind of a Hermes source string (`manual:device_code`, `hermes_pkce`, `claude_code`, `env:XAI_API_KEY`…). */
export function sourceKind(source: string, authType: string | undefined): SourceKind {
  const s = source.trim().toLowerCase();
  const bare = s.startsWith('manual:') ? s.slice('manual:'.length) : s;
  if (bare === 'device_code' || bare === 'oauth_device' || (bare === 'oauth' && authType === 'oauth')) return 'device_code';
  if (bare.includes('pkce')) return 'pkce';
  if (s.startsWith('env:')) return 'env';
  if (['claude_code', 'claude_code_linked', 'qwen-cli', 'gh_cli'].includes(s)) return 'linked';
  if (s.startsWith('config:') || s === 'model_config') return 'config';
  if (s === 'manual' || authType === 'api_key') return 'api_key';
  return 'other';
}

/** Parses Hermes' absolute timestamps (_parse_absolute_timestamp): epoch s, epoch ms, numeric strings, ISO-8601 → epoch s. */
export function parseTimestamp(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '' || typeof value === 'boolean') return undefined;
  value = jsonNumber(value) ?? value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return undefined;
    return value > 1_000_000_000_000 ? value / 1000 : value;
  }
  if (typeof value !== 'string') return undefined;
  const raw = value.trim();
  if (raw === '') return undefined;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) {
    const n = Number(raw);
    return n > 1_000_000_000_000 ? n / 1000 : n;
  }
  // Python's fromisoformat takes naive times as local; a `Z` or offset is what Hermes writes
  const ms = Date.parse(raw.replace(/Z$/, '+00:00'));
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** A JWT's claims, decoded without verification (labels and expiry only, never access decisions). */
export function jwtClaims(token: unknown): JWTPayload | undefined {
  if (typeof token !== 'string' || token.split('.').length !== 3) return undefined;
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

/** The claim at `path` as a non-empty string. */
export function claimText(claims: JWTPayload | undefined, ...path: string[]): string | undefined {
  let value: unknown = claims;
  for (const key of path) {
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  return text(value);
}

/** Hermes' label_from_token: the token's `email`, `preferred_username` or `upn` claim, else `fallback`. */
export function labelFromToken(token: unknown, fallback: string): string {
  const claims = jwtClaims(token);
  return claimText(claims, 'email') ?? claimText(claims, 'preferred_username') ?? claimText(claims, 'upn') ?? fallback;
}
