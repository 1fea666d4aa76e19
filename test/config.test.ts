/** One configuration: read once, typed, frozen; no other module reads the environment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { homeOptions, loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

test('the configuration is frozen and holds the overrides found at start-up', () => {
  const env: NodeJS.ProcessEnv = {
    HERMES_ONBOARD_NOUS_ISSUER: ' http://127.0.0.1:9000 ',
    HERMES_ONBOARD_OPENROUTER_BASE_URL: 'https://gw.example/v1',
    HERMES_ONBOARD_TOKEN_ISSUER_NOT: 'x',
    CLAUDE_CONFIG_DIR: '/tmp/claude',
    HERMES_HOME: '/tmp/hermes',
  };
  const config = loadConfig(env);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.issuers) && Object.isFrozen(config.allowedHosts));
  assert.throws(() => Object.assign(config, { port: 1 }), TypeError);
  assert.deepEqual({ ...config.issuers }, { HERMES_ONBOARD_NOUS_ISSUER: 'http://127.0.0.1:9000' });
  assert.deepEqual({ ...config.baseUrls }, { HERMES_ONBOARD_OPENROUTER_BASE_URL: 'https://gw.example/v1' });
  assert.equal(config.claudeConfigDir, '/tmp/claude');
  env.HERMES_ONBOARD_NOUS_ISSUER = 'https://changed.example';
  assert.equal(config.issuers.HERMES_ONBOARD_NOUS_ISSUER, 'http://127.0.0.1:9000', 'a later change of the environment is not seen');
  assert.deepEqual(homeOptions(config, '/u'), { homeFlag: undefined, env: { HERMES_HOME: '/tmp/hermes' }, userHome: '/u' });
});

test('bad values are refused with a message naming the setting', () => {
  assert.throws(() => loadConfig({ HERMES_ONBOARD_MAX_PENDING: '0' }), (e: unknown) => e instanceof ConfigError && /HERMES_ONBOARD_MAX_PENDING/.test(e.message));
  assert.throws(() => loadConfig({ HERMES_ONBOARD_TOKEN: 'short' }), ConfigError);
  assert.throws(() => loadConfig({ HERMES_ONBOARD_SECRET_KEY: 'too-short' }), (e: unknown) => e instanceof ConfigError && /32 random bytes/.test(e.message));
  assert.equal(loadConfig({ HERMES_ONBOARD_SECRET_KEY: 'ab'.repeat(32) }).secretKey?.length, 32);
  assert.equal(loadConfig({ HERMES_ONBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }).secretKey?.length, 32);
  assert.equal(loadConfig({ HERMES_ONBOARD_REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl, 'redis://127.0.0.1:6379');
});

test('only the command line and config.ts touch process.env (the store reads it only when no env is passed; the lock reads libuv\'s UV_THREADPOOL_SIZE once at load)', () => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const readers: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (file.endsWith('.ts') && /process\.env\b/.test(readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
        readers.push(path.relative(src, file));
      }
    }
  };
  walk(src);
  assert.deepEqual(readers.sort(), ['cli.ts', 'store/home.ts', 'store/lock.ts']);
});

test('the new providers\' issuer and base-URL overrides, Claude Code\'s folder and an SSH session are read once at start-up', async () => {
  const { openrouterSite } = await import('../src/providers/openrouter.js');
  const { minimaxPortal } = await import('../src/providers/minimax.js');
  const { checkBaseUrl, findApiKeyProvider } = await import('../src/providers/apiKeys.js');
  const env: NodeJS.ProcessEnv = {
    HERMES_ONBOARD_OPENROUTER_ISSUER: 'http://127.0.0.1:9001',
    HERMES_ONBOARD_MINIMAX_OAUTH_ISSUER: 'http://127.0.0.1:9002/',
    HERMES_ONBOARD_DEEPSEEK_BASE_URL: 'http://127.0.0.1:9003/v1',
    CLAUDE_CONFIG_DIR: '/srv/claude',
    SSH_CONNECTION: '10.0.0.1 22 10.0.0.2 22',
  };
  const config = loadConfig(env);
  // later changes to the environment change nothing
  env.HERMES_ONBOARD_OPENROUTER_ISSUER = 'http://127.0.0.1:1';
  delete env.SSH_CONNECTION;
  assert.equal(openrouterSite(config).url, 'http://127.0.0.1:9001');
  assert.equal(minimaxPortal(config, 'cn').url, 'http://127.0.0.1:9002', 'one portal override for either region');
  assert.equal(checkBaseUrl(config, findApiKeyProvider('deepseek')!, 'sk-x'), 'http://127.0.0.1:9003/v1');
  assert.equal(checkBaseUrl(loadConfig({}), findApiKeyProvider('deepseek')!, 'sk-x'), 'https://api.deepseek.com/v1');
  assert.equal(config.claudeConfigDir, '/srv/claude');
  assert.equal(config.remoteSession, true);
  assert.equal(loadConfig({ SSH_TTY: '' }).remoteSession, false);
  // plain http is refused off loopback, naming the variable
  assert.throws(() => openrouterSite(loadConfig({ HERMES_ONBOARD_OPENROUTER_ISSUER: 'http://example.com' })), /HERMES_ONBOARD_OPENROUTER_ISSUER/);
});
