/** The browser side of a benchmark: JSON requests to the server and starting many flows at once. */
import { request } from 'undici';
import type { StartPayload, StatusPayload } from '../../src/contract.js';

/** The benchmarks' provider: OpenAI Codex, pointed at the loopback fake. */
export const BENCH_PROVIDER = 'openai-codex';
/** Longest any single benchmark request may take. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Sends one request (undici's `request`: lighter than fetch, so the client costs the server's CPU less) and parses its JSON answer. */
export async function requestJson<T>(url: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Starts one sign-in per profile (`limit` at a time); throws on the first refusal. */
export async function startFlows(baseUrl: string, profiles: readonly string[], limit = 32): Promise<StartPayload[]> {
  return mapLimit(profiles, limit, async (profile) => {
    const { status, body } = await requestJson<StartPayload | { error: string }>(`${baseUrl}/api/onboarding/oauth/start`, {
      method: 'POST',
      body: { provider: BENCH_PROVIDER, profile },
    });
    if (status !== 200 || !('flow_id' in body)) {
      throw new Error(`start for profile ${profile} answered ${status}: ${'error' in body ? body.error : 'no flow'}`);
    }
    return body;
  });
}

/** Starts `count` sign-ins on the Python original (it has no profiles and no single flight); throws on the first refusal. */
export async function startOriginalFlows(baseUrl: string, count: number, limit = 32): Promise<string[]> {
  return mapLimit(Array.from({ length: count }, (_, i) => i), limit, async () => {
    const { status, body } = await requestJson<{ flow_id?: string; error?: string }>(`${baseUrl}/api/onboarding/oauth/start`, {
      method: 'POST',
      body: { provider: BENCH_PROVIDER },
    });
    if (status !== 200 || !body.flow_id) throw new Error(`the original's start answered ${status}: ${body.error ?? 'no flow'}`);
    return body.flow_id;
  });
}

/** Polls a flow once. */
export async function pollFlow(baseUrl: string, flowId: string): Promise<StatusPayload> {
  const { status, body } = await requestJson<StatusPayload>(`${baseUrl}/api/onboarding/oauth/poll?flow_id=${flowId}`);
  if (status !== 200) throw new Error(`poll answered ${status}`);
  return body;
}
