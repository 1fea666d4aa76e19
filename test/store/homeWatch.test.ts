/**
 * HomeWatcher: one watcher per home shared by its subscribers and closed with the last of them, changes of
 * auth.json and .env reported (a replace by rename included), the poll fallback driven by the clock, and
 * nothing reported after close.
 */
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { HomeWatcher } from '../../src/store/homeWatch.js';
import { ManualClock } from '../helpers/clock.js';
import { guarded } from '../helpers/harness.js';
import { tempDir } from './helpers.js';

/** A promise for the next call of a listener, and the listener. */
function nextCall(): { listener: () => void; called: () => Promise<void>; count: () => number } {
  let n = 0;
  let wake: () => void = () => {};
  return {
    listener: () => {
      n += 1;
      wake();
    },
    called: () => guarded(new Promise<void>((resolve) => (wake = resolve)), 'the watcher to report a change'),
    count: () => n,
  };
}

test('one watcher per home for every subscriber; an atomic replace of auth.json reaches each; the last to leave closes it', async (t) => {
  const home = tempDir(t, 'watch-');
  const watcher = new HomeWatcher({ clock: new ManualClock(), debounceMs: 0 });
  t.after(() => watcher.close());
  const a = nextCall();
  const b = nextCall();
  const offA = watcher.subscribe(home, a.listener);
  const offB = watcher.subscribe(path.join(home, '.', ''), b.listener);
  assert.equal(watcher.size, 1, 'one watcher for both');
  assert.equal(watcher.modeOf(home), 'watch');

  const both = Promise.all([a.called(), b.called()]);
  await writeFile(path.join(home, 'auth.json.tmp'), '{}');
  await rename(path.join(home, 'auth.json.tmp'), path.join(home, 'auth.json'));
  await both;

  offA();
  assert.equal(watcher.size, 1, 'still watched for b');
  const onlyB = b.called();
  await writeFile(path.join(home, '.env'), 'X=1\n');
  await onlyB;
  offB();
  assert.equal(watcher.size, 0, 'closed with the last subscriber');
  assert.equal(watcher.modeOf(home), undefined);
});

test('the poll fallback reports a change once the clock passes the poll interval; close stops it', async (t) => {
  const home = tempDir(t, 'watch-poll-');
  const clock = new ManualClock();
  const watcher = new HomeWatcher({ clock, forcePoll: true, pollMs: 1000 });
  const seen = nextCall();
  watcher.subscribe(home, seen.listener);
  assert.equal(watcher.modeOf(home), 'poll');
  await clock.untilTimers(1); // the poll loop waits
  await writeFile(path.join(home, 'auth.json'), '{"version": 1}');
  const called = seen.called();
  await clock.advance(1000);
  await called;
  assert.equal(seen.count(), 1);
  watcher.close();
  await writeFile(path.join(home, 'auth.json'), '{"version": 1, "x": 2}');
  await clock.advance(5000);
  assert.equal(seen.count(), 1, 'nothing after close');
  assert.equal(clock.pendingTimers, 0, 'no timer left behind');
});

test('a home that does not exist yet is polled instead of watched', async (t) => {
  const home = path.join(tempDir(t, 'watch-missing-'), 'not-yet');
  const watcher = new HomeWatcher({ clock: new ManualClock() });
  t.after(() => watcher.close());
  watcher.subscribe(home, () => {});
  assert.equal(watcher.modeOf(home), 'poll');
});
