/**
 * `hermes-onboard add-key <provider> [--label L] [--profile P] [--home DIR] [--no-verify]`: checks an API
 * key live with the provider and saves it as Hermes Agent's `hermes auth add <provider> --type api-key`
 * does (providers/apiKeys.ts), like POST /api/onboarding/keys. The key comes from a hidden prompt, or from
 * stdin when it is not a terminal; never from argv. Only a hint of the key is ever printed.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import type { Config } from '../config.js';
import { EXIT_CANCELLED } from '../errors.js';
import {
  ApiKeyFormatError,
  ApiKeyRejectedError,
  ApiKeyUnverifiedError,
  KEY_CHECK_TIMEOUT_MS,
  normalizeApiKey,
  normalizeLabel,
  saveApiKey,
  verifyApiKey,
} from '../providers/apiKeys.js';
import { keyProviderIds, keySpecNamed } from '../providers/index.js';
import { systemClock } from '../util/clock.js';
import { targetProfile, UsageError } from './args.js';
import { terminalLogger } from './login.js';
import { PromptCancelledError, readSecret } from './secretPrompt.js';
import { plain } from './terminal.js';

/** Runs `add-key`; returns the exit code. */
export async function runAddKey(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { label: { type: 'string' }, profile: { type: 'string' }, home: { type: 'string' }, 'no-verify': { type: 'boolean' } },
  });
  if (positionals.length === 0) throw new UsageError(`Name the provider: hermes-onboard add-key <provider>. Providers that take an API key: ${keyProviderIds().join(', ')}.`);
  if (positionals.length > 1) {
    throw new UsageError('add-key takes one provider; the key is read from a hidden prompt or stdin, never from the command line (where other users can see it).');
  }
  const named = keySpecNamed(positionals[0]!);
  if ('refusal' in named) throw new UsageError(plain(named.refusal));
  const { spec } = named;
  const target = targetProfile(values, config);
  let label: string | undefined;
  let key: string;
  try {
    label = normalizeLabel(values.label);
    key = normalizeApiKey(await readSecret('API key', `Paste your ${spec.label} API key (not shown): `));
  } catch (error) {
    if (error instanceof PromptCancelledError) return finish(EXIT_CANCELLED, 'Cancelled.');
    if (error instanceof ApiKeyFormatError) throw new UsageError(error.message);
    throw error;
  }
  const ctx = { clock: systemClock, config, logger: terminalLogger(config.logLevel) };
  if (values['no-verify'] !== true) {
    process.stderr.write(`Checking the key with ${spec.label}…\n`);
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Error('cancelled'));
    process.once('SIGINT', onSigint);
    try {
      await verifyApiKey(ctx, { signal: controller.signal, deadline: systemClock.now() + KEY_CHECK_TIMEOUT_MS }, spec, key);
    } catch (error) {
      if (controller.signal.aborted) return finish(EXIT_CANCELLED, 'Cancelled.');
      if (error instanceof ApiKeyRejectedError) return finish(1, `${error.message} Nothing was saved.`);
      if (error instanceof ApiKeyUnverifiedError) return finish(1, `${error.message} Nothing was saved; pass --no-verify to save it unchecked.`);
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
  const saved = await saveApiKey(ctx, target.home, spec, key, label === undefined ? {} : { label });
  const verb = saved.created ? 'Added' : 'Updated';
  return finish(0, `${verb} ${spec.label} key ${saved.key_hint} as "${plain(saved.label)}" (profile ${target.profile}) — saved to ${path.join(target.home, 'auth.json')}`);
}

/** Prints the closing message (stdout on success, stderr otherwise) and returns `code`. */
function finish(code: number, message: string): number {
  (code === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  return code;
}
