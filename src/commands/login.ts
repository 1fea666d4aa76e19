/**
 * `hermes-onboard login <provider>`: the same flow engine and provider modules as the server, run in this
 * process for a person at a terminal. Prints the address, the user code and a QR code, shows a live status
 * line while waiting, and never prints a token, device code or verifier.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { pino } from 'pino';
import type { Config } from '../config.js';
import { classify, EXIT_CANCELLED } from '../errors.js';
import { FlowEngine } from '../flows/engine.js';
import type { FlowRecord } from '../flows/flow.js';
import { parseMinimaxRegion } from '../providers/minimax.js';
import { allProviders, findProviderFor, supportedIds } from '../providers/index.js';
import { isInteractive, savedFile, type BeginOptions, type Provider } from '../providers/types.js';
import { registerCallbackRoutes } from '../server/callbackRoutes.js';
import { startPayload } from '../server/presenters.js';
import { systemClock, type Clock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/logger.js';
import { targetProfile, UsageError } from './args.js';
import { formatCountdown } from '../format.js';
import { PromptCancelledError, readSecret } from './secretPrompt.js';
import { codeBox, plain, StatusLine, terminalQr, type Output } from './terminal.js';

export { EXIT_CANCELLED };

/** Levels quieter than this are dropped, so stdout and stderr stay readable for a person. */
const MIN_LOG_LEVEL = 'warn';

/** A logger writing to stderr at warn or above (higher when HERMES_ONBOARD_LOG_LEVEL asks for less). */
export function terminalLogger(asked: string | undefined): Logger {
  const values = pino.levels.values;
  const quieter = asked === 'silent' || (asked !== undefined && (values[asked] ?? 0) > values[MIN_LOG_LEVEL]!);
  return createLogger({ level: quieter ? asked : MIN_LOG_LEVEL, destination: pino.destination({ dest: 2, sync: true }) });
}

/** The supported provider named on the command line; UsageError (listing the supported ids) otherwise. */
function chosenProvider(name: string | undefined): Provider {
  const ids = supportedIds().join(', ');
  if (!name) throw new UsageError(`Name a provider to sign in to: hermes-onboard login <provider>. Providers: ${ids}.`);
  const provider = findProviderFor(name, isInteractive);
  if (!provider) throw new UsageError(`Unknown provider "${plain(name).slice(0, 64)}". Providers that can sign in here: ${ids}.`);
  if (!provider.supported) {
    throw new UsageError(`${provider.label} cannot be signed in to with hermes-onboard yet; use Hermes Agent's \`${provider.terminalCommand}\`. Providers that can sign in here: ${ids}.`);
  }
  if (provider.signIn === 'api_key') {
    throw new UsageError(`${provider.label} is connected with an API key: run \`hermes-onboard add-key ${provider.id}\`.`);
  }
  return provider;
}

/** Prints what the person needs: the address, the code, and (on a terminal or with --qr) a QR code of the address. */
async function printInstructions(out: Output, flow: FlowRecord, provider: Provider, profile: string, qr: boolean): Promise<void> {
  const pub = flow.public;
  if (pub?.kind === 'detect') {
    out.write(`\nLink ${provider.label} (profile ${profile})\n\n  ${plain(pub.actionRequired)}\n\n`);
    return;
  }
  if (pub?.kind === 'authorization_code') {
    const address = plain(pub.authorizeUrl);
    const where = flow.secrets?.nonce === undefined ? 'in a browser on any device' : 'in a browser on this machine';
    out.write(`\nSign in to ${provider.label} (profile ${profile})\n\n  Open this address ${where} and approve:\n\n     ${address}\n\n`);
    if (qr && flow.secrets?.nonce === undefined) out.write(`  Or scan this QR code with a phone to open the address:\n\n${await terminalQr(address)}\n`);
    return;
  }
  const start = startPayload(flow);
  const address = plain(start.verification_uri_complete ?? start.verification_uri);
  const indent = (text: string) => text.replace(/^(?=.)/gm, '     ');
  out.write(`\nSign in to ${provider.label} (profile ${profile})\n\n`);
  out.write(`  1. Open this address in a browser, on this or any other device:\n\n     ${address}\n\n`);
  out.write(`  2. Check that it shows this code (enter it if asked):\n\n${indent(codeBox(start.user_code, Boolean(out.isTTY)))}\n`);
  if (qr) out.write(`  Or scan this QR code with a phone to open the address:\n\n${await terminalQr(address)}\n`);
}

/** The line shown once the flow has ended, and the exit code. */
function outcome(flow: FlowRecord, provider: Provider): { code: number; message: string } {
  switch (flow.status) {
    case 'success': {
      const file = path.join(flow.home, savedFile(provider.savesTo));
      return { code: 0, message: `Signed in as ${plain(flow.account?.label ?? provider.label)} — saved to ${file}` };
    }
    case 'cancelled':
      return { code: EXIT_CANCELLED, message: 'Cancelled.' };
    case 'expired':
      return { code: 1, message: `The sign-in expired before it was completed. Run \`hermes-onboard login ${provider.id}\` again.` };
    default:
      return { code: 1, message: flow.error ?? 'The sign-in failed; try again.' };
  }
}

/** Shows a countdown until the flow ends (rewritten every second on a terminal); resolves with its end. */
async function waitWithCountdown(engine: FlowEngine, flow: FlowRecord, line: StatusLine, clock: Clock, cancelling: () => boolean): Promise<FlowRecord> {
  let stop = () => {};
  const waiting = flow.kind === 'detect' ? 'Waiting for the credential to appear (looking every few seconds)…' : 'Waiting for you to approve the sign-in…';
  const tick = () => {
    if (cancelling()) line.update('Cancelling…');
    else line.update(waiting, `${formatCountdown(flow.expiresAt - clock.now())} left (Ctrl-C to cancel)`);
    stop = clock.setTimer(1000, tick);
  };
  tick();
  try {
    return (await engine.waitForEnd(flow.id)) ?? flow;
  } finally {
    stop();
    line.end();
  }
}

/** The start choices the command line gives `provider`; a flag for another provider is a UsageError. */
function loginOptions(provider: Provider, values: { region?: string | undefined; 'clear-env-keys'?: boolean | undefined }): Omit<BeginOptions, 'flowId'> {
  const takes = provider.startOptions ?? [];
  if (values.region !== undefined && !takes.includes('region')) throw new UsageError(`--region applies to minimax-oauth only.`);
  if (values['clear-env-keys'] !== undefined && !takes.includes('clear_env_keys')) throw new UsageError(`--clear-env-keys applies to the Claude Code link (anthropic) only.`);
  if (values.region !== undefined) {
    try {
      parseMinimaxRegion(values.region);
    } catch (error) {
      throw new UsageError((error as Error).message.replace('use "global" or "cn"', 'use --region global or --region cn'));
    }
  }
  return {
    ...(values.region !== undefined && { region: values.region }),
    ...(values['clear-env-keys'] === true && { clearEnvKeys: true }),
  };
}

/**
 * Where an authorization code comes back, as Hermes Agent decides (`_is_remote_session`): in an SSH
 * session the browser is elsewhere, so OpenRouter shows the code to paste; otherwise a callback server
 * on 127.0.0.1 (any free port) takes it. `--paste` forces the paste.
 */
async function codeReceiver(engine: FlowEngine, config: Config, paste: boolean): Promise<{ origin?: string; close(): Promise<void> }> {
  if (paste || config.remoteSession) return { close: async () => {} };
  const app = Fastify({ logger: false, forceCloseConnections: true });
  registerCallbackRoutes(app, { engine, providers: allProviders });
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  return { origin, close: () => app.close() };
}

/** Reads a pasted code (hidden on a terminal) and hands it to the flow; a cancel at the prompt cancels the flow. */
async function pasteCode(engine: FlowEngine, flow: FlowRecord): Promise<void> {
  try {
    const code = await readSecret('authorization code', 'Paste the code shown after approving (not shown): ');
    await engine.submitCode(flow.id, code);
  } catch (error) {
    if (error instanceof PromptCancelledError) {
      await engine.cancel(flow.id);
      return;
    }
    throw error;
  }
}

/** Runs `login <provider> [--profile NAME] [--home DIR] [--qr] [--region R] [--clear-env-keys] [--paste]`; returns the exit code. */
export async function runLogin(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      profile: { type: 'string' },
      home: { type: 'string' },
      qr: { type: 'boolean' },
      region: { type: 'string' },
      'clear-env-keys': { type: 'boolean' },
      paste: { type: 'boolean' },
    },
  });
  if (positionals.length > 1) throw new UsageError(`login takes one provider; got ${positionals.length}.`);
  const provider = chosenProvider(positionals[0]);
  const options = loginOptions(provider, values);
  if (values.paste === true && provider.signIn !== 'authorization_code') throw new UsageError('--paste applies to openrouter only.');
  const target = targetProfile(values, config);
  const out: Output = process.stdout;
  const clock = systemClock;
  const engine = new FlowEngine({ clock, logger: terminalLogger(config.logLevel), config, maxPending: 1 });
  let cancelled = false;
  const onSigint = () => {
    if (cancelled) return;
    cancelled = true;
    void engine.close(); // cancels before the commit point; a commit in progress finishes and is reported
  };
  process.on('SIGINT', onSigint);
  const receiver = provider.signIn === 'authorization_code' ? await codeReceiver(engine, config, values.paste === true) : { close: async () => {} };
  try {
    let flow: FlowRecord;
    try {
      if (provider.signIn === 'device_code') out.write(`Asking ${provider.label} for a sign-in code…\n`);
      flow = await engine.start(provider, target.home, target.profile, { ...options, ...(receiver.origin !== undefined && { callbackOrigin: receiver.origin }) });
    } catch (error) {
      const c = classify(error);
      if (c.code === 'server_closing') return finish(c.exit, 'Cancelled.');
      if (c.code === 'provider_failed') return finish(c.exit, c.message);
      throw error;
    }
    await printInstructions(out, flow, provider, target.profile, Boolean(out.isTTY) || values.qr === true);
    if (flow.kind === 'authorization_code' && receiver.origin === undefined) {
      await pasteCode(engine, flow);
      out.write('Exchanging the code…\n');
    }
    const end = outcome(await waitWithCountdown(engine, flow, new StatusLine(out), clock, () => cancelled), provider);
    return finish(end.code, end.message);
  } finally {
    process.off('SIGINT', onSigint);
    await receiver.close();
    await engine.close();
  }
}

/** Prints the closing message (stdout on success, stderr otherwise) and returns `code`. */
function finish(code: number, message: string): number {
  (code === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  return code;
}
