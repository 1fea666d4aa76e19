/**
 * What runs one flow in this process and cannot be serialised: its abort state and its view of the
 * store's change notifications. It aborts the provider's work the moment the record ends (cancel, expiry,
 * shutdown, from this process or, with a shared store, another one) and hands a submitted code to the
 * driver waiting for it.
 *
 * A pending flow spends nearly all its life asleep between two polls, so that state is made as small as it
 * can be: the runner is itself the flow's DriverRun, its StepBounds, its abort signal (AbortLike) and its entry
 * in the engine's TimerQueue, and while it sleeps it holds only the driver's sleeper (no timer, promise or
 * suspended frame per flow). No AbortController at all: a Node AbortSignal is an EventTarget with a hidden
 * class of its own (about 0.9 KiB a flow kept, or that much garbage per poll, see util/abort.ts).
 */
import type { Provider, ProviderContext, StepBounds } from '../providers/types.js';
import type { AbortLike } from '../util/abort.js';
import type { TimerEntry, TimerQueue } from '../util/timerQueue.js';
import type { Done, DriverRun, Obtained, Sleeper } from './drivers/driver.js';
import type { PollObserver } from './drivers/poller.js';
import { isEnded, type FlowRecord } from './flow.js';
import type { FlowStore } from './store.js';

/** Hears how the driver's wait ended: `end`, or the `error` it failed with. */
export type RunnerOutcome = (runner: FlowRunner, end: Obtained | undefined, error?: unknown) => void;

export class FlowRunner implements DriverRun, StepBounds, AbortLike, TimerEntry, Done<Obtained> {
  // TimerEntry: owned by the engine's TimerQueue
  dueAt = 0;
  order = 0;
  slot = -1;
  /** What the runner drives once its flow has started (the provider and the record it started with). */
  driving: { readonly provider: Provider; readonly record: FlowRecord } | undefined;
  /** Set once the flow's work must stop. */
  #reason: Error | undefined;
  /** Who hears the abort (a request in flight, a code awaited); nobody while the flow sleeps. */
  #listeners: Array<() => void> | undefined;
  /** What waits in the sleep in progress. */
  #sleeper: Sleeper | undefined;
  readonly #unsubscribe: () => void;
  #code: string | undefined;
  #codeWaiter: ((code: string) => void) | undefined;
  #stopped = false;
  /** The driver reported how its wait ended (it may do so once). */
  #settled = false;
  /** Made only when someone waits for the stop (shutdown, for a flow that is committing): most runners never need one. */
  #finished: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    store: FlowStore,
    readonly id: string,
    private readonly timers: TimerQueue,
    readonly ctx: ProviderContext,
    readonly observer: PollObserver,
    /** Shared by every runner of an engine, so the driver's report costs no closure per flow. */
    private readonly outcome: RunnerOutcome,
  ) {
    this.#unsubscribe = store.subscribe(id, (record) => this.#onChange(record));
  }

  /** The runner bounds its own steps: `signal` is asked of it each time (see above), never kept. */
  get bounds(): StepBounds {
    return this;
  }

  /** The flow's expiresAt once it runs (StepBounds). */
  get deadline(): number {
    return this.driving?.record.expiresAt ?? Infinity;
  }

  /** Resolves once the runner has stopped (its flow ended and any save in progress has finished). */
  get finished(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (!this.#finished) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#finished = { promise, resolve };
    }
    return this.#finished.promise;
  }

  /** Aborted when the flow ends or the server shuts down: the runner itself (AbortLike). */
  get signal(): AbortLike {
    return this;
  }

  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#reason) throw this.#reason;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#reason) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    const at = listeners?.indexOf(listener) ?? -1;
    if (at < 0) return;
    listeners!.splice(at, 1);
    if (listeners!.length === 0) this.#listeners = undefined;
  }

  /** Aborts whatever the flow is waiting on. */
  abort(reason: string): void {
    if (this.#reason) return;
    this.#reason = new Error(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) listener();
    const sleeper = this.#sleeper;
    if (sleeper) {
      this.#sleeper = undefined;
      this.timers.cancel(this);
      sleeper.interrupt(this.#reason);
    }
  }

  /**
   * Wakes `sleeper` after `ms` of the clock's time, or interrupts it with the abort reason when the flow ends
   * first.
   */
  sleep(ms: number, sleeper: Sleeper): void {
    if (this.#reason) return sleeper.interrupt(this.#reason);
    this.#sleeper = sleeper;
    this.timers.schedule(this, ms);
  }

  /** Starts driving `record` with `provider`: its deadline bounds every step from now on. */
  drive(provider: Provider, record: FlowRecord): void {
    this.driving = { provider, record };
  }

  /** The driver obtained its outcome (Done). */
  resolve(end: Obtained): void {
    if (this.#settled) return;
    this.#settled = true;
    this.outcome(this, end);
  }

  /** The driver failed or was aborted (Done). */
  reject(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.outcome(this, undefined, error);
  }

  /** The sleep is over (TimerQueue). */
  fire(): void {
    const sleeper = this.#sleeper;
    this.#sleeper = undefined;
    if (!sleeper) return;
    try {
      sleeper.wake();
    } catch (error) {
      sleeper.interrupt(error);
    }
  }

  /** Resolves with the submitted authorization code; rejects when the flow ends first. */
  code(): Promise<string> {
    if (this.#code !== undefined) return Promise.resolve(this.#code);
    return new Promise<string>((resolve, reject) => {
      const signal = this.signal;
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#codeWaiter = (code) => {
        signal.removeEventListener('abort', onAbort);
        resolve(code);
      };
    });
  }

  /** Stops listening; the flow's work is over. */
  stop(): void {
    this.#sleeper = undefined;
    this.timers.cancel(this);
    this.#unsubscribe();
    this.#stopped = true;
    this.#finished?.resolve();
  }

  #onChange(record: FlowRecord): void {
    if (isEnded(record)) {
      this.abort(`flow ${record.status}`);
      return;
    }
    const code = record.phase === 'exchanging' ? record.secrets?.code : undefined;
    if (code !== undefined && this.#code === undefined) {
      this.#code = code;
      this.#codeWaiter?.(code);
    }
  }
}
