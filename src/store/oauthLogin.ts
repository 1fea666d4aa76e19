/**
 * Saving a device-code OAuth login (OpenAI Codex, xAI) the way Hermes Agent's own commands save it, so
 * that its readers pick the new tokens and nothing of its own is lost:
 *
 * - the account's login already lives in Hermes Agent's singleton (`providers.<id>.tokens`, mirrored
 *   into the pool as the `device_code` entry `_seed_from_singletons` makes): the singleton gets the new
 *   tokens and every pool entry mirroring it is rewritten, as `_save_codex_tokens` /
 *   `_sync_codex_pool_entries` do. Updating only the pool entry would be undone on Hermes' next load,
 *   which re-seeds it from the stale singleton.
 * - the account has its own pool entry (`manual:device_code`, from this program or `hermes auth add`):
 *   that entry is renewed in place (same id, label, priority and source), with any copy holding the
 *   same refresh token, as `hermes auth reauth` does.
 * - otherwise a new `manual:device_code` entry is appended at the next priority (`add_entry`); the
 *   provider's first credential sets `active_provider` when none is set (`mark_provider_active_if_unset`).
 *
 * Every save clears the provider's `suppressed_sources` (`hermes auth add`). Accounts are told apart
 * only by what Hermes Agent keeps: the claims of the stored access token, never fields it drops.
 */
import type { AuthStore } from './authStore.js';
import { isRecord, upsertPoolEntry, type PoolEntry } from './pool.js';
import {
  markProviderActiveIfUnset,
  nextPriority,
  objectEntries,
  POOL_STATUS_RESET,
  providerState,
  setProviderState,
  SINGLETON_SOURCE,
  unsuppressSources,
} from './providerState.js';

/** `source` of entries made by a device-code login outside the singleton (this program, `hermes auth add`). */
export const MANUAL_DEVICE_CODE_SOURCE = 'manual:device_code';

/** A finished device-code login to save. Holds secrets. */
export interface OAuthLogin {
  /** The provider id: the `providers` and `credential_pool` key. */
  provider: string;
  accessToken: string;
  refreshToken: string;
  /** What Hermes Agent keeps in `providers.<id>.tokens` for this provider. */
  singletonTokens: Record<string, unknown>;
  /** `providers.<id>.auth_mode` as Hermes Agent's login sets it. */
  authMode: string;
  /** `base_url` of a new pool entry. */
  baseUrl: string;
  /** `last_refresh` (and this program's `created_at` / `updated_at`): ISO-8601 UTC. */
  nowIso: string;
  /**
   * Whether a stored credential (a pool entry, or the singleton's `tokens`) belongs to this login's
   * account, judged by its access token's claims: true, false, or undefined when either owner is unknown.
   */
  sameAccount: (stored: Readonly<Record<string, unknown>>) => boolean | undefined;
  /**
   * Non-secret owner hints written into a new entry (e.g. `sub`), read only when its access token has no
   * readable claims: Hermes Agent drops them on its first write.
   */
  ownerHints?: Readonly<Record<string, string | undefined>>;
  /** Whether this login's own owner is unknown (no readable claims). */
  ownerUnknown: boolean;
  /** Older `source` values of this program's entries, which count as `manual:device_code`. */
  legacySources?: readonly string[];
  /** The label of a new entry. */
  label: string;
}

/** Where a save landed. */
export interface OAuthSaveResult {
  /** The pool entry holding the new tokens, when there is one. */
  entry: PoolEntry | undefined;
  created: boolean;
  /** True when `providers.<id>` got the new tokens. */
  singletonUpdated: boolean;
}

/** Saves `login` into `store` (edited in place, inside updateAuthStore). */
export function saveOAuthLogin(store: AuthStore, login: OAuthLogin): OAuthSaveResult {
  const pool = store.credential_pool;
  const entriesBefore = objectEntries(isRecord(pool) ? pool[login.provider] : undefined);
  const state = providerState(store, login.provider);
  const stateTokens = isRecord(state?.tokens) ? state.tokens : undefined;
  const hasSingleton = typeof stateTokens?.access_token === 'string' && stateTokens.access_token !== '';
  const firstCredential = entriesBefore.length === 0 && !hasSingleton;

  const target = ownEntry(entriesBefore, login);
  const sameLineage =
    target !== undefined && typeof target.refresh_token === 'string' && target.refresh_token !== '' &&
    target.refresh_token === stateTokens?.refresh_token;
  const singletonIsThisAccount = hasSingleton && stateTokens !== undefined && login.sameAccount(stateTokens) === true;

  let result: OAuthSaveResult;
  if (state && stateTokens && (singletonIsThisAccount || sameLineage)) {
    result = renewSingleton(store, login, state, stateTokens, entriesBefore, target);
  } else if (target) {
    renewEntries(entriesBefore, target, login);
    result = { entry: target, created: false, singletonUpdated: false };
  } else {
    const { entry } = upsertPoolEntry(store, login.provider, newEntry(login, nextPriority(entriesBefore)), () => false);
    result = { entry, created: true, singletonUpdated: false };
  }
  if (firstCredential) markProviderActiveIfUnset(store, login.provider);
  unsuppressSources(store, login.provider);
  return result;
}

/**
 * The account's own (non-singleton) entry: the first whose access token has the same owner; when an owner
 * cannot be read on one side, a device-code entry of this program whose owner cannot be read (the first
 * one when the new owner is unknown too), as before claims were read.
 */
function ownEntry(entries: readonly PoolEntry[], login: OAuthLogin): PoolEntry | undefined {
  const own = (e: PoolEntry) => e.source === MANUAL_DEVICE_CODE_SOURCE || (login.legacySources ?? []).includes(String(e.source));
  const candidates = entries.filter(own);
  const same = candidates.find((e) => login.sameAccount(e) === true);
  if (same) return same;
  if (login.ownerUnknown) return candidates[0];
  return candidates.find((e) => login.sameAccount(e) === undefined);
}

/**
 * `_save_codex_tokens` for a login that lives in the singleton: new tokens, `last_refresh` and `auth_mode`
 * into `providers.<id>` (everything else in it kept, `active_provider` untouched), then the pool entries
 * mirroring it rewritten: the `device_code` entry, and `manual:device_code` entries holding the previous
 * singleton token. When Hermes Agent has not seeded the `device_code` entry yet, it is seeded here as
 * `_seed_from_singletons` would, so the account is listed at once.
 */
function renewSingleton(
  store: AuthStore,
  login: OAuthLogin,
  state: Record<string, unknown>,
  stateTokens: Record<string, unknown>,
  entries: PoolEntry[],
  target: PoolEntry | undefined,
): OAuthSaveResult {
  const previousAccess = stateTokens.access_token;
  setProviderState(store, login.provider, {
    ...state,
    tokens: { ...login.singletonTokens },
    last_refresh: login.nowIso,
    auth_mode: login.authMode,
  });
  const mirrors = entries.filter(
    (e) => e.source === SINGLETON_SOURCE || (e.source === MANUAL_DEVICE_CODE_SOURCE && e.access_token === previousAccess),
  );
  if (target && !mirrors.includes(target)) mirrors.push(target);
  for (const entry of mirrors) applyTokens(entry, login);
  let seeded = mirrors.find((e) => e.source === SINGLETON_SOURCE);
  let created = false;
  if (!seeded) {
    const label = typeof state.label === 'string' && state.label.trim() !== '' ? state.label.trim() : login.label;
    seeded = upsertPoolEntry(store, login.provider, seedEntry(login, label, nextPriority(entries)), () => false).entry;
    created = true;
  }
  return { entry: target ?? seeded, created, singletonUpdated: true };
}

/** `hermes auth reauth`: the target and every entry holding its refresh token get the new tokens. */
function renewEntries(entries: readonly PoolEntry[], target: PoolEntry, login: OAuthLogin): void {
  const oldRefresh = target.refresh_token;
  const copies = entries.filter((e) => e !== target && typeof oldRefresh === 'string' && oldRefresh !== '' && e.refresh_token === oldRefresh);
  for (const entry of [target, ...copies]) {
    applyTokens(entry, login);
    // this program's legacy source becomes the one Hermes Agent knows
    if ((login.legacySources ?? []).includes(String(entry.source))) entry.source = MANUAL_DEVICE_CODE_SOURCE;
  }
}

/** New tokens into an existing entry: id, label (unless empty), priority, source and every other key kept. */
function applyTokens(entry: PoolEntry, login: OAuthLogin): void {
  entry.access_token = login.accessToken;
  entry.refresh_token = login.refreshToken;
  entry.last_refresh = login.nowIso;
  if ('updated_at' in entry) entry.updated_at = login.nowIso;
  if (typeof entry.label !== 'string' || entry.label.trim() === '') entry.label = login.label;
  Object.assign(entry, POOL_STATUS_RESET);
}

/** A new `manual:device_code` entry at `priority` (the shape docs/api.md, Files › Codex and xAI, gives). */
function newEntry(login: OAuthLogin, priority: number): PoolEntry {
  const hints = Object.fromEntries(Object.entries(login.ownerHints ?? {}).filter(([, v]) => v));
  return {
    id: '',
    label: login.label,
    auth_type: 'oauth',
    priority,
    source: MANUAL_DEVICE_CODE_SOURCE,
    access_token: login.accessToken,
    refresh_token: login.refreshToken,
    base_url: login.baseUrl,
    created_at: login.nowIso,
    last_refresh: login.nowIso,
    updated_at: login.nowIso,
    ...hints,
  };
}

/** The `device_code` entry Hermes Agent's `_seed_from_singletons` would make, in `to_dict` order. */
function seedEntry(login: OAuthLogin, label: string, priority: number): PoolEntry {
  return {
    id: '',
    label,
    auth_type: 'oauth',
    priority,
    source: SINGLETON_SOURCE,
    access_token: login.accessToken,
    refresh_token: login.refreshToken,
    ...POOL_STATUS_RESET,
    base_url: login.baseUrl,
    last_refresh: login.nowIso,
    request_count: 0,
  };
}
