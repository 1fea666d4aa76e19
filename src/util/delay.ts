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

/** A millisecond delay that a timer can hold: within [0, MAX_TIMER_MS]. */
export function timerMs(ms: number): number {
  return clampDelay(ms, 0, MAX_TIMER_MS);
}
