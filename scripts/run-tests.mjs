// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner.
// Usage: node scripts/run-tests.mjs [filter]   — a filter keeps only the files whose path contains it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'dist', 'test');

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const filter = process.argv[2];
const files = findTests(testDir).filter((f) => !filter || relative(root, f).includes(filter)).sort();
if (files.length === 0) {
  console.error(`No test files found under ${relative(root, testDir)}${filter ? ` matching "${filter}"` : ''}; run "npm run build" first.`);
  process.exit(1);
}
// Tests only talk to 127.0.0.1: keep a proxy set in the environment away from them.
const noProxy = [process.env.NO_PROXY ?? process.env.no_proxy, '127.0.0.1', 'localhost', '::1'].filter(Boolean).join(',');
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, NO_PROXY: noProxy, no_proxy: noProxy },
});
process.exit(result.status ?? 1);
