/**
 * Which process drives a flow when several share one store: a lease per flow, held by exactly one replica,
 * renewed while it runs the flow and lost when it stops renewing (it died) so another replica can take the flow
 * over. The engine only takes, ties and releases leases; how they are kept is the store's business (Redis:
 * redis/leases.ts). With the in-memory store there are no leases: one process drives every flow.
 */

/** This replica's hold on one flow. */
export interface FlowLease {
  /** Aborted when the lease is lost (another replica took the flow over): stop driving it, change nothing. */
  readonly lost: AbortSignal;
  /** Gives the lease back (the run ended, or this replica hands the flow over on shutdown). Never throws. */
  release(): Promise<void>;
}

/** The leases of one replica. */
export interface FlowLeases {
  /** This replica's id as a lease owner. */
  readonly owner: string;
  /** Takes the lease of a flow this replica just created; undefined when that failed (Redis away). */
  take(id: string): Promise<FlowLease | undefined>;
  /** True while this replica holds flow `id`'s lease. */
  holds(id: string): boolean;
  /**
   * Starts looking for flows nobody drives (their replica died); for each whose lease this replica then takes,
   * calls `adopt`, which must drive the flow or release the lease.
   */
  watchOrphans(adopt: (id: string, lease: FlowLease) => void): void;
  /** Stops renewing and looking; held leases are not released (see FlowLease.release). */
  close(): Promise<void>;
}
