/** Follows a flow's status over GET /api/onboarding/oauth/events, with the tests' server-sent-events parser. */
import { request } from 'undici';
import type { StatusPayload } from '../../src/contract.js';
import { sseEvents } from '../../test/helpers/sse.js';

/**
 * Reads `event: status` messages from `url`, calling `onStatus` with each payload as it arrives, until
 * the server ends the stream or `signal` fires.
 */
export async function readStatusEvents(url: string, onStatus: (payload: StatusPayload) => void, signal: AbortSignal): Promise<void> {
  const res = await request(url, { headers: { accept: 'text/event-stream' }, signal });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`events answered ${res.statusCode}`);
  }
  for await (const { event, data } of sseEvents(res.body)) {
    if (event === 'status') onStatus(JSON.parse(data) as StatusPayload);
  }
}
