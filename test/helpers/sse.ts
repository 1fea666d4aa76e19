/** A server-sent-events reader shared by the tests and the benchmarks (no app imports). */

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Reads server-sent events from a streaming body (fetch's or undici's) until the server ends the stream. */
export async function* sseEvents(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  // Node's web ReadableStream is async-iterable at run time, though its Node 20 typings do not say so.
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n').filter((l) => !l.startsWith(':'));
      if (lines.length === 0) continue; // a keep-alive comment
      const field = (name: string) => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).replace(/^ /, ''));
      yield { event: field('event')[0] ?? 'message', data: field('data').join('\n') };
    }
  }
}
