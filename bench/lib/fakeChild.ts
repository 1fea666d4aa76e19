/**
 * The fake OpenAI device-auth server in its own process (forked by fakeProcess.ts), so its CPU is not the
 * server's or the load generator's. Interval from BENCH_FAKE_INTERVAL. Sends its issuer URL once listening.
 */
import { startCodexFake } from '../../test/fakes/codexFake.js';

/** How often the fake's request log is emptied: at 2,000 polls/s it would otherwise grow without bound. */
const LOG_TRIM_MS = 1000;

async function main(): Promise<void> {
  const fake = await startCodexFake({ interval: process.env.BENCH_FAKE_INTERVAL ?? '5' });
  // the benchmark never reads the log; keeping it would make the fake's memory and GC grow with the run
  setInterval(() => {
    fake.requests.length = 0;
    fake.issued.length = 0;
  }, LOG_TRIM_MS).unref();
  process.on('message', (message: { type: string }) => {
    if (message.type === 'counts') process.send?.({ type: 'counts', counts: { ...fake.counts } });
  });
  process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', issuer: fake.issuer });
}

main().catch((error: unknown) => {
  process.stderr.write(`fake provider failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
