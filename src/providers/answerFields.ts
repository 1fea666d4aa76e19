/** Reading the fields of a provider's answer: seconds sent as numbers or strings, lifetimes, strings. */
import { clampDelay } from '../util/delay.js';

/** Interval used when the provider sends none (RFC 8628 §3.2). */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** Code lifetime assumed when the provider sends none or nonsense. */
export const DEFAULT_EXPIRES_IN_SECONDS = 15 * 60;
/** Longest code lifetime we accept by default; a pending flow never outlives it. */
export const MAX_EXPIRES_IN_SECONDS = 30 * 60;
/**
 * Longest poll interval kept. No flow lives longer, so a longer interval would never poll anyway: capping
 * it here never polls sooner than the provider asked, and keeps every timer and the page's poll sane.
 */
export const MAX_INTERVAL_SECONDS = MAX_EXPIRES_IN_SECONDS;

/** Reads a non-negative number of seconds sent as a number or a numeric string; undefined otherwise. */
export function parseSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** The poll interval to use: the provider's (number or string), else 5 s; within 1 s and MAX_INTERVAL_SECONDS. */
export function normalizeInterval(value: unknown): number {
  const seconds = parseSeconds(value);
  return clampDelay(Math.ceil(seconds ?? DEFAULT_INTERVAL_SECONDS), 1, MAX_INTERVAL_SECONDS);
}

/** The code lifetime to use: the provider's when sensible (at least 1 s), else the default; capped at `max`. */
export function normalizeExpiresIn(value: unknown, max = MAX_EXPIRES_IN_SECONDS): number {
  const seconds = parseSeconds(value);
  if (seconds === undefined || seconds <= 0) return Math.min(DEFAULT_EXPIRES_IN_SECONDS, max);
  return Math.min(Math.max(1, Math.floor(seconds)), max);
}

/** The trimmed string, or undefined when the value is not a non-empty string. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
