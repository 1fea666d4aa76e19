/** Saving and listing credential-pool accounts, shared by the providers that keep their logins in the pool. */
import { listPoolEntries, newEntryId, readAuthStore, updateAuthStore, upsertPoolEntry, type PoolEntry } from '../store/index.js';
import type { AccountSummary, AccountView, ProviderContext } from './types.js';

/**
 * Hermes Agent's per-entry health fields. A fresh sign-in clears them: an entry marked `dead` or
 * `exhausted` stays benched until a new login rewrites its tokens (as Hermes Agent's own login does).
 */
export const ENTRY_STATUS_RESET = {
  last_status: null,
  last_status_at: null,
  last_error_code: null,
  last_error_reason: null,
  last_error_message: null,
  last_error_reset_at: null,
} as const;

/**
 * Writes one pool entry for `providerId` under the store lock: `find` picks the entry of the same account
 * (updated in place, keeping its priority, its health fields reset), else `build` makes a new one with priority 0.
 */
export function savePoolAccount(
  ctx: ProviderContext,
  home: string,
  providerId: string,
  account: AccountSummary,
  find: (entries: readonly PoolEntry[]) => PoolEntry | undefined,
  build: (nowIso: string, priority: number) => PoolEntry,
): Promise<AccountSummary> {
  const nowIso = new Date(ctx.clock.now()).toISOString();
  return updateAuthStore(home, (store) => {
    const list = store.credential_pool?.[providerId];
    const target = find(Array.isArray(list) ? list : []);
    const priority = typeof target?.priority === 'number' ? target.priority : 0;
    const entry = build(nowIso, priority);
    upsertPoolEntry(store, providerId, target ? { ...entry, ...ENTRY_STATUS_RESET } : entry, (e) => e === target);
    return account;
  }, { logger: ctx.logger, clock: ctx.clock });
}

/** The accounts saved in `home`'s pool for `providerId`, without secrets (server/presenters.ts picks what a client sees). */
export async function poolAccountViews(home: string, providerId: string): Promise<AccountView[]> {
  return listPoolEntries(await readAuthStore(home), providerId);
}

/** What an OAuth login puts in its pool entry; `extra` holds non-secret fields (ids, email, plan). */
export interface OAuthEntryFields {
  label: string;
  source: string;
  accessToken: string;
  refreshToken: string;
  baseUrl: string;
  extra?: Readonly<Record<string, string | undefined>>;
}

/** A credential_pool entry for an OAuth login, in the shape of docs/api.md, "Files" (empty `extra` fields left out). */
export function oauthPoolEntry(fields: OAuthEntryFields, nowIso: string, priority = 0): PoolEntry {
  const entry: PoolEntry = {
    id: newEntryId(),
    label: fields.label,
    auth_type: 'oauth',
    priority,
    source: fields.source,
    access_token: fields.accessToken,
    refresh_token: fields.refreshToken,
    base_url: fields.baseUrl,
    created_at: nowIso,
    last_refresh: nowIso,
    updated_at: nowIso,
  };
  for (const [key, value] of Object.entries(fields.extra ?? {})) if (value) entry[key] = value;
  return entry;
}

/**
 * The pool entry a new sign-in replaces: the entry of the same `owner`; else a device-code entry whose
 * owner cannot be read; when the new owner cannot be read either (`owner` undefined), the first
 * device-code entry. Undefined means a new entry.
 */
export function findAccountEntry<O>(
  entries: readonly unknown[],
  owner: O | undefined,
  ownerOf: (entry: PoolEntry) => O | undefined,
  sameOwner: (a: O, b: O) => boolean,
  fromDeviceCode: (entry: PoolEntry) => boolean,
): PoolEntry | undefined {
  const objects = entries.filter((e): e is PoolEntry => e !== null && typeof e === 'object' && !Array.isArray(e));
  if (owner === undefined) return objects.find(fromDeviceCode);
  const same = objects.find((e) => {
    const other = ownerOf(e);
    return other !== undefined && sameOwner(other, owner);
  });
  return same ?? objects.find((e) => fromDeviceCode(e) && ownerOf(e) === undefined);
}
