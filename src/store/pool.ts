/** Credential-pool helpers: `credential_pool[<provider>]` is a list of entries, as Hermes Agent keeps it. */
import { randomBytes } from 'node:crypto';
import type { AuthStore } from './authStore.js';
import { StoreError } from './storeError.js';
import { jsonNumber } from './jsonText.js';

/** One credential of a provider's pool; unknown keys are kept as they are. */
export interface PoolEntry {
  id: string;
  label?: string;
  auth_type?: string;
  priority?: number;
  source?: string;
  access_token?: string;
  refresh_token?: string;
  base_url?: string;
  created_at?: string;
  last_refresh?: string;
  updated_at?: string;
  [key: string]: unknown;
}

/** What may be shown about an entry: no secrets, built by allowlisting. */
export interface PoolEntrySummary {
  id: string;
  label: string;
  source?: string;
  auth_type?: string;
  email?: string;
  plan?: string;
  expires_at?: string | number;
  last_status?: string;
}

/** Provider ids usable as pool keys (also keeps `__proto__` and friends out). */
const PROVIDER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Stored fields shown as they are: only ones Hermes Agent keeps (its writes drop `email`, `plan`…). */
const SUMMARY_TEXT_FIELDS = ['source', 'auth_type', 'last_status'] as const;

/** auth.json holds something other than what Hermes Agent writes at `key`; nothing was written. */
export class StoreShapeError extends StoreError {
  override name = 'StoreShapeError';
  /** The malformed key, such as `credential_pool.openai-codex`. */
  readonly key: string;
  constructor(key: string, expected: 'an object' | 'a list') {
    super(
      `auth.json: "${key}" is not ${expected}, so auth.json was left unchanged. ` +
        `Fix or remove "${key}" in auth.json (or move the file away), then try again.`,
    );
    this.key = key;
  }
}

/** Details of an entry read from what Hermes Agent keeps of it (its token's claims), never from dropped fields. */
export type EntryDetails = (entry: PoolEntry) => Pick<PoolEntrySummary, 'email' | 'plan'>;

/**
 * A provider's entries as summaries (entries without a string id are skipped), in file order, with the
 * `email` / `plan` that `describe` reads from each entry. A pool that is not what Hermes Agent writes (a
 * non-object section, a non-list provider pool) lists as empty.
 */
export function listPoolEntries(store: AuthStore, provider: string, describe?: EntryDetails): PoolEntrySummary[] {
  let list: PoolEntry[] | undefined;
  try {
    list = poolOf(store, provider, false);
  } catch (err) {
    if (!(err instanceof StoreShapeError)) throw err;
  }
  return (list ?? []).filter(isEntry).map((entry) => {
    const summary = summarize(entry);
    const details = describe?.(entry) ?? {};
    if (details.email) summary.email = details.email;
    if (details.plan) summary.plan = details.plan;
    return summary;
  });
}

/**
 * Updates the first entry `matches` accepts (merging the given fields in, keeping its id, its created_at
 * and every key it has that `entry` does not set), or appends `entry` (with a new id when it has none).
 */
export function upsertPoolEntry(
  store: AuthStore,
  provider: string,
  entry: PoolEntry,
  matches: (existing: PoolEntry) => boolean,
): { entry: PoolEntry; created: boolean } {
  const list = poolOf(store, provider, true) ?? [];
  const existing = list.filter(isEntry).find(matches);
  if (existing) {
    for (const [key, value] of Object.entries(entry)) {
      if (value === undefined || key === 'id' || (key === 'created_at' && existing.created_at !== undefined)) continue;
      existing[key] = value;
    }
    return { entry: existing, created: false };
  }
  const created: PoolEntry = { ...entry, id: entry.id || unusedId(list) };
  list.push(created);
  return { entry: created, created: true };
}

/** Removes the entry with this id; true when one was removed. */
export function removePoolEntry(store: AuthStore, provider: string, id: string): boolean {
  const list = poolOf(store, provider, false);
  if (!list) return false;
  const index = list.findIndex((e) => isEntry(e) && e.id === id);
  if (index < 0) return false;
  list.splice(index, 1);
  return true;
}

/** A short random hex id, like Hermes Agent's `secrets.token_hex(3)`. */
export function newEntryId(): string {
  return randomBytes(3).toString('hex');
}

/** The provider's entry list; created (with its section) when `create`; StoreShapeError when the file holds something else there. */
function poolOf(store: AuthStore, provider: string, create: boolean): PoolEntry[] | undefined {
  if (!PROVIDER_ID_RE.test(provider)) throw new TypeError(`"${provider.slice(0, 70)}" is not a valid provider id.`);
  let pool: unknown = store.credential_pool;
  if (pool === undefined && create) pool = store.credential_pool = {};
  if (pool === undefined) return undefined;
  if (!isRecord(pool)) throw new StoreShapeError('credential_pool', 'an object');
  let list: unknown = Object.hasOwn(pool, provider) ? pool[provider] : undefined;
  if (list === undefined && create) list = pool[provider] = [];
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new StoreShapeError(`credential_pool.${provider}`, 'a list');
  return list as PoolEntry[];
}

/** An id no entry of `list` has yet. */
function unusedId(list: readonly unknown[]): string {
  const taken = new Set(list.filter(isEntry).map((e) => e.id));
  for (;;) {
    const id = newEntryId();
    if (!taken.has(id)) return id;
  }
}

/** The summary of one entry, field by field. */
function summarize(entry: PoolEntry): PoolEntrySummary {
  const label = typeof entry.label === 'string' && entry.label !== '' ? entry.label : entry.id;
  const summary: PoolEntrySummary = { id: entry.id, label };
  for (const key of SUMMARY_TEXT_FIELDS) {
    const value = entry[key];
    if (typeof value === 'string' && value !== '') summary[key] = value;
  }
  const expires = jsonNumber(entry.expires_at) ?? entry.expires_at;
  if ((typeof expires === 'string' && expires !== '') || (typeof expires === 'number' && Number.isFinite(expires))) {
    summary.expires_at = expires;
  }
  return summary;
}

/** True for an object entry with a non-empty string id. */
function isEntry(value: unknown): value is PoolEntry {
  return isRecord(value) && typeof value.id === 'string' && value.id !== '';
}

/** True for a plain (non-array) object (the one shape test every store module uses). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
