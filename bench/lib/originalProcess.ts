/**
 * The Python original (../shared/peers/serve_original.py serving oauth_original.py, one thread per
 * pending flow), run beside the project so both are measured in the same run on the same machine.
 * BENCH_PEERS overrides where the peers folder is; BENCH_PYTHON which interpreter runs it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchOutput } from '../../test/helpers/spawnServe.js';
import { benchEnv } from './env.js';

/** Longest the original may take to print READY. */
const START_TIMEOUT_MS = 20_000;

/** The peers folder: BENCH_PEERS, else `../shared/peers` beside the repository. */
export function peersDir(): string {
  // dist/bench/lib/ → the repository → its parent folder
  return process.env.BENCH_PEERS ?? fileURLToPath(new URL('../../../../shared/peers/', import.meta.url));
}

/** Why the original cannot run here, or undefined when it can. */
export function originalUnavailable(): string | undefined {
  const dir = peersDir();
  if (!existsSync(path.join(dir, 'serve_original.py')) || !existsSync(path.join(dir, 'oauth_original.py'))) {
    return `the Python original is not in ${dir} (set BENCH_PEERS to the folder holding serve_original.py)`;
  }
  return undefined;
}

/** A running original. */
export interface OriginalProcess {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** Starts the original with its Codex URLs pointed at `issuer`, in a fresh HERMES_HOME. */
export async function spawnOriginal(issuer: string): Promise<OriginalProcess> {
  const dir = peersDir();
  const home = await mkdtemp(path.join(os.tmpdir(), 'hermes-bench-original-'));
  const proc = spawn(
    process.env.BENCH_PYTHON ?? 'python3',
    [path.join(dir, 'serve_original.py'), '--module', path.join(dir, 'oauth_original.py'), '--issuer', issuer, '--port', '0'],
    { env: benchEnv({ HERMES_HOME: home, PYTHONUNBUFFERED: '1' }), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output = watchOutput(proc, 'the Python original');
  try {
    const [, port] = await output.waitFor(/READY (\d+)/, START_TIMEOUT_MS);
    return {
      url: `http://127.0.0.1:${port}`,
      pid: proc.pid!,
      async close() {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await output.exited;
        await rm(home, { recursive: true, force: true });
      },
    };
  } catch (error) {
    proc.kill('SIGKILL');
    await rm(home, { recursive: true, force: true });
    throw error;
  }
}
