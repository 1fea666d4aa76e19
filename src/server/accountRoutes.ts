/**
 * The credential lifecycle routes (docs/api.md): removing one account, signing a provider out (both with
 * an opt-in revocation at the provider), and the providers payload as server-sent events that follow the
 * profile's auth.json and .env on disk.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Config } from '../config.js';
import { classify, OnboardError } from '../errors.js';
import { findProvider } from '../providers/index.js';
import { listProviders } from '../providers/listing.js';
import { removeOne, signOutProvider } from '../providers/signOut.js';
import type { AnyProvider, ProviderContext } from '../providers/types.js';
import { checkProviderId } from '../store/hermesPool.js';
import { HomeWatcher, type HomeWatchOptions } from '../store/homeWatch.js';
import { resolveProfileHome, type HomeOptions } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { logoutPayload, providersPayload, removePayload } from './presenters.js';
import { accountPath, firstIssue, logoutBody, profileQuery, removeQuery } from './schemas.js';
import { openEventStream } from './eventStream.js';

export interface AccountRouteDeps {
  providers: readonly AnyProvider[];
  homeOptions: HomeOptions;
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Debounce and poll settings of the providers event stream's file watching (tests). */
  watch?: Omit<HomeWatchOptions, 'clock' | 'logger'>;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value ?? undefined, { reportInput: true });
  if (!result.success) throw new OnboardError('invalid_request', firstIssue(result.error, what));
  return result.data;
}

/** A provider id as Hermes Agent names it: a known provider's alias becomes its id; any other well-formed id stays. */
function providerId(name: string, providers: readonly AnyProvider[]): string {
  const id = findProvider(name, providers)?.id ?? name;
  checkProviderId(id);
  return id;
}

/** Registers the lifecycle routes on `app`; the file watchers close with the app. */
export function registerAccountRoutes(app: FastifyInstance, deps: AccountRouteDeps): void {
  const { providers, homeOptions, clock, logger } = deps;
  const ctx: ProviderContext = { clock, config: deps.config, logger };
  const watcher = new HomeWatcher({ clock, logger, ...deps.watch });
  const streams = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const close of [...streams]) close();
    watcher.close();
  });

  app.delete('/api/onboarding/accounts/:provider/:account_id', async (req) => {
    const params = parse(accountPath, req.params, 'address');
    const query = parse(removeQuery, req.query, 'query');
    const target = resolveProfileHome(query.profile, homeOptions);
    const provider = providerId(params.provider, providers);
    return removePayload(await removeOne(ctx, target.home, provider, params.account_id, { revoke: query.revoke === true }));
  });

  app.post('/api/onboarding/logout', async (req) => {
    const body = parse(logoutBody, req.body, 'request body');
    const target = resolveProfileHome(body.profile, homeOptions);
    const provider = providerId(body.provider, providers);
    return logoutPayload(await signOutProvider(ctx, target.home, provider, { revoke: body.revoke === true }));
  });

  app.get('/api/onboarding/providers/events', async (req, reply) => {
    const { profile } = parse(profileQuery, req.query, 'query');
    const target = resolveProfileHome(profile, homeOptions);
    const build = async () => JSON.stringify(providersPayload(target.profile, await listProviders(providers, target.home, clock)));
    await streamProviders(req, reply, { watcher, streams, logger, home: target.home, build });
  });
}

interface StreamDeps {
  watcher: HomeWatcher;
  streams: Set<() => void>;
  logger: Logger;
  home: string;
  /** The providers payload as JSON text. */
  build: () => Promise<string>;
}

/**
 * Streams `event: providers` with the payload at once, then again whenever the home's files change and the
 * payload with them. The first payload is read before the stream opens, so a profile that cannot be read
 * answers an ordinary error; later read failures are sent as `event: error` and the stream stays open.
 */
async function streamProviders(req: FastifyRequest, reply: FastifyReply, deps: StreamDeps): Promise<void> {
  let dirty = false;
  let running = false;
  let refresh = () => {};
  // subscribe before the first read, so a change between the two is not missed
  const unsubscribe = deps.watcher.subscribe(deps.home, () => refresh());
  let last: string;
  try {
    last = await deps.build();
  } catch (error) {
    unsubscribe();
    throw error;
  }
  const stream = openEventStream(req, reply, () => {
    unsubscribe();
    deps.streams.delete(stream.close);
  });
  deps.streams.add(stream.close);
  stream.send('providers', last);
  refresh = () => {
    if (stream.closed) return;
    if (running) {
      dirty = true;
      return;
    }
    running = true;
    void (async () => {
      do {
        dirty = false;
        try {
          const text = await deps.build();
          // a change that leaves the payload as it was (a lock file, a rewrite with the same content) is not news
          if (text !== last && !stream.closed) {
            last = text;
            stream.send('providers', text);
          }
        } catch (error) {
          const c = classify(error);
          deps.logger.warn({ home: deps.home, code: c.code }, 'reading the providers for the event stream failed');
          stream.send('error', JSON.stringify({ ok: false, error: c.message }));
        }
      } while (dirty && !stream.closed);
      running = false;
    })();
  };
}
