/**
 * The onboarding API as a fastify plugin, to mount under a prefix inside another fastify app
 * (docs/api.md, "Embedding"). Everything under `<prefix>/api/` is here: health, the onboarding routes and
 * the OpenAPI document; every request passes the guard, every error is answered through the catalogue.
 */
import type { FastifyInstance } from 'fastify';
import { homeOptions, type Config } from '../config.js';
import { FlowEngine } from '../flows/engine.js';
import { allProviders } from '../providers/index.js';
import type { AnyProvider } from '../providers/types.js';
import type { HomeOptions } from '../store/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { VERSION } from '../version.js';
import { guardApiRequest, setResponseHeaders } from './guard.js';
import { sendError } from './httpErrors.js';
import { registerCallbackRoutes } from './callbackRoutes.js';
import { registerKeysRoutes } from './keysRoutes.js';
import { registerOnboardingRoutes } from './onboardingRoutes.js';
import { registerAccountRoutes, type AccountRouteDeps } from './accountRoutes.js';
import { registerOpenApi } from './openapi.js';
import type { RedisHealth } from '../flows/redis/index.js';
import { degradedHealthPayload, healthPayload } from './presenters.js';
import { StartLimiter, type StartGate } from './startLimiter.js';

export interface OnboardingPluginOptions {
  /** The configuration, read once by the host program (`loadConfig(process.env)`). */
  config: Config;
  /** The flow engine (default: one of the plugin's own, in memory, closed with the app). */
  engine?: FlowEngine;
  /** The providers offered (default: every provider). */
  providers?: readonly AnyProvider[];
  /** How Hermes homes are found (default: from the configuration). */
  homeOptions?: HomeOptions;
  clock?: Clock;
  /** False when the host app already guards these routes (the standalone server guards in its own hook). */
  guard?: boolean;
  /** File-watching settings of GET /api/onboarding/providers/events (tests). */
  watch?: AccountRouteDeps['watch'];
  /** The start rate limit (default: counted in this process; with Redis, counted there over every replica). */
  limiter?: StartGate;
  /** With a shared store: whether Redis answers; health then says degraded (503) while it does not. */
  redisHealth?: () => Promise<RedisHealth>;
}

/** Registers the API routes on `app` (use `app.register(onboardingPlugin, { prefix, config })`). */
export async function onboardingPlugin(app: FastifyInstance, options: OnboardingPluginOptions): Promise<void> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const engine = options.engine ?? new FlowEngine({ clock, logger: app.log, config, maxPending: config.maxPending });
  if (!options.engine) app.addHook('onClose', async () => engine.close());
  if (options.guard !== false) {
    app.addHook('onRequest', async (req, reply) => {
      setResponseHeaders(reply);
      guardApiRequest(req, config, engine.closed);
    });
  }
  app.setErrorHandler((error, req, reply) => sendError(error, req, reply, app.log));
  const { redisHealth } = options;
  app.get('/api/health', async (_req, reply) => {
    if (!redisHealth) return healthPayload(VERSION);
    const redis = await redisHealth();
    if (redis.redis === 'unreachable') return reply.code(503).send(degradedHealthPayload());
    return { ...healthPayload(VERSION), redis: redis.redis };
  });
  registerOpenApi(app);
  const providers = options.providers ?? allProviders;
  const homes = options.homeOptions ?? homeOptions(config);
  const limiter = options.limiter ?? new StartLimiter(config.startRate, clock, config.ipv6Prefix);
  registerOnboardingRoutes(app, { engine, providers, homeOptions: homes, limiter, clock });
  registerCallbackRoutes(app, { engine, providers });
  registerKeysRoutes(app, { providers, homeOptions: homes, limiter, config, clock, logger: app.log });
  registerAccountRoutes(app, { providers, homeOptions: homes, config, clock, logger: app.log, watch: options.watch });
}
