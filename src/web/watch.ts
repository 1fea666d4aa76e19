/**
 * Follows one flow's status: live through the server-sent events endpoint, falling back to polling at
 * the flow's `poll_interval_seconds` when the stream breaks (or cannot carry the access token).
 */
import { pagePollDelayMs } from '../util/delay.js';
import { ApiError, type Api, type ProvidersPayload, type StatusPayload } from './api.js';

/** What the watcher reports back. */
export interface WatchHandlers {
  /** A new status payload (every one, pending included). */
  onStatus(status: StatusPayload): void;
  /** The server no longer knows the flow (404): it restarted, or the flow ended long ago. */
  onGone(): void;
  /** Connection trouble while polling (a message), or null once it is over. */
  onTrouble(message: string | null): void;
}

/**
 * Stops watching. `graceful` is for a flow known to have ended: the server ends the stream by itself
 * right after the end status, so the stream is left to finish (no aborted request) rather than cut.
 */
export type StopWatching = (graceful?: boolean) => void;

/** Longest wait between polls while the server cannot be reached. */
const MAX_BACKOFF_MS = 30_000;
/** How long a graceful stop waits for the server to end the stream before closing it. */
const GRACE_MS = 5_000;

/** Starts watching `flowId`; returns the function that stops every timer and stream. */
export function watchFlow(api: Api, flowId: string, intervalSeconds: number, handlers: WatchHandlers): StopWatching {
  const intervalMs = pagePollDelayMs(intervalSeconds); // clamped: it comes from the provider
  let done = false;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;

  const closeSource = (): void => {
    clearTimeout(grace);
    source?.close();
    source = null;
  };

  const stop: StopWatching = (graceful = false) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (graceful && source) grace = setTimeout(closeSource, GRACE_MS);
    else closeSource();
  };

  /** Hands a payload on; an end status ends the watch. */
  const deliver = (status: StatusPayload): void => {
    if (done || status.flow_id !== flowId) return;
    if (status.status !== 'pending') stop(true);
    handlers.onStatus(status);
  };

  const schedule = (delayMs: number): void => {
    if (!done) timer = setTimeout(() => void pollOnce(delayMs), delayMs);
  };

  /** One poll; on failure the next one waits longer (up to MAX_BACKOFF_MS). */
  const pollOnce = async (lastDelayMs: number): Promise<void> => {
    try {
      const status = await api.poll(flowId);
      if (done) return;
      handlers.onTrouble(null);
      deliver(status);
      schedule(intervalMs);
    } catch (err) {
      if (done) return;
      if (err instanceof ApiError && err.status === 404) {
        stop();
        handlers.onGone();
        return;
      }
      handlers.onTrouble(err instanceof Error ? err.message : String(err));
      schedule(Math.min(MAX_BACKOFF_MS, Math.max(intervalMs, lastDelayMs * 2)));
    }
  };

  /** The stream broke or ended: after an end status that is expected; otherwise poll, asking at once. */
  const onStreamError = (): void => {
    closeSource();
    if (!done) void pollOnce(intervalMs);
  };

  if (typeof EventSource === 'function' && !api.usesToken) {
    source = new EventSource(api.eventsUrl(flowId));
    source.addEventListener('status', (event) => {
      let status: StatusPayload;
      try {
        status = JSON.parse((event as MessageEvent<string>).data) as StatusPayload;
      } catch {
        return onStreamError();
      }
      deliver(status);
    });
    source.addEventListener('error', onStreamError);
  } else {
    void pollOnce(intervalMs);
  }
  return stop;
}

/** How often the page re-reads the providers while it cannot stream them (and the tab is visible). */
const PROVIDERS_POLL_MS = 30_000;

/**
 * Follows a profile's providers: a fresh payload over the providers stream whenever auth.json or .env
 * changes on disk (another program signed in, Hermes Agent benched an account). Where the stream cannot
 * run (an access token, an older server, a broken connection) it falls back to re-reading on focus and
 * every PROVIDERS_POLL_MS while the tab is visible. Returns the function that stops it.
 */
export function watchProviders(api: Api, profile: string, onPayload: (payload: ProvidersPayload) => void): () => void {
  let done = false;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;

  const refetch = async (): Promise<void> => {
    try {
      const payload = await api.providers(profile);
      if (!done) onPayload(payload);
    } catch {
      // The next focus or tick tries again; the page keeps what it shows.
    }
  };
  const onFocus = (): void => {
    if (document.visibilityState === 'visible') void refetch();
  };
  const fallBack = (): void => {
    source?.close();
    source = null;
    if (done || timer !== undefined) return;
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onFocus);
    timer = setInterval(onFocus, PROVIDERS_POLL_MS);
    void refetch();
  };

  if (typeof EventSource === 'function' && !api.usesToken) {
    source = new EventSource(api.providersEventsUrl(profile));
    source.addEventListener('providers', (event) => {
      try {
        onPayload(JSON.parse((event as MessageEvent<string>).data) as ProvidersPayload);
      } catch {
        fallBack();
      }
    });
    // EventSource reconnects by itself after a dropped connection; a refused one (404, wrong type) ends it.
    source.addEventListener('error', () => {
      if (source?.readyState === EventSource.CLOSED) fallBack();
    });
  } else {
    fallBack();
  }
  return () => {
    done = true;
    source?.close();
    source = null;
    clearInterval(timer);
    window.removeEventListener('focus', onFocus);
    document.removeEventListener('visibilitychange', onFocus);
  };
}
