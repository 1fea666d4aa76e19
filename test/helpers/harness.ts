/**
 * A test harness for the HTTP API: a temp Hermes home, the Codex fake (a real HTTP server), the app built
 * on a ManualClock with every log line captured, request helpers over `app.inject`, and waits on events
 * (engine status changes, the poller's waits, log lines), never on sleeps.
 *
 * Typical use:
 *   const h = await useHarness(t);
 *   const start = await h.startFlow();                 // POST start, asserts 200
 *   h.fake.approve(start.user_code);
 *   await h.advancePoll();                              // moves the clock by the poller's own wait
 *   await h.waitForStatus(start.flow_id, 'success');
 *   h.assertNoSecrets();
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { FlowEngine } from '../../src/flows/engine.js';
import type { FlowStatus, StartPayload, StatusPayload } from '../../src/contract.js';
import { END_STATUSES } from '../../src/flows/flow.js';
import { statusPayload } from '../../src/server/presenters.js';
import type { AnyProvider } from '../../src/providers/types.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from './clock.js';
import { openApiMismatch } from './openapiCheck.js';
import { createLogger } from '../../src/util/logger.js';
import { startCodexFake, type CodexFake, type CodexFakeSettings, type FakeAccount } from '../fakes/codexFake.js';

export { sseEvents, type SseEvent } from './sse.js';

/** The Host header sent by default: what a browser on the server's own machine sends. */
export const DEFAULT_HOST_HEADER = '127.0.0.1:8788';
/** Longest (real time) any harness wait may take before the test fails with a message saying what it waited for. */
export const WAIT_GUARD_MS = 5000;

/** How the harness is set up; every field is optional. */
export interface HarnessOptions {
  /** Environment read by loadConfig (merged onto HERMES_ONBOARD_START_RATE=0), e.g. HERMES_ONBOARD_TOKEN. */
  configEnv?: NodeJS.ProcessEnv;
  /** Command-line flags for loadConfig (the harness sets `home` unless `homeFlag` is false). */
  flags?: { host?: string; allowedHost?: string[] };
  /** false leaves `--home` out, so the app finds the home as Hermes Agent does: `<userHome>/.hermes`. */
  homeFlag?: boolean;
  /** Extra environment for the app and its providers (merged onto the fake's issuer variable). */
  env?: NodeJS.ProcessEnv;
  /** How the Codex fake answers the usercode request. */
  fake?: Partial<CodexFakeSettings>;
  /** Profile folders to create under `<home>/profiles/`. */
  profiles?: string[];
  /** Providers the app knows (default: all of them). */
  providers?: readonly AnyProvider[];
  /** Log level captured (default `trace`: every line the program writes). */
  logLevel?: string;
  /** File watching of GET /api/onboarding/providers/events (default here: no debounce, so changes arrive as events). */
  watch?: AppOptions['watch'];
}

/** One request to the app. */
export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS' | 'HEAD';
  url: string;
  /** Sent as a JSON body with `content-type: application/json`. */
  json?: unknown;
  /** A raw body (set `content-type` in headers yourself). */
  payload?: string | Buffer;
  /** Headers to add; `undefined` removes a default one (e.g. host). */
  headers?: Record<string, string | undefined>;
  /** The client address the gate sees (default 127.0.0.1). */
  remoteAddress?: string;
}

/** One answer of the app, with its JSON body parsed. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The parsed JSON body (undefined when the body is not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

/** Resolves waits on conditions that change when `notify` is called (events, never timers of ours). */
class Signal {
  #wakers = new Set<() => void>();

  /** Re-checks every pending wait. */
  notify(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /** Resolves with `check()`'s value once it is not undefined; fails after WAIT_GUARD_MS real time naming `what`. */
  until<T>(check: () => T | undefined, what: string): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    let wake = () => {};
    const reached = new Promise<T>((resolve) => {
      wake = () => {
        const value = check();
        if (value !== undefined) resolve(value);
      };
    });
    this.#wakers.add(wake);
    return guarded(reached, what).finally(() => this.#wakers.delete(wake));
  }
}

/**
 * Rejects when `promise` has not settled after WAIT_GUARD_MS of real time: a failing test with a message, not a
 * hanging one. The guard timer keeps the process alive on purpose, so a wait nothing will ever end still reports.
 */
export function guarded<T>(promise: Promise<T>, what: string, ms = WAIT_GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Lets pending I/O and promise callbacks run (a few turns of the event loop), without any timer. */
export async function settleIo(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Resolves once `check()` is true, re-checking after each turn of the event loop (for state outside the app, e.g. the fake's). */
export function eventually(check: () => boolean, what: string): Promise<void> {
  let stopped = false;
  const loop = async () => {
    while (!stopped && !check()) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return guarded(loop(), what).finally(() => (stopped = true));
}

/**
 * Asserts that no secret (of 8 characters or more: shorter ones are not secrets and match by chance) appears in
 * any of `texts`; the failure names the text and the secret's first characters only.
 */
export function assertNoLeak(texts: readonly string[], secrets: readonly string[]): void {
  const real = secrets.filter((s) => s.length >= 8);
  texts.forEach((text, i) => {
    for (const secret of real) {
      assert.ok(!text.includes(secret), `text #${i + 1} holds an issued secret (${secret.slice(0, 6)}…): ${text.slice(0, 300)}`);
    }
  });
}

/** A running app with its fake, clock, home and captured logs. */
export class Harness {
  /** Every captured log line (raw JSON text). */
  readonly logLines: string[] = [];
  /** Every response the harness saw: status line, headers and body as text, for secret scans. */
  readonly transcript: string[] = [];
  /** Seconds of every wait the poller chose, in order (from the app's poll observer). */
  readonly waits: number[] = [];
  #waitCursor = 0;
  readonly #signal = new Signal();
  #baseUrl: string | undefined;

  /** The Fastify app (use `request` for tests; `app.inject` works too). */
  readonly app: FastifyInstance;
  readonly engine: FlowEngine;

  private constructor(
    /** Temp folder holding everything; removed by close(). */
    readonly dir: string,
    /** The Hermes home (the root profile, `default`); `--home` of the app, or `<userHome>/.hermes` without it. */
    readonly home: string,
    /** The fake user's home folder (`.hermes` in it only when `homeFlag` is false). */
    readonly userHome: string,
    readonly clock: ManualClock,
    readonly fake: CodexFake,
    options: HarnessOptions,
  ) {
    const logger = createLogger({
      level: options.logLevel ?? 'trace',
      destination: {
        write: (line: string) => {
          this.logLines.push(line);
          this.#signal.notify();
        },
      },
    });
    // Claude Code's file is looked for in the temp user's home, never in the real ~/.claude
    const env = {
      HERMES_ONBOARD_START_RATE: '0',
      HERMES_ONBOARD_OPENAI_CODEX_ISSUER: fake.issuer,
      CLAUDE_CONFIG_DIR: path.join(userHome, '.claude'),
      ...options.env,
      ...options.configEnv,
    };
    const config = loadConfig(env, { ...options.flags, ...(options.homeFlag !== false && { home }) });
    const built = buildApp({
      config,
      clock,
      logger,
      userHome,
      providers: options.providers,
      watch: options.watch ?? { debounceMs: 0 },
      pollObserver: {
        onWait: (seconds) => {
          this.waits.push(seconds);
          this.#signal.notify();
        },
      },
    });
    this.app = built.app;
    this.engine = built.engine;
  }

  /** Creates the temp home, starts the fake and builds the app. Call close() when done (or use useHarness). */
  static async create(options: HarnessOptions = {}): Promise<Harness> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hermes-http-'));
    const userHome = path.join(dir, 'user');
    const home = options.homeFlag === false ? path.join(userHome, '.hermes') : path.join(dir, 'hermes');
    await mkdir(userHome, { recursive: true });
    await mkdir(home, { recursive: true });
    for (const name of options.profiles ?? []) await mkdir(path.join(home, 'profiles', name), { recursive: true });
    const clock = new ManualClock();
    const fake = await startCodexFake({ clock, ...options.fake });
    return new Harness(dir, home, userHome, clock, fake, options);
  }

  /** Sends one request through `app.inject`; records the answer for secret scans. */
  async request(req: ApiRequest): Promise<ApiResponse> {
    const headers: Record<string, string> = { host: DEFAULT_HOST_HEADER };
    if (req.json !== undefined) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      if (value === undefined) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    const method = req.method ?? (req.json !== undefined || req.payload !== undefined ? 'POST' : 'GET');
    const res = await this.app.inject({
      method,
      url: req.url,
      headers,
      payload: req.json !== undefined ? JSON.stringify(req.json) : req.payload,
      remoteAddress: req.remoteAddress ?? '127.0.0.1',
    });
    this.transcript.push(`${res.statusCode} ${JSON.stringify(res.headers)}\n${res.body}`);
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = undefined;
    }
    // every answer the suite sees must agree with the OpenAPI document the server serves
    const mismatch = openApiMismatch(method, req.url, res.statusCode, String(res.headers['content-type'] ?? ''), body);
    if (mismatch) assert.fail(`the answer disagrees with /api/openapi.json: ${mismatch}`);
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  }

  /** POST /api/onboarding/oauth/start with `body` (default: openai-codex, active profile). */
  start(body: unknown = { provider: 'openai-codex' }, req: Partial<ApiRequest> = {}): Promise<ApiResponse> {
    return this.request({ ...req, method: 'POST', url: '/api/onboarding/oauth/start', json: body });
  }

  /** Starts a flow and asserts it answered 200 pending; returns the start payload. */
  async startFlow(body?: unknown): Promise<StartPayload> {
    const res = await this.start(body);
    assert.equal(res.status, 200, `start answered ${res.status}: ${res.text}`);
    assert.equal(res.body.status, 'pending');
    return res.body as StartPayload;
  }

  /** GET /api/onboarding/oauth/poll for a flow. */
  poll(flowId: string): Promise<ApiResponse> {
    return this.request({ url: `/api/onboarding/oauth/poll?flow_id=${encodeURIComponent(flowId)}` });
  }

  /** POST /api/onboarding/oauth/cancel for a flow. */
  cancel(flowId: string): Promise<ApiResponse> {
    return this.request({ method: 'POST', url: '/api/onboarding/oauth/cancel', json: { flow_id: flowId } });
  }

  /** Resolves with the status payload once the flow reaches `status` (checked now, then on each engine event); rejects when it ends otherwise. */
  async waitForStatus(flowId: string, status: FlowStatus): Promise<StatusPayload> {
    const wrongEnd = (s: FlowStatus, error?: string) =>
      new Error(`flow ended as ${s}${error ? ` (${error})` : ''}, expected ${status}`);
    // subscribe before reading, so an end between the two is not missed
    let unsubscribe = () => {};
    const reached = new Promise<StatusPayload>((resolve, reject) => {
      unsubscribe = this.engine.subscribe(flowId, (record) => {
        if (record.status === status) resolve(statusPayload(record));
        else reject(wrongEnd(record.status, record.error));
      });
    });
    reached.catch(() => {}); // settled by an end that the read below already reports
    try {
      const flow = await this.engine.get(flowId);
      if (!flow) throw new Error(`no flow ${flowId} to wait for`);
      if (flow.status === status) return statusPayload(flow);
      if (END_STATUSES.has(flow.status)) throw wrongEnd(flow.status, flow.error);
      return await guarded(reached, `flow ${flowId} to become ${status}`);
    } finally {
      unsubscribe();
    }
  }

  /** Resolves with the next wait (seconds) the poller starts, once it has started it. */
  async nextWait(): Promise<number> {
    const seconds = await this.#signal.until(() => this.waits[this.#waitCursor], 'the poller to wait');
    this.#waitCursor += 1;
    return seconds;
  }

  /** Waits until the poller is waiting, then advances the clock by exactly that wait; returns its seconds. */
  async advancePoll(): Promise<number> {
    const seconds = await this.nextWait();
    await this.clock.advance(seconds * 1000);
    return seconds;
  }

  /** Parsed log entries, in order. */
  logs(): Array<Record<string, unknown>> {
    return this.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Resolves with the `count`-th log entry whose msg is `msg`, once it has been written. */
  waitForLog(msg: string, count = 1): Promise<Record<string, unknown>> {
    return this.#signal.until(() => this.logs().filter((e) => e.msg === msg)[count - 1], `log line ${count} "${msg}"`);
  }

  /** Starts a flow, approves it on the fake as `account`, polls once and waits for success. */
  async signIn(account: Partial<FakeAccount> = {}, body?: unknown): Promise<{ start: StartPayload; account: FakeAccount; status: StatusPayload }> {
    const start = await this.startFlow(body);
    const approved = this.fake.approve(start.user_code, account);
    await this.advancePoll();
    const status = await this.waitForStatus(start.flow_id, 'success');
    return { start, account: approved, status };
  }

  /** The home of a profile: the root for `default`, else `<home>/profiles/<name>`. */
  profileHome(profile = 'default'): string {
    return profile === 'default' ? this.home : path.join(this.home, 'profiles', profile);
  }

  /** Path of a profile's auth.json. */
  authPath(profile?: string): string {
    return path.join(this.profileHome(profile), 'auth.json');
  }

  /** The raw bytes of a profile's auth.json, or undefined when there is none. */
  async authBytes(profile?: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.authPath(profile));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** A profile's auth.json parsed; fails the test when it is missing. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async readAuth(profile?: string): Promise<any> {
    const bytes = await this.authBytes(profile);
    assert.ok(bytes, `expected ${this.authPath(profile)} to exist`);
    return JSON.parse(bytes.toString('utf8'));
  }

  /** Writes a profile's auth.json (mode 0600), e.g. to seed other providers' content. */
  async writeAuth(content: unknown, profile?: string): Promise<void> {
    await writeFile(this.authPath(profile), `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  }

  /** The permission bits of a profile's auth.json (e.g. 0o600). */
  async authMode(profile?: string): Promise<number> {
    return (await stat(this.authPath(profile))).mode & 0o777;
  }

  /**
   * Asserts that no secret the fake issued (nor any of `extraSecrets`) appears in any response the harness
   * saw, any captured log line, or any of `texts`.
   */
  assertNoSecrets(texts: readonly string[] = [], extraSecrets: readonly string[] = []): void {
    assertNoLeak(
      [...this.transcript.map((t, i) => `response #${i + 1}: ${t}`), ...this.logLines.map((l, i) => `log line #${i + 1}: ${l}`), ...texts],
      [...this.fake.issued, ...extraSecrets],
    );
  }

  /** Starts a real listener on 127.0.0.1 at a free port (for streaming tests); returns its base URL. */
  async listen(): Promise<string> {
    this.#baseUrl ??= await this.app.listen({ port: 0, host: '127.0.0.1' });
    return this.#baseUrl;
  }

  /**
   * Closes the fake first (releasing held requests, so a start waiting on the provider settles), then the
   * app (cancelling pending flows), and removes the temp folder. Bounded, so a failed test cannot hang.
   */
  async close(): Promise<void> {
    await guarded(
      (async () => {
        await this.fake.close();
        await this.app.close();
      })(),
      'the harness to close',
    ).finally(() => rm(this.dir, { recursive: true, force: true }));
  }
}

/** Creates a harness that is closed when the test `t` ends. */
export async function useHarness(t: TestContext, options: HarnessOptions = {}): Promise<Harness> {
  const h = await Harness.create(options);
  t.after(() => h.close());
  return h;
}
