/** The providers of a profile with their saved accounts, as domain values (server/presenters.ts shapes the wire). */
import type { AccountView, AnyProvider } from './types.js';

/** One provider and the accounts saved for it in a Hermes home. */
export interface ProviderListing {
  provider: AnyProvider;
  accounts: AccountView[];
}

/** Every provider, connected or not, with the accounts saved in `home` (none for unsupported ones). */
export function listProviders(providers: readonly AnyProvider[], home: string): Promise<ProviderListing[]> {
  return Promise.all(providers.map(async (provider) => ({ provider, accounts: provider.supported ? await provider.accounts(home) : [] })));
}
