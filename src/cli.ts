#!/usr/bin/env node
/** The `hermes-onboard` command. */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './server/config.js';
import { closeOnSignals, startServer } from './server/serve.js';
import { createLogger } from './util/logger.js';
import { VERSION } from './version.js';

const HELP = `hermes-onboard ${VERSION}: sign Hermes Agent profiles in to AI providers from a browser.

Usage:
  hermes-onboard serve [--host H] [--port P] [--home DIR] [--allowed-host NAME]...
  hermes-onboard --version | --help

serve     Serves the onboarding page and API (default http://127.0.0.1:8788).
  --host          address to bind (env HERMES_ONBOARD_HOST, default 127.0.0.1)
  --port          port to bind, 0 = any free port (env HERMES_ONBOARD_PORT, default 8788)
  --home          Hermes home to sign in (env HERMES_HOME, default ~/.hermes + active profile)
  --allowed-host  extra Host name to answer to, e.g. a LAN name (repeatable)

Environment: HERMES_HOME, HERMES_ONBOARD_TOKEN (require a bearer token; allows remote
clients), HERMES_ONBOARD_OPEN=1, HERMES_ONBOARD_MAX_PENDING, HERMES_ONBOARD_START_RATE,
HERMES_ONBOARD_ALLOWED_HOSTS, HERMES_ONBOARD_LOG_LEVEL, HERMES_ONBOARD_<PROVIDER>_ISSUER,
HTTPS_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS. See the README.
`;

/** Runs the command line; returns the exit code for errors found before serving. */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      home: { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? (values.help ? 'help' : 'serve');
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
    return 2;
  }
  const config = loadConfig(process.env, {
    host: values.host,
    port: values.port,
    home: values.home,
    allowedHost: values['allowed-host'],
  });
  const logger = createLogger();
  const server = await startServer({ config, logger });
  closeOnSignals(server);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const e = error as NodeJS.ErrnoException;
    if (error instanceof ConfigError || e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`hermes-onboard: ${e.message}\n`);
      process.exit(2);
    }
    if (e?.code === 'EADDRINUSE') {
      process.stderr.write(`hermes-onboard: the address is already in use; stop the other server or pass --port 0 for any free port.\n`);
      process.exit(1);
    }
    if (e?.code === 'EACCES') {
      process.stderr.write(`hermes-onboard: not allowed to bind that address/port; pick a port above 1024.\n`);
      process.exit(1);
    }
    process.stderr.write(`hermes-onboard: ${e?.message ?? String(error)}\n`);
    process.exit(1);
  },
);
