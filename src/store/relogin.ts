/**
 * "Sign in again" for an account that died or expired: the new credentials go into that same pool entry
 * (same id, same priority, the user's label kept), its health fields are cleared as Hermes Agent's own login
 * clears them, and every other account is left alone. When the new sign-in belongs to a different account
 * than the one being repaired, it is added as a new entry instead (next priority), and the answer says so.
 */
import { updateAuthStore, type AuthStore, type UpdateOptions } from './authStore.js';
import {
  AccountNotFoundError,
  checkAccountId,
  checkProviderId,
  isPoolEntry,
  keepReadableByHermes,
  poolList,
  singletonState,
  SINGLETON_SOURCES,
  text,
} from './hermesPool.js';
import { isRecord, newEntryId, StoreShapeError, type PoolEntry } from './pool.js';
import { nextPriority, POOL_STATUS_RESET } from './providerState.js';
import { sameAccount, storedIdentity, type AccountIdentity } from './identity.js';

export type { AccountIdentity };

/** What happened to the repaired account. */
export interface ReloginOutcome {
  provider: string;
  /** The entry that now holds the new credentials. */
  id: string;
  /** The entry that was being repaired. */
  repairedId: string;
  /** True when the repaired entry was updated in place; false when a new entry was added. */
  replaced: boolean;
  /** True when the new sign-in is a different account than the repaired one (so it was added as new). */
  differentAccount: boolean;
  label: string;
}

/** Options of reloginAccount. */
export interface ReloginOptions extends Pick<UpdateOptions, 'lockTimeoutMs' | 'logger' | 'clock' | 'onLockWait'> {
  /** Who the new credentials belong to (default: read from the new entry's tokens and fields). */
  identity?: AccountIdentity;
  /**
   * For a repaired entry seeded from a `providers.<id>` login (source `device_code`; `oauth` for MiniMax),
   * the provider's new singleton state, so Hermes Agent's next load does not sync the old tokens back.
   */
  singleton?: Record<string, unknown>;
}

/** Who an entry belongs to, by the one identity rule (store/identity.ts). */
export function entryIdentity(entry: Record<string, unknown>): AccountIdentity {
  return storedIdentity(entry);
}

/**
 * True when two identities are known to be different accounts (store/identity.ts sameAccount says false).
 * Unknown on either side means "same": the user chose to repair this entry, and nothing says otherwise.
 */
export function differentAccounts(a: AccountIdentity, b: AccountIdentity): boolean {
  return sameAccount(a, b) === false;
}

/**
 * Applies a repairing sign-in to the parsed store (see reloginAccount). `fresh` is the entry the provider
 * would save for a new sign-in (tokens, source, base_url, label…); its `id` and `priority` are ignored.
 */
export function applyRelogin(
  store: AuthStore,
  provider: string,
  repairId: string,
  fresh: PoolEntry,
  opts: Pick<ReloginOptions, 'identity' | 'singleton'> & { nowIso: string },
): ReloginOutcome {
  checkProviderId(provider);
  checkAccountId(repairId);
  const list = poolList(store, provider);
  const seedSource = SINGLETON_SOURCES[provider];
  const target = list?.filter(isPoolEntry).find((e) => e.id === repairId);
  const singletonOnly = !target && seedSource !== undefined && repairId === provider && singletonState(store, provider) !== undefined;
  if (!target && !singletonOnly) throw new AccountNotFoundError(provider, repairId);

  const incoming = opts.identity ?? entryIdentity(fresh);
  const current = target ? entryIdentity(target) : entryIdentity(singletonIdentitySource(store, provider));
  if (differentAccounts(current, incoming)) {
    const added = appendEntry(store, provider, fresh, opts.nowIso);
    return { provider, id: added.id, repairedId: repairId, replaced: false, differentAccount: true, label: text(added.label) ?? added.id };
  }

  if (singletonOnly) {
    // the login lives only in providers.<id>: renew it there; Hermes seeds the pool entry on its next load
    if (!opts.singleton) throw new AccountNotFoundError(provider, repairId);
    replaceSingleton(store, provider, opts.singleton);
    return { provider, id: repairId, repairedId: repairId, replaced: true, differentAccount: false, label: text(opts.singleton.label) ?? provider };
  }

  const entry = target!;
  const keep = { id: entry.id, priority: entry.priority, label: entry.label, created_at: entry.created_at, source: entry.source };
  for (const [key, value] of Object.entries(fresh)) {
    if (value === undefined || key === 'id' || key === 'priority') continue;
    entry[key] = value;
  }
  Object.assign(entry, POOL_STATUS_RESET);
  entry.id = keep.id;
  if (keep.priority !== undefined) entry.priority = keep.priority;
  if (text(keep.label)) entry.label = keep.label; // a user's label is kept on re-sign-in (docs/api.md, Files › Codex and xAI)
  if (keep.created_at !== undefined) entry.created_at = keep.created_at;
  // an entry Hermes seeded from its providers.<id> login stays seeded: the singleton is renewed with it below
  if (seedSource !== undefined && keep.source === seedSource) entry.source = keep.source;
  if (fresh.refresh_token === undefined && Object.hasOwn(entry, 'refresh_token') && fresh.access_token !== undefined) {
    // the old refresh token belongs to the grant being replaced; keeping it would pair it with new tokens
    delete entry.refresh_token;
  }
  entry.updated_at = opts.nowIso;
  if (seedSource !== undefined && entry.source === seedSource && opts.singleton) replaceSingleton(store, provider, opts.singleton);
  return { provider, id: entry.id, repairedId: repairId, replaced: true, differentAccount: false, label: text(entry.label) ?? entry.id };
}

/**
 * Saves a repairing sign-in for the account `repairId` of `provider` in `home`, under auth.lock (see
 * applyRelogin). LifecycleInputError for malformed ids, AccountNotFoundError when the account is gone
 * (removed meanwhile); nothing is written then.
 */
export async function reloginAccount(home: string, provider: string, repairId: string, fresh: PoolEntry, opts: ReloginOptions = {}): Promise<ReloginOutcome> {
  checkProviderId(provider);
  checkAccountId(repairId);
  const nowIso = () => new Date((opts.clock ?? { now: Date.now }).now()).toISOString();
  return updateAuthStore(
    home,
    (store) => {
      const outcome = applyRelogin(store, provider, repairId, fresh, { ...opts, nowIso: nowIso() });
      keepReadableByHermes(store);
      return outcome;
    },
    opts,
  );
}

/** Adds `fresh` as a new entry with the next priority (max + 1, as Hermes' _next_priority) and an unused id. */
function appendEntry(store: AuthStore, provider: string, fresh: PoolEntry, nowIso: string): PoolEntry {
  let pool = store.credential_pool;
  if (pool === undefined) pool = store.credential_pool = {};
  if (!isRecord(pool)) throw new StoreShapeError('credential_pool', 'an object');
  let list = (pool as Record<string, unknown>)[provider];
  if (list === undefined) list = (pool as Record<string, unknown>)[provider] = [];
  if (!Array.isArray(list)) throw new StoreShapeError(`credential_pool.${provider}`, 'a list');
  const entries = list.filter(isPoolEntry);
  const taken = new Set(entries.map((e) => e.id));
  let id = newEntryId();
  while (taken.has(id)) id = newEntryId();
  const priority = nextPriority(entries);
  const entry: PoolEntry = { ...fresh, id, priority, created_at: fresh.created_at ?? nowIso, updated_at: nowIso };
  list.push(entry);
  return entry;
}

/** The fields of a singleton that tell who it belongs to, shaped like a pool entry. */
function singletonIdentitySource(store: AuthStore, provider: string): Record<string, unknown> {
  const state = singletonState(store, provider) ?? {};
  const tokens = isRecord(state.tokens) ? state.tokens : state;
  return { id_token: tokens.id_token, access_token: tokens.access_token, account_id: tokens.account_id ?? state.account_id, sub: state.sub, email: state.email };
}

function replaceSingleton(store: AuthStore, provider: string, state: Record<string, unknown>): void {
  let providers = store.providers;
  if (providers === undefined) providers = store.providers = {};
  if (!isRecord(providers)) throw new StoreShapeError('providers', 'an object');
  (providers as Record<string, unknown>)[provider] = { ...state };
}
