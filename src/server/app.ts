/** Builds the standalone HTTP server: security headers, the Host check, the gate, the API plugin and the page. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyInstance } from 'fastify';
import { homeOptions, type Config } from '../config.js';
import { OnboardError } from '../errors.js';
import { FlowEngine } from '../flows/engine.js';
import type { FlowStore } from '../flows/store.js';
import type { SharedFlows } from '../flows/redis/index.js';
import { takeOverOrphans } from '../flows/takeover.js';
import type { PollObserver } from '../flows/drivers/index.js';
import { BODY_LIMIT_BYTES } from '../limits.js';
import { allProviders } from '../providers/index.js';
import type { AnyProvider } from '../providers/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type PinoLogger } from '../util/logger.js';
import { allowedHostNames, hostOf } from './gate.js';
import { guardApiRequest, setResponseHeaders } from './guard.js';
import { errorBody, sendError } from './httpErrors.js';
import { onboardingPlugin, type OnboardingPluginOptions } from './plugin.js';
import { registerStaticPage } from './staticPage.js';
import { SharedStartLimiter } from './startLimiter.js';

export { BODY_LIMIT_BYTES };

export interface AppOptions {
  config: Config;
  clock?: Clock;
  logger?: PinoLogger;
  providers?: readonly AnyProvider[];
  /** Where flows live (default: in this process's memory; see `shared`). */
  store?: FlowStore;
  /** Flows shared with other replicas through Redis (openShared): store, leases, start limit and health. Closed with the app. */
  shared?: SharedFlows;
  pollObserver?: PollObserver;
  /** Overrides os.homedir() for finding ~/.hermes (tests). */
  userHome?: string;
  /** File-watching settings of the providers event stream (tests). */
  watch?: OnboardingPluginOptions['watch'];
}

export interface OnboardApp {
  app: FastifyInstance;
  engine: FlowEngine;
}

/** Creates the fastify app and its flow engine; call `app.listen` (or `app.inject` in tests). */
export function buildApp(options: AppOptions): OnboardApp {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger();
  const providers = options.providers ?? allProviders;
  const { shared } = options;
  const engine = new FlowEngine({
    clock,
    logger,
    config,
    maxPending: config.maxPending,
    store: shared?.store ?? options.store,
    leases: shared?.leases,
    pollObserver: options.pollObserver,
  });
  if (shared) takeOverOrphans(engine, shared.leases, providers, logger, clock);
  const hosts = allowedHostNames(config.host, config.allowedHosts);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    return503OnClosing: false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 200 },
    // No child logger per request: request logging is off and nothing logs through req.log (errors go
    // through app.log), so pino's child() and its bindings were work for every request with no reader.
    childLoggerFactory: (logger) => logger,
    // Errors raised before any hook runs (a bad %-encoding in the path): same headers and body shape.
    frameworkErrors: (error, _req, reply) => {
      const r = reply as FastifyReply;
      setResponseHeaders(r);
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void r.code(status).send(errorBody(new OnboardError('invalid_address').message));
    },
  });

  // A callback hook, not an async one: it does no I/O, and every request would otherwise pay for a promise
  // and a microtask turn. A throw here reaches the error handler like a rejection would.
  app.addHook('onRequest', (req, reply, done) => {
    setResponseHeaders(reply);
    if (!hosts.has(hostOf(req.headers.host ?? ''))) throw new OnboardError('host_refused');
    // Decide by the route the router matched (after %-decoding, and for absolute-form request lines),
    // never by the raw URL: only the page's own files are open to everyone; the API and unknown paths are gated.
    const route = req.routeOptions.url;
    if (route === undefined || route.startsWith('/api/')) guardApiRequest(req, config, engine.closed);
    done();
  });

  app.setErrorHandler((error, req, reply) => sendError(error, req, reply, app.log));
  app.setNotFoundHandler((req, reply) =>
    sendError(new OnboardError('route_not_found', `No such route: ${req.method} ${req.url.split('?')[0]!.slice(0, 100)}. See the API in the README.`), req, reply, app.log),
  );

  void app.register(onboardingPlugin, {
    config,
    engine,
    providers,
    homeOptions: homeOptions(config, options.userHome),
    clock,
    guard: false,
    watch: options.watch,
    ...(shared && { limiter: new SharedStartLimiter(shared.ops, config.startRate, config.ipv6Prefix), redisHealth: () => shared.health() }),
  });
  registerStaticPage(app);
  app.addHook('onClose', async () => {
    await engine.close();
    // the engine hands its flows over through Redis first; only then do the connections close
    await shared?.close();
  });
  return { app, engine };
}
