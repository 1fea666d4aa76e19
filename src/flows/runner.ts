/**
 * What runs one flow in this process and cannot be serialised: its abort state and its view of the
 * store's change notifications. It aborts the provider's work the moment the record ends (cancel, expiry,
 * shutdown, from this process or, with a shared store, another one) and hands a submitted code to the
 * driver waiting for it.
 *
 * A pending flow spends nearly all its life asleep between two polls, so the runner keeps no AbortController
 * then: its sleep is one cancellable timer, and a controller is made only when something asks for `signal`
 * (a provider request in flight, a code awaited) and dropped again at the next sleep. A Node AbortSignal is
 * an EventTarget with a hidden class of its own, about 0.9 KiB per flow with its listeners.
 */
import type { StepBounds } from '../providers/types.js';
import type { Clock } from '../util/clock.js';
import { isEnded, type FlowRecord } from './flow.js';
import type { FlowStore } from './store.js';

export class FlowRunner {
  #controller: AbortController | undefined;
  /** Set once the flow's work must stop. */
  #reason: Error | undefined;
  /** Ends the sleep in progress with the abort reason. */
  #interruptSleep: ((reason: Error) => void) | undefined;
  readonly #unsubscribe: () => void;
  #code: string | undefined;
  #codeWaiter: ((code: string) => void) | undefined;
  #stopped = false;
  /** Made only when someone waits for the stop (shutdown, for a flow that is committing): most runners never need one. */
  #finished: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(store: FlowStore, readonly id: string) {
    this.#unsubscribe = store.subscribe(id, (record) => this.#onChange(record));
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

  /** Aborted when the flow ends or the server shuts down. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** The bounds of the flow's steps: `signal` is asked of the runner each time (see above), not kept. */
  bounds(deadline: number): StepBounds {
    return new RunnerBounds(this, deadline);
  }

  /** Aborts whatever the flow is waiting on. */
  abort(reason: string): void {
    if (this.#reason) return;
    this.#reason = new Error(reason);
    this.#controller?.abort(this.#reason);
    this.#interruptSleep?.(this.#reason);
  }

  /**
   * Resolves after `ms` of `clock`'s time; rejects with the abort reason when the flow ends first. Nothing
   * waits on the previous step's signal any more, so it is let go (a later `signal` makes a fresh one).
   */
  sleep(clock: Clock, ms: number): Promise<void> {
    if (this.#reason) return Promise.reject(this.#reason);
    if (this.#controller && !this.#controller.signal.aborted) this.#controller = undefined;
    return new Promise<void>((resolve, reject) => {
      const cancel = clock.setTimer(
        ms,
        () => {
          this.#interruptSleep = undefined;
          resolve();
        },
        true,
      );
      this.#interruptSleep = (reason) => {
        this.#interruptSleep = undefined;
        cancel();
        reject(reason);
      };
    });
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

/** StepBounds whose signal is the runner's of the moment (a class: an object literal with a getter costs a dictionary per flow). */
class RunnerBounds implements StepBounds {
  constructor(
    private readonly runner: FlowRunner,
    readonly deadline: number,
  ) {}

  get signal(): AbortSignal {
    return this.runner.signal;
  }
}
