/**
 * Browser-test helpers: Debian's chromium driven by playwright-core, the real server run as a child
 * process (`hermes-onboard serve --port 0`), a watcher that records every console error, failed request
 * and off-server request of a page, screenshots, and QR decoding from the page's canvas.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQRModule from 'jsqr';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { spawnServe, type ServeChild } from '../helpers/spawnServe.js';

/** Debian's chromium, installed by scripts/install-test-deps.sh. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where screenshots of each state go (git-ignored). */
export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');

/** Why browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) return 'chromium not installed: run npm run setup-test-deps';
  if (!existsSync(join(ROOT, 'dist', 'web', 'index.html'))) return 'page not built: run npm run build';
  return undefined;
}

/** Launches headless chromium with no background traffic of its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A running `hermes-onboard serve`. */
export interface ServerProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The Hermes home it signs in (root of the profiles). */
  home: string;
  /** Every stdout line it printed (JSON log lines). */
  output: string[];
  /** Stops it and removes its home. */
  close(): Promise<void>;
}

/** Options for startServer. */
export interface ServerOptions {
  /** Extra environment, e.g. HERMES_ONBOARD_OPENAI_CODEX_ISSUER. */
  env?: Record<string, string>;
  /** Profile folders to create under <home>/profiles/. */
  profiles?: string[];
  /** Runs on the fresh Hermes home before the server starts (fixture auth.json, .env…). */
  prepare?: (home: string) => Promise<void>;
}

/** Starts the real server on a free port with a fresh Hermes home and no start rate limit. */
export async function startServer(options: ServerOptions = {}): Promise<ServerProcess> {
  const home = await mkdtemp(join(tmpdir(), 'hermes-web-'));
  for (const profile of options.profiles ?? []) await mkdir(join(home, 'profiles', profile), { recursive: true });
  let child: ServeChild;
  try {
    await options.prepare?.(home);
    child = await spawnServe({ home, env: { HERMES_ONBOARD_START_RATE: '0', ...options.env } });
  } catch (err) {
    await rm(home, { recursive: true, force: true });
    throw err;
  }
  return {
    url: child.url,
    home,
    output: child.output,
    async close() {
      await child.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** What went wrong on a page: console errors, page errors, failed requests, requests to other hosts. */
export interface PageProblems {
  list: string[];
  /** The problems matching none of `allowed`: a test lists the failures it provoked on purpose. */
  unexpected(...allowed: RegExp[]): string[];
}

/** Records every problem of a page whose only allowed origin is `origin`. */
export function watchPage(page: Page, origin: string): PageProblems {
  const list: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') list.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => list.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => list.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText ?? '?'})`));
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol !== 'data:' && url.origin !== origin) list.push(`request to another host: ${req.url()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) list.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return {
    list,
    unexpected: (...allowed) => list.filter((problem) => !allowed.some((re) => re.test(problem))),
  };
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Let entrance animations finish so the picture shows the settled state.
  await page.evaluate(`document.getAnimations().forEach((a) => {
    if (a.effect && a.effect.getComputedTiming().endTime !== Infinity) a.finish();
  })`);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

// jsqr is CommonJS: its default import is module.exports, which carries the decoder as `default`.
const jsQR = jsQRModule.default;

/** Decodes the QR code drawn on the page's <canvas id="qr">, from its pixels. */
export async function decodePageQr(page: Page): Promise<string | null> {
  const pixels = (await page.evaluate(`(() => {
    const canvas = document.getElementById('qr');
    const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    return { width: image.width, height: image.height, data: Array.from(image.data) };
  })()`)) as { width: number; height: number; data: number[] };
  return jsQR(Uint8ClampedArray.from(pixels.data), pixels.width, pixels.height)?.data ?? null;
}

/** A page open in its own browser context, with its problems recorded. */
export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

/** Options for openPage. */
export interface OpenPageOptions {
  /** Path and hash to open, default "/". */
  path?: string;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/** Opens the server's page in a fresh context (clipboard allowed) and waits for the provider list or a notice. */
export async function openPage(browser: Browser, serverUrl: string, options: OpenPageOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1200, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems = watchPage(page, new URL(serverUrl).origin);
  await page.goto(serverUrl + (options.path ?? '/'));
  await page.locator('#providers-title, #notice:not([hidden]), .flow').first().waitFor();
  return { context, page, problems };
}

/** The flow panel in a given phase (pending, success, error, expired, cancelled, gone). */
export function flowPanel(page: Page, phase: string) {
  return page.locator(`.flow[data-phase="${phase}"]`);
}

/** Clicks a provider's "Sign in" button and returns the user code the page then shows. */
export async function clickSignIn(page: Page, providerId: string): Promise<string> {
  try {
    await page.locator(`[data-provider="${providerId}"] [data-action="sign-in"]`).click();
    await flowPanel(page, 'pending').waitFor();
  } catch (err) {
    // Say what the page showed instead (a notice, an inline error), not just "timeout".
    const shown = await page.locator('#notice, .inline-error, .flow').allTextContents().catch(() => []);
    throw new Error(`${(err as Error).message}\npage showed: ${JSON.stringify(shown)}`, { cause: err });
  }
  const code = (await page.locator('#user-code').textContent())?.trim();
  if (!code) throw new Error('the page shows no user code');
  return code;
}

/** A server with the page open on it. */
export interface World extends OpenedPage {
  server: ServerProcess;
}

/** The browser of one test file and every world its tests opened; `closeAll` tears them all down. */
export class Worlds {
  private browser: Browser | undefined;
  private readonly cleanups: Array<() => Promise<void>> = [];

  /** Launches the browser (call from `before`). */
  async launch(): Promise<void> {
    this.browser = await launchBrowser();
  }

  /** Starts a server and opens the page on it; `cleanup` (e.g. closing a fake) runs at closeAll. */
  async open(server: ServerOptions, page?: OpenPageOptions, cleanup?: () => Promise<void>): Promise<World> {
    if (!this.browser) throw new Error('Worlds.launch() first');
    if (cleanup) this.cleanups.push(cleanup);
    const running = await startServer(server);
    this.cleanups.push(() => running.close());
    const opened = await openPage(this.browser, running.url, page);
    this.cleanups.push(() => opened.context.close());
    return { ...opened, server: running };
  }

  /** Closes every page, server and fake, newest first, then the browser (call from `after`). */
  async closeAll(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
    this.cleanups.length = 0;
    await this.browser?.close();
  }
}
