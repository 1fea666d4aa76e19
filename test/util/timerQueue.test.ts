/** The TimerQueue behind every sleeping flow and every stored record's expiry: many entries on one clock timer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../src/util/clock.js';
import { FIRE_BUDGET_MS, TimerQueue, UNQUEUED, type TimerEntry } from '../../src/util/timerQueue.js';
import { ManualClock } from '../helpers/clock.js';

/** An entry that writes its name and the clock's time into `log` when it fires. */
function entry(name: string, log: string[], clock: ManualClock, then?: () => void): TimerEntry {
  return {
    ...UNQUEUED,
    fire() {
      log.push(`${name}@${clock.now() - start}`);
      then?.();
    },
  };
}

const start = Date.UTC(2026, 0, 1);

test('entries fire in due order at their due times, ties in scheduling order, on one clock timer', async () => {
  const clock = new ManualClock(start);
  const queue = new TimerQueue(clock);
  const log: string[] = [];
  // scheduled out of order, with ties, enough to exercise the heap beyond a few levels
  const due = [50, 10, 30, 10, 70, 20, 30, 90, 0, 60, 40, 10, 80, 20];
  due.forEach((ms, i) => queue.schedule(entry(`e${i}`, log, clock), ms));
  assert.equal(queue.size, due.length);
  assert.equal(clock.pendingTimers, 1, 'one clock timer for all of them');
  await clock.advance(100);
  const expected = due
    .map((ms, i) => ({ ms, i }))
    .sort((a, b) => a.ms - b.ms || a.i - b.i)
    .map(({ ms, i }) => `e${i}@${ms}`);
  assert.deepEqual(log, expected);
  assert.equal(queue.size, 0);
  assert.equal(clock.pendingTimers, 0, 'an empty queue holds no clock timer');
});

test('cancel takes an entry out from anywhere in the heap; rescheduling moves it; the rest keep their order', async () => {
  const clock = new ManualClock(start);
  const queue = new TimerQueue(clock);
  const log: string[] = [];
  const entries = Array.from({ length: 20 }, (_, i) => entry(`e${i}`, log, clock));
  entries.forEach((e, i) => queue.schedule(e, (i * 37) % 101));
  queue.cancel(entries[3]!);
  queue.cancel(entries[0]!); // the head
  queue.cancel(entries[3]!); // twice: nothing happens
  queue.schedule(entries[5]!, 500); // moved later
  assert.equal(entries[3]!.slot, -1);
  assert.equal(queue.size, 18);
  await clock.advance(1000);
  const expected = entries
    .map((_, i) => ({ i, ms: i === 5 ? 500 : (i * 37) % 101 }))
    .filter(({ i }) => i !== 0 && i !== 3)
    .sort((a, b) => a.ms - b.ms || a.i - b.i)
    .map(({ i, ms }) => `e${i}@${ms}`);
  // e5 was scheduled again last, so among equal times it would come last; none share 500
  assert.deepEqual(log, expected);
});

test('the clock timer follows the earliest entry: an earlier one re-arms it, cancelling the head moves it later', async () => {
  const clock = new ManualClock(start);
  const queue = new TimerQueue(clock);
  const log: string[] = [];
  const late = entry('late', log, clock);
  const early = entry('early', log, clock);
  queue.schedule(late, 1000);
  assert.equal(clock.nextTimerAt(), start + 1000);
  queue.schedule(early, 100);
  assert.equal(clock.nextTimerAt(), start + 100);
  assert.equal(clock.pendingTimers, 1);
  queue.cancel(early);
  assert.equal(clock.nextTimerAt(), start + 1000);
  await clock.advance(999);
  assert.deepEqual(log, []);
  await clock.advance(1);
  assert.deepEqual(log, ['late@1000']);
});

test('an entry that reschedules itself at 0 ms fires again on the next pass, not in a loop within one', async () => {
  const clock = new ManualClock(start);
  const queue = new TimerQueue(clock);
  const log: string[] = [];
  let again = 3;
  const self: TimerEntry = entry('self', log, clock, () => {
    if (again-- > 0) queue.schedule(self, 0);
  });
  const other = entry('other', log, clock);
  queue.schedule(self, 10);
  queue.schedule(other, 10);
  await clock.advance(10);
  assert.deepEqual(log, ['self@10', 'other@10', 'self@10', 'self@10', 'self@10']);
  assert.equal(queue.size, 0);
});

test('entries due together fire in passes of bounded length, so the event loop serves requests between them', async () => {
  let passes = 0;
  /** A fresh manual clock, counting how often the queue's own timer runs. */
  const counting = (clock: ManualClock): Clock => ({
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(ms, signal),
    setTimer: (ms, fn) =>
      clock.setTimer(ms, () => {
        passes += 1;
        fn();
      }),
  });
  const run = async (spinMs: number): Promise<string[]> => {
    const clock = new ManualClock(start);
    const queue = new TimerQueue(counting(clock));
    const log: string[] = [];
    passes = 0;
    for (let i = 0; i < 20; i++) {
      queue.schedule(
        entry(`e${i}`, log, clock, () => {
          const until = performance.now() + spinMs;
          while (performance.now() < until); // an entry that takes spinMs of real time
        }),
        10,
      );
    }
    await clock.advance(10);
    return log;
  };
  const cheap = await run(0);
  assert.equal(cheap.length, 20);
  assert.equal(passes, 1, 'cheap entries all fire in one pass');
  const slow = await run(FIRE_BUDGET_MS / 4);
  assert.deepEqual(slow, cheap, 'every entry fires, in order, at its due time');
  assert.ok(passes >= 3, `20 entries of a quarter budget each fire in at least 3 passes (${passes})`);
});

test('clear empties the queue and lets its clock timer go', () => {
  const clock = new ManualClock(start);
  const queue = new TimerQueue(clock);
  const entries = [entry('a', [], clock), entry('b', [], clock)];
  entries.forEach((e, i) => queue.schedule(e, 10 * (i + 1)));
  queue.clear();
  assert.equal(queue.size, 0);
  assert.equal(clock.pendingTimers, 0);
  assert.ok(entries.every((e) => e.slot === -1));
});

test('on the system clock, a queue whose entries all keep nothing alive lets the process exit (unref), and a keepAlive one holds it', async () => {
  const { spawnSync } = await import('node:child_process');
  const module = new URL('../../src/util/timerQueue.js', import.meta.url).href;
  const clockModule = new URL('../../src/util/clock.js', import.meta.url).href;
  const script = (keepAlive: boolean) =>
    `import { TimerQueue } from ${JSON.stringify(module)}; import { systemClock } from ${JSON.stringify(clockModule)};
     const q = new TimerQueue(systemClock, ${keepAlive});
     q.schedule({ dueAt: 0, order: 0, slot: -1, fire() { process.stdout.write('fired'); } }, 200);`;
  const unref = spawnSync(process.execPath, ['--input-type=module', '-e', script(false)], { encoding: 'utf8' });
  assert.equal(unref.status, 0);
  assert.equal(unref.stdout, '', 'the process exited before the timer, which kept nothing alive');
  const kept = spawnSync(process.execPath, ['--input-type=module', '-e', script(true)], { encoding: 'utf8' });
  assert.equal(kept.status, 0);
  assert.equal(kept.stdout, 'fired');
});
