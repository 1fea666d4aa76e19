/** Lets each benchmark file run on its own (`node dist/bench/compare.js`) as well as from run-all. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.js';
import { summaryTable, type SummaryRow } from './summary.js';

/** A benchmark: prints its own table and returns its rows for the summary. */
export type Benchmark = () => Promise<SummaryRow[]>;

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs `bench` when its module is the entry point: the machine first, then the figures and the summary rows. */
export function runIfMain(moduleUrl: string, bench: Benchmark): void {
  if (!isMain(moduleUrl)) return;
  process.stdout.write(`Machine: ${describeMachine()}\n`);
  bench().then(
    (rows) => {
      process.stdout.write(`\n${summaryTable(rows)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`benchmark failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

/** Runs a stand-alone tool (profile, flowHeap, tail: not benchmarks with summary rows) when its module is the entry point. */
export function runToolIfMain(moduleUrl: string, tool: () => Promise<void>): void {
  if (!isMain(moduleUrl)) return;
  tool().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
