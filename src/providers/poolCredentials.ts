/** Saving and listing credential-pool accounts, shared by the providers that keep their logins in the pool. */
import { listPoolEntries, readAuthStore, updateAuthStore, upsertPoolEntry, type PoolEntry } from '../store/index.js';
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

/** The accounts saved in `home`'s pool for `providerId`, without secrets. */
export async function poolAccountViews(home: string, providerId: string): Promise<AccountView[]> {
  const store = await readAuthStore(home);
  return listPoolEntries(store, providerId).map((s) => ({
    id: s.id,
    label: s.label,
    ...(s.email !== undefined && { email: s.email }),
    ...(s.plan !== undefined && { plan: s.plan }),
    ...(s.expires_at !== undefined && { expires_at: s.expires_at }),
    ...(s.last_status !== undefined && { last_status: s.last_status }),
  }));
}
