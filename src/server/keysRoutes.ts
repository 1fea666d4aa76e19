/**
 * POST /api/onboarding/keys: an API key checked live with the provider's cheapest authenticated call and
 * saved as Hermes Agent's `hermes auth add <provider> --type api-key` saves it (providers/apiKeys.ts).
 * 400 for a malformed key, label or provider; 422 when the provider refuses the key; 502 when it cannot
 * be reached (saved anyway only with `verify: false`). Answers show a hint of the key, never the key.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { OnboardError } from '../errors.js';
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
import { keySpecNamed } from '../providers/index.js';
import type { AnyProvider, ProviderContext } from '../providers/types.js';
import { resolveProfileHome, type HomeOptions } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { parse } from './onboardingRoutes.js';
import { keyPayload } from './presenters.js';
import { keysBody } from './schemas.js';
import type { StartGate } from './startLimiter.js';

export interface KeysDeps {
  providers: readonly AnyProvider[];
  homeOptions: HomeOptions;
  limiter: StartGate;
  config: Config;
  clock: Clock;
  logger: Logger;
}

/** The catalogue error for a key that is refused or cannot be checked; other errors pass through. */
function keyError(error: unknown): unknown {
  if (error instanceof ApiKeyFormatError) return new OnboardError('invalid_request', error.message);
  if (error instanceof ApiKeyRejectedError) return new OnboardError('key_rejected', `${error.message} Nothing was saved.`);
  if (error instanceof ApiKeyUnverifiedError) {
    return new OnboardError('provider_failed', `${error.message} Nothing was saved; send "verify": false to save it unchecked.`);
  }
  return error;
}

/** Registers POST /api/onboarding/keys on `app`. */
export function registerKeysRoutes(app: FastifyInstance, deps: KeysDeps): void {
  const { providers, homeOptions, limiter, clock, logger } = deps;
  const ctx: ProviderContext = { clock, config: deps.config, logger };

  app.post('/api/onboarding/keys', async (req, reply) => {
    const body = parse(keysBody, req.body, 'request body');
    const named = keySpecNamed(body.provider, providers);
    if ('refusal' in named) throw new OnboardError('unknown_provider', named.refusal);
    const { spec } = named;
    let key: string;
    let label: string | undefined;
    try {
      key = normalizeApiKey(body.api_key);
      label = normalizeLabel(body.label);
    } catch (error) {
      throw keyError(error);
    }
    const target = resolveProfileHome(body.profile, homeOptions);
    if (body.verify !== false) {
      // a check asks the provider: counted like a start, so this server cannot be used to try keys in bulk
      const wait = await limiter.take(req.socket.remoteAddress ?? 'unknown');
      if (wait > 0) {
        throw new OnboardError('rate_limited', `Too many requests from this address; try again in ${wait} s.`, { headers: { 'retry-after': String(wait) } });
      }
      const controller = new AbortController();
      // the response's close, not the request's: a request emits 'close' as soon as its body is read
      const onClose = () => {
        if (!reply.raw.writableEnded) controller.abort(new Error('client went away'));
      };
      reply.raw.on('close', onClose);
      try {
        await verifyApiKey(ctx, { signal: controller.signal, deadline: clock.now() + KEY_CHECK_TIMEOUT_MS }, spec, key);
      } catch (error) {
        logger.info({ provider: spec.id, outcome: error instanceof Error ? error.name : 'unknown' }, 'API key check failed');
        throw keyError(error);
      } finally {
        reply.raw.off('close', onClose);
      }
    }
    const saved = await saveApiKey(ctx, target.home, spec, key, label === undefined ? {} : { label });
    logger.info({ provider: spec.id, profile: target.profile, entry: saved.id, created: saved.created, verified: body.verify !== false }, 'API key saved');
    return keyPayload(spec.id, saved);
  });
}
