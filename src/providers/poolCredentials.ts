/** Saving and listing device-code OAuth accounts kept in the credential pool (OpenAI Codex, xAI). */
import { listPoolEntries, readAuthStore, updateAuthStore, type EntryDetails } from '../store/index.js';
import { MANUAL_DEVICE_CODE_SOURCE, saveOAuthLogin, type OAuthLogin } from '../store/oauthLogin.js';
import { keepReadableByHermes, singletonState } from '../store/hermesPool.js';
import type { PoolEntry } from '../store/pool.js';
import { unsuppressSources } from '../store/providerState.js';
import { applyRelogin } from '../store/relogin.js';
import type { AccountSummary, AccountView, ProviderContext, SavedAccount } from './types.js';

/** A login to save, less the time stamp (taken from the provider context's clock). */
export type PoolLogin = Omit<OAuthLogin, 'nowIso'>;

/**
 * Saves a device-code login under the store lock the way Hermes Agent's own commands do (see
 * store/oauthLogin.ts): into its singleton when the account came from Hermes' own login, else into the
 * account's own entry, else a new entry at the next priority.
 */
export async function savePoolLogin(ctx: ProviderContext, home: string, login: PoolLogin, account: AccountSummary): Promise<AccountSummary> {
  const nowIso = new Date(ctx.clock.now()).toISOString();
  await updateAuthStore(home, (store) => saveOAuthLogin(store, { ...login, nowIso }), { logger: ctx.logger, clock: ctx.clock });
  return account;
}

/**
 * The accounts saved in `home`'s pool for `providerId`, without secrets; `describe` reads each one's details
 * (server/presenters.ts picks what a client sees).
 */
export async function poolAccountViews(home: string, providerId: string, describe?: EntryDetails): Promise<AccountView[]> {
  return listPoolEntries(await readAuthStore(home), providerId, describe);
}

/**
 * Saves a sign-in that repairs the account `repairId` (store/relogin.ts): the same entry gets the new tokens
 * (same id and priority, label kept, health fields cleared; a Hermes-seeded entry's `providers.<id>` login is
 * renewed with it); a different account is added as a new entry. AccountNotFoundError when the account was
 * removed meanwhile; nothing is written then.
 */
export async function repairPoolLogin(ctx: ProviderContext, home: string, login: PoolLogin, account: AccountSummary, repairId: string): Promise<SavedAccount> {
  const nowIso = new Date(ctx.clock.now()).toISOString();
  const fresh: PoolEntry = {
    id: '',
    label: login.label,
    auth_type: 'oauth',
    source: MANUAL_DEVICE_CODE_SOURCE,
    access_token: login.accessToken,
    refresh_token: login.refreshToken,
    base_url: login.baseUrl,
    last_refresh: nowIso,
    ...Object.fromEntries(Object.entries(login.ownerHints ?? {}).filter(([, v]) => v)),
  };
  const outcome = await updateAuthStore(
    home,
    (store) => {
      const state = singletonState(store, login.provider);
      // a renewed Hermes login: new tokens, and the record of its failed refresh (quarantine) gone, as its own login does
      const singleton: Record<string, unknown> | undefined = state ? { ...state, tokens: { ...login.singletonTokens }, last_refresh: nowIso, auth_mode: login.authMode } : undefined;
      if (singleton) delete singleton.last_auth_error;
      const result = applyRelogin(store, login.provider, repairId, fresh, { nowIso, ...(singleton && { singleton }) });
      unsuppressSources(store, login.provider);
      keepReadableByHermes(store);
      return result;
    },
    { logger: ctx.logger, clock: ctx.clock },
  );
  return { ...account, relogin: { repairedId: repairId, id: outcome.id, sameAccount: !outcome.differentAccount } };
}
