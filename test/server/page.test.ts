/**
 * The onboarding page as the server sends it (over HTTP, not read from the build): a Content-Security-Policy
 * that allows our own scripts only (no inline code), every resource the page loads served by us, and the whole
 * page (index.html plus everything it loads) under 100 KB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useHarness } from '../helpers/harness.js';

/** The page budget of issue 5: "the whole page loads in well under 100 KB". */
const PAGE_BUDGET_BYTES = 100 * 1024;

/** Parses a Content-Security-Policy into its directives. */
function parseCsp(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  return directives;
}

/** An attribute of one HTML tag's text, or undefined. */
function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)?.slice(1).find((v) => v !== undefined);
}

/** The URLs a browser fetches while loading this HTML: scripts, stylesheets, icons, preloads, images. */
function resourcesOfHtml(html: string): string[] {
  const urls: string[] = [];
  for (const [tag] of html.matchAll(/<(script|img|source|iframe|link)\b[^>]*>/gi)) {
    const isLink = /^<link/i.test(tag);
    if (isLink && !/\b(stylesheet|icon|preload|modulepreload|manifest)\b/i.test(attribute(tag, 'rel') ?? '')) continue;
    const url = attribute(tag, isLink ? 'href' : 'src');
    if (url) urls.push(url);
  }
  return urls;
}

/** The URLs a stylesheet makes the browser fetch (`url(...)` and `@import`). */
function resourcesOfCss(css: string): string[] {
  const urls = [...css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/gi)].map((m) => m[2]!);
  return [...urls, ...[...css.matchAll(/@import\s+(['"])([^'"]+)\1/gi)].map((m) => m[2]!)];
}

test('GET / carries a CSP without inline script, and the page with everything it loads is under 100 KB', async (t) => {
  const h = await useHarness(t);
  const base = await h.listen();

  const page = await fetch(`${base}/`);
  const html = await page.text();
  assert.equal(page.status, 200, `GET / answered ${page.status}; is the page built (npm run build)? ${html.slice(0, 200)}`);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);

  const csp = page.headers.get('content-security-policy');
  assert.ok(csp, 'GET / sends a Content-Security-Policy');
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), `no unsafe-inline or unsafe-eval: ${csp}`);
  const directives = parseCsp(csp);
  assert.deepEqual(directives.get('script-src'), ["'self'"], 'scripts only from the server itself');
  assert.deepEqual(directives.get('default-src'), ["'self'"]);
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'the page has no inline <script>');
  assert.ok(!/\son[a-z]+\s*=/i.test(html), 'the page has no inline event handler');

  const loaded = new Map<string, number>([['/', Buffer.byteLength(html)]]);
  const queue = resourcesOfHtml(html);
  while (queue.length > 0) {
    const ref = queue.shift()!;
    if (ref.startsWith('data:')) continue; // inline in the page, already counted
    const url = new URL(ref, `${base}/`);
    assert.equal(url.origin, base, `the page loads ${ref} from another host`);
    if (loaded.has(url.pathname)) continue;
    const res = await fetch(url);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, `${url.pathname} answered ${res.status}`);
    loaded.set(url.pathname, body.byteLength);
    if ((res.headers.get('content-type') ?? '').startsWith('text/css')) queue.push(...resourcesOfCss(body.toString('utf8')));
  }

  const paths = [...loaded.keys()];
  assert.ok(paths.some((p) => p.endsWith('.js')) && paths.some((p) => p.endsWith('.css')), `the page loads its script and styles: ${paths.join(', ')}`);
  const total = [...loaded.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`page weight: ${total} bytes (${paths.map((p) => `${p} ${loaded.get(p)}`).join(', ')})`);
  assert.ok(total < PAGE_BUDGET_BYTES, `the page loads ${total} bytes, over the ${PAGE_BUDGET_BYTES}-byte budget`);
});
