/**
 * auth.json `suppressed_sources`: `{<provider>: [<source>, …]}`, the credential sources a user removed
 * (`hermes auth remove`) that Hermes Agent must not seed again. Edited here the way Hermes Agent's
 * `unsuppress_credential_source` edits it: a source leaves its list, an empty list leaves the map,
 * an empty map leaves the store. Call these inside updateAuthStore (they edit the store in place).
 *
 * TODO(coordinator): the store layer is gaining its own suppressed_sources helpers (another issue);
 * once merged, these two functions can delegate to it.
 */
import type { AuthStore } from '../store/index.js';

/** Removes `source` (or, without it, every source) from `suppressed_sources[provider]`; returns the sources removed. */
export function unsuppressSources(store: AuthStore, provider: string, source?: string): string[] {
  const map = store.suppressed_sources;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return [];
  const record = map as Record<string, unknown>;
  if (!Object.hasOwn(record, provider)) return [];
  const list = record[provider];
  if (!Array.isArray(list)) return [];
  const removed = list.filter((s): s is string => typeof s === 'string' && (source === undefined || s === source));
  if (removed.length === 0) return [];
  const kept = list.filter((s) => !(typeof s === 'string' && removed.includes(s)));
  if (kept.length > 0) record[provider] = kept;
  else delete record[provider];
  if (Object.keys(record).length === 0) delete store.suppressed_sources;
  return removed;
}

/** True when `suppressed_sources[provider]` lists `source` (Hermes Agent's `is_source_suppressed`). */
export function isSourceSuppressed(store: AuthStore, provider: string, source: string): boolean {
  const map = store.suppressed_sources;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return false;
  const list = Object.hasOwn(map, provider) ? (map as Record<string, unknown>)[provider] : undefined;
  return Array.isArray(list) && list.includes(source);
}
