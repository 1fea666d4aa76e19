/** The providers list of a profile (GET /api/onboarding/providers, `hermes-onboard status`): allowlisted, no secrets. */
import type { AccountView, ProvidersPayload, ProviderView } from '../contract.js';
import type { HomeResolution } from '../store/home.js';
import type { AnyProvider } from './types.js';

/** The account fields that may leave the process. */
export function accountViewPayload(a: AccountView): AccountView {
  const out: AccountView = { id: a.id, label: a.label };
  if (a.email) out.email = a.email;
  if (a.plan) out.plan = a.plan;
  if (a.expires_at !== undefined) out.expires_at = a.expires_at;
  if (a.last_status) out.last_status = a.last_status;
  return out;
}

/** Builds the providers payload for a resolved profile: every provider, connected or not, with its saved accounts. */
export async function providersPayload(providers: readonly AnyProvider[], target: HomeResolution): Promise<ProvidersPayload> {
  const list: ProviderView[] = await Promise.all(
    providers.map(async (p) => {
      const accounts = p.supported ? (await p.accounts(target.home)).map(accountViewPayload) : [];
      return { id: p.id, label: p.label, kind: p.kind, supported: p.supported, connected: accounts.length > 0, accounts };
    }),
  );
  return { ok: true, profile: target.profile, providers: list };
}
