/** GET /api/openapi.json: the OpenAPI 3.1 document of the API, generated from the zod schemas (docs/api.md). */
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from './apiSchema.js';

/** Registers the document's route; it is built once, on first request. */
export function registerOpenApi(app: FastifyInstance): void {
  let document: object | undefined;
  app.get('/api/openapi.json', async () => (document ??= openApiDocument()));
}
