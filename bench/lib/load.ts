/**
 * Load on a poll route: `wrk` when it is installed (as the figures were taken: `wrk -t2`, a C
 * client that costs the server's CPU little), else autocannon (a devDependency, in this process, which on
 * a 2-core machine takes CPU from the server and so caps what can be measured). Each request asks for the
 * next id of a list, so every pending flow is polled. BENCH_LOAD=autocannon forces autocannon.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

/** How to get wrk, for the note printed when it is missing. */
export const WRK_HINT = 'install wrk (Debian/Ubuntu: `sudo apt-get install wrk`; macOS: `brew install wrk`) for figures comparable to the issue\'s';

/** One load run's figures. */
export interface LoadResult {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  /** Non-2xx answers, socket errors and timeouts. */
  failures: number;
}

/** The tool used for this run. */
export type LoadTool = 'wrk' | 'autocannon';

let chosen: LoadTool | undefined;

/** wrk when it is on PATH (unless BENCH_LOAD=autocannon), else autocannon. */
export function loadTool(): LoadTool {
  if (chosen) return chosen;
  if (process.env.BENCH_LOAD === 'autocannon') return (chosen = 'autocannon');
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return (chosen = 'wrk');
  } catch (error) {
    // wrk --version exits 1 after printing its version: it is there
    return (chosen = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'autocannon' : 'wrk');
  }
}

/** The request paths to rotate over: the poll route for each id. */
function pollPaths(route: string, ids: readonly string[]): string[] {
  return ids.map((id) => `${route}?flow_id=${id}`);
}

/** Loads `baseUrl` with `connections` connections for `seconds`, rotating over the poll paths of `ids`. */
export function load(baseUrl: string, route: string, ids: readonly string[], connections: number, seconds: number): Promise<LoadResult> {
  const paths = pollPaths(route, ids);
  return loadTool() === 'wrk' ? loadWrk(baseUrl, paths, connections, seconds) : loadAutocannon(baseUrl, paths, connections, seconds);
}

/**
 * wrk's Lua side: every thread reads the paths, pre-formats one request per path, hands them out in turn,
 * and the summary is printed as one JSON line (latency in microseconds).
 */
const WRK_SCRIPT = `
local reqs, n, i = {}, 0, 0
init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    n = n + 1
    reqs[n] = wrk.format("GET", line)
  end
  i = math.random(n) - 1
end
request = function()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"failures":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
`;

async function loadWrk(baseUrl: string, paths: readonly string[], connections: number, seconds: number): Promise<LoadResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hermes-bench-wrk-'));
  try {
    const script = path.join(dir, 'rotate.lua');
    const list = path.join(dir, 'paths.txt');
    await writeFile(script, WRK_SCRIPT);
    await writeFile(list, `${paths.join('\n')}\n`);
    const threads = String(Math.min(2, connections));
    const { stdout } = await promisify(execFile)(
      'wrk',
      ['-t', threads, '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, baseUrl],
      { env: { ...process.env, BENCH_PATHS: list }, maxBuffer: 1024 * 1024 },
    );
    const line = /BENCH_RESULT (\{.*\})/.exec(stdout)?.[1];
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const r = JSON.parse(line) as { requests: number; durationUs: number; p50Us: number; p99Us: number; failures: number };
    return {
      connections,
      requestsPerSecond: r.requests / (r.durationUs / 1e6),
      p50Ms: r.p50Us / 1000,
      p99Ms: r.p99Us / 1000,
      total: r.requests,
      failures: r.failures,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function loadAutocannon(baseUrl: string, paths: readonly string[], connections: number, seconds: number): Promise<LoadResult> {
  let next = 0;
  const latencyUs = createHistogram();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        duration: seconds,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length]! }) }],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    // autocannon's own histogram has whole-millisecond buckets; record each response in microseconds
    instance.on('response', (_client, _status, _bytes, ms) => latencyUs.record(Math.max(1, Math.round(ms * 1000))));
  });
  return {
    connections,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: latencyUs.percentile(50) / 1000,
    p99Ms: latencyUs.percentile(99) / 1000,
    total: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
