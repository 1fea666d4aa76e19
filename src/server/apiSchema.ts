/**
 * The API's answers as zod schemas (the requests are in schemas.ts), and the OpenAPI 3.1 document built
 * from both with `z.toJSONSchema`. docs/api.md describes the same routes in words; a test checks every
 * answer the test suite receives against this document.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, ERROR_CODES } from '../errors.js';
import { VERSION } from '../version.js';
import { cancelBody, flowQuery, profileQuery, startBody, submitBody } from './schemas.js';

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
});
export const unknownCancelResponse = z.object({ ok: z.literal(true), flow_id: z.string(), status: z.literal('cancelled') });
export const accountView = z.object({
  id: z.string(),
  label: z.string(),
  email: z.string().optional(),
  plan: z.string().optional(),
  expires_at: z.union([z.string(), z.number()]).optional(),
  last_status: z.string().optional(),
});
export const providerView = z.object({
  id: z.string(),
  label: z.string(),
  kind: z.enum(['device_code', 'link', 'paste']),
  supported: z.boolean(),
  connected: z.boolean(),
  accounts: z.array(accountView),
});
export const providersResponse = z.object({ ok: z.literal(true), profile: z.string(), providers: z.array(providerView) });
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
            ...errors(...PARSING, 429, 502, ...COMMON),
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
      },
    },
  };
}
