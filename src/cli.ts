#!/usr/bin/env node
/** The `hermes-onboard` command. */
import { parseArgs } from 'node:util';
import { runAddKey } from './commands/addKey.js';
import { runLogin } from './commands/login.js';
import { runStatus } from './commands/status.js';
import { runLogout } from './commands/logout.js';
import { loadConfig, type Config } from './config.js';
import { classify } from './errors.js';
import { keyProviderIds, supportedIds } from './providers/index.js';
import { closeOnSignals, startServer } from './server/serve.js';
import { createLogger } from './util/logger.js';
import { VERSION } from './version.js';

const HELP = `hermes-onboard ${VERSION}: sign Hermes Agent profiles in to AI providers from a browser or a terminal.

Usage:
  hermes-onboard serve [--host H] [--port P] [--home DIR] [--allowed-host NAME]... [--redis-url URL]
  hermes-onboard login <provider> [--profile NAME] [--home DIR] [--qr] [--region global|cn] [--clear-env-keys] [--paste]
  hermes-onboard add-key <provider> [--label L] [--profile NAME] [--home DIR] [--no-verify]
  hermes-onboard status [--profile NAME] [--home DIR] [--json]
  hermes-onboard logout <provider> [--account ID|LABEL] [--profile NAME] [--home DIR] [--revoke] [--yes]
  hermes-onboard --version | --help

serve     Serves the onboarding page and API (default http://127.0.0.1:8788).
  --host          address to bind (env HERMES_ONBOARD_HOST, default 127.0.0.1)
  --port          port to bind, 0 = any free port (env HERMES_ONBOARD_PORT, default 8788)
  --home          Hermes home to sign in (env HERMES_HOME, default ~/.hermes + active profile)
  --allowed-host  extra Host name to answer to, e.g. a LAN name (repeatable)
  --redis-url     share flows with other replicas through Redis/Valkey (env HERMES_ONBOARD_REDIS_URL;
                  needs HERMES_ONBOARD_SECRET_KEY, e.g. from \`openssl rand -base64 32\`)

login     Signs in from this terminal: prints an address and a code to approve on any device,
          waits, and saves the credentials (Ctrl-C cancels). Providers: ${supportedIds().join(', ')}.
  --profile       profile to sign in (default: the active one)
  --qr            also draw a QR code of the address when stdout is not a terminal
  --region        minimax-oauth: global (default) or cn
  --clear-env-keys  anthropic (Claude Code link): also remove ANTHROPIC_API_KEY / ANTHROPIC_TOKEN
                  from the profile's .env, which would win over Claude Code in Hermes Agent
  --paste         openrouter: paste the code OpenRouter shows instead of a callback to 127.0.0.1
                  (the default in an SSH session)

add-key   Checks an API key with the provider and saves it as \`hermes auth add <provider>
          --type api-key\` does. The key is read from a hidden prompt, or from stdin when it is
          not a terminal; never from the command line. Providers: ${keyProviderIds().join(', ')}.
  --label         label of the entry (default api-key-<n>)
  --no-verify     save without checking the key with the provider

status    Lists the providers of a profile, connected or not, with their accounts: health (ok,
          exhausted until when and why, dead or expired: sign in again), source, token expiry,
          and * on the account Hermes Agent uses first.
  --json          print the same JSON as GET /api/onboarding/providers

logout    Removes one account (--account, by id, label or email) or every credential of the
          provider from the profile, as Hermes Agent's \`hermes auth remove\` / \`hermes logout\` do.
          Asks first on a terminal.
  --revoke        first revoke the sign-in at the provider (OpenAI Codex, xAI): this signs out
                  every device using it
  --yes           do not ask

Environment: HERMES_HOME, HERMES_ONBOARD_TOKEN (require a bearer token; allows remote
clients), HERMES_ONBOARD_OPEN=1, HERMES_ONBOARD_MAX_PENDING, HERMES_ONBOARD_START_RATE,
HERMES_ONBOARD_ALLOWED_HOSTS, HERMES_ONBOARD_LOG_LEVEL, HERMES_ONBOARD_<PROVIDER>_ISSUER,
HERMES_ONBOARD_REDIS_URL, HERMES_ONBOARD_SECRET_KEY, HERMES_ONBOARD_LEASE_TTL_MS,
HTTPS_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS. See the README and docs/api.md.
`;

/** Commands that run to completion and return their exit code. */
const COMMANDS: Readonly<Record<string, (argv: string[], config: Config) => Promise<number>>> = { login: runLogin, status: runStatus, 'add-key': runAddKey, logout: (argv, config) => runLogout(argv, config) };

/** Runs the command line; returns the exit code for errors found before serving. */
async function main(argv: string[]): Promise<number> {
  const [first = '', ...rest] = argv;
  const run = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (run && rest.some((a) => a === '--help' || a === '-h')) return printHelp();
  // the environment is read once, here; commands get the frozen result
  if (run) return run(rest, loadConfig(process.env));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      home: { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      'redis-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? (values.help ? 'help' : 'serve');
  if (values.help || command === 'help') return printHelp();
  if (command !== 'serve') {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
    return 2;
  }
  const config = loadConfig(process.env, {
    host: values.host,
    port: values.port,
    home: values.home,
    allowedHost: values['allowed-host'],
    redisUrl: values['redis-url'],
  });
  const logger = createLogger({ level: config.logLevel });
  // the Redis client is loaded only when Redis is on: a single replica starts as fast as before
  const shared = config.redisUrl === undefined ? undefined : await (await import('./server/shared.js')).openShared(config, logger);
  const server = await startServer({ config, logger, shared }).catch(async (error: unknown) => {
    await shared?.close();
    throw error;
  });
  closeOnSignals(server, { shared: shared !== undefined });
  return -1;
}

/** Prints the help text; returns exit code 0. */
function printHelp(): number {
  process.stdout.write(HELP);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    // the catalogue decides the exit code and the words; a person at a terminal sees an unexpected error's own message
    const c = classify(error);
    const message = c.code === 'internal' ? (error instanceof Error ? error.message : String(error)) : c.message;
    process.stderr.write(`hermes-onboard: ${message}\n`);
    process.exit(c.exit);
  },
);
