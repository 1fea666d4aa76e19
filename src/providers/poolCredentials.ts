/** Saving and listing credential-pool accounts, shared by the providers that keep their logins in the pool. */
import { listPoolEntries, readAuthStore, updateAuthStore, upsertPoolEntry, type PoolEntry } from '../store/index.js';
import type { AccountSummary, AccountView, ProviderContext } from './types.js';

/**
 * Writes one pool entry for `providerId` under the store lock: `find` picks the entry of the same account
 * (updated in place, keeping its priority), else `build` makes a new one with priority 0.
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
    upsertPoolEntry(store, providerId, build(nowIso, priority), (e) => e === target);
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
