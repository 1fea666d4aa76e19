/**
 * Removing keys from a Hermes home's `.env`, keeping every other byte: the missing half of
 * store/envFile.ts (which only sets values). Same discipline as setEnvValue: serialised per file in the
 * process, the flock on `auth.lock` across processes, an atomic write (temp 0600, fsync, rename), the
 * file handled as bytes (latin1), a symlinked `.env` written through to its target.
 *
 * TODO(coordinator): this belongs in store/envFile.ts; it lives here only because that file is being
 * changed by another helper at the same time. Move it over as it is.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../util/clock.js';
import { isErrno, removeStaleTemps, writeFileAtomic } from '../store/atomicWrite.js';
import { ENV_LOCK_TIMEOUT_MS } from '../store/envFile.js';
import { acquireFlock } from '../store/lock.js';
import { ownerToKeep, serializeByPath } from '../store/serialize.js';

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UTF8_BOM = '\xEF\xBB\xBF';

/**
 * Returns `content` (bytes as latin1) without any line assigning `key` (optionally indented, optionally
 * `export `-prefixed, as envFile.ts recognises them), and the number of lines removed. A UTF-8 BOM on a
 * removed first line stays at the start of the file; every other byte is kept.
 */
export function removeEnvLines(content: string, key: string): { content: string; removed: number } {
  if (!KEY_RE.test(key)) throw new Error(`${JSON.stringify(key)} is not a valid .env variable name.`);
  const re = new RegExp(`^(${UTF8_BOM})?[ \\t]*(export[ \\t]+)?${key}[ \\t]*=`);
  // split keeping each line's own terminator, so nothing but the removed lines changes
  const lines = content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  let removed = 0;
  let bom = '';
  const kept = lines.filter((line, index) => {
    const m = re.exec(line);
    if (!m) return true;
    removed += 1;
    if (index === 0 && m[1]) bom = UTF8_BOM;
    return false;
  });
  return { content: bom + kept.join(''), removed };
}

async function readBytes(file: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(file)).toString('latin1');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Removes every assignment of `keys` from the .env file at `file`; returns the keys that were there.
 * A missing file, or one without those keys, is left untouched (not even rewritten).
 */
export async function removeEnvValues(
  file: string,
  keys: readonly string[],
  opts: { lockTimeoutMs?: number; clock?: Clock } = {},
): Promise<string[]> {
  for (const key of keys) if (!KEY_RE.test(key)) throw new Error(`${JSON.stringify(key)} is not a valid .env variable name.`);
  const home = path.dirname(path.resolve(file));
  let target: string;
  try {
    target = await fsp.realpath(file);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  return serializeByPath(target, async () => {
    const lock = await acquireFlock(path.join(home, 'auth.lock'), { timeoutMs: opts.lockTimeoutMs ?? ENV_LOCK_TIMEOUT_MS, clock: opts.clock });
    try {
      const before = await readBytes(target);
      if (before === undefined) return [];
      let content = before;
      const removed: string[] = [];
      for (const key of keys) {
        const result = removeEnvLines(content, key);
        if (result.removed > 0) removed.push(key);
        content = result.content;
      }
      if (removed.length === 0) return [];
      await removeStaleTemps(path.dirname(target), path.basename(target));
      await writeFileAtomic(target, Buffer.from(content, 'latin1'), await ownerToKeep(target));
      return removed;
    } finally {
      await lock.release();
    }
  });
}
