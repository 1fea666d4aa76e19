/**
 * The flow engine's own memory per pending flow, without HTTP or timing noise: N device-code flows whose
 * provider answers at once and always "pending", all asleep between polls; V8 heap used after full
 * collections, before and after, divided by N. Deterministic, so a change of a few hundred bytes per flow
 * shows even on a busy machine (bench/README.md, "Second pass").
 *
 * Run: `npm run build && node --expose-gc dist/bench/flowHeap.js [flows=10000]`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowEngine } from '../src/flows/engine.js';
import { defineProvider } from '../src/providers/types.js';
import { systemClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import { runToolIfMain } from './lib/main.js';

/** A device-code provider that starts at once and is never approved. */
const pendingProvider = defineProvider<{ issuer: string; deviceAuthId: string }, never, never>({
  id: 'bench-pending',
  label: 'Bench',
  kind: 'device_code',
  signIn: 'device_code',
  supported: true,
  aliases: [],
  savesTo: 'pool',
  async begin() {
    return {
      userCode: 'ABCD-EFGH',
      verificationUri: 'https://example.test/device',
      expiresInSeconds: 900,
      intervalSeconds: 5,
      secret: { issuer: 'https://example.test', deviceAuthId: 'x'.repeat(40) },
    };
  },
  async poll() {
    return { kind: 'pending' };
  },
  async finish() {
    throw new Error('never approved');
  },
  async save() {
    throw new Error('never approved');
  },
  async accounts() {
    return [];
  },
});

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const flows = Number(process.argv[2] ?? 10_000);
  const engine = new FlowEngine({ clock: systemClock, logger: silentLogger(), config: { issuers: {}, baseUrls: {}, claudeConfigDir: undefined, userHome: undefined, sharedAuthDir: undefined }, maxPending: flows + 10 });
  const heap = () => {
    for (let i = 0; i < 4; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  await sleep(200);
  const before = heap();
  for (let i = 0; i < flows; i++) await engine.start(pendingProvider, `/tmp/bench-home/${i}`, `p${i}`);
  await sleep(300);
  const after = heap();
  process.stdout.write(`${Math.round((after - before) / flows)} B of heap per sleeping flow (${flows} flows, ${await engine.pendingCount()} pending)\n`);
  await engine.close();
}

runToolIfMain(import.meta.url, main);
