/**
 * The onboarding API as a fastify plugin, to mount under a prefix inside another fastify app
 * (docs/api.md, "Embedding"). Everything under `<prefix>/api/` is here: health, the onboarding routes and
 * the OpenAPI document; every request passes the guard, every error is answered through the catalogue.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { FlowEngine } from '../flows/engine.js';
import type { AnyProvider } from '../providers/types.js';
import type { HomeOptions } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { VERSION } from '../version.js';
import { guardApiRequest, setResponseHeaders } from './guard.js';
import { sendError } from './httpErrors.js';
import { registerOnboardingRoutes } from './onboardingRoutes.js';
import { registerOpenApi } from './openapi.js';
import { healthPayload } from './presenters.js';
import { StartLimiter } from './startLimiter.js';

export interface OnboardingPluginOptions {
  config: Pick<Config, 'token' | 'open' | 'startRate'>;
  engine: FlowEngine;
  providers: readonly AnyProvider[];
  homeOptions: HomeOptions;
  clock: Clock;
  /** False when the host app already guards these routes (the standalone server guards in its own hook). */
  guard?: boolean;
}

/** Registers the API routes on `app` (use `app.register(onboardingPlugin, { prefix, ...options })`). */
export async function onboardingPlugin(app: FastifyInstance, options: OnboardingPluginOptions): Promise<void> {
  const { config, engine, providers, homeOptions, clock } = options;
  if (options.guard !== false) {
    app.addHook('onRequest', async (req, reply) => {
      setResponseHeaders(reply);
      guardApiRequest(req, config, engine.closed);
    });
  }
  app.setErrorHandler((error, req, reply) => sendError(error, req, reply, app.log));
  app.get('/api/health', async () => healthPayload(VERSION));
  registerOpenApi(app);
  registerOnboardingRoutes(app, { engine, providers, homeOptions, limiter: new StartLimiter(config.startRate, clock) });
}
