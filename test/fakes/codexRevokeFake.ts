/**
 * A fake of OpenAI's token revocation, a real HTTP server on 127.0.0.1 speaking what the Codex CLI sends on
 * logout:
 *
 *   POST /oauth/revoke   JSON {token, token_type_hint: "refresh_token", client_id} → 200 {} (the token is
 *                        forgotten; an unknown token is 200 too, as RFC 7009 §2.2 asks); 400
 *                        {error: "invalid_request"} for a body that is not that JSON; 401 {error:
 *                        "invalid_client"} for another client id
 *
 * Tests register live refresh tokens (`grant`), read what was revoked (`revoked`) and every request body
 * (`requests`), and inject a failure for the next request (`failNext`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_REVOKE_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** One request the fake received. */
export interface RevokeRequest {
  path: string;
  contentType: string | undefined;
  body: unknown;
}

export interface CodexRevokeFake {
  /** Base URL, for HERMES_ONBOARD_OPENAI_CODEX_ISSUER. */
  issuer: string;
  requests: RevokeRequest[];
  /** Refresh tokens revoked so far. */
  revoked: string[];
  /** Makes `token` a live refresh token. */
  grant(token: string): void;
  /** True while `token` is live (granted and not revoked). */
  isLive(token: string): boolean;
  /** Answers the next request with this status and JSON body instead. */
  failNext(status: number, body?: unknown): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Starts the fake on a free loopback port. */
export async function startCodexRevokeFake(): Promise<CodexRevokeFake> {
  const live = new Set<string>();
  const revoked: string[] = [];
  const requests: RevokeRequest[] = [];
  const faults: Array<{ status: number; body: unknown }> = [];

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      if (req.method !== 'POST' || req.url !== '/oauth/revoke') return send(res, 404, { error: 'not_found' });
      const fault = faults.shift();
      if (fault) return send(res, fault.status, fault.body);
      const fields = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
      if (!req.headers['content-type']?.startsWith('application/json') || typeof fields?.token !== 'string') {
        return send(res, 400, { error: 'invalid_request' });
      }
      if (fields.client_id !== FAKE_REVOKE_CLIENT_ID) return send(res, 401, { error: 'invalid_client' });
      if (live.delete(fields.token)) revoked.push(fields.token);
      send(res, 200, {});
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    requests,
    revoked,
    grant: (token) => void live.add(token),
    isLive: (token) => live.has(token),
    failNext: (status, body = {}) => void faults.push({ status, body }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
