/**
 * The package as users get it: `npm pack`, installed into a fresh project, runs the README's embedding
 * example (the plugin under a prefix of another fastify app) and its `hermes-onboard` bin (`--help`, and
 * `serve` answering /api/health). Uses the built dist/ (npm pack --ignore-scripts) and the warm npm cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { guarded } from '../helpers/harness.js';
import { childEnv, watchOutput } from '../helpers/spawnServe.js';
import { tempDir } from '../store/helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** Installing compiles native addons: minutes on a loaded machine. */
const INSTALL_TIMEOUT_MS = 480_000;

/** The README's embedding example, exactly as printed there. */
function readmeExample(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /<!-- embedding-example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'the README has the embedding example');
  return match[1]!;
}

/** Runs a program in `cwd` until it prints `pattern` on stdout; returns the match and a stop function. */
async function startUntil(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, pattern: RegExp) {
  // its own process group: npx runs the bin as a child, and the stop signal must reach that child too
  const proc = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const output = watchOutput(proc, `${command} ${args.join(' ')}`);
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGTERM');
    return output.exited;
  };
  try {
    return { match: await output.waitFor(pattern, 60_000), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

test('the packed tarball installs, runs the README embedding example, and its bin serves', { timeout: INSTALL_TIMEOUT_MS + 180_000 }, async (t) => {
  const dir = tempDir(t, 'hermes-pack-');
  const npmEnv = childEnv({ npm_config_update_notifier: 'false' });
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env: npmEnv });
  const [tarball] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.ok(tarball, 'npm pack made a tarball');
  const { filename } = tarball;
  const packedPaths = tarball.files.map((f) => f.path);
  for (const needed of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli.js', 'dist/web/index.html', 'docs/api.md']) {
    assert.ok(packedPaths.includes(needed), `the tarball holds ${needed}`);
  }
  assert.ok(!packedPaths.some((p) => p.startsWith('dist/test/') || p.startsWith('src/')), 'no tests or sources in the tarball');

  const app = path.join(dir, 'app');
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.hermes'), { recursive: true });
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'embedding-app', private: true, type: 'module' }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, filename)], { cwd: app, env: npmEnv, timeout: INSTALL_TIMEOUT_MS });
  assert.ok(existsSync(path.join(app, 'node_modules', pkg.name, 'dist', 'src', 'index.d.ts')), 'the types are installed');

  // the README example, unchanged, inside another fastify app
  writeFileSync(path.join(app, 'example.mjs'), readmeExample());
  const env = childEnv({ HOME: home, PORT: '0' });
  const example = await startUntil(process.execPath, ['example.mjs'], app, env, /listening on (http:\/\/\S+)/);
  try {
    const base = example.match[1]!;
    assert.deepEqual(await (await fetch(`${base}/`)).json(), { hello: 'my app' }, 'the host app still answers');
    const health = await fetch(`${base}/hermes/api/health`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await health.json(), { ok: true, version: pkg.version });
    const providers = (await (await fetch(`${base}/hermes/api/onboarding/providers`)).json()) as { providers: Array<{ id: string }> };
    assert.ok(providers.providers.some((p) => p.id === 'openai-codex'));
    const refused = await fetch(`${base}/hermes/api/onboarding/oauth/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"provider":"nope"}' });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: string }).error, /Unknown provider "nope"/);
    assert.equal((await fetch(`${base}/hermes/api/openapi.json`)).status, 200);
  } finally {
    await guarded(example.stop(), 'the example to stop on SIGTERM', 20_000);
  }

  // the bin, from the installed tarball
  const help = await run('npx', ['--no', '--', 'hermes-onboard', '--help'], { cwd: app, env: childEnv({ HOME: home }) });
  assert.match(help.stdout, /^hermes-onboard \S+: sign Hermes Agent profiles in/);
  assert.match(help.stdout, /Usage:/);
  const served = await startUntil('npx', ['--no', '--', 'hermes-onboard', 'serve', '--port', '0', '--home', path.join(home, '.hermes')], app, childEnv({ HOME: home }), /listening on (http:\/\/[^\s"]+)/);
  try {
    const res = await fetch(`${served.match[1]}/api/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, version: pkg.version });
  } finally {
    await guarded(served.stop(), 'the served bin to stop on SIGTERM', 20_000);
  }
});
