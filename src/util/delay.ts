/**
 * Bounds for delays that come from outside (a provider's interval or Retry-After, a server's poll interval
 * seen by the page). A timer longer than 2^31-1 ms overflows and fires at once, so an absurd delay would
 * turn a wait into a tight loop; a NaN or negative one would too. Shared by the server and the page.
 */

/** Longest delay a JavaScript timer can hold (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `value` (any number, or anything else) within [min, max]: NaN, non-numbers and negatives become `min`,
 * +Infinity and anything too large become `max`.
 */
export function clampDelay(value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) return min;
  return Math.min(max, Math.max(min, value));
}

/** Longest wait between two status polls of the page, whatever interval the provider set (the stream carries changes at once). */
export const MAX_PAGE_POLL_MS = 60_000;

/**
 * The page's poll delay for a flow's `poll_interval_seconds`: within 1 s and MAX_PAGE_POLL_MS, 5 s when it
 * is missing or not a positive number. The interval comes from the provider: unclamped, a huge one
 * overflowed setTimeout, which then fired at once and polled in a tight loop.
 */
export function pagePollDelayMs(intervalSeconds: unknown): number {
  const seconds = typeof intervalSeconds === 'number' && intervalSeconds > 0 ? intervalSeconds : 5;
  return clampDelay(seconds * 1000, 1000, MAX_PAGE_POLL_MS);
}

/** A millisecond delay that a timer can hold: within [0, MAX_TIMER_MS]. */
export function timerMs(ms: number): number {
  return clampDelay(ms, 0, MAX_TIMER_MS);
}
