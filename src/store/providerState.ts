/**
 * The parts of auth.json around the credential pool that Hermes Agent's own commands change together with
 * it: the `providers.<id>` singleton states, `active_provider`, `suppressed_sources`, and pool priorities.
 * Each helper edits a store in place inside an updateAuthStore callback and does what the named Hermes
 * Agent function (hermes_cli/auth.py, agent/credential_pool.py) does.
 */
import type { AuthStore } from './authStore.js';
import type { PoolEntry } from './pool.js';
import { StoreShapeError } from './pool.js';
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

/** True for a plain (non-array) object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

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

/**
 * Clears every `suppressed_sources[<provider>]` marker, as `hermes auth add` does for a new credential
 * (`unsuppress_credential_source` for each): the provider's list goes, and the section when it is empty.
 * True when something was removed.
 */
export function clearSuppressedSources(store: AuthStore, provider: string): boolean {
  const suppressed = store.suppressed_sources;
  if (!isRecord(suppressed) || !Object.hasOwn(suppressed, provider)) return false;
  delete suppressed[provider];
  if (Object.keys(suppressed).length === 0) delete store.suppressed_sources;
  return true;
}

/** True when `suppressed_sources[<provider>]` holds a marker (so a Copilot save knows to touch auth.json). */
export function hasSuppressedSources(store: AuthStore, provider: string): boolean {
  const suppressed = store.suppressed_sources;
  return isRecord(suppressed) && Object.hasOwn(suppressed, provider);
}

/** The object entries of a pool list (Hermes Agent ignores anything else). */
export function objectEntries(list: unknown): PoolEntry[] {
  return Array.isArray(list) ? list.filter((e): e is PoolEntry => isRecord(e)) : [];
}

/** A UTC time the way Hermes Agent stamps `last_refresh`: ISO-8601 ending in `Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
