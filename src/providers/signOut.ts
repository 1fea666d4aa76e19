/**
 * Removing an account or signing a provider out, with the opt-in revocation first: the account is found
 * without the lock, its refresh token revoked at the provider (network, so never under auth.lock), then
 * the removal runs under the lock with Hermes Agent's side effects (store/removal.ts). A failed or
 * unsupported revocation still removes the local credential; the outcome says which it was. Shared by the
 * HTTP routes and the `logout` command.
 */
import path from 'node:path';
import { readAuthStore } from '../store/authStore.js';
import { readEnvValue } from '../store/envFile.js';
import { checkAccountId, checkProviderId, COPILOT_ENV_ACCOUNT_ID, COPILOT_ENV_KEY, isPoolEntry, poolList, singletonState } from '../store/hermesPool.js';
import { findRemovableAccount, logoutProvider, removeAccount, type RemovableAccount, type RemovalOutcome } from '../store/removal.js';
import { revokeTokens, type RevocationOutcome } from './revoke.js';
import type { ProviderContext } from './types.js';

/** Longest a revocation may take before the removal goes on without it. */
export const REVOKE_TIMEOUT_MS = 15_000;

/** A removal and, when asked for, how revoking went (one outcome per distinct grant). */
export interface SignOutOutcome {
  removal: RemovalOutcome;
  /** Undefined when no revocation was asked for. */
  revocations?: RevocationOutcome[];
}

/** Options of removeOne / signOutProvider. */
export interface SignOutOptions {
  revoke?: boolean;
  /** Called once the lock must be waited for (tests). */
  onLockWait?: () => void;
}

/** Tells the log (and tests) that the removal waits for another process's auth.lock, then calls the caller's hook. */
function lockWaitNotice(ctx: ProviderContext, provider: string, opts: SignOutOptions): () => void {
  return () => {
    ctx.logger.info({ provider }, 'auth.lock is held by another process; waiting');
    opts.onLockWait?.();
  };
}

/** Removes one account of `provider` in `home` (revoking first when asked). 400/404 errors write nothing. */
export async function removeOne(ctx: ProviderContext, home: string, provider: string, accountId: string, opts: SignOutOptions = {}): Promise<SignOutOutcome> {
  checkProviderId(provider);
  checkAccountId(accountId);
  const account = await findAccount(home, provider, accountId);
  const revocations = opts.revoke ? await revokeAll(ctx, provider, [account]) : undefined;
  const removal = await removeAccount(home, provider, accountId, { clock: ctx.clock, logger: ctx.logger, onLockWait: lockWaitNotice(ctx, provider, opts) });
  return { removal, ...(revocations && { revocations }) };
}

/** Signs `provider` out of `home` as Hermes Agent's logout does (revoking every saved grant first when asked). */
export async function signOutProvider(ctx: ProviderContext, home: string, provider: string, opts: SignOutOptions = {}): Promise<SignOutOutcome> {
  checkProviderId(provider);
  let revocations: RevocationOutcome[] | undefined;
  if (opts.revoke) {
    const store = await readAuthStore(home);
    const ids = (poolList(store, provider) ?? []).filter(isPoolEntry).map((e) => e.id);
    if (singletonState(store, provider)) ids.push(provider);
    if (provider === 'copilot') ids.push(COPILOT_ENV_ACCOUNT_ID);
    const envToken = provider === 'copilot' ? await readEnvValue(path.join(home, '.env'), COPILOT_ENV_KEY) : undefined;
    const accounts: RemovableAccount[] = [];
    for (const id of ids) {
      try {
        accounts.push(findRemovableAccount(store, provider, id, envToken));
      } catch {
        // not removable as an account (e.g. a singleton of a provider Hermes does not seed): nothing to revoke
      }
    }
    revocations = await revokeAll(ctx, provider, accounts);
  }
  const removal = await logoutProvider(home, provider, { clock: ctx.clock, logger: ctx.logger, onLockWait: lockWaitNotice(ctx, provider, opts) });
  return { removal, ...(revocations && { revocations }) };
}

/** The account as it is now (its tokens for the revocation); AccountNotFoundError when there is none. */
async function findAccount(home: string, provider: string, accountId: string): Promise<RemovableAccount> {
  const store = await readAuthStore(home);
  const envToken = provider === 'copilot' && accountId === COPILOT_ENV_ACCOUNT_ID ? await readEnvValue(path.join(home, '.env'), COPILOT_ENV_KEY) : undefined;
  return findRemovableAccount(store, provider, accountId, envToken);
}

/** Revokes each distinct refresh token once (a seeded entry and its singleton share one grant). */
async function revokeAll(ctx: ProviderContext, provider: string, accounts: readonly RemovableAccount[]): Promise<RevocationOutcome[]> {
  const seen = new Set<string>();
  const outcomes: RevocationOutcome[] = [];
  for (const account of accounts) {
    if (account.refreshToken) {
      if (seen.has(account.refreshToken)) continue;
      seen.add(account.refreshToken);
    }
    const controller = new AbortController();
    const cancel = ctx.clock.setTimer(REVOKE_TIMEOUT_MS, () => controller.abort(new Error('revocation timed out')));
    try {
      const tokens = { ...(account.refreshToken && { refreshToken: account.refreshToken }), ...(account.accessToken && { accessToken: account.accessToken }) };
      outcomes.push(await revokeTokens(ctx, provider, tokens, { signal: controller.signal, deadline: ctx.clock.now() + REVOKE_TIMEOUT_MS }));
    } catch {
      // revokeTokens rethrows only an abort: the time ran out
      outcomes.push({ outcome: 'failed', reason: `The revocation took longer than ${REVOKE_TIMEOUT_MS / 1000} s and was given up.` });
    } finally {
      cancel();
    }
  }
  return outcomes;
}

/**
 * The answer's `revoked`: true when every grant was revoked, false when one failed, null when none was
 * asked for or none could be (unsupported, nothing saved); and the sentences saying so.
 */
export function revocationSummary(revocations: readonly RevocationOutcome[] | undefined): { revoked: boolean | null; notes: string[] } {
  if (!revocations) return { revoked: null, notes: [] };
  const notes: string[] = [];
  for (const r of revocations) {
    if (r.outcome === 'failed') notes.push(`Revoking at the provider failed: ${r.reason} The local credential was removed anyway; sign out at the provider to end that grant.`);
    else if (r.outcome === 'unsupported') notes.push(r.reason);
  }
  const unique = [...new Set(notes)];
  if (revocations.some((r) => r.outcome === 'failed')) return { revoked: false, notes: unique };
  if (revocations.length > 0 && revocations.every((r) => r.outcome === 'revoked')) {
    return { revoked: true, notes: ['The sign-in was revoked at the provider: every device using it is signed out.'] };
  }
  if (revocations.some((r) => r.outcome === 'revoked')) return { revoked: true, notes: unique };
  return { revoked: null, notes: unique.length > 0 ? unique : ['Nothing was saved that could be revoked.'] };
}
