/** A minimal server-sent-events reader for GET /api/onboarding/oauth/events. */
import { request } from 'undici';
import type { StatusPayload } from '../../src/flows/flow.js';

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
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      if (!lines.includes('event: status')) continue;
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      onStatus(JSON.parse(data) as StatusPayload);
    }
  }
}
