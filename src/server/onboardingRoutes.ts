/** The onboarding API of docs/api.md: start, poll, cancel, submit, events, providers, profiles. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { classify, OnboardError } from '../errors.js';
import type { FlowEngine } from '../flows/engine.js';
import { isEnded, type FlowRecord } from '../flows/flow.js';
import { findProviderFor, supportedIds } from '../providers/index.js';
import { listProviders } from '../providers/listing.js';
import { isInteractive, methodsOf, type AnyProvider, type BeginOptions, type Provider } from '../providers/types.js';
import { hermesRootOf, listProfiles, resolveProfileHome, type HomeOptions } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import path from 'node:path';
import { readAuthStore } from '../store/authStore.js';
import { readEnvValue } from '../store/envFile.js';
import { COPILOT_ENV_KEY } from '../store/hermesPool.js';
import { findRemovableAccount } from '../store/removal.js';
import { errorBody, profilesPayload, providersPayload, startPayloadOfKind, statusPayload, unknownCancelPayload } from './presenters.js';
import { openEventStream } from './eventStream.js';
import { hostOf } from './gate.js';
import { cancelBody, firstIssue, flowQuery, profileQuery, startBody, submitBody } from './schemas.js';
import type { StartGate } from './startLimiter.js';

export interface OnboardingDeps {
  engine: FlowEngine;
  providers: readonly AnyProvider[];
  homeOptions: HomeOptions;
  limiter: StartGate;
  /** Reads "now" for account health (expiry, retry windows). */
  clock?: Clock;
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value ?? undefined, { reportInput: true });
  if (!result.success) throw new OnboardError('invalid_request', firstIssue(result.error, what));
  return result.data;
}

/** The catalogue's answer for an unknown flow id, worked out once. */
const NO_SUCH_FLOW = classify(new OnboardError('flow_not_found'));

/** The flow id of a poll query when it is a plain valid one (what flowQuery accepts), else undefined. */
function pollFlowId(query: unknown): string | undefined {
  const id = (query as { flow_id?: unknown } | undefined)?.flow_id;
  return typeof id === 'string' && id.length >= 1 && id.length <= 128 ? id : undefined;
}

/** The flow with this id, or the catalogue's 404. */
async function knownFlow(engine: FlowEngine, id: string): Promise<FlowRecord> {
  const flow = await engine.get(id);
  if (!flow) throw new OnboardError('flow_not_found');
  return flow;
}

/** Throws the 400 or 404 of "sign in again" for an account id that is malformed or not saved in `home`. */
async function checkRepairable(home: string, provider: string, accountId: string): Promise<void> {
  const envToken = provider === 'copilot' ? await readEnvValue(path.join(home, '.env'), COPILOT_ENV_KEY) : undefined;
  findRemovableAccount(await readAuthStore(home), provider, accountId, envToken);
}

/** Registers the onboarding routes on `app`. */
export function registerOnboardingRoutes(app: FastifyInstance, deps: OnboardingDeps): void {
  const { engine, providers, homeOptions, limiter } = deps;

  app.post('/api/onboarding/oauth/start', async (req) => {
    const body = parse(startBody, req.body, 'request body');
    const provider = startableProvider(providers, body);
    const options = beginOptions(provider, body, req, app.prefix);
    const target = resolveProfileHome(body.profile, homeOptions);
    // sign in again: the account must be there now (400 malformed, 404 gone), so a typo starts nothing
    if (body.account_id !== undefined) await checkRepairable(target.home, provider.id, body.account_id);
    // single flight comes before the rate limit: a reload that rejoins its pending flow is not a new start
    const pending = await engine.pendingFor(provider.id, target.home);
    if (pending) return startPayloadOfKind(pending);
    const wait = await limiter.take(req.socket.remoteAddress ?? 'unknown');
    if (wait > 0) {
      throw new OnboardError('rate_limited', `Too many sign-ins started from this address; try again in ${wait} s.`, { headers: { 'retry-after': String(wait) } });
    }
    const flow = await engine.start(provider, target.home, target.profile, { ...options, ...(body.account_id ? { repairAccountId: body.account_id } : {}) });
    return flow.status === 'pending' ? startPayloadOfKind(flow) : statusPayload(flow);
  });

  // The route clients call in a loop: a well-formed id skips zod (which answers only the malformed ones,
  // with its messages), and an unknown id is answered without building an error and its stack trace.
  app.get('/api/onboarding/oauth/poll', async (req, reply) => {
    const flowId = pollFlowId(req.query) ?? parse(flowQuery, req.query, 'query').flow_id;
    const flow = await engine.get(flowId);
    if (!flow) return reply.code(NO_SUCH_FLOW.status).send(errorBody(NO_SUCH_FLOW.message));
    return statusPayload(flow);
  });

  app.post('/api/onboarding/oauth/cancel', async (req) => {
    const { flow_id } = parse(cancelBody, req.body, 'request body');
    const flow = await engine.cancel(flow_id);
    return flow ? statusPayload(flow) : unknownCancelPayload(flow_id);
  });

  app.post('/api/onboarding/oauth/submit', async (req) => {
    const { flow_id, code } = parse(submitBody, req.body, 'request body');
    return statusPayload(await engine.submitCode(flow_id, code));
  });

  app.get('/api/onboarding/oauth/events', async (req, reply) => {
    const { flow_id } = parse(flowQuery, req.query, 'query');
    streamStatus(req, reply, engine, await knownFlow(engine, flow_id));
  });

  app.get('/api/onboarding/providers', async (req) => {
    const { profile } = parse(profileQuery, req.query, 'query');
    const target = resolveProfileHome(profile, homeOptions);
    return providersPayload(target.profile, await listProviders(providers, target.home, deps.clock));
  });

  app.get('/api/onboarding/profiles', async () => {
    const active = resolveProfileHome(undefined, homeOptions);
    return profilesPayload(active.profile, listProfiles(hermesRootOf(active.home, homeOptions.userHome)));
  });
}

/**
 * The provider a start names, with the method asked for (default: its first): 400 naming the valid
 * providers or methods otherwise; a provider that takes only a key is pointed to POST /api/onboarding/keys.
 */
function startableProvider(providers: readonly AnyProvider[], body: { provider: string; method?: string | undefined }): Provider {
  const provider = findProviderFor(body.provider, isInteractive, providers);
  const supported = supportedIds(providers).join(', ');
  if (!provider) {
    throw new OnboardError(
      'unknown_provider',
      `Unknown provider "${body.provider.slice(0, 64)}". Providers that can sign in here: ${supported}. Providers that take an API key are listed with "api_key" in their methods (GET /api/onboarding/providers).`,
    );
  }
  if (!provider.supported) {
    throw new OnboardError(
      'provider_not_supported',
      `${provider.label} cannot be signed in to from the browser yet; use \`${provider.terminalCommand}\` (Hermes Agent) in a terminal. Providers that can sign in here: ${supported}.`,
    );
  }
  const methods = methodsOf(provider);
  const method = body.method ?? methods[0];
  if (method === undefined || !(methods as string[]).includes(method)) {
    throw new OnboardError('invalid_request', `${provider.label} has no method "${String(body.method).slice(0, 40)}"; its methods are: ${methods.join(', ')}.`);
  }
  if (method === 'api_key' || provider.signIn === 'api_key') {
    throw new OnboardError('invalid_request', `${provider.label} is connected with an API key: send it to POST /api/onboarding/keys (or run \`hermes-onboard add-key ${provider.id}\`).`);
  }
  return provider;
}

/**
 * The start body's choices for `provider` (a choice it does not read is refused), and for an
 * authorization-code provider the callback base: this server as the browser reached it (the Host the
 * gate already checked, the connection's scheme) under the plugin's mount prefix.
 */
function beginOptions(
  provider: Provider,
  body: { region?: string | undefined; clear_env_keys?: boolean | undefined },
  req: FastifyRequest,
  prefix: string,
): Omit<BeginOptions, 'flowId'> {
  const takes = provider.startOptions ?? [];
  if (body.region !== undefined && !takes.includes('region')) {
    throw new OnboardError('invalid_request', `region applies to minimax-oauth only; ${provider.label} takes no region.`);
  }
  if (body.clear_env_keys !== undefined && !takes.includes('clear_env_keys')) {
    throw new OnboardError('invalid_request', `clear_env_keys applies to the Claude Code link (anthropic) only.`);
  }
  const options: Omit<BeginOptions, 'flowId'> = {
    ...(body.region !== undefined && { region: body.region }),
    ...(body.clear_env_keys !== undefined && { clearEnvKeys: body.clear_env_keys }),
  };
  if (provider.signIn === 'authorization_code') {
    const host = req.headers.host ?? '';
    // a Host that is not a plain name or address (with an optional port) cannot be a callback address
    if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(host) || hostOf(host) === '') {
      throw new OnboardError('invalid_request', 'The Host header cannot be used as the callback address of this sign-in.');
    }
    options.callbackOrigin = `${req.protocol}://${host}`;
    options.callbackPrefix = prefix;
  }
  return options;
}

/** Streams a flow's status as server-sent events until it ends or the client goes away. */
function streamStatus(req: FastifyRequest, reply: FastifyReply, engine: FlowEngine, flow: FlowRecord): void {
  let unsubscribe = () => {};
  const stream = openEventStream(req, reply, () => unsubscribe());
  const send = (record: FlowRecord) => stream.send('status', JSON.stringify(statusPayload(record)));
  const close = stream.close;
  send(flow);
  if (isEnded(flow)) return close();
  let ended = false;
  const end = (record: FlowRecord) => {
    if (ended) return;
    ended = true;
    send(record);
    close();
  };
  unsubscribe = engine.subscribe(flow.id, end);
  // the flow may have ended between the read above and the subscription
  void engine.get(flow.id).then((record) => {
    if (record && isEnded(record)) end(record);
  });
}
