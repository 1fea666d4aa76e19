/**
 * Flow change notes from every replica, delivered to this replica's listeners (e.g. its server-sent event
 * streams). The scripts publish a note on the events channel with each change; this bridge holds the one subscriber
 * connection a replica needs (a subscribed connection can run no other command) and fans notes out locally.
 *
 * Pub/sub delivers at most once: notes sent while this replica was cut off from Redis are gone. So after every
 * reconnection listeners get a `resync` call, and should read the flows they watch again.
 */
import { z } from 'zod';
import type { RedisConnection } from './connection.js';
import type { FlowKeys } from './keys.js';
import type { FlowChange } from './scripts.js';

/** What a listener is told. */
export interface FlowEventListener {
  /** A flow changed (any replica, including this one). */
  change(note: FlowChange): void;
  /** The subscription was re-established after an outage: notes may have been missed, read state again. */
  resync?(): void;
}

const noteSchema = z.object({ id: z.string(), status: z.string(), phase: z.string(), version: z.number().int() });

/** The subscriber side of flow change notes. */
export class RedisFlowEvents {
  readonly #subscriber: RedisConnection;
  readonly #channel: string;
  readonly #byFlow = new Map<string, Set<FlowEventListener>>();
  readonly #all = new Set<FlowEventListener>();
  #subscribed = false;
  #everSubscribed = false;
  #closed = false;

  /** `subscriber` must be a connection of its own (see RedisConnection.duplicate); the bridge closes it. */
  constructor(subscriber: RedisConnection, keys: FlowKeys) {
    this.#subscriber = subscriber;
    this.#channel = keys.events;
    // node-redis re-subscribes on its own after a reconnection; `ready` tells us it happened.
    subscriber.on('state', (state) => {
      if (state === 'ready' && this.#everSubscribed) for (const listener of this.#listeners()) listener.resync?.();
    });
  }

  /**
   * Subscribes once the subscriber connection is ready (it waits for Redis: race it with a timeout where that
   * matters); resolves when notes are flowing.
   */
  async start(): Promise<void> {
    if (this.#subscribed) return;
    await this.#subscriber.ready();
    await this.#subscriber.run((client) => client.subscribe(this.#channel, (message) => this.#deliver(message)));
    this.#subscribed = true;
    this.#everSubscribed = true;
  }

  /** Listens to one flow's changes; returns the function that stops listening. */
  watch(flowId: string, listener: FlowEventListener): () => void {
    let set = this.#byFlow.get(flowId);
    if (!set) this.#byFlow.set(flowId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#byFlow.get(flowId) === set) this.#byFlow.delete(flowId);
    };
  }

  /** Listens to every flow's changes; returns the function that stops listening. */
  watchAll(listener: FlowEventListener): () => void {
    this.#all.add(listener);
    return () => this.#all.delete(listener);
  }

  /** Listeners now registered (all flows plus per flow), to check that streams let go of theirs. */
  get listenerCount(): number {
    let count = this.#all.size;
    for (const set of this.#byFlow.values()) count += set.size;
    return count;
  }

  /** Stops the subscription and closes the subscriber connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#byFlow.clear();
    this.#all.clear();
    await this.#subscriber.close();
  }

  #listeners(): FlowEventListener[] {
    return [...this.#all, ...[...this.#byFlow.values()].flatMap((set) => [...set])];
  }

  #deliver(message: string): void {
    let note: FlowChange;
    try {
      note = noteSchema.parse(JSON.parse(message));
    } catch {
      return; // Not a note of ours (another program on the channel): nothing to tell.
    }
    for (const listener of [...this.#all, ...(this.#byFlow.get(note.id) ?? [])]) {
      try {
        listener.change(note);
      } catch {
        // One listener's failure (a closed stream) must not keep the note from the others.
      }
    }
  }
}
