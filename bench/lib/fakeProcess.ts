/** The parent side of fakeChild.ts: a fake OpenAI in a process of its own, with its pid for CPU figures. */
import { fork } from 'node:child_process';
import type { CodexEndpoint } from '../../test/fakes/codexFake.js';
import { benchEnv } from './env.js';

/** Longest the fake may take to start listening. */
const START_TIMEOUT_MS = 20_000;

/** A running fake provider process. */
export interface FakeProcess {
  issuer: string;
  pid: number;
  /** Requests received so far, per endpoint. */
  counts(): Promise<Record<CodexEndpoint, number>>;
  close(): Promise<void>;
}

/** Forks the fake, its usercode answers carrying `interval` seconds. */
export async function forkFake(interval: string): Promise<FakeProcess> {
  const child = fork(new URL('./fakeChild.js', import.meta.url), [], {
    env: benchEnv({ BENCH_FAKE_INTERVAL: interval }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the fake provider did not start in time'));
    }, START_TIMEOUT_MS);
    child.on('message', (m: { type: string; issuer?: string }) => {
      if (m.type !== 'ready' || !m.issuer) return;
      clearTimeout(timer);
      resolve(m.issuer);
    });
    void exited.then(() => reject(new Error('the fake provider exited before listening')));
  });
  return {
    issuer,
    pid: child.pid!,
    counts: () =>
      new Promise((resolve) => {
        const onMessage = (m: { type: string; counts?: Record<CodexEndpoint, number> }) => {
          if (m.type !== 'counts' || !m.counts) return;
          child.off('message', onMessage);
          resolve(m.counts);
        };
        child.on('message', onMessage);
        child.send({ type: 'counts' });
      }),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
      child.disconnect();
      await exited;
      clearTimeout(timer);
    },
  };
}
