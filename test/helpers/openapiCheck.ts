/**
 * Checks a real answer of the API against the OpenAPI document the server serves (src/server/apiSchema.ts):
 * the route and status must be documented, and a JSON body must match the documented schema. The harness
 * runs it on every answer, so every route's answers anywhere in the test suite are checked.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { openApiDocument } from '../../src/server/apiSchema.js';

const DOC_ID = 'https://hermes-onboard.invalid/openapi.json';
const doc = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...doc, $id: DOC_ID });
const validators = new Map<string, ValidateFunction>();

/** JSON-pointer escaping of one path segment. */
const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function validator(ref: string): ValidateFunction {
  let v = validators.get(ref);
  if (!v) validators.set(ref, (v = ajv.compile({ $ref: `${DOC_ID}#${ref}` })));
  return v;
}

/** The (method, path) pairs whose answers were checked, for the test that every documented route was seen. */
export const checkedRoutes = new Set<string>();

/** The document's path for a concrete one: itself, or the template (`/a/{x}`) whose segments match. */
function documentedPath(path: string): string {
  if (Object.hasOwn(doc.paths, path)) return path;
  const parts = path.split('/');
  const template = Object.keys(doc.paths).find((p) => {
    const t = p.split('/');
    return t.length === parts.length && t.every((seg, i) => (seg.startsWith('{') && seg.endsWith('}') ? parts[i] !== '' : seg === parts[i]));
  });
  return template ?? path;
}

/** Why an answer does not agree with the document, or undefined when it does. */
export function openApiMismatch(method: string, url: string, status: number, contentType: string | undefined, body: unknown): string | undefined {
  const path = documentedPath(url.split('?')[0]!);
  if (!path.startsWith('/api/') || method === 'HEAD') return undefined;
  const op = Object.hasOwn(doc.paths, path) ? doc.paths[path]![method.toLowerCase()] : undefined;
  const isJson = (contentType ?? '').startsWith('application/json');
  if (!op) {
    // routes the document does not have answer with the error shape (404, or a refusal before routing)
    if (status < 400) return `${method} ${path} answered ${status} but is not in the OpenAPI document`;
    return isJson && !validator('/components/schemas/ErrorResponse')(body) ? `${method} ${path} ${status}: not the error shape` : undefined;
  }
  const response = op.responses[String(status)];
  if (!response) return `${method} ${path} answered ${status}, which the OpenAPI document does not list`;
  checkedRoutes.add(`${method.toUpperCase()} ${path}`);
  const media = Object.keys(response.content ?? {})[0];
  if (media === 'application/json') {
    if (!isJson) return `${method} ${path} ${status}: expected JSON, got ${contentType}`;
    const v = validator(`/paths/${pointer(path)}/${method.toLowerCase()}/responses/${status}/content/${pointer(media)}/schema`);
    if (!v(body)) return `${method} ${path} ${status}: ${ajv.errorsText(v.errors)}`;
  } else if (media && !(contentType ?? '').startsWith(media)) {
    return `${method} ${path} ${status}: expected ${media}, got ${contentType}`;
  }
  return undefined;
}

/** Why `value` does not match the document's component schema `name`, or undefined when it does. */
export function componentMismatch(name: string, value: unknown): string | undefined {
  const v = validator(`/components/schemas/${name}`);
  return v(value) ? undefined : ajv.errorsText(v.errors);
}

/** Every (method, path) the document lists. */
export function documentedRoutes(): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}
