/**
 * Benchmark 4, store contention, is written elsewhere (bench/store.ts → dist/bench/store.js). This runs
 * it in its own process when present, shows its output as it comes, and turns its Markdown table(s)
 * into summary rows.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchEnv } from './env.js';
import type { SummaryRow } from './summary.js';

/** The compiled store benchmark. */
const STORE_SCRIPT = fileURLToPath(new URL('../store.js', import.meta.url));
/** Longest the store benchmark may run. */
const STORE_TIMEOUT_MS = 180_000;
const TITLE = 'Store contention';

/** Runs `script` with node, echoing its output; resolves to its stdout, rejects on failure or timeout. */
export function runScript(script: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env: benchEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      process.stdout.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(signal === 'SIGKILL' ? `it ran longer than ${timeoutMs / 1000} s` : `it exited with code ${code}`));
    });
  });
}

/** Splits the Markdown tables in `text` into [header, ...rows] cell arrays (rule lines dropped). */
export function markdownTables(text: string): string[][][] {
  const tables: string[][][] = [];
  let current: string[][] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!(line.startsWith('|') && line.endsWith('|') && line.length > 1)) {
      current = undefined;
      continue;
    }
    if (/^\|[\s:|-]+\|$/.test(line)) continue;
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    if (!current) tables.push((current = []));
    current.push(cells);
  }
  return tables;
}

/** Lines like "1 process   2116 updates   423 updates/s   median 1.41 ms": columns split on 2+ spaces. */
function updateLines(text: string): SummaryRow[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/))
    .filter((cols) => cols.length > 1 && cols.some((c) => c.includes('updates/s')))
    .map((cols) => ({
      benchmark: TITLE,
      conditions: cols[0]!,
      result: cols.slice(cols.findIndex((c) => c.includes('updates/s'))).join(', '),
    }));
}

/**
 * Summary rows from the store benchmark's output: the rows of a Benchmark | Conditions | Result table
 * as they are; else every row of its other tables as "header: cell" pairs; else its "updates/s" lines.
 */
export function storeSummaryRows(output: string): SummaryRow[] {
  const tables = markdownTables(output).filter((t) => t.length > 1);
  const ready = tables.find((t) => t[0]!.join('|').toLowerCase() === 'benchmark|conditions|result');
  if (ready) return ready.slice(1).map(([benchmark = TITLE, conditions = '', result = '']) => ({ benchmark, conditions, result }));
  if (tables.length === 0) return updateLines(output);
  return tables.flatMap(([header, ...rows]) =>
    rows.map((cells) => ({
      benchmark: TITLE,
      conditions: `${header![0]}: ${cells[0] ?? ''}`,
      result: cells.slice(1).map((c, i) => `${header![i + 1] ?? ''}: ${c}`).join(', '),
    })),
  );
}

/** Runs dist/bench/store.js when it exists and returns its summary rows. */
export async function runStoreBenchmark(): Promise<SummaryRow[]> {
  process.stdout.write(`\n## ${TITLE} (dist/bench/store.js)\n\n`);
  if (!existsSync(STORE_SCRIPT)) {
    process.stdout.write('dist/bench/store.js is not there (bench/store.ts not written yet): skipped.\n');
    return [{ benchmark: TITLE, conditions: 'updates/s, 1 and 4 processes', result: 'not measured: bench/store.ts missing' }];
  }
  const rows = storeSummaryRows(await runScript(STORE_SCRIPT, STORE_TIMEOUT_MS));
  return rows.length > 0 ? rows : [{ benchmark: TITLE, conditions: 'updates/s, 1 and 4 processes', result: 'see the store benchmark output above' }];
}
