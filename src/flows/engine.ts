/**
 * The flow registry and state machine: start (single flight per provider and home), background polling,
 * the commit point where cancel stops winning, expiry, cancel, and cleanup. Knows no provider protocol.
 */
import { randomBytes } from 'node:crypto';
import { ProviderError, TransientProviderError, TRY_AGAIN_LATER } from '../providers/errors.js';
import type { Provider, ProviderContext } from '../providers/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { describeFailure, safeMessage } from '../util/secrets.js';
import { END_STATUSES, statusPayload, type Flow, type FlowStatus, type StatusPayload } from './flow.js';
import { pollUntilDone, type PollObserver } from './poller.js';

/** Ended flows are forgotten this long after they end. */
export const ENDED_FLOW_TTL_MS = 5 * 60 * 1000;
/** Longest the first provider request (asking for a code) may take. */
export const START_TIMEOUT_MS = 30_000;
/** Default bound on pending flows in one process. */
export const DEFAULT_MAX_PENDING = 1000;

/** Start refused because too many flows are pending (HTTP 429). */
export class FlowLimitError extends Error {
  override name = 'FlowLimitError';
}

/** The server is shutting down and takes no new sign-ins (HTTP 503). */
export class ServerClosingError extends Error {
  override name = 'ServerClosingError';
  constructor() {
    super('The server is shutting down; try again in a moment.');
  }
}

/** The provider could not give us a code (HTTP 502); `message` is safe to show. */
export class FlowStartError extends Error {
  override name = 'FlowStartError';
}

export interface FlowEngineOptions {
  clock: Clock;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  maxPending?: number;
  /** Observes every flow's polling loop (tests, benchmarks). */
  pollObserver?: PollObserver;
}

type Listener = (payload: StatusPayload) => void;

/** Owns every flow and every status change. */
export class FlowEngine {
  readonly #byId = new Map<string, Flow>();
  readonly #starting = new Map<string, Promise<Flow>>();
  readonly #pendingByKey = new Map<string, Flow>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #finishers = new Map<string, () => void>();
  readonly #timers = new Map<string, () => void>();
  /** Controllers of flows still waiting for the provider's first answer, so close() can abort them. */
  readonly #startControllers = new Set<AbortController>();
  readonly #ctx: ProviderContext;
  readonly #maxPending: number;
  readonly #observer: PollObserver;
  #pendingCount = 0;
  #closed = false;

  constructor(private readonly options: FlowEngineOptions) {
    this.#ctx = { clock: options.clock, env: options.env, logger: options.logger };
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#observer = options.pollObserver ?? {};
  }

  /** True once close() was called: no new sign-ins are taken. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The flow pending for this provider and home (past its first provider answer), if any. */
  pendingFor(providerId: string, home: string): Flow | undefined {
    return this.#pendingByKey.get(flowKey(providerId, home));
  }

  /** Number of flows not yet ended (including ones waiting for the provider's first answer). */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /**
   * Starts a sign-in for `provider` into `home`, or returns the flow already pending for that pair
   * (also while it still waits for the provider's first answer). Throws FlowLimitError, FlowStartError or ServerClosingError.
   */
  async start(provider: Provider, home: string, profile: string): Promise<Flow> {
    if (this.#closed) throw new ServerClosingError();
    const key = flowKey(provider.id, home);
    const pending = this.#pendingByKey.get(key);
    if (pending) return pending;
    const starting = this.#starting.get(key);
    if (starting) return starting;
    if (this.#pendingCount >= this.#maxPending) {
      throw new FlowLimitError(
        `Too many sign-ins are pending (${this.#maxPending}); finish or cancel one, or wait for them to expire.`,
      );
    }
    this.#pendingCount += 1;
    const promise = this.#begin(provider, home, profile, key);
    this.#starting.set(key, promise);
    try {
      return await promise;
    } finally {
      this.#starting.delete(key);
    }
  }

  async #begin(provider: Provider, home: string, profile: string, key: string): Promise<Flow> {
    const { clock, logger } = this.options;
    const controller = new AbortController();
    let finish!: () => void;
    const ended = new Promise<void>((resolve) => (finish = resolve));
    const flow: Flow = {
      id: randomBytes(16).toString('hex'),
      provider,
      home,
      profile,
      controller,
      status: 'pending',
      phase: 'starting',
      auth: undefined,
      expiresAt: clock.now() + START_TIMEOUT_MS,
      endedAt: undefined,
      error: undefined,
      account: undefined,
      ended,
    };
    this.#startControllers.add(controller);
    try {
      flow.auth = await provider.begin(this.#ctx, { signal: controller.signal, deadline: flow.expiresAt });
      controller.signal.throwIfAborted();
    } catch (error) {
      this.#startControllers.delete(controller);
      this.#pendingCount -= 1;
      if (controller.signal.aborted) throw new ServerClosingError();
      const message = providerFailureMessage(error) ?? `${provider.label} could not start a sign-in; see the server log.`;
      logger.warn({ provider: provider.id, flowError: message }, 'sign-in start failed');
      if (!(error instanceof ProviderError || error instanceof TransientProviderError)) {
        logger.error({ provider: provider.id, failure: describeFailure(error) }, 'unexpected error starting a sign-in');
      }
      throw new FlowStartError(message);
    }
    this.#startControllers.delete(controller);
    flow.expiresAt = clock.now() + flow.auth.expiresInSeconds * 1000;
    flow.phase = 'polling';
    this.#byId.set(flow.id, flow);
    this.#pendingByKey.set(key, flow);
    this.#finishers.set(flow.id, () => {
      this.#pendingByKey.delete(key);
      finish();
    });
    this.#timers.set(flow.id, clock.setTimer(flow.expiresAt - clock.now(), () => this.#expire(flow)));
    logger.info({ provider: provider.id, flow: flow.id, profile }, 'sign-in started');
    void this.#run(flow);
    return flow;
  }

  async #run(flow: Flow): Promise<void> {
    const { logger } = this.options;
    const auth = flow.auth!;
    const bounds = { signal: flow.controller.signal, deadline: flow.expiresAt };
    try {
      const end = await pollUntilDone(flow.provider, this.#ctx, auth, bounds, this.#observer);
      if (end.kind === 'denied') return this.#end(flow, 'error', 'The sign-in was denied. Try again and approve it.');
      if (end.kind === 'expired') return this.#end(flow, 'expired');
      const credentials = await flow.provider.finish(this.#ctx, auth, end.grant, bounds);
      // The commit point: one synchronous check-and-set. Before it, cancel wins; after it, the write finishes.
      if (flow.status !== 'pending') return;
      flow.phase = 'committing';
      this.#clearTimer(flow.id);
      try {
        flow.account = await flow.provider.save(this.#ctx, flow.home, credentials);
      } catch (error) {
        logger.error({ provider: flow.provider.id, flow: flow.id, failure: describeFailure(error) }, 'saving credentials failed');
        return this.#end(flow, 'error', safeMessage(`Signed in, but the credentials could not be saved: ${(error as Error).message}`));
      }
      logger.info({ provider: flow.provider.id, flow: flow.id }, 'sign-in succeeded');
      this.#end(flow, 'success');
    } catch (error) {
      if (flow.status !== 'pending') return; // cancelled or expired: the abort is expected
      const message = providerFailureMessage(error);
      if (message) {
        logger.warn({ provider: flow.provider.id, flow: flow.id, flowError: message }, 'sign-in failed');
        return this.#end(flow, 'error', message);
      }
      logger.error({ provider: flow.provider.id, flow: flow.id, failure: describeFailure(error) }, 'unexpected sign-in failure');
      this.#end(flow, 'error', `The sign-in failed unexpectedly; see the server log and try again.`);
    }
  }

  #expire(flow: Flow): void {
    if (flow.status !== 'pending' || flow.phase === 'committing') return;
    this.#end(flow, 'expired');
  }

  #end(flow: Flow, status: Exclude<FlowStatus, 'pending'>, error?: string): void {
    if (END_STATUSES.has(flow.status)) return;
    flow.status = status;
    flow.phase = 'ended';
    flow.error = status === 'error' ? (error ?? 'The sign-in failed.') : undefined;
    flow.endedAt = this.options.clock.now();
    this.#pendingCount -= 1;
    this.#clearTimer(flow.id);
    flow.controller.abort(new Error(`flow ${status}`));
    this.#finishers.get(flow.id)?.();
    this.#finishers.delete(flow.id);
    this.#timers.set(flow.id, this.options.clock.setTimer(ENDED_FLOW_TTL_MS, () => this.#forget(flow.id)));
    this.#notify(flow);
  }

  #forget(id: string): void {
    this.#byId.delete(id);
    this.#timers.delete(id);
    const listeners = this.#listeners.get(id);
    this.#listeners.delete(id);
    listeners?.clear();
  }

  #clearTimer(id: string): void {
    this.#timers.get(id)?.();
    this.#timers.delete(id);
  }

  #notify(flow: Flow): void {
    const listeners = this.#listeners.get(flow.id);
    if (!listeners) return;
    const payload = statusPayload(flow);
    for (const listener of [...listeners]) listener(payload);
  }

  /** The flow with this id, or undefined when unknown or forgotten. */
  get(id: string): Flow | undefined {
    return this.#byId.get(id);
  }

  /**
   * Cancels a flow. A pending flow before its commit point becomes `cancelled` and writes nothing; one
   * already committing is awaited and reports its true end. Returns undefined for an unknown id.
   */
  async cancel(id: string): Promise<Flow | undefined> {
    const flow = this.#byId.get(id);
    if (!flow) return undefined;
    if (flow.status === 'pending' && flow.phase !== 'committing') {
      this.#end(flow, 'cancelled');
      this.options.logger.info({ provider: flow.provider.id, flow: flow.id }, 'sign-in cancelled');
    } else if (flow.status === 'pending') {
      await flow.ended;
    }
    return flow;
  }

  /** Calls `listener` with the status payload on every change of this flow; returns an unsubscribe function. */
  subscribe(id: string, listener: Listener): () => void {
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(id) === set) this.#listeners.delete(id);
    };
  }

  /** Stops taking flows, cancels every pending one before its commit point, and waits for commits in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#startControllers) controller.abort(new Error('server shutting down'));
    await Promise.allSettled([...this.#starting.values()]);
    const committing: Promise<void>[] = [];
    for (const flow of this.#byId.values()) {
      if (flow.status !== 'pending') continue;
      if (flow.phase === 'committing') committing.push(flow.ended);
      else this.#end(flow, 'cancelled');
    }
    await Promise.all(committing);
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }
}

/** The single-flight key of a provider and home. */
function flowKey(providerId: string, home: string): string {
  return `${providerId}\u0000${home}`;
}

/** The message a person sees for a provider failure (transient ones get advice), or undefined for a bug. */
function providerFailureMessage(error: unknown): string | undefined {
  if (error instanceof ProviderError) return safeMessage(error.message);
  if (error instanceof TransientProviderError) return safeMessage(`${error.message} ${TRY_AGAIN_LATER}`);
  return undefined;
}

