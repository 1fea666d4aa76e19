/** The providers of a profile with their saved accounts and their health, as domain values (server/presenters.ts shapes the wire). */
import { readProfileHealth, type ProviderHealth } from '../store/health.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { AnyProvider } from './types.js';

/** One provider and the accounts saved for it in a Hermes home, with their health (store/health.ts). */
export interface ProviderListing {
  provider: AnyProvider;
  health: ProviderHealth;
}

/**
 * Every provider, connected or not, with the accounts Hermes Agent would see in `home` (pool entries,
 * unseeded `providers.<id>` logins, Copilot's `.env` token), read once. Nothing is refreshed or written.
 */
export async function listProviders(providers: readonly AnyProvider[], home: string, clock: Clock = systemClock): Promise<ProviderListing[]> {
  const health = await readProfileHealth(home, providers.map((p) => p.id), { clock });
  return providers.map((provider) => {
    const h = health.get(provider.id)!;
    // Hermes Agent labels a login without a name by its source (`device_code`); a person reads the provider's name better
    const accounts = h.accounts.map((a) => (a.label === a.hermesSource ? { ...a, label: provider.label } : a));
    return { provider, health: { ...h, accounts } };
  });
}
