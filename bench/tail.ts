/**
 * Where the p99 at one connection comes from: the poll route loaded at c1 with no flow pending, with N flows
 * pending and polling the fake, and with N flows whose provider polling is slowed to once a minute.
 * Run: `npm run build && node dist/bench/tail.js [flows=1000]`. Not part of `npm run bench`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startFlows } from './lib/client.js';
import { forkFake } from './lib/fakeProcess.js';
import { makeBenchRoot } from './lib/fixture.js';
import { load } from './lib/load.js';
import { runToolIfMain } from './lib/main.js';
import { forkServer } from './lib/serverProcess.js';

async function row(label: string, interval: string, flows: number, connections: number): Promise<void> {
  const fake = await forkFake(interval);
  const root = await makeBenchRoot(Math.max(1, flows));
  const server = await forkServer({ home: root.root, codexIssuer: fake.issuer, maxPending: flows + 10 });
  try {
    await sleep(500);
    const ids = flows > 0 ? (await startFlows(server.url, root.profiles, 32)).map((f) => f.flow_id) : ['0'.repeat(32)];
    await sleep(6000);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await load(server.url, '/api/onboarding/oauth/poll', ids, connections, 5));
    const best = results.sort((a, b) => a.p99Ms - b.p99Ms)[0]!;
    process.stdout.write(`${label}: c${connections} ${Math.round(best.requestsPerSecond)} req/s, p99 ${best.p99Ms.toFixed(2)} ms (runs: ${results.map((r) => r.p99Ms.toFixed(2)).join(', ')})\n`);
  } finally {
    await server.close();
    await Promise.allSettled([fake.close(), root.remove()]);
  }
}

async function main(): Promise<void> {
  const flows = Number(process.argv[2] ?? 1000);
  const connections = Number(process.argv[3] ?? 1);
  await row('no flow (404s)', '5', 0, connections);
  await row(`${flows} flows polling every 60 s`, '60', flows, connections);
  await row(`${flows} flows polling every 5 s`, '5', flows, connections);
}

runToolIfMain(import.meta.url, main);
