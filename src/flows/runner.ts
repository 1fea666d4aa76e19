/**
 * What runs one flow in this process and cannot be serialised: its abort controller and its view of the
 * store's change notifications. It aborts the provider's work the moment the record ends (cancel, expiry,
 * shutdown, from this process or, with a shared store, another one) and hands a submitted code to the
 * driver waiting for it.
 */
import { isEnded, type FlowRecord } from './flow.js';
import type { FlowStore } from './store.js';

export class FlowRunner {
  readonly #controller = new AbortController();
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
    return this.#controller.signal;
  }

  /** Aborts whatever the flow is waiting on. */
  abort(reason: string): void {
    this.#controller.abort(new Error(reason));
  }

  /** Resolves with the submitted authorization code; rejects when the flow ends first. */
  code(): Promise<string> {
    if (this.#code !== undefined) return Promise.resolve(this.#code);
    return new Promise<string>((resolve, reject) => {
      const signal = this.#controller.signal;
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
