// Builds the onboarding page: bundles src/web (TypeScript, the qrcode encoder, CSS) with esbuild into
// dist/web/{index.html, app.js, app.css}, minified; checks the HTML has no inline script or style (the
// server's CSP forbids them) and that the page stays under its size budget; prints the sizes.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src', 'web');
const out = join(root, 'dist', 'web');
/** Built here first, then renamed into place file by file, so a server starting meanwhile never sees a half-built page. */
const staging = join(root, 'dist', `web.tmp-${process.pid}`);
const FILES = ['index.html', 'app.js', 'app.css'];
/** The whole page (HTML + JS + CSS, uncompressed) must stay under this. */
const BUDGET_BYTES = 100 * 1024;
const TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100'];

/** Fails the build when the HTML would need 'unsafe-inline' or load anything but our own assets. */
function checkHtml(html) {
  const problems = [];
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) problems.push('an inline <script>');
  if (/<style[\s>]/i.test(html)) problems.push('a <style> element');
  if (/\sstyle\s*=/i.test(html)) problems.push('a style="" attribute');
  if (/\son[a-z]+\s*=/i.test(html)) problems.push('an inline event handler (on…=)');
  if (/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html)) problems.push('a third-party URL');
  for (const asset of ['/assets/app.js', '/assets/app.css']) {
    if (!html.includes(asset)) problems.push(`no reference to ${asset}`);
  }
  if (problems.length) throw new Error(`src/web/index.html: ${problems.join(', ')}`);
}

/** Drops indentation and blank lines; the HTML is small and hand-written, so no full minifier is needed. */
function squeezeHtml(html) {
  return html
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('\n');
}

const started = Date.now();
await rm(staging, { recursive: true, force: true });
await mkdir(staging, { recursive: true });

try {
  const common = { bundle: true, minify: true, target: TARGETS, logLevel: 'warning', legalComments: 'none' };
  await build({
    ...common,
    entryPoints: { app: join(src, 'app.ts') },
    outdir: staging,
    format: 'iife',
    platform: 'browser',
    tsconfig: join(src, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await build({ ...common, entryPoints: { app: join(src, 'style.css') }, outdir: staging });

  const html = await readFile(join(src, 'index.html'), 'utf8');
  checkHtml(html);
  await writeFile(join(staging, 'index.html'), squeezeHtml(html));

  await mkdir(out, { recursive: true });
  for (const name of FILES) await rename(join(staging, name), join(out, name));
  for (const name of await readdir(out)) {
    if (!FILES.includes(name)) await rm(join(out, name), { recursive: true, force: true });
  }
} finally {
  await rm(staging, { recursive: true, force: true });
}

let total = 0;
let totalGzip = 0;
const rows = [];
for (const name of FILES) {
  const file = join(out, name);
  const { size } = await stat(file);
  const gz = gzipSync(await readFile(file)).length;
  total += size;
  totalGzip += gz;
  rows.push(`  dist/web/${name.padEnd(11)} ${String(size).padStart(7)} B  (${gz} B gzip)`);
}
console.log(`build-web: built in ${Date.now() - started} ms`);
console.log(rows.join('\n'));
console.log(`  total              ${String(total).padStart(7)} B  (${totalGzip} B gzip), budget ${BUDGET_BYTES} B`);
if (total > BUDGET_BYTES) {
  console.error(`build-web: the page is ${total} B, over its ${BUDGET_BYTES} B budget`);
  process.exit(1);
}
