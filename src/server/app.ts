/** Builds the HTTP server: security headers, the gate, the API routes and the page. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyError, type FastifyInstance } from 'fastify';
import { FlowEngine } from '../flows/engine.js';
import { allProviders } from '../providers/index.js';
import type { AnyProvider } from '../providers/types.js';
import { StoreError, type HomeOptions } from '../store/index.js';
import { describeFailure, safeMessage } from '../util/secrets.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { PollObserver } from '../flows/poller.js';
import type { ServerConfig } from './config.js';
import { allowedHostNames, gateRefusal, hostOf, originMatchesHost } from './gate.js';
import { errorBody, HttpError } from './httpErrors.js';
import { registerOnboardingRoutes } from './onboardingRoutes.js';
import { registerStaticPage } from './staticPage.js';
import { StartLimiter } from './startLimiter.js';
import { VERSION } from '../version.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

/** Largest request body accepted. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface AppOptions {
  config: ServerConfig;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  logger?: Logger;
  providers?: readonly AnyProvider[];
  pollObserver?: PollObserver;
  /** Overrides os.homedir() for finding ~/.hermes (tests). */
  userHome?: string;
}

export interface OnboardApp {
  app: FastifyInstance;
  engine: FlowEngine;
}

/** Creates the fastify app and its flow engine; call `app.listen` (or `app.inject` in tests). */
export function buildApp(options: AppOptions): OnboardApp {
  const { config } = options;
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger();
  const providers = options.providers ?? allProviders;
  const homeOptions: HomeOptions = { homeFlag: config.home, env, userHome: options.userHome };
  const engine = new FlowEngine({ clock, logger, env, maxPending: config.maxPending, pollObserver: options.pollObserver });
  const hosts = allowedHostNames(config.host, config.allowedHosts);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    return503OnClosing: false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 200 },
    // Errors raised before any hook runs (a bad %-encoding in the path): same headers and body shape.
    frameworkErrors: (error, _req, reply) => {
      const r = reply as FastifyReply;
      setResponseHeaders(r);
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void r.code(status).send(errorBody('The address is not valid (check its %-encoding).'));
    },
  });

  app.addHook('onRequest', async (req, reply) => {
    setResponseHeaders(reply);
    const host = req.headers.host ?? '';
    if (!hosts.has(hostOf(host))) {
      throw new HttpError(403, 'This server does not answer to that Host name. Open it as http://127.0.0.1 or http://localhost, or start it with --allowed-host <name>.');
    }
    // Decide by the route the router matched (after %-decoding, and for absolute-form request lines),
    // never by the raw URL: only the page's own files are open to everyone; the API and unknown paths are gated.
    const route = req.routeOptions.url;
    if (route !== undefined && !route.startsWith('/api/')) return;
    if (engine.closed) throw new HttpError(503, 'The server is shutting down; try again in a moment.', { 'retry-after': '5' });
    const refusal = gateRefusal({
      remoteAddress: req.socket.remoteAddress,
      authorization: req.headers.authorization,
      token: config.token,
      open: config.open,
    });
    if (refusal) throw new HttpError(403, refusal);
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') throw new HttpError(415, 'Send the body as JSON with "Content-Type: application/json".');
      const origin = req.headers.origin;
      if (origin !== undefined && !originMatchesHost(origin, host)) {
        throw new HttpError(403, 'Cross-site requests are refused: the Origin does not match this server.');
      }
    }
  });

  app.setErrorHandler((error: FastifyError | HttpError, req, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (error instanceof HttpError) {
      for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
      return reply.code(status).send(errorBody(error.message));
    }
    if (status >= 500) {
      logger.error({ failure: describeFailure(error), route: req.routeOptions?.url }, 'request failed');
      const message = error instanceof StoreError ? safeMessage(error.message) : 'The server hit an unexpected error; see its log.';
      return reply.code(500).send(errorBody(message));
    }
    return reply.code(status).send(errorBody(clientErrorMessage(error as FastifyError)));
  });

  app.setNotFoundHandler(async (req, reply) => {
    reply.code(404);
    return errorBody(`No such route: ${req.method} ${req.url.split('?')[0]!.slice(0, 100)}. See the API in the README.`);
  });

  app.get('/api/health', async () => ({ ok: true, version: VERSION }));
  registerOnboardingRoutes(app, { engine, providers, homeOptions, limiter: new StartLimiter(config.startRate, clock, config.ipv6Prefix) });
  registerStaticPage(app);
  app.addHook('onClose', async () => engine.close());
  return { app, engine };
}

/** Sets the security headers and `Cache-Control: no-store` every answer carries. */
function setResponseHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  reply.header('cache-control', 'no-store');
}

/** Fastify's own client errors, worded for a person. */
function clientErrorMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The request body is larger than ${BODY_LIMIT_BYTES / 1024} KiB.`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty; send a JSON object.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Send the body as JSON with "Content-Type: application/json".';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The Content-Length header does not match the body.';
    default:
      if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return 'The request body is not valid JSON.';
      return 'The request could not be understood.';
  }
}
