/** Time helpers: the server's clock as seen from the page, countdowns and "expires in" wording. */

/** Tracks the offset between this browser's clock and the server's, from HTTP `Date` headers. */
class ServerClock {
  private offsetMs = 0;

  /** Learns the offset from a `Date` header; differences under 2 s are header rounding, not skew. */
  observe(dateHeader: string | null): void {
    if (!dateHeader) return;
    const server = Date.parse(dateHeader);
    if (Number.isNaN(server)) return;
    const offset = server - Date.now();
    this.offsetMs = Math.abs(offset) < 2000 ? 0 : offset;
  }

  /** The server's current time in epoch milliseconds. */
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

/** The one server clock of the page. */
export const serverClock = new ServerClock();

export { formatCountdown } from '../format.js';

/** Reads an account's `expires_at` (epoch seconds, epoch ms or an ISO string) as epoch ms. */
export function parseExpiry(value: string | number | undefined): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  const asNumber = Number(value);
  if (Number.isFinite(asNumber)) return parseExpiry(asNumber);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "expires in 3 days" / "expired 2 hours ago", for an account's expiry. */
export function describeExpiry(expiresAtMs: number, nowMs: number): string {
  const diff = expiresAtMs - nowMs;
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const [unit, size] = UNITS.find(([, size]) => Math.abs(diff) >= size) ?? ['minute', 60_000];
  const amount = Math.round(diff / size);
  return diff >= 0 ? `expires ${rtf.format(amount, unit)}` : `expired ${rtf.format(amount, unit)}`;
}

/** "until 14:05 (in 12 minutes)" for a benched account's retry time; "may be retried now" once it has passed. */
export function describeRetry(retryAtMs: number, nowMs: number): string {
  const diff = retryAtMs - nowMs;
  if (diff <= 0) return '(may be retried now)';
  const sameDay = diff < 86_400_000;
  const at = new Intl.DateTimeFormat(undefined, sameDay ? { hour: '2-digit', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' }).format(retryAtMs);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const [unit, size] = UNITS.find(([, s]) => diff >= s) ?? ['minute', 60_000];
  return `until ${at} (${rtf.format(Math.max(1, Math.round(diff / size)), unit)})`;
}
