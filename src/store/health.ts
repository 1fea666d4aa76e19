/**
 * The health of every account of a provider, read from auth.json (and `.env` for Copilot) the way Hermes
 * Agent reads it: `ok`, `exhausted` (benched until a retry time, classified as `hermes auth list` does),
 * `dead` (sign in again), `expired` (access token past its expiry, no refresh token), `unknown`; and which
 * account Hermes Agent will use first. Read-only: nothing is refreshed (refresh tokens are single-use and
 * belong to Hermes Agent) and nothing is written. Returns domain values; server presenters make wire shapes.
 */
import path from 'node:path';
import { readAuthStore, type AuthStore } from './authStore.js';
import { getEnvLine, readEnvValue } from './envFile.js';
import { readRegularFile } from './safeOpen.js';
import {
  checkProviderId,
  claimText,
  COPILOT_ENV_ACCOUNT_ID,
  COPILOT_ENV_KEY,
  isBorrowedSource,
  isManualSource,
  isPoolEntry,
  jwtClaims,
  labelFromToken,
  parseTimestamp,
  poolList,
  singletonSeeds,
  singletonState,
  singletonTokens,
  SINGLETON_SOURCES,
  sourceKind,
  text,
  type SourceKind,
} from './hermesPool.js';
import { isRecord, type PoolEntry } from './pool.js';
import { safeMessage } from '../util/secrets.js';
import type { Clock } from '../util/clock.js';
import { jsonNumber } from './jsonText.js';
import { nextPriority, suppressedSources } from './providerState.js';

export type AccountHealth = 'ok' | 'exhausted' | 'dead' | 'expired' | 'unknown';

/** Hermes Agent's pool selection strategies (config.yaml `credential_pool_strategies.<provider>`). */
export type PoolStrategy = 'fill_first' | 'round_robin' | 'random' | 'least_used';

/** Cooldowns Hermes Agent applies when an exhausted entry carries no reset time (credential_pool.py). */
export const EXHAUSTED_TTL_SECONDS = { 401: 5 * 60, 429: 60 * 60, default: 60 * 60 } as const;

/** Why an entry is benched, as `hermes auth list` classifies it (_classify_exhausted_status). */
export type ExhaustedKind = 'rate-limited' | 'auth failed' | 'exhausted';

/** One account, as the lifecycle sees it. No secrets; maps onto the account fields of docs/api.md's GET /api/onboarding/providers. */
export interface AccountHealthView {
  /** The pool entry id; a provider id for a `providers.<id>` login not seeded yet; `env` for Copilot's `.env` token. */
  id: string;
  label: string;
  email?: string;
  plan?: string;
  /** How it was signed in (an account's `source`, not yet listed under GET /api/onboarding/providers in docs/api.md). */
  source: SourceKind;
  /** Hermes Agent's own source string (`manual:device_code`, `env:XAI_API_KEY`…). */
  hermesSource: string;
  /** `…` and the last 4 characters of an API key (never more). */
  keyHint?: string;
  /** When the access token expires, epoch seconds. */
  expiresAt?: number;
  health: AccountHealth;
  /** Why, in a few words: `rate-limited`, `auth failed`, `sign in again`, `token_revoked`… */
  healthDetail?: string;
  /** When Hermes Agent may use it again, epoch seconds (exhausted, with a retry window). */
  retryAt?: number;
  /** True when only a new sign-in brings it back. */
  reloginRequired: boolean;
  /** Position in Hermes Agent's order (0 first). */
  priority: number;
  /** True for the account Hermes Agent will use first. */
  usedFirst: boolean;
}

/** `providers.<id>.last_auth_error`: what Hermes Agent recorded when it gave up on a login. */
export interface LastAuthError {
  code?: string;
  reason?: string;
  /** Scrubbed and shortened. */
  message?: string;
  /** ISO-8601, as Hermes wrote it. */
  at?: string;
  reloginRequired: boolean;
}

/** A provider's accounts and the provider-level state. */
export interface ProviderHealth {
  provider: string;
  accounts: AccountHealthView[];
  /** The account Hermes Agent will use first; undefined when none is usable, or the strategy is `random`. */
  firstAccountId?: string;
  strategy: PoolStrategy;
  lastAuthError?: LastAuthError;
  /** True when Hermes Agent recorded a login it can no longer use and no token is left: sign in again. */
  reloginRequired: boolean;
}

/** What the read-out needs besides auth.json. */
export interface HealthInputs {
  /** Now, epoch ms (from the injected clock). */
  nowMs: number;
  /** Values of the profile's `.env` for the variables asked about (undefined when missing). */
  env?: (key: string) => string | undefined;
  /** config.yaml's `credential_pool_strategies.<provider>` (default fill_first, as Hermes Agent). */
  strategy?: PoolStrategy;
}

/** The health of `provider`'s accounts in the store. Pure: the caller reads auth.json and `.env`. */
export function providerHealth(store: AuthStore, provider: string, inputs: HealthInputs): ProviderHealth {
  checkProviderId(provider);
  const nowS = inputs.nowMs / 1000;
  const strategy = inputs.strategy ?? 'fill_first';
  const state = singletonState(store, provider);
  const lastAuthError = readLastAuthError(state);
  // Hermes' own terminal test (auth.py): relogin_required recorded, and no access or refresh token left
  const tokens = singletonTokens(provider, state);
  const quarantined = Boolean(state && lastAuthError?.reloginRequired && !tokens.access && !tokens.refresh);

  const rows = orderedEntries(store, provider).map((entry) => ({ entry, view: entryView(provider, entry, state, inputs, nowS) }));
  const seedSource = SINGLETON_SOURCES[provider];
  if (seedSource && quarantined) {
    // Hermes drops seeded entries of a quarantined singleton on its next load; until then they are dead
    for (const row of rows) if (row.entry.source === seedSource) markDead(row.view, 'sign in again');
  }
  const views = rows.map((r) => r.view);
  const extra = unseededAccount(store, provider, state, quarantined, views, inputs, nowS);
  if (extra) rows.push({ entry: { id: extra.id, source: extra.hermesSource, priority: extra.priority }, view: extra });

  const first = pickFirst(rows, strategy, inputs);
  if (first) first.usedFirst = true;
  return {
    provider,
    accounts: rows.map((r) => r.view),
    ...(first && { firstAccountId: first.id }),
    strategy,
    ...(lastAuthError && { lastAuthError }),
    reloginRequired: quarantined,
  };
}

/** Reads `<home>/auth.json` (and `.env` for Copilot and env-seeded entries) and returns the provider's health. */
export async function readProviderHealth(
  home: string,
  provider: string,
  opts: { clock: Clock; strategy?: PoolStrategy },
): Promise<ProviderHealth> {
  checkProviderId(provider);
  const store = await readAuthStore(home);
  const keys = envKeysOf(store, provider);
  const values = new Map<string, string | undefined>();
  for (const key of keys) values.set(key, await readEnvValue(path.join(home, '.env'), key));
  return providerHealth(store, provider, {
    nowMs: opts.clock.now(),
    env: (key) => values.get(key),
    ...(opts.strategy && { strategy: opts.strategy }),
  });
}

/**
 * The health of several providers of one Hermes home, reading auth.json and `.env` once (the providers
 * list and its event stream ask for every provider at a time). Keyed by provider id.
 */
export async function readProfileHealth(
  home: string,
  providers: readonly string[],
  opts: { clock: Clock },
): Promise<Map<string, ProviderHealth>> {
  const store = await readAuthStore(home);
  const keys = new Set(providers.flatMap((p) => envKeysOf(store, p)));
  const raw = keys.size > 0 ? await readRegularFile(path.join(home, '.env')) : undefined;
  const content = raw ? raw.bytes.toString('latin1') : '';
  const values = new Map<string, string | undefined>([...keys].map((key) => [key, getEnvLine(content, key)]));
  const nowMs = opts.clock.now();
  return new Map(providers.map((p) => [p, providerHealth(store, p, { nowMs, env: (key) => values.get(key) })]));
}

/** The `.env` variables the read-out of this provider looks at. */
function envKeysOf(store: AuthStore, provider: string): string[] {
  const keys = new Set<string>(provider === 'copilot' ? [COPILOT_ENV_KEY] : []);
  for (const entry of poolList(store, provider) ?? []) {
    const source = isPoolEntry(entry) ? text(entry.source) : undefined;
    const name = source?.startsWith('env:') ? source.slice(4) : undefined;
    if (name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) keys.add(name);
  }
  return [...keys];
}

/** The pool's entries in Hermes Agent's order: by priority (stable), anthropic re-ranked as load_pool does. */
function orderedEntries(store: AuthStore, provider: string): PoolEntry[] {
  const entries = (poolList(store, provider) ?? []).filter(isPoolEntry);
  const byPriority = (a: PoolEntry, b: PoolEntry) => priorityOf(a) - priorityOf(b);
  if (provider !== 'anthropic') return [...entries].sort(byPriority);
  // _normalize_pool_priorities: the user's own entries first, then seeded ones by source rank
  const rank = ['env:ANTHROPIC_TOKEN', 'env:CLAUDE_CODE_OAUTH_TOKEN', 'hermes_pkce', 'claude_code', 'env:ANTHROPIC_API_KEY'];
  const rankOf = (e: PoolEntry) => {
    const i = rank.indexOf(String(e.source ?? ''));
    return i < 0 ? rank.length : i;
  };
  const manual = entries.filter((e) => isManualSource(String(e.source ?? 'manual'))).sort(byPriority);
  const seeded = entries
    .filter((e) => !isManualSource(String(e.source ?? 'manual')))
    .sort((a, b) => rankOf(a) - rankOf(b) || byPriority(a, b) || String(a.label ?? '').localeCompare(String(b.label ?? '')));
  return [...manual, ...seeded];
}

function priorityOf(entry: PoolEntry): number {
  const priority = jsonNumber(entry.priority);
  return priority !== undefined && Number.isFinite(priority) ? priority : 0;
}

/** One pool entry's view. */
function entryView(
  provider: string,
  entry: PoolEntry,
  state: Record<string, unknown> | undefined,
  inputs: HealthInputs,
  nowS: number,
): AccountHealthView {
  const source = text(entry.source) ?? 'manual';
  const authType = text(entry.auth_type) ?? 'api_key';
  // a seeded entry's tokens are re-synced from its singleton on every load, so the singleton's are the live ones
  const fromSingleton = SINGLETON_SOURCES[provider] === source ? singletonTokens(provider, state) : {};
  const access = fromSingleton.access ?? text(entry.access_token);
  const refresh = fromSingleton.refresh ?? text(entry.refresh_token);
  const claims = jwtClaims(access);
  const idClaims = jwtClaims(entry.id_token);
  const email = text(entry.email) ?? claimText(idClaims, 'email') ?? claimText(claims, 'email') ?? claimText(claims, 'https://api.openai.com/profile', 'email');
  const plan = text(entry.plan) ?? claimText(idClaims, 'https://api.openai.com/auth', 'chatgpt_plan_type') ?? claimText(claims, 'https://api.openai.com/auth', 'chatgpt_plan_type');
  const expiresAt = expiryOf(entry, claims);
  const view: AccountHealthView = {
    id: entry.id,
    label: text(entry.label) ?? source,
    ...(email && { email }),
    ...(plan && { plan }),
    source: sourceKind(source, authType),
    hermesSource: source,
    ...(authType === 'api_key' && !isBorrowedSource(provider, source) && access && { keyHint: keyHint(access) }),
    ...(expiresAt !== undefined && { expiresAt }),
    health: 'ok',
    reloginRequired: false,
    priority: priorityOf(entry),
    usedFirst: false,
  };
  const status = entry.last_status;
  if (status === 'dead') {
    markDead(view, text(entry.last_error_reason) ?? 'sign in again');
  } else if (status === 'exhausted') {
    const { kind, showRetry } = classifyExhausted(entry);
    view.health = 'exhausted';
    const until = exhaustedUntil(entry);
    view.healthDetail = showRetry && until !== undefined && until <= nowS ? `${kind} (ready to retry)` : kind;
    if (showRetry && until !== undefined) view.retryAt = until;
    if (!showRetry) view.reloginRequired = true;
  } else if (status !== null && status !== undefined && status !== 'ok') {
    view.health = 'unknown';
    view.healthDetail = safeMessage(String(status), 40);
  } else if (authType === 'oauth' && !isBorrowedSource(provider, source) && !refresh && expiresAt !== undefined && expiresAt <= nowS) {
    view.health = 'expired';
    view.healthDetail = 'sign in again';
    view.reloginRequired = true;
  } else if (missingBorrowedKey(provider, source, authType, inputs)) {
    view.health = 'unknown';
    view.healthDetail = `${source.slice(4)} is not in this profile's .env (Hermes Agent may still get it from its environment)`;
  } else if (authType === 'api_key' && !isBorrowedSource(provider, source) && !access) {
    view.health = 'unknown';
    view.healthDetail = 'no key saved';
  }
  return view;
}

function markDead(view: AccountHealthView, detail: string): void {
  view.health = 'dead';
  view.healthDetail = safeMessage(detail, 60);
  view.reloginRequired = true;
  delete view.retryAt;
}

/** True for an env-seeded API key whose variable is not in the profile's `.env`. */
function missingBorrowedKey(_provider: string, source: string, authType: string, inputs: HealthInputs): boolean {
  if (authType !== 'api_key' || !source.startsWith('env:') || !inputs.env) return false;
  return !inputs.env(source.slice(4));
}

/** `hermes auth list`'s classification of an exhausted entry (_classify_exhausted_status), and whether it shows a retry window. */
export function classifyExhausted(entry: Readonly<Record<string, unknown>>): {
  kind: ExhaustedKind;
  showRetry: boolean;
} {
  const code = entry.last_error_code;
  const reason = String(entry.last_error_reason ?? '').trim().toLowerCase();
  const message = String(entry.last_error_message ?? '').trim().toLowerCase();
  const has = (value: string, tokens: string[]) => tokens.some((t) => value.includes(t));
  if (code === 429 || has(reason, ['rate_limit', 'usage_limit', 'quota', 'exhausted']) || has(message, ['rate limit', 'usage limit', 'quota', 'too many requests'])) {
    return { kind: 'rate-limited', showRetry: true };
  }
  if (
    code === 401 ||
    code === 403 ||
    has(reason, ['invalid_token', 'invalid_grant', 'unauthorized', 'forbidden', 'auth']) ||
    has(message, ['unauthorized', 'forbidden', 'expired', 'revoked', 'invalid token', 'authentication'])
  ) {
    return { kind: 'auth failed', showRetry: false };
  }
  return { kind: 'exhausted', showRetry: true };
}

/** When an exhausted entry may be retried, epoch s (_exhausted_until): its reset time, else status time + cooldown. */
export function exhaustedUntil(entry: PoolEntry): number | undefined {
  if (entry.last_status !== 'exhausted') return undefined;
  const reset = parseTimestamp(entry.last_error_reset_at);
  if (reset !== undefined) return reset;
  const at = parseTimestamp(entry.last_status_at);
  if (at === undefined) return undefined;
  const code = entry.last_error_code;
  const ttl = code === 401 ? EXHAUSTED_TTL_SECONDS[401] : code === 429 ? EXHAUSTED_TTL_SECONDS[429] : EXHAUSTED_TTL_SECONDS.default;
  return at + ttl;
}

/** The access token's expiry, epoch s: `expires_at_ms`, `expires_at`, else the JWT's `exp`. */
function expiryOf(entry: PoolEntry, claims: ReturnType<typeof jwtClaims>): number | undefined {
  const expiresAtMs = jsonNumber(entry.expires_at_ms);
  const fromMs = expiresAtMs !== undefined && expiresAtMs > 0 ? expiresAtMs / 1000 : undefined;
  const exp = typeof claims?.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  const value = fromMs ?? parseTimestamp(entry.expires_at) ?? exp;
  return value === undefined ? undefined : Math.floor(value);
}

/** `…` and the last four characters of a key long enough to keep the rest hidden. */
export function keyHint(key: string): string | undefined {
  return key.length >= 12 ? `…${key.slice(-4)}` : undefined;
}

/** `providers.<id>.last_auth_error`, allowlisted. */
function readLastAuthError(state: Record<string, unknown> | undefined): LastAuthError | undefined {
  const raw = state?.last_auth_error;
  if (!isRecord(raw)) return undefined;
  const code = text(raw.code);
  const reason = text(raw.reason);
  const message = text(raw.message);
  const at = text(raw.at);
  return {
    ...(code && { code: safeMessage(code, 60) }),
    ...(reason && { reason: safeMessage(reason, 60) }),
    ...(message && { message: safeMessage(message, 200) }),
    ...(at && { at: safeMessage(at, 40) }),
    reloginRequired: raw.relogin_required === true,
  };
}

/**
 * An account Hermes Agent knows that has no pool entry on disk yet: a `providers.<id>` login (seeded on its
 * next load, unless suppressed), a quarantined one (shown dead, so it can be signed in again), or
 * Copilot's token in `.env`.
 */
function unseededAccount(
  store: AuthStore,
  provider: string,
  state: Record<string, unknown> | undefined,
  quarantined: boolean,
  views: AccountHealthView[],
  inputs: HealthInputs,
  nowS: number,
): AccountHealthView | undefined {
  // where Hermes Agent's seeding would put it: after every entry shown
  const priority = nextPriority(views);
  if (provider === 'copilot') {
    const token = inputs.env?.(COPILOT_ENV_KEY);
    const hasEntry = views.some((v) => v.hermesSource === `env:${COPILOT_ENV_KEY}` || v.hermesSource === 'gh_cli');
    if (!token || hasEntry) return undefined;
    return {
      id: COPILOT_ENV_ACCOUNT_ID,
      label: 'GitHub token in .env',
      source: 'env',
      hermesSource: `env:${COPILOT_ENV_KEY}`,
      health: suppressedSources(store, provider).includes(`env:${COPILOT_ENV_KEY}`) ? 'unknown' : 'ok',
      ...(suppressedSources(store, provider).includes(`env:${COPILOT_ENV_KEY}`) && { healthDetail: 'suppressed: Hermes Agent ignores it' }),
      reloginRequired: false,
      priority,
      usedFirst: false,
    };
  }
  const seedSource = SINGLETON_SOURCES[provider];
  if (!seedSource || !state || views.some((v) => v.hermesSource === seedSource)) return undefined;
  if (suppressedSources(store, provider).includes(seedSource)) return undefined;
  const view: AccountHealthView = {
    id: provider,
    label: text(state.label) ?? labelFromToken(singletonTokens(provider, state).access, seedSource),
    source: sourceKind(seedSource, 'oauth'),
    hermesSource: seedSource,
    health: 'ok',
    reloginRequired: false,
    priority,
    usedFirst: false,
  };
  if (quarantined) {
    markDead(view, 'sign in again');
    return view;
  }
  if (!singletonSeeds(provider, state)) return undefined;
  const tokens = singletonTokens(provider, state);
  const claims = jwtClaims(tokens.access);
  const email = claimText(claims, 'email');
  if (email) view.email = email;
  const expiresAt = expiryOf({ id: provider, expires_at: state.expires_at, expires_at_ms: state.expires_at_ms }, claims);
  if (expiresAt !== undefined) view.expiresAt = expiresAt;
  if (!tokens.refresh && expiresAt !== undefined && expiresAt <= nowS) {
    view.health = 'expired';
    view.healthDetail = 'sign in again';
    view.reloginRequired = true;
  }
  return view;
}

/**
 * The account CredentialPool.select() would take first: skipping dead entries, exhausted ones until their
 * retry time, API-key entries without a key it can load, and OAuth entries it would have to refresh without
 * a refresh token (`expired`); then by strategy (fill_first and round_robin: the first left; least_used: the
 * lowest request_count; random: cannot be told).
 */
function pickFirst(rows: Array<{ entry: PoolEntry; view: AccountHealthView }>, strategy: PoolStrategy, inputs: HealthInputs): AccountHealthView | undefined {
  const nowS = inputs.nowMs / 1000;
  const available = rows.filter(({ entry, view }) => {
    if (view.health === 'dead' || view.health === 'expired') return false;
    if (entry.last_status === 'exhausted') {
      const until = exhaustedUntil(entry);
      return until === undefined || nowS >= until;
    }
    // `unknown` without a status: an API key Hermes could not load (missing from .env, never saved, suppressed)
    return view.health !== 'unknown' || (entry.last_status !== null && entry.last_status !== undefined && entry.last_status !== 'ok');
  });
  if (available.length === 0 || strategy === 'random') return undefined;
  if (strategy === 'least_used' && available.length > 1) {
    let best = available[0]!;
    for (const row of available) if (requestCount(row.entry) < requestCount(best.entry)) best = row;
    return best.view;
  }
  return available[0]!.view;
}

function requestCount(entry: PoolEntry): number {
  return jsonNumber(entry.request_count) ?? 0;
}
