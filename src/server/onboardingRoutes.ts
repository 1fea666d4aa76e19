/** The onboarding API of CONTRACT §3: start, poll, cancel, events, providers, profiles. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ProfilesPayload } from '../contract.js';
import { FlowLimitError, FlowStartError, ServerClosingError, type FlowEngine } from '../flows/engine.js';
import { END_STATUSES, startPayload, statusPayload, type Flow } from '../flows/flow.js';
import { findProvider, supportedIds } from '../providers/index.js';
import { providersPayload } from '../providers/listing.js';
import type { AnyProvider } from '../providers/types.js';
import { hermesRootOf, listProfiles, ProfileError, resolveProfileHome, type HomeOptions, type HomeResolution } from '../store/index.js';
import { errorBody, HttpError } from './httpErrors.js';
import { SECURITY_HEADERS } from './securityHeaders.js';
import { cancelBody, firstIssue, flowQuery, profileQuery, startBody } from './schemas.js';
import type { StartLimiter } from './startLimiter.js';

export interface OnboardingDeps {
  engine: FlowEngine;
  providers: readonly AnyProvider[];
  homeOptions: HomeOptions;
  limiter: StartLimiter;
}

/** Seconds a client is told to wait when too many flows are pending. */
const PENDING_RETRY_AFTER_SECONDS = 30;
/** The 404 answer for a flow id we do not know. */
const NO_SUCH_FLOW = 'No such sign-in: it finished more than five minutes ago or never existed. Start a new one.';
/** Seconds between SSE keep-alive comments. */
const SSE_KEEPALIVE_MS = 15_000;

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value ?? undefined, { reportInput: true });
  if (!result.success) throw new HttpError(400, firstIssue(result.error, what));
  return result.data;
}

/**
 * The flow id of a poll query. A plainly valid one (what the page always sends) is taken without zod,
 * which cost 1.8 % of the server under poll load; anything else goes through the schema for its message.
 */
function flowIdOf(query: unknown): string {
  const id = (query as { flow_id?: unknown } | undefined)?.flow_id;
  if (typeof id === 'string' && id.length >= 1 && id.length <= 128) return id;
  return parse(flowQuery, query, 'query').flow_id;
}

function resolveHome(profile: string | undefined, homeOptions: HomeOptions): HomeResolution {
  try {
    return resolveProfileHome(profile, homeOptions);
  } catch (error) {
    if (error instanceof ProfileError) throw new HttpError(400, error.message);
    throw error;
  }
}

/** Registers the onboarding routes on `app`. */
export function registerOnboardingRoutes(app: FastifyInstance, deps: OnboardingDeps): void {
  const { engine, providers, homeOptions, limiter } = deps;

  app.post('/api/onboarding/oauth/start', async (req) => {
    const body = parse(startBody, req.body, 'request body');
    const provider = findProvider(body.provider, providers);
    const supported = supportedIds(providers).join(', ');
    if (!provider) {
      throw new HttpError(400, `Unknown provider "${body.provider.slice(0, 64)}". Providers that can sign in here: ${supported}.`);
    }
    if (!provider.supported) {
      throw new HttpError(400, `${provider.label} cannot be signed in to from the browser yet; use \`hermes login\` in a terminal. Providers that can sign in here: ${supported}.`);
    }
    const target = resolveHome(body.profile, homeOptions);
    // single flight comes before the rate limit: a reload that rejoins its pending flow is not a new start
    const pending = engine.pendingFor(provider.id, target.home);
    if (pending) return startPayload(pending);
    const wait = limiter.take(req.socket.remoteAddress ?? 'unknown');
    if (wait > 0) {
      throw new HttpError(429, `Too many sign-ins started from this address; try again in ${wait} s.`, { 'retry-after': String(wait) });
    }
    try {
      const flow = await engine.start(provider, target.home, target.profile);
      return flow.status === 'pending' ? startPayload(flow) : statusPayload(flow);
    } catch (error) {
      if (error instanceof ServerClosingError) throw new HttpError(503, error.message, { 'retry-after': '5' });
      if (error instanceof FlowLimitError) {
        throw new HttpError(429, error.message, { 'retry-after': String(PENDING_RETRY_AFTER_SECONDS) });
      }
      if (error instanceof FlowStartError) throw new HttpError(502, error.message);
      throw error;
    }
  });

  app.get('/api/onboarding/oauth/poll', async (req, reply) => {
    const flow = engine.get(flowIdOf(req.query));
    // answered here rather than thrown: no Error and stack trace per poll of a forgotten flow
    if (!flow) return reply.code(404).send(errorBody(NO_SUCH_FLOW));
    return statusPayload(flow);
  });

  app.post('/api/onboarding/oauth/cancel', async (req) => {
    const { flow_id } = parse(cancelBody, req.body, 'request body');
    const flow = await engine.cancel(flow_id);
    if (!flow) return { ok: true, flow_id, status: 'cancelled' };
    return statusPayload(flow);
  });

  app.get('/api/onboarding/oauth/events', async (req, reply) => {
    const { flow_id } = parse(flowQuery, req.query, 'query');
    const flow = engine.get(flow_id);
    if (!flow) throw new HttpError(404, NO_SUCH_FLOW);
    streamStatus(req, reply, engine, flow);
  });

  app.get('/api/onboarding/providers', async (req) => {
    const { profile } = parse(profileQuery, req.query, 'query');
    return providersPayload(providers, resolveHome(profile, homeOptions));
  });

  app.get('/api/onboarding/profiles', async () => {
    const active = resolveHome(undefined, homeOptions);
    const payload: ProfilesPayload = { ok: true, active: active.profile, profiles: listProfiles(hermesRootOf(active.home, homeOptions.userHome)) };
    return payload;
  });
}

/** Streams a flow's status as server-sent events until it ends or the client goes away. */
function streamStatus(req: FastifyRequest, reply: FastifyReply, engine: FlowEngine, flow: Flow): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (payload: object) => res.write(`event: status\ndata: ${JSON.stringify(payload)}\n\n`);
  let unsubscribe = () => {};
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
  keepAlive.unref();
  const close = () => {
    clearInterval(keepAlive);
    unsubscribe();
    if (!res.writableEnded) res.end();
  };
  req.raw.on('close', close);
  send(statusPayload(flow));
  if (END_STATUSES.has(flow.status)) return close();
  unsubscribe = engine.subscribe(flow.id, (payload) => {
    send(payload);
    if (END_STATUSES.has(payload.status)) close();
  });
}
