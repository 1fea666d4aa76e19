/**
 * The parts of auth.json around the credential pool that Hermes Agent's own commands change together with
 * it: the `providers.<id>` singleton states, `active_provider`, `suppressed_sources`, and pool priorities.
 * Each helper edits a store in place inside an updateAuthStore callback and does what the named Hermes
 * Agent function (hermes_cli/auth.py, agent/credential_pool.py) does.
 */
import type { AuthStore } from './authStore.js';
import { isRecord, StoreShapeError, type PoolEntry } from './pool.js';
import { jsonNumber } from './jsonText.js';

/**
 * Hermes Agent's per-entry health fields, as its re-auth sync (`_sync_codex_pool_entries`) clears them: an
 * entry benched (`exhausted`) or `dead` only comes back when a login rewrites its tokens.
 */
export const POOL_STATUS_RESET = {
  last_status: null,
  last_status_at: null,
  last_error_code: null,
  last_error_reason: null,
  last_error_message: null,
  last_error_reset_at: null,
} as const;

/** `source` of the pool entry Hermes Agent seeds from a `providers.<id>` singleton (`_seed_from_singletons`). */
export const SINGLETON_SOURCE = 'device_code';

/** `providers.<id>` when it is an object; StoreShapeError when `providers` is something else than an object. */
export function providerState(store: AuthStore, id: string): Record<string, unknown> | undefined {
  const providers: unknown = store.providers;
  if (providers === undefined) return undefined;
  if (!isRecord(providers)) throw new StoreShapeError('providers', 'an object');
  const state = Object.hasOwn(providers, id) ? providers[id] : undefined;
  return isRecord(state) ? state : undefined;
}

/** Sets `providers.<id>` (Hermes Agent's `_store_provider_state` with `set_active=False`). */
export function setProviderState(store: AuthStore, id: string, state: Record<string, unknown>): void {
  providerState(store, id); // shape check
  store.providers ??= {};
  store.providers[id] = state;
}

/** The priority Hermes Agent's `add_entry` gives a new entry: one more than the highest (0 for the first). */
export function nextPriority(entries: readonly unknown[]): number {
  let highest = -1;
  for (const entry of entries) {
    if (!isRecord(entry)) continue;
    // PooledCredential.from_dict defaults a missing priority to 0
    const number = jsonNumber(entry.priority);
    const priority = number !== undefined && Number.isFinite(number) ? number : 0;
    highest = Math.max(highest, priority);
  }
  return highest + 1;
}

/** Hermes Agent's `mark_provider_active_if_unset`: sets `active_provider` only when none is set; true when it did. */
export function markProviderActiveIfUnset(store: AuthStore, id: string): boolean {
  const current = store.active_provider;
  if (typeof current === 'string' && current.trim() !== '') return false;
  store.active_provider = id;
  return true;
}

/*
 * `suppressed_sources`: `{<provider>: [<source>, …]}`, the credential sources a user removed (`hermes auth
 * remove`) that Hermes Agent must not seed again. One rule for a malformed value: reading treats it as "no
 * markers" (as Hermes' `is_source_suppressed` does), while every edit throws StoreShapeError so the
 * surrounding updateAuthStore writes nothing rather than guess over a value Hermes Agent wrote.
 */

/** `suppressed_sources[provider]` as a list of strings (a copy); empty when missing or malformed. */
export function suppressedSources(store: AuthStore, provider: string): string[] {
  const all = store.suppressed_sources;
  if (!isRecord(all) || !Object.hasOwn(all, provider)) return [];
  const list = all[provider];
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
}

/** True when `suppressed_sources[<provider>]` holds a marker (so a Copilot save knows to touch auth.json). */
export function hasSuppressedSources(store: AuthStore, provider: string): boolean {
  const suppressed = store.suppressed_sources;
  return isRecord(suppressed) && Object.hasOwn(suppressed, provider);
}

/** The map and the provider's list for an edit; StoreShapeError when either has the wrong shape. */
function suppressedList(store: AuthStore, provider: string): { all?: Record<string, unknown>; list?: unknown[] } {
  const all: unknown = store.suppressed_sources;
  if (all === undefined || all === null) return {};
  if (!isRecord(all)) throw new StoreShapeError('suppressed_sources', 'an object');
  const list = Object.hasOwn(all, provider) ? all[provider] : undefined;
  if (list === undefined || list === null) return { all };
  if (!Array.isArray(list)) throw new StoreShapeError(`suppressed_sources.${provider}`, 'a list');
  return { all, list };
}

/** Adds `source` to `suppressed_sources[provider]` as `suppress_credential_source` does (appended once); true when added. */
export function suppressSource(store: AuthStore, provider: string, source: string): boolean {
  let { all, list } = suppressedList(store, provider);
  all ??= store.suppressed_sources = {};
  list ??= all[provider] = [];
  if (list.includes(source)) return false;
  list.push(source);
  return true;
}

/**
 * Removes `source` from `suppressed_sources[provider]` as `unsuppress_credential_source` does, or without
 * `source` every marker of the provider (what `hermes auth add` does for a new credential): an empty list
 * leaves the map, an empty map leaves the store. Returns the sources removed.
 */
export function unsuppressSources(store: AuthStore, provider: string, source?: string): string[] {
  const { all, list } = suppressedList(store, provider);
  if (!all || !list) return [];
  const removed = list.filter((s): s is string => typeof s === 'string' && (source === undefined || s === source));
  const kept = source === undefined ? [] : list.filter((s) => s !== source);
  if (kept.length > 0) all[provider] = kept;
  else delete all[provider];
  if (Object.keys(all).length === 0) delete store.suppressed_sources;
  return removed;
}

/** The object entries of a pool list (Hermes Agent ignores anything else). */
export function objectEntries(list: unknown): PoolEntry[] {
  return Array.isArray(list) ? list.filter((e): e is PoolEntry => isRecord(e)) : [];
}

/** A UTC time the way Hermes Agent stamps `last_refresh`: ISO-8601 ending in `Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
