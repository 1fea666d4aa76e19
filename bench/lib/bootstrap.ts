/** Sets up what most benchmarks need: a fake OpenAI on loopback, a Hermes root with N profiles, a server process. */
import { startCodexFake, type CodexFake } from '../../test/fakes/codexFake.js';
import { makeBenchRoot, type BenchRoot } from './fixture.js';
import { forkServer, type ServerProcess } from './serverProcess.js';

/** A fake provider, a temp Hermes root and a server process wired together. */
export interface BenchSetup {
  fake: CodexFake;
  root: BenchRoot;
  server: ServerProcess;
  /** Stops the server, the fake, and deletes the root. */
  teardown(): Promise<void>;
}

/** Starts the fake (answering `interval` seconds), a root with `profiles` profiles, and a server allowing `maxPending` flows. */
export async function setUp(options: { interval: string; profiles: number; maxPending?: number }): Promise<BenchSetup> {
  const fake = await startCodexFake({ interval: options.interval });
  const root = await makeBenchRoot(options.profiles);
  let server: ServerProcess;
  try {
    server = await forkServer({ home: root.root, codexIssuer: fake.issuer, maxPending: options.maxPending ?? options.profiles + 10 });
  } catch (error) {
    await Promise.allSettled([fake.close(), root.remove()]);
    throw error;
  }
  return {
    fake,
    root,
    server,
    async teardown() {
      await server.close();
      await Promise.allSettled([fake.close(), root.remove()]);
    },
  };
}

/** Runs `body` with a fresh setup and always tears it down. */
export async function withSetup<T>(options: Parameters<typeof setUp>[0], body: (setup: BenchSetup) => Promise<T>): Promise<T> {
  const setup = await setUp(options);
  try {
    return await body(setup);
  } finally {
    await setup.teardown();
  }
}
