/**
 * A fake inference API for key checks: a real HTTP server on 127.0.0.1 that accepts one key and rejects
 * every other, reading the key the way each provider wants it sent. The first path segment picks the
 * style, so a provider's HERMES_ONBOARD_<PROVIDER>_BASE_URL points at `<url>/<style>`:
 *
 *   /bearer/…     `Authorization: Bearer <key>`; a wrong key → 401 {error: {message: "Incorrect API key
 *                 provided: <the key>"}} (echoing the key, as careless providers do)
 *   /anthropic/…  `x-api-key` and `anthropic-version` (or, for OAuth tokens, a bearer with
 *                 `anthropic-beta`); a wrong key → 401 {type: "error", error: {type: "authentication_error"}}
 *   /gemini/…     `x-goog-api-key`; a wrong key → 400 … "reason": "API_KEY_INVALID", as Google answers
 *
 * Any GET under a style answers 200 `{data: [{id: "model-a"}]}` for the accepted key.
 */
import { startFakeServer, type FakeFault, type FakeRequest } from './httpFake.js';

export type ModelsStyle = 'bearer' | 'anthropic' | 'gemini';

export interface ModelsFake {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** The base URL to use for `style`, e.g. `http://127.0.0.1:1234/anthropic`. */
  base(style: ModelsStyle): string;
  /** Replaces the one key accepted. */
  accept(key: string): void;
  failNext(pathSuffix: string, fault: FakeFault, times?: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

function presented(style: ModelsStyle, req: FakeRequest): string | undefined {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const bearer = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
  if (style === 'bearer') return bearer;
  if (style === 'gemini') return header('x-goog-api-key');
  if (!header('anthropic-version')) return undefined;
  if (bearer !== undefined) return header('anthropic-beta')?.includes('oauth') ? bearer : undefined;
  return header('x-api-key');
}

export async function startModelsFake(acceptedKey: string): Promise<ModelsFake> {
  let accepted = acceptedKey;
  const server = await startFakeServer((req) => {
    const style = req.path.split('/')[1] as ModelsStyle;
    if (req.method !== 'GET' || !['bearer', 'anthropic', 'gemini'].includes(style)) return { status: 404, body: { error: 'not found' } };
    const key = presented(style, req);
    if (key === accepted) return { status: 200, body: { data: [{ id: 'model-a' }] } };
    if (style === 'gemini') {
      return {
        status: 400,
        body: { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } },
      };
    }
    if (style === 'anthropic') return { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } };
    return { status: 401, body: { error: { message: `Incorrect API key provided: ${key ?? '(none)'}. You can find your API key at https://example.invalid/keys.`, code: 'invalid_api_key' } } };
  });
  return {
    url: server.url,
    requests: server.requests,
    base: (style) => `${server.url}/${style}`,
    accept(key) {
      accepted = key;
    },
    failNext: (suffix, fault, times) => server.failNext(suffix, fault, times),
    clearFaults: () => server.clearFaults(),
    close: () => server.close(),
  };
}
