/**
 * Taking over flows whose replica died (shared store only): the lease watch finds pending flows nobody drives and
 * this replica takes their lease; then each is resumed from its record, or, when its driver died while saving
 * credentials (after the commit point, so nobody knows whether the save finished), ended with an error that says
 * how to check. A flow whose provider this replica does not offer is left to one that does.
 */
import { isInteractive, type AnyProvider, type Provider } from '../providers/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { describeFailure } from '../util/secrets.js';
import type { FlowEngine } from './engine.js';
import type { FlowLease, FlowLeases } from './lease.js';

/** What the person sees when the replica saving their credentials stopped mid-way. */
export const INTERRUPTED_SAVE_MESSAGE =
  'The server saving this sign-in stopped before it finished; check the profile\'s accounts, and sign in again if the account is missing.';

/** Starts taking over orphaned flows into `engine`. */
export function takeOverOrphans(engine: FlowEngine, leases: FlowLeases, providers: readonly AnyProvider[], logger: Logger, clock: Clock): void {
  const offered = new Map<string, Provider>();
  for (const p of providers) if (isInteractive(p)) offered.set(p.id, p);

  const adopt = async (id: string, lease: FlowLease): Promise<void> => {
    try {
      const record = await engine.get(id);
      const provider = record && offered.get(record.providerId);
      if (!record || record.status !== 'pending' || !provider) return await lease.release();
      if (record.phase === 'committing') {
        await engine.store.update(
          id,
          { status: 'pending', phases: ['committing'] },
          { status: 'error', phase: 'ended', endedAt: clock.now(), error: INTERRUPTED_SAVE_MESSAGE },
        );
        logger.warn({ provider: provider.id, flow: id }, 'a replica stopped while saving a sign-in; it ended with an error');
        return await lease.release();
      }
      await engine.resume(provider, record, lease);
    } catch (error) {
      logger.warn({ flow: id, failure: describeFailure(error) }, 'taking over a sign-in failed; another look will try again');
      await lease.release();
    }
  };
  leases.watchOrphans((id, lease) => void adopt(id, lease));
}
