/**
 * The flow engine: start (single flight per provider and home, the pending bound), running each flow
 * through the driver of its kind, the commit point where cancel stops winning, cancel, submitted codes,
 * and shutdown. Every status change goes through the FlowStore's conditional updates, so an in-memory and
 * a shared store behave the same. Knows no provider by name; emits records, never wire payloads.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ProviderConfig } from '../config.js';
import { FlowLimitError, FlowStartError, OnboardError, ServerClosingError } from '../errors.js';
import { DEFAULT_MAX_PENDING, START_TIMEOUT_MS } from '../limits.js';
import { ProviderError, TransientProviderError, TRY_AGAIN_LATER } from '../providers/errors.js';
import type { BeginOptions, Provider, ProviderContext } from '../providers/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { TimerQueue } from '../util/timerQueue.js';
import { describeFailure, safeMessage } from '../util/secrets.js';
import { driverFor, type Obtained, type PollObserver, type Started } from './drivers/index.js';
import { CANCELLABLE_PHASES, COMMITTABLE_PHASES, isEnded, type FlowRecord, type FlowStatus } from './flow.js';
import { MemoryFlowStore } from './memoryStore.js';
import { FlowRunner, type RunnerOutcome } from './runner.js';
import type { FlowStore } from './store.js';
import type { FlowLease, FlowLeases } from './lease.js';
import { resumeStarted } from './drivers/resume.js';
import type { AbortLike } from '../util/abort.js';

export interface FlowEngineOptions {
  clock: Clock;
  logger: Logger;
  /** Provider settings (issuer overrides…), read once at start-up. */
  config: ProviderConfig;
  maxPending?: number;
  /** Where flows live (default: a MemoryFlowStore the engine owns and closes). */
  store?: FlowStore;
  /** Observes every flow's waits (tests, benchmarks). */
  pollObserver?: PollObserver;
  /** With a store shared by replicas: the leases that let exactly one replica drive each flow (see lease.ts). */
  leases?: FlowLeases;
}

/** How a sign-in is started. */
export interface StartOptions {
  /** "Sign in again": the account the new credentials repair (providers/types.ts SaveOptions). */
  repairAccountId?: string;
}

/** Hears a flow's record once it reaches an end status. */
export type EndListener = (record: FlowRecord) => void;

/** Owns every flow this process runs and every status change. */
export class FlowEngine {
  readonly store: FlowStore;
  readonly #ownsStore: boolean;
  readonly #runners = new Map<string, FlowRunner>();
  readonly #leases = new Map<FlowRunner, FlowLease>();
  readonly #starting = new Map<string, Promise<FlowRecord>>();
  readonly #ctx: ProviderContext;
  readonly #maxPending: number;
  readonly #observer: PollObserver;
  /** Every sleeping flow's next wake-up, on one clock timer. */
  readonly #timers: TimerQueue;
  #closed = false;

  constructor(private readonly options: FlowEngineOptions) {
    this.#ctx = { clock: options.clock, config: options.config, logger: options.logger };
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#observer = options.pollObserver ?? {};
    // kept alive: a process waiting on a flow (the terminal's login) must not exit between two polls
    this.#timers = new TimerQueue(options.clock, true);
    this.#ownsStore = options.store === undefined;
    this.store = options.store ?? new MemoryFlowStore(options.clock);
  }

  /** True once close() was called: no new sign-ins are taken. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The flow pending for this provider and home past its first provider answer, if any. */
  async pendingFor(providerId: string, home: string): Promise<FlowRecord | undefined> {
    const record = await this.store.active(providerId, home);
    return record && record.phase !== 'starting' ? record : undefined;
  }

  /** Number of flows not yet ended (including ones waiting for the provider's first answer). */
  pendingCount(): Promise<number> {
    return this.store.countActive();
  }

  /**
   * Starts a sign-in for `provider` into `home`, or returns the flow already pending for that pair
   * (also while it still waits for the provider's first answer). Throws FlowLimitError, FlowStartError or ServerClosingError.
   */
  async start(provider: Provider, home: string, profile: string, options: Omit<BeginOptions, 'flowId'> & StartOptions = {}): Promise<FlowRecord> {
    if (this.#closed) throw new ServerClosingError();
    const now = this.options.clock.now();
    const draft: FlowRecord = {
      id: randomBytes(16).toString('hex'),
      providerId: provider.id,
      profile,
      home,
      kind: provider.signIn,
      status: 'pending',
      phase: 'starting',
      createdAt: now,
      expiresAt: now + START_TIMEOUT_MS,
      ...(options.repairAccountId !== undefined && { repairAccountId: options.repairAccountId }),
    };
    const result = await this.store.create(draft, { maxPending: this.#maxPending });
    if (result.kind === 'full') {
      throw new FlowLimitError(`Too many sign-ins are pending (${this.#maxPending}); finish or cancel one, or wait for them to expire.`);
    }
    if (result.kind === 'joined') return result.record.phase === 'starting' ? this.#joinStart(result.record.id) : result.record;
    const promise = this.#begin(provider, result.record, options);
    this.#starting.set(draft.id, promise);
    try {
      return await promise;
    } finally {
      this.#starting.delete(draft.id);
    }
  }

  /** Waits for a flow started elsewhere to get its first provider answer; fails as that start fails. */
  #joinStart(id: string): Promise<FlowRecord> {
    return new Promise<FlowRecord>((resolve, reject) => {
      let done = false;
      const settle = (record: FlowRecord | undefined): void => {
        if (done || (record && record.phase === 'starting')) return;
        done = true;
        unsubscribe();
        if (record && record.status !== 'error' && !(this.#closed && record.status === 'cancelled')) return resolve(record);
        if (this.#closed) return reject(new ServerClosingError());
        reject(new FlowStartError(record?.error));
      };
      const unsubscribe = this.store.subscribe(id, settle);
      void this.store.get(id).then(settle, reject);
    });
  }

  async #begin(provider: Provider, record: FlowRecord, options: Omit<BeginOptions, 'flowId'> & StartOptions): Promise<FlowRecord> {
    const { clock, logger } = this.options;
    const { id } = record;
    const runner = new FlowRunner(this.store, id, this.#timers, this.#ctx, this.#observer, this.#outcome);
    this.#runners.set(id, runner);
    this.#hold(runner, await this.options.leases?.take(id));
    let started: Started;
    try {
      started = await driverFor(provider)(this.#ctx, { signal: runner.signal, deadline: record.expiresAt }, { ...options, flowId: id });
      runner.signal.throwIfAborted();
    } catch (error) {
      this.#stop(runner);
      const ended = { phase: 'ended', endedAt: clock.now() } as const;
      if (runner.signal.aborted && !this.#closed) {
        // cancelled while asking: the cancel already ended the record
        const current = await this.store.get(id);
        if (current) return current;
      }
      if (runner.signal.aborted) {
        await this.store.update(id, { status: 'pending' }, { status: 'cancelled', ...ended });
        await this.store.remove(id);
        throw new ServerClosingError({ cause: error });
      }
      const message = providerFailureMessage(error) ?? `${provider.label} could not start a sign-in; see the server log.`;
      logger.warn({ provider: provider.id, flowError: message }, 'sign-in start failed');
      if (!(error instanceof ProviderError || error instanceof TransientProviderError)) {
        logger.error({ provider: provider.id, failure: describeFailure(error) }, 'unexpected error starting a sign-in');
      }
      // joiners learn the failure from this change; then nothing is left behind
      await this.store.update(id, { status: 'pending' }, { status: 'error', error: message, ...ended });
      await this.store.remove(id);
      throw new FlowStartError(message, { cause: error });
    }
    const waiting = await this.store.update(
      id,
      { status: 'pending', phases: ['starting'] },
      {
        phase: 'waiting',
        expiresAt: clock.now() + started.expiresInSeconds * 1000,
        public: started.public,
        secrets: { begin: started.secret, ...(started.callbackNonce !== undefined && { nonce: started.callbackNonce }) },
      },
    );
    if (!waiting) {
      this.#stop(runner);
      const current = await this.store.get(id);
      if (!current) throw new ServerClosingError();
      return current;
    }
    logger.info({ provider: provider.id, flow: id, profile: record.profile }, 'sign-in started');
    this.#drive(provider, waiting, started, runner);
    return waiting;
  }

  /**
   * Runs a started flow in the background; a failure of the store itself (Redis away too long) is logged, never
   * thrown. Nothing of the engine waits here while the flow is pending: the runner hears the driver's outcome.
   */
  #drive(provider: Provider, record: FlowRecord, started: Started, runner: FlowRunner): void {
    runner.drive(provider, record);
    try {
      started.obtain(runner, runner);
    } catch (error) {
      runner.reject(error); // a driver that throws instead of reporting fails its flow like one that reports
    }
  }

  /** Ties a lease to the runner: losing it stops the runner (another replica drives the flow now). */
  #hold(runner: FlowRunner, lease: FlowLease | undefined): void {
    if (!lease) return;
    this.#leases.set(runner, lease);
    if (lease.lost.aborted) runner.abort('lease lost');
    lease.lost.addEventListener('abort', () => runner.abort('lease lost'), { once: true });
  }

  /**
   * Drives a pending flow whose replica died, after this replica took its lease (see lease.ts): resumes waiting
   * for its credentials from what its record holds. Returns false (and gives the lease back) when it cannot.
   */
  async resume(provider: Provider, record: FlowRecord, lease: FlowLease): Promise<boolean> {
    const started = this.#closed ? undefined : resumeStarted(provider, record, this.options.clock.now());
    if (!started || this.#runners.has(record.id)) {
      await lease.release();
      return false;
    }
    const runner = new FlowRunner(this.store, record.id, this.#timers, this.#ctx, this.#observer, this.#outcome);
    this.#runners.set(record.id, runner);
    this.#hold(runner, lease);
    // the flow may have ended between the read that found it and the runner's subscription
    const current = await this.store.get(record.id).catch(() => undefined);
    if (!current || isEnded(current)) {
      this.#stop(runner);
      return false;
    }
    this.options.logger.info({ provider: provider.id, flow: record.id }, 'sign-in taken over from a replica that stopped');
    this.#drive(provider, current, started, runner);
    return true;
  }

  /** Hears every runner's outcome (one function for all: see FlowRunner). */
  readonly #outcome: RunnerOutcome = (runner, end, error) => {
    if (runner.driving) void this.#settle(runner.driving.provider, runner.driving.record, runner, end, error);
  };

  /** Ends a flow whose driver has finished waiting: `end` when it obtained an outcome, else the `error` it failed with. */
  async #settle(provider: Provider, record: FlowRecord, runner: FlowRunner, end: Obtained | undefined, error?: unknown): Promise<void> {
    try {
      let failure = error;
      if (end) {
        try {
          return await this.#conclude(provider, record, end);
        } catch (caught) {
          failure = caught; // a provider or store failure past the driver ends the flow like the driver's own
        }
      }
      await this.#fail(provider, record.id, runner, failure);
    } catch (failure) {
      this.options.logger.error({ provider: provider.id, flow: record.id, failure: describeFailure(failure) }, 'driving a sign-in failed');
    } finally {
      this.#stop(runner);
    }
  }

  /** Saves obtained credentials past the commit point, or ends the flow as the driver's outcome says. */
  async #conclude(provider: Provider, record: FlowRecord, end: Obtained): Promise<void> {
    const { logger } = this.options;
    const { id } = record;
    if (end.kind === 'denied') return await this.#end(id, 'error', 'The sign-in was denied. Try again and approve it.');
    if (end.kind === 'expired') return await this.#end(id, 'expired');
    // The commit point: one conditional change. Before it, cancel wins; after it, the write finishes.
    const committing = await this.store.update(id, { status: 'pending', phases: COMMITTABLE_PHASES }, { phase: 'committing' });
    if (!committing) return;
    let account;
    try {
      // the repair target stays in this process: the runner that saves is the one that started the flow
      account = await provider.save(this.#ctx, record.home, end.credentials, record.repairAccountId !== undefined ? { repairAccountId: record.repairAccountId } : undefined);
    } catch (error) {
      logger.error({ provider: provider.id, flow: id, failure: describeFailure(error) }, 'saving credentials failed');
      return await this.#end(id, 'error', safeMessage(`Signed in, but the credentials could not be saved: ${(error as Error).message}`));
    }
    logger.info({ provider: provider.id, flow: id }, 'sign-in succeeded');
    await this.#end(id, 'success', undefined, account);
  }

  /** Ends a flow whose driver failed, unless the failure is the expected end of an aborted one. */
  async #fail(provider: Provider, id: string, runner: FlowRunner, error: unknown): Promise<void> {
    const { logger } = this.options;
    const current = await this.store.get(id);
    if (!current || current.status !== 'pending') return; // cancelled or expired: the abort is expected
    if (runner.signal.aborted) return; // the lease went to another replica, or this one hands the flow over
    const message = providerFailureMessage(error);
    if (message) {
      logger.warn({ provider: provider.id, flow: id, flowError: message }, 'sign-in failed');
      return await this.#end(id, 'error', message);
    }
    logger.error({ provider: provider.id, flow: id, failure: describeFailure(error) }, 'unexpected sign-in failure');
    await this.#end(id, 'error', `The sign-in failed unexpectedly; see the server log and try again.`);
  }

  /** Ends a pending flow (from any phase: the runner's own end), unless it has ended already. */
  async #end(id: string, status: Exclude<FlowStatus, 'pending'>, error?: string, account?: FlowRecord['account']): Promise<void> {
    await this.store.update(
      id,
      { status: 'pending' },
      {
        status,
        phase: 'ended',
        endedAt: this.options.clock.now(),
        ...(status === 'error' && { error: error ?? 'The sign-in failed.' }),
        ...(account && { account }),
      },
    );
  }

  #stop(runner: FlowRunner): void {
    runner.stop();
    if (this.#runners.get(runner.id) === runner) this.#runners.delete(runner.id);
    const lease = this.#leases.get(runner);
    this.#leases.delete(runner);
    void lease?.release();
  }

  /** The flow with this id, or undefined when unknown or forgotten. */
  get(id: string): Promise<FlowRecord | undefined> {
    return this.store.get(id);
  }

  /**
   * Cancels a flow. A pending flow before its commit point becomes `cancelled` and writes nothing; one
   * already committing is awaited and reports its true end. Returns undefined for an unknown id.
   */
  async cancel(id: string): Promise<FlowRecord | undefined> {
    const cancelled = await this.store.update(
      id,
      { status: 'pending', phases: CANCELLABLE_PHASES },
      { status: 'cancelled', phase: 'ended', endedAt: this.options.clock.now() },
    );
    if (cancelled) {
      this.options.logger.info({ provider: cancelled.providerId, flow: id }, 'sign-in cancelled');
      return cancelled;
    }
    const current = await this.store.get(id);
    if (current?.status === 'pending') return (await this.waitForEnd(id)) ?? current;
    return current;
  }

  /**
   * Hands an authorization code (from the callback or pasted by the user) to a flow waiting for one. The
   * code is taken once; OnboardError `flow_not_found` or `flow_not_awaiting_code` otherwise. A callback
   * passes the nonce of its address: a flow whose nonce differs (or that has none) counts as not found.
   */
  async submitCode(id: string, code: string, opts: { nonce?: string } = {}): Promise<FlowRecord> {
    const record = await this.store.get(id);
    if (!record) throw new OnboardError('flow_not_found');
    if (opts.nonce !== undefined && !sameSecret(record.secrets?.nonce, opts.nonce)) throw new OnboardError('flow_not_found');
    const next =
      record.kind === 'authorization_code'
        ? await this.store.update(
            id,
            { status: 'pending', phases: ['waiting'] },
            // the nonce stays, so a second callback is told the link was used rather than unknown
            { phase: 'exchanging', secrets: { ...record.secrets, begin: record.secrets?.begin, code } },
          )
        : undefined;
    if (!next) throw new OnboardError('flow_not_awaiting_code');
    return next;
  }

  /**
   * Ends a flow still waiting for its code with `message` (the provider sent the browser back with a
   * refusal instead of a code). A callback passes its nonce, checked as by submitCode. Returns the
   * ended record, or undefined when the flow no longer waits (nothing changes then).
   */
  async refuseCode(id: string, message: string, opts: { nonce?: string } = {}): Promise<FlowRecord | undefined> {
    const record = await this.store.get(id);
    if (!record || record.kind !== 'authorization_code') return undefined;
    if (opts.nonce !== undefined && !sameSecret(record.secrets?.nonce, opts.nonce)) return undefined;
    const ended = await this.store.update(
      id,
      { status: 'pending', phases: ['waiting'] },
      { status: 'error', phase: 'ended', endedAt: this.options.clock.now(), error: safeMessage(message) },
    );
    if (ended) this.options.logger.warn({ provider: ended.providerId, flow: id, flowError: ended.error }, 'sign-in refused at the provider');
    return ended;
  }

  /** The flow `id` when `nonce` is its callback nonce (compared in constant time); undefined for an unknown flow, another nonce, or none. */
  async callbackMatches(id: string, nonce: string): Promise<FlowRecord | undefined> {
    const record = await this.store.get(id);
    return record && sameSecret(record.secrets?.nonce, nonce) ? record : undefined;
  }

  /** Calls `listener` once, when this flow reaches an end status; returns an unsubscribe function. */
  subscribe(id: string, listener: EndListener): () => void {
    let heard = false;
    return this.store.subscribe(id, (record) => {
      if (heard || !isEnded(record)) return;
      heard = true;
      listener(record);
    });
  }

  /** Resolves with the flow's record once it has ended (undefined when it is unknown). */
  waitForEnd(id: string): Promise<FlowRecord | undefined> {
    return new Promise((resolve, reject) => {
      let done = false;
      const settle = (record: FlowRecord | undefined) => {
        if (done || (record && !isEnded(record))) return;
        done = true;
        unsubscribe();
        resolve(record);
      };
      const unsubscribe = this.store.subscribe(id, settle);
      void this.store.get(id).then(settle, reject);
    });
  }

  /** The abort signal of the runner driving this flow in this process, while it runs (tests, diagnostics). */
  signalOf(id: string): AbortLike | undefined {
    return this.#runners.get(id)?.signal;
  }

  /** Stops taking flows, cancels every pending one before its commit point, and waits for commits in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const id of this.#starting.keys()) this.#runners.get(id)?.abort('server shutting down');
    await Promise.allSettled([...this.#starting.values()]);
    const committing: Promise<void>[] = [];
    if (this.options.leases) {
      await this.#handOver(committing);
      if (this.#ownsStore) await this.store.close();
      return;
    }
    for (const runner of [...this.#runners.values()]) {
      const cancelled = await this.store.update(
        runner.id,
        { status: 'pending', phases: CANCELLABLE_PHASES },
        { status: 'cancelled', phase: 'ended', endedAt: this.options.clock.now() },
      );
      if (!cancelled) committing.push(runner.finished);
    }
    await Promise.all(committing);
    if (this.#ownsStore) await this.store.close();
  }

  /**
   * Shutdown of one replica among several: its flows are handed over, not cancelled. Each lease is given back first
   * (so this replica can no longer pass a commit point), then runners not already committing stop; another replica
   * takes their flows over at its next look. Commits in progress finish here.
   */
  async #handOver(committing: Promise<void>[]): Promise<void> {
    for (const runner of [...this.#runners.values()]) {
      const lease = this.#leases.get(runner);
      this.#leases.delete(runner);
      await lease?.release();
      const current = await this.store.get(runner.id).catch(() => undefined);
      if (current?.phase === 'committing') committing.push(runner.finished);
      else runner.abort('server shutting down: the flow is handed over to another replica');
    }
    await Promise.all(committing);
  }
}

/** Compares a presented nonce with the stored one in constant time (through digests of equal length). */
function sameSecret(stored: string | undefined, presented: string): boolean {
  if (stored === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(stored), digest(presented));
}

/** The message a person sees for a provider failure (transient ones get advice), or undefined for a bug. */
function providerFailureMessage(error: unknown): string | undefined {
  if (error instanceof ProviderError) return safeMessage(error.message);
  if (error instanceof TransientProviderError) return safeMessage(`${error.message} ${TRY_AGAIN_LATER}`);
  return undefined;
}
