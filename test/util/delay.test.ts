/** Issue 14, hole 9: delays fed by a provider are clamped where they are read, so no timer overflows into a tight loop. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_INTERVAL_SECONDS, normalizeInterval } from '../../src/providers/answerFields.js';
import { clampDelay, MAX_PAGE_POLL_MS, MAX_TIMER_MS, pagePollDelayMs, timerMs } from '../../src/util/delay.js';
import { MAX_RETRY_AFTER_SECONDS, parseRetryAfter } from '../../src/util/http.js';

test('a provider interval of "1000000000" becomes the longest interval kept, which a timer can hold', () => {
  for (const sent of ['1000000000', 1e9, 1e300, '99999999999999999999999']) {
    const seconds = normalizeInterval(sent);
    assert.equal(seconds, MAX_INTERVAL_SECONDS, String(sent));
    assert.ok(seconds * 1000 <= MAX_TIMER_MS);
  }
  assert.equal(normalizeInterval(undefined), 5);
  assert.equal(normalizeInterval('0'), 1);
  assert.equal(normalizeInterval('7'), 7);
});

test('Retry-After is clamped the same way, in seconds or as a far-future date', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(parseRetryAfter('99999999999999999999', now), MAX_RETRY_AFTER_SECONDS);
  assert.equal(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now), MAX_RETRY_AFTER_SECONDS);
  assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', now), 0);
});

test('the page polls at most once a second and at least once a minute, whatever interval it is given', () => {
  // before: Math.max(1, 1e9) * 1000 overflowed setTimeout, which fired at once: about 1,000 polls in 4 s
  assert.equal(pagePollDelayMs(1e9), MAX_PAGE_POLL_MS);
  assert.equal(pagePollDelayMs(MAX_INTERVAL_SECONDS), MAX_PAGE_POLL_MS);
  assert.equal(pagePollDelayMs(0.001), 1000);
  assert.equal(pagePollDelayMs(-3), 5000);
  assert.equal(pagePollDelayMs(Number.NaN), 5000);
  assert.equal(pagePollDelayMs('7'), 5000);
  assert.equal(pagePollDelayMs(7), 7000);
});

test('clampDelay and timerMs: NaN, negatives and overflow never reach a timer', () => {
  assert.equal(clampDelay(Number.NaN, 1, 10), 1);
  assert.equal(clampDelay('12', 1, 10), 1);
  assert.equal(clampDelay(Infinity, 1, 10), 10);
  assert.equal(clampDelay(-5, 1, 10), 1);
  assert.equal(timerMs(1e12), MAX_TIMER_MS);
  assert.equal(timerMs(-1), 0);
});
