/** Serves the onboarding page (built into dist/web by scripts/build-web.mjs) with a strict CSP. */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** The page's Content-Security-Policy: our own scripts, styles and connections only; no inline code. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/assets/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

/** Where the built page lives: dist/web next to dist/src. */
export function webDir(): string {
  return fileURLToPath(new URL('../../web/', import.meta.url));
}

/** Registers GET routes for the page's files, read once into memory. */
export function registerStaticPage(app: FastifyInstance, dir = webDir()): void {
  for (const [route, asset] of Object.entries(ASSETS)) {
    const path = `${dir}${asset.file}`;
    if (!existsSync(path)) continue;
    const body = readFileSync(path);
    app.get(route, async (_req, reply) => {
      reply
        .header('content-type', asset.type)
        .header('cache-control', route === '/' ? 'no-store' : 'no-cache')
        .header('content-security-policy', PAGE_CSP);
      return body;
    });
  }
}
