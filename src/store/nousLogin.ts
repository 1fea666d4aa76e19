/**
 * Saving a Nous Portal login into auth.json the way Hermes Agent's `persist_nous_credentials` does, without
 * losing what Hermes keeps there: `providers.nous` is merged, not replaced (its `tls` settings, a user's
 * `label` and fields this program does not know stay), and the pool entry Hermes seeds from it
 * (`source: "device_code"`) gets the new tokens at once, its health fields cleared. Only the record of a
 * dead login (`last_auth_error`) is dropped, as Hermes' own login (which replaces the state) drops it.
 */
import type { AuthStore } from './authStore.js';
import { isRecord } from './pool.js';
import {
  objectEntries,
  POOL_STATUS_RESET,
  providerState,
  setProviderState,
  SINGLETON_SOURCE,
  unsuppressSources,
} from './providerState.js';

/** The provider id of Nous Portal. */
export const NOUS_PROVIDER_ID = 'nous';

/** The singleton fields `_seed_from_singletons` copies into the `device_code` pool entry. */
const SEEDED_FIELDS = [
  'access_token',
  'refresh_token',
  'expires_at',
  'token_type',
  'scope',
  'client_id',
  'portal_base_url',
  'inference_base_url',
  'agent_key',
  'agent_key_expires_at',
  'obtained_at',
  'expires_in',
  'agent_key_id',
  'agent_key_expires_in',
  'agent_key_reused',
  'agent_key_obtained_at',
] as const;

/**
 * Merges the fresh login `fresh` into `providers.nous` (edited in place, inside updateAuthStore) and
 * returns the merged state. A state without `tls` gets Hermes Agent's default (verification on, no
 * custom CA bundle), as its own login writes one. `active_provider` becomes `nous`, as Hermes Agent's own Nous
 * login sets it (`persist_nous_credentials` → `_save_provider_state`).
 */
export function saveNousLogin(store: AuthStore, fresh: Record<string, unknown>): Record<string, unknown> {
  const existing = providerState(store, NOUS_PROVIDER_ID) ?? {};
  const merged: Record<string, unknown> = { ...existing, ...fresh };
  // the quarantine record of a dead login (`_quarantine_nous_oauth_state`) goes with it, as in Hermes' own login
  delete merged.last_auth_error;
  if (!isRecord(merged.tls)) merged.tls = { insecure: false, ca_bundle: null };
  setProviderState(store, NOUS_PROVIDER_ID, merged);
  store.active_provider = NOUS_PROVIDER_ID;
  unsuppressSources(store, NOUS_PROVIDER_ID);
  const pool = store.credential_pool;
  for (const entry of objectEntries(isRecord(pool) ? pool[NOUS_PROVIDER_ID] : undefined)) {
    if (entry.source !== SINGLETON_SOURCE) continue;
    const updates: Record<string, unknown> = {};
    for (const key of SEEDED_FIELDS) if (merged[key] !== null && merged[key] !== undefined) updates[key] = merged[key];
    if (isRecord(merged.tls)) updates.tls = merged.tls;
    Object.assign(entry, updates, POOL_STATUS_RESET);
  }
  return merged;
}
