/** Starts per client address per minute (HERMES_ONBOARD_START_RATE), as a sliding one-minute window. */
import type { Clock } from '../util/clock.js';

const WINDOW_MS = 60_000;
/** Client addresses remembered at most; the oldest are dropped past it. */
const MAX_CLIENTS = 10_000;

/** Counts starts per client; `take` says whether one more is allowed now. */
export class StartLimiter {
  readonly #starts = new Map<string, number[]>();
  constructor(private readonly perMinute: number, private readonly clock: Clock) {}

  /** Records a start for `client` and returns 0, or returns the seconds to wait when over the limit. */
  take(client: string): number {
    if (this.perMinute <= 0) return 0;
    const now = this.clock.now();
    const recent = (this.#starts.get(client) ?? []).filter((t) => now - t < WINDOW_MS);
    if (recent.length >= this.perMinute) {
      this.#starts.set(client, recent);
      return Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
    }
    recent.push(now);
    this.#starts.delete(client);
    this.#starts.set(client, recent);
    if (this.#starts.size > MAX_CLIENTS) this.#starts.delete(this.#starts.keys().next().value!);
    return 0;
  }
}
