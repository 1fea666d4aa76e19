/**
 * The API's answers as zod schemas (the requests are in schemas.ts), and the OpenAPI 3.1 document built
 * from both with `z.toJSONSchema`. docs/api.md describes the same routes in words; a test checks every
 * answer the test suite receives against this document.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, ERROR_CODES } from '../errors.js';
import { VERSION } from '../version.js';
import { accountPath, cancelBody, flowQuery, keysBody, logoutBody, profileQuery, removeQuery, startBody, submitBody } from './schemas.js';

const status = z.enum(['pending', 'success', 'error', 'expired', 'cancelled']);

export const errorResponse = z.object({ ok: z.literal(false), error: z.string().describe('What went wrong and what to do; never a secret.') });
export const healthResponse = z.object({ ok: z.literal(true), version: z.string(), redis: z.literal('reachable').optional().describe('With Redis on.') });
export const degradedHealthResponse = z.object({ ok: z.literal(false), redis: z.literal('unreachable') });
export const flowAccount = z.object({ label: z.string(), email: z.string().optional(), plan: z.string().optional() });
export const deviceStartResponse = z.object({
  ok: z.literal(true),
  provider: z.string(),
  flow_id: z.string(),
  status: z.literal('pending'),
  kind: z.literal('device_code'),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  user_code: z.string(),
  expires_at: z.number().describe('Epoch seconds.'),
  poll_interval_seconds: z.number(),
});
const kindStartBase = { ok: z.literal(true), provider: z.string(), flow_id: z.string(), status: z.literal('pending'), expires_at: z.number() };
export const codeStartResponse = z.object({ ...kindStartBase, kind: z.literal('authorization_code'), authorize_url: z.string() });
export const detectStartResponse = z.object({ ...kindStartBase, kind: z.literal('detect'), action_required: z.string() });
export const statusResponse = z.object({
  ok: z.literal(true),
  provider: z.string(),
  flow_id: z.string(),
  status,
  error: z.string().max(200).optional(),
  account: flowAccount.optional(),
  relogin: z
    .object({ repaired_id: z.string(), account_id: z.string(), same_account: z.boolean() })
    .optional()
    .describe('A successful sign-in again: same_account false means a different account was added beside the repaired one.'),
});
export const unknownCancelResponse = z.object({ ok: z.literal(true), flow_id: z.string(), status: z.literal('cancelled') });
export const accountView = z.object({
  id: z.string(),
  label: z.string(),
  email: z.string().optional(),
  plan: z.string().optional(),
  source: z.enum(['device_code', 'pkce', 'linked', 'api_key', 'env', 'config', 'other']),
  key_hint: z.string().optional().describe('"…" and the last four characters of an API key.'),
  expires_at: z.number().optional().describe('When the access token expires, epoch seconds.'),
  health: z.enum(['ok', 'exhausted', 'dead', 'expired', 'unknown']),
  health_detail: z.string().optional(),
  retry_at: z.number().optional().describe('When Hermes Agent may use an exhausted account again, epoch seconds.'),
  relogin_required: z.boolean(),
  used_first: z.literal(true).optional().describe('On the account Hermes Agent will use first.'),
});
export const lastAuthError = z.object({
  code: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  at: z.string().optional(),
  relogin_required: z.boolean(),
});
export const providerView = z.object({
  id: z.string(),
  label: z.string(),
  kind: z.enum(['device_code', 'authorization_code', 'detect', 'api_key', 'link', 'paste']),
  methods: z.array(z.enum(['device_code', 'authorization_code', 'detect', 'api_key'])).describe('Every way to connect it here, the interactive sign-in first.'),
  supported: z.boolean(),
  connected: z.boolean(),
  accounts: z.array(accountView),
  last_auth_error: lastAuthError.optional(),
  terminal_command: z.string().optional().describe('When supported is false: the Hermes Agent command that connects it in a terminal.'),
});
const removedAccount = z.object({ id: z.string(), label: z.string() });
const revoked = z.union([z.boolean(), z.null()]).describe('true: revoked at the provider; false: revoking failed (removed anyway); null: not asked for, or not possible.');
export const removeResponse = z.object({ ok: z.literal(true), provider: z.string(), removed: removedAccount, revoked, hints: z.array(z.string()) });
export const logoutResponse = z.object({ ok: z.literal(true), provider: z.string(), removed: z.array(removedAccount), revoked: revoked.optional(), hints: z.array(z.string()) });
export const providersResponse = z.object({ ok: z.literal(true), profile: z.string(), providers: z.array(providerView) });
export const keyResponse = z.object({
  ok: z.literal(true),
  provider: z.string(),
  account: z.object({ id: z.string(), label: z.string(), key_hint: z.string().describe('e.g. `sk-…a1b2`; never the key.') }),
});
export const profilesResponse = z.object({ ok: z.literal(true), active: z.string(), profiles: z.array(z.string()) });

type Json = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), without its `$schema` line. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) as Json;
  return rest;
}

const json = (schema: Json) => ({ 'application/json': { schema } });
const errorRef = { $ref: '#/components/schemas/ErrorResponse' };

/** The error answers of a route, by status, each naming the catalogue codes that produce it. */
function errors(...statuses: number[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const code of statuses) {
    const codes = ERROR_CODES.filter((c) => ERROR_CATALOGUE[c].status === code);
    out[String(code)] = { description: `Error (${codes.join(', ')}).`, content: json(errorRef) };
  }
  return out;
}

/** The status codes every API route may answer with before it runs (gate, shutdown, unexpected failure). */
const COMMON = [403, 500, 503];
/** Statuses the body parser may answer with on any route. */
const PARSING = [400, 413, 415];

/** Query parameters from a zod object schema. */
function query(schema: z.ZodObject): Json[] {
  const s = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, p]) => ({ name, in: 'query', required: s.required?.includes(name) ?? false, schema: p }));
}

/** Path parameters from a zod object schema. */
function pathParams(schema: z.ZodObject): Json[] {
  return query(schema).map((p) => ({ ...p, in: 'path', required: true }));
}

const ok = (description: string, schema: Json) => ({ description, content: json(schema) });

/** Builds the OpenAPI 3.1 document of the API. */
export function openApiDocument(): Json {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  return {
    openapi: '3.1.0',
    info: { title: 'hermes-onboard', version: VERSION, description: 'Sign Hermes Agent profiles in to AI providers. See docs/api.md.' },
    paths: {
      '/api/health': {
        get: {
          summary: 'Liveness',
          responses: {
            '200': ok('Running.', ref('HealthResponse')),
            ...errors(...PARSING, ...COMMON),
            '503': ok('Degraded: the shared store (Redis) does not answer; or the server is shutting down (ErrorResponse).', {
              oneOf: [ref('DegradedHealthResponse'), errorRef],
            }),
          },
        },
      },
      '/api/openapi.json': { get: { summary: 'This document', responses: { '200': ok('The OpenAPI document.', { type: 'object' }), ...errors(...PARSING, ...COMMON) } } },
      '/api/onboarding/oauth/start': {
        post: {
          summary: 'Start a sign-in (or rejoin the pending one for the same provider and profile)',
          requestBody: { required: true, content: json(jsonSchema(startBody, 'input')) },
          responses: {
            '200': ok('The flow started (or already pending); a flow that ended while starting answers its status.', {
              oneOf: [ref('DeviceStartResponse'), ref('CodeStartResponse'), ref('DetectStartResponse'), ref('StatusResponse')],
            }),
            ...errors(...PARSING, 404, 429, 502, ...COMMON),
          },
        },
      },
      '/api/onboarding/oauth/poll': {
        get: { summary: 'A flow\'s status', parameters: query(flowQuery), responses: { '200': ok('The status.', ref('StatusResponse')), ...errors(...PARSING, 404, ...COMMON) } },
      },
      '/api/onboarding/oauth/cancel': {
        post: {
          summary: 'Cancel a flow',
          requestBody: { required: true, content: json(jsonSchema(cancelBody, 'input')) },
          responses: { '200': ok('The status after cancelling.', { oneOf: [ref('StatusResponse'), ref('UnknownCancelResponse')] }), ...errors(...PARSING, ...COMMON) },
        },
      },
      '/api/onboarding/oauth/submit': {
        post: {
          summary: 'Hand a pasted authorization code to a flow waiting for one',
          requestBody: { required: true, content: json(jsonSchema(submitBody, 'input')) },
          responses: { '200': ok('The status.', ref('StatusResponse')), ...errors(...PARSING, 404, ...COMMON) },
        },
      },
      '/api/onboarding/oauth/callback/{nonce}': {
        get: {
          summary: 'Where the provider sends the browser back (`<flow id>.<nonce>`); answers a small HTML page. Needs no bearer token: the nonce is the credential.',
          parameters: [
            { name: 'nonce', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'Connected.', content: { 'text/html': { schema: { type: 'string' } } } },
            '400': { description: 'Unknown, used or expired link, or the provider refused; nothing written.', content: { 'text/html': { schema: { type: 'string' } } } },
            '502': { description: 'The code could not be exchanged; the flow ended with an error.', content: { 'text/html': { schema: { type: 'string' } } } },
            ...errors(403, 500, 503),
          },
        },
      },
      '/api/onboarding/keys': {
        post: {
          summary: 'Check an API key with the provider and save it (the same key twice is one entry)',
          requestBody: { required: true, content: json(jsonSchema(keysBody, 'input')) },
          responses: { '200': ok('Saved.', ref('KeyResponse')), ...errors(...PARSING, 422, 429, 502, ...COMMON) },
        },
      },
      '/api/onboarding/oauth/events': {
        get: {
          summary: 'A flow\'s status as server-sent events (`event: status`, data: StatusResponse)',
          parameters: query(flowQuery),
          responses: { '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(...PARSING, 404, ...COMMON) },
        },
      },
      '/api/onboarding/providers': {
        get: { summary: 'Providers and saved accounts of a profile', parameters: query(profileQuery), responses: { '200': ok('The providers.', ref('ProvidersResponse')), ...errors(...PARSING, ...COMMON) } },
      },
      '/api/onboarding/providers/events': {
        get: {
          summary: 'The providers payload as server-sent events (`event: providers`, data: ProvidersResponse): at once, then on every change of the profile\'s auth.json or .env',
          parameters: query(profileQuery),
          responses: { '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(...PARSING, ...COMMON) },
        },
      },
      '/api/onboarding/accounts/{provider}/{account_id}': {
        delete: {
          summary: 'Remove one account (revoke=1: revoke it at the provider first)',
          parameters: [...pathParams(accountPath), ...query(removeQuery)],
          responses: { '200': ok('What was removed.', ref('RemoveResponse')), ...errors(...PARSING, 404, ...COMMON) },
        },
      },
      '/api/onboarding/logout': {
        post: {
          summary: 'Sign a provider out of a profile, as Hermes Agent\'s logout does',
          requestBody: { required: true, content: json(jsonSchema(logoutBody, 'input')) },
          responses: { '200': ok('What was removed.', ref('LogoutResponse')), ...errors(...PARSING, ...COMMON) },
        },
      },
      '/api/onboarding/profiles': {
        get: { summary: 'Profiles of the Hermes root', responses: { '200': ok('The profiles.', ref('ProfilesResponse')), ...errors(...PARSING, ...COMMON) } },
      },
    },
    components: {
      schemas: {
        ErrorResponse: jsonSchema(errorResponse),
        ErrorCode: { type: 'string', enum: ERROR_CODES, description: 'The catalogue codes (docs/api.md, "Errors").' },
        HealthResponse: jsonSchema(healthResponse),
        DegradedHealthResponse: jsonSchema(degradedHealthResponse),
        DeviceStartResponse: jsonSchema(deviceStartResponse),
        CodeStartResponse: jsonSchema(codeStartResponse),
        DetectStartResponse: jsonSchema(detectStartResponse),
        StatusResponse: jsonSchema(statusResponse),
        UnknownCancelResponse: jsonSchema(unknownCancelResponse),
        ProvidersResponse: jsonSchema(providersResponse),
        ProfilesResponse: jsonSchema(profilesResponse),
        KeyResponse: jsonSchema(keyResponse),
        RemoveResponse: jsonSchema(removeResponse),
        LogoutResponse: jsonSchema(logoutResponse),
      },
    },
  };
}
