/** Throw-away Hermes roots for benchmarks: a temp folder with N profile folders (`profiles/b00000`, …). */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A temp Hermes root and the names of its profiles. */
export interface BenchRoot {
  root: string;
  profiles: string[];
  /** Deletes the folder and everything written into it. */
  remove(): Promise<void>;
}

/** The name of the i-th benchmark profile: distinct profiles keep single flight from merging flows. */
export function profileName(i: number): string {
  return `b${String(i).padStart(5, '0')}`;
}

/** Creates a temp Hermes root holding `count` empty profile folders. */
export async function makeBenchRoot(count: number): Promise<BenchRoot> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hermes-bench-'));
  const profiles = Array.from({ length: count }, (_, i) => profileName(i));
  await mkdir(path.join(root, 'profiles'));
  for (const name of profiles) await mkdir(path.join(root, 'profiles', name));
  return { root, profiles, remove: () => rm(root, { recursive: true, force: true }) };
}
