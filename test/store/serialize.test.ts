/** serializeByPath (in-process queue per path) and ownerToKeep (the owner a root rewrite keeps). */
import assert from 'node:assert/strict';
import { chownSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ownerToKeep, serializeByPath } from '../../src/store/serialize.js';
import { deferred } from '../helpers/deferred.js';
import { tempDir } from './helpers.js';

const isRoot = process.getuid?.() === 0;

describe('serializeByPath', () => {
  test('tasks on one path run one at a time in call order; a failure reaches its caller and does not stop the next', async () => {
    const first = deferred();
    const events: string[] = [];
    const a = serializeByPath('/q/one', async () => {
      events.push('a start');
      await first.promise;
      events.push('a end');
      throw new Error('a failed');
    });
    const b = serializeByPath('/q/one', async () => {
      events.push('b');
      return 'b result';
    });
    await Promise.resolve();
    assert.deepEqual(events, ['a start'], 'b waits for a');
    first.resolve();
    await assert.rejects(a, /a failed/);
    assert.equal(await b, 'b result');
    assert.deepEqual(events, ['a start', 'a end', 'b']);
  });

  test('tasks on different paths do not wait for each other', async () => {
    const blocked = deferred();
    const slow = serializeByPath('/q/slow', () => blocked.promise);
    assert.equal(await serializeByPath('/q/other', async () => 'done'), 'done');
    blocked.resolve();
    await slow;
  });
});

describe('ownerToKeep', () => {
  test('as root: the owner of an existing file (path or stats), undefined for a missing one', { skip: !isRoot && 'needs root' }, async (t) => {
    const file = path.join(tempDir(t), 'owned');
    writeFileSync(file, 'x');
    chownSync(file, 4321, 4322);
    assert.deepEqual(await ownerToKeep(file), { uid: 4321, gid: 4322 });
    assert.deepEqual(await ownerToKeep(statSync(file)), { uid: 4321, gid: 4322 });
    assert.equal(await ownerToKeep(`${file}-missing`), undefined);
  });

  test('not root: always undefined (files keep the writer as owner)', { skip: isRoot && 'runs as root' }, async (t) => {
    const file = path.join(tempDir(t), 'owned');
    writeFileSync(file, 'x');
    assert.equal(await ownerToKeep(file), undefined);
  });
});
