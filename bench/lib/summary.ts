/** The rows of the final Markdown summary that `npm run bench` prints for the README. */
import { markdownTable } from './format.js';

/** One line of the summary table. */
export interface SummaryRow {
  benchmark: string;
  conditions: string;
  result: string;
}

/** The summary rows as a Markdown table. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  return markdownTable(['Benchmark', 'Conditions', 'Result'], rows.map((r) => [r.benchmark, r.conditions, r.result]));
}

/** Prints a benchmark's heading and, below it, its own table. */
export function printTable(title: string, headers: readonly string[], rows: readonly (readonly string[])[], notes: readonly string[] = []): void {
  process.stdout.write(`\n## ${title}\n\n${markdownTable(headers, rows)}\n`);
  for (const note of notes) process.stdout.write(`\n${note}\n`);
}
