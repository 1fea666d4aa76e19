/** Saving and listing device-code OAuth accounts kept in the credential pool (OpenAI Codex, xAI). */
import { listPoolEntries, readAuthStore, updateAuthStore, type EntryDetails } from '../store/index.js';
import { saveOAuthLogin, type OAuthLogin } from '../store/oauthLogin.js';
import type { AccountSummary, AccountView, ProviderContext } from './types.js';

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
