/**
 * Tells subscribers when a Hermes home's `auth.json` or `.env` changes on disk, whoever changed it (Hermes
 * Agent benching an account, a terminal sign-in, this program). One watcher per home, shared by every
 * subscriber and closed when the last one leaves: `fs.watch` on the home folder (the files are replaced by
 * rename, so the folder is what sees every write), changes coalesced for `debounceMs`; where watching fails
 * (no inotify slots, a file system without events, a folder that does not exist yet) the files' identity
 * (inode, size, mtime) is polled every `pollMs` instead. Nothing here reads a file's content.
 */
import { watch, type FSWatcher, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/** The files whose changes are reported. */
export const WATCHED_FILES: readonly string[] = ['auth.json', '.env'];

/** Settings of a HomeWatcher. */
export interface HomeWatchOptions {
  clock: Clock;
  logger?: Logger;
  /** Time after a change before subscribers hear of it (a write is a burst of events). Default 100 ms; 0 = the next turn of the event loop. */
  debounceMs?: number;
  /** Interval of the poll fallback. Default 2000 ms. */
  pollMs?: number;
  /** Poll even where watching works (tests of the fallback). */
  forcePoll?: boolean;
}

export const DEFAULT_WATCH_DEBOUNCE_MS = 100;
export const DEFAULT_WATCH_POLL_MS = 2000;

/** One watched home. */
interface HomeWatch {
  listeners: Set<() => void>;
  watcher?: FSWatcher;
  /** Stops the poll loop and any pending debounce. */
  abort: AbortController;
  cancelDebounce?: () => void;
  mode: 'watch' | 'poll';
}

/** Shares one watcher per home among subscribers. */
export class HomeWatcher {
  readonly #homes = new Map<string, HomeWatch>();
  readonly #debounceMs: number;
  readonly #pollMs: number;
  #closed = false;

  constructor(private readonly options: HomeWatchOptions) {
    this.#debounceMs = options.debounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_WATCH_POLL_MS;
  }

  /** How a home is being watched (`watch` or `poll`), or undefined when nobody subscribes to it. */
  modeOf(home: string): 'watch' | 'poll' | undefined {
    return this.#homes.get(path.resolve(home))?.mode;
  }

  /** Number of homes watched now. */
  get size(): number {
    return this.#homes.size;
  }

  /** Calls `listener` after each change of the home's auth.json or .env; returns the unsubscribe function. */
  subscribe(home: string, listener: () => void): () => void {
    if (this.#closed) return () => {};
    const key = path.resolve(home);
    let entry = this.#homes.get(key);
    if (!entry) {
      entry = this.#start(key);
      this.#homes.set(key, entry);
    }
    entry.listeners.add(listener);
    const watched = entry;
    return () => {
      watched.listeners.delete(listener);
      if (watched.listeners.size === 0 && this.#homes.get(key) === watched) {
        this.#homes.delete(key);
        stop(watched);
      }
    };
  }

  /** Stops every watcher (the app is closing); later subscriptions are ignored. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#homes.values()) stop(entry);
    this.#homes.clear();
  }

  #start(home: string): HomeWatch {
    const entry: HomeWatch = { listeners: new Set(), abort: new AbortController(), mode: 'watch' };
    if (!this.options.forcePoll) {
      try {
        const watcher = watch(home, { persistent: false }, (_event, filename) => {
          // some platforms give no name: then any change counts
          if (filename === null || WATCHED_FILES.includes(String(filename))) this.#changed(entry);
        });
        watcher.on('error', (error) => {
          // the folder went away, or the kernel dropped the watch: keep telling changes by polling
          this.options.logger?.warn({ home, reason: (error as NodeJS.ErrnoException).code ?? error.name }, 'watching the Hermes home failed; polling it instead');
          watcher.close();
          entry.watcher = undefined;
          if (!entry.abort.signal.aborted) this.#poll(home, entry);
        });
        entry.watcher = watcher;
        return entry;
      } catch (error) {
        this.options.logger?.info({ home, reason: (error as NodeJS.ErrnoException).code ?? 'error' }, 'cannot watch the Hermes home; polling it instead');
      }
    }
    this.#poll(home, entry);
    return entry;
  }

  /** Coalesces a burst of changes into one notice after the debounce. */
  #changed(entry: HomeWatch): void {
    if (entry.cancelDebounce || entry.abort.signal.aborted) return;
    const fire = () => {
      entry.cancelDebounce = undefined;
      for (const listener of [...entry.listeners]) listener();
    };
    if (this.#debounceMs > 0) {
      entry.cancelDebounce = this.options.clock.setTimer(this.#debounceMs, fire);
    } else {
      // no debounce: the events of one write still arrive together, so the next turn coalesces them
      const immediate = setImmediate(fire);
      entry.cancelDebounce = () => clearImmediate(immediate);
    }
  }

  /** The poll fallback: compares the files' identity every pollMs. */
  #poll(home: string, entry: HomeWatch): void {
    entry.mode = 'poll';
    const { signal } = entry.abort;
    void (async () => {
      let last = await identity(home);
      while (!signal.aborted) {
        try {
          await this.options.clock.sleep(this.#pollMs, signal);
        } catch {
          return; // stopped
        }
        const now = await identity(home);
        if (now !== last) {
          last = now;
          for (const listener of [...entry.listeners]) listener();
        }
      }
    })();
  }
}

function stop(entry: HomeWatch): void {
  entry.abort.abort();
  entry.cancelDebounce?.();
  entry.cancelDebounce = undefined;
  entry.watcher?.close();
  entry.watcher = undefined;
}

/** Inode, size and mtime of each watched file (`-` when missing): changes whenever a file is replaced or edited. */
async function identity(home: string): Promise<string> {
  const parts = await Promise.all(
    WATCHED_FILES.map(async (name) => {
      try {
        const s = await fsp.lstat(path.join(home, name), { bigint: true });
        return `${s.ino}:${s.size}:${s.mtimeNs}`;
      } catch {
        return '-';
      }
    }),
  );
  return parts.join('|');
}
