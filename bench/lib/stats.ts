/** Order statistics over a sample. */

/** The p-th percentile (0–100) of `values` by the nearest-rank method; NaN for an empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** The median (50th percentile, nearest rank). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
