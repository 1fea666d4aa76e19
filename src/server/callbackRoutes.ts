/**
 * GET /api/onboarding/oauth/callback/<flow id>.<nonce>?code=…: where an authorization-code provider
 * (OpenRouter) sends the browser back. The route is open without the gate (server/gate.ts
 * TOKEN_FREE_ROUTE): a navigation cannot carry the bearer token, and the unguessable nonce bound to one
 * flow is the credential. It answers small HTML pages, hands the code to its flow once, waits for the
 * exchange and says how it ended; it never echoes the code. Unknown, used or expired links get a clear
 * page and change nothing.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { OnboardError } from '../errors.js';
import type { FlowEngine } from '../flows/engine.js';
import type { FlowRecord } from '../flows/flow.js';
import { ProviderError } from '../providers/errors.js';
import { findProvider } from '../providers/index.js';
import { codeFromCallback, parseCallbackToken } from '../providers/openrouter.js';
import type { AnyProvider } from '../providers/types.js';
import { TOKEN_FREE_ROUTE } from './gate.js';

/** The callback pages' Content-Security-Policy: no script, no request, inline styles only. */
export const CALLBACK_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** `text` made safe inside HTML. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small self-contained HTML page: a heading and a sentence. */
export function callbackPage(title: string, detail: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p></body></html>
`;
}

function send(reply: FastifyReply, status: number, title: string, detail: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CALLBACK_CSP)
    .send(callbackPage(title, detail));
}

/** Why a flow that exists no longer takes a callback, as a title and a sentence. */
function notWaiting(flow: FlowRecord, label: string): [string, string] {
  switch (flow.status) {
    case 'success':
      return ['This sign-in link was already used', `${label} is connected; you can close this tab.`];
    case 'expired':
      return ['This sign-in has expired', 'Nothing was saved. Start the sign-in again from the page.'];
    case 'cancelled':
      return ['This sign-in was cancelled', 'Nothing was saved. Start the sign-in again from the page.'];
    case 'error':
      return ['This sign-in has failed', `${flow.error ?? 'It ended with an error.'} Start it again from the page.`];
    default:
      return ['This sign-in link was already used', 'Its code is being exchanged; the page you started from shows how it ends. You can close this tab.'];
  }
}

/** Registers the callback route on `app`. */
export function registerCallbackRoutes(app: FastifyInstance, deps: { engine: FlowEngine; providers: readonly AnyProvider[] }): void {
  const { engine, providers } = deps;

  app.get(TOKEN_FREE_ROUTE, async (req, reply) => {
    const { nonce: token } = req.params as { nonce: string };
    const parsed = parseCallbackToken(token);
    const flow = parsed && (await engine.callbackMatches(parsed.flowId, parsed.nonce));
    if (!parsed || !flow) {
      return send(
        reply,
        400,
        'This sign-in link is unknown or has expired',
        'It belongs to no sign-in waiting on this server (a finished sign-in is forgotten after five minutes). Nothing was saved. Start the sign-in again from the page.',
      );
    }
    const label = findProvider(flow.providerId, providers)?.label ?? flow.providerId;
    if (flow.status !== 'pending' || flow.phase !== 'waiting') return send(reply, 400, ...notWaiting(flow, label));
    const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    let code: string;
    try {
      code = codeFromCallback(query);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      await engine.refuseCode(flow.id, error.message, { nonce: parsed.nonce });
      return send(reply, 400, `${label} was not connected`, error.message);
    }
    try {
      await engine.submitCode(flow.id, code, { nonce: parsed.nonce });
    } catch (error) {
      if (!(error instanceof OnboardError)) throw error;
      const now = await engine.get(flow.id);
      const [title, detail] = now ? notWaiting(now, label) : ['This sign-in link is unknown or has expired', 'Start the sign-in again from the page.'];
      return send(reply, 400, title, detail);
    }
    const end = (await engine.waitForEnd(flow.id)) ?? flow;
    if (end.status === 'success') return send(reply, 200, `Connected to ${label}`, 'You can close this tab; the page you started from has been updated.');
    return send(reply, 502, `${label} was not connected`, `${end.error ?? `The sign-in ended as ${end.status}.`} Nothing was saved.`);
  });
}
