/** Request schemas (zod): each one is both the validation and the type of what a route accepts. */
import { z } from 'zod';

const providerName = z.string({ error: 'provider must be a string such as "openai-codex"' }).trim().min(1, 'provider is required').max(64, 'provider is too long');
const profileName = z.string({ error: 'profile must be a string' }).max(64, 'profile is too long');
const flowId = z.string({ error: 'flow_id must be a string' }).min(1, 'flow_id is required').max(128, 'flow_id is too long');

const method = z.string({ error: 'method must be a string such as "authorization_code"' }).trim().min(1, 'method is required').max(64, 'method is too long');
const region = z.enum(['global', 'cn'], { error: 'region must be "global" or "cn"' });
const clearEnvKeys = z.boolean({ error: 'clear_env_keys must be true or false' });
export const startBody = z.strictObject({
  provider: providerName,
  profile: profileName.optional(),
  method: method.optional(),
  region: region.optional(),
  clear_env_keys: clearEnvKeys.optional(),
  // "sign in again": the account (GET /api/onboarding/providers id) the new credentials repair
  account_id: z.string({ error: 'account_id must be a string' }).min(1, 'account_id is empty').max(128, 'account_id is too long').optional(),
});
const apiKey = z.string({ error: 'api_key must be a string' });
const keyLabel = z.string({ error: 'label must be a string' }).max(200, 'label is too long');
export const keysBody = z.strictObject({
  provider: providerName,
  api_key: apiKey,
  label: keyLabel.optional(),
  profile: profileName.optional(),
  verify: z.boolean({ error: 'verify must be true or false' }).optional(),
});
/** The path segment of an OpenRouter-style callback: `<flow id>.<nonce>` (checked again by the provider module). */
export const callbackParams = z.object({ token: z.string().max(200) });
export const callbackQuery = z.object({ code: z.string().max(4096).optional(), error: z.string().max(200).optional() }).loose();
export const cancelBody = z.strictObject({ flow_id: flowId });
const authorizationCode = z.string({ error: 'code must be a string' }).trim().min(1, 'code is required').max(2048, 'code is too long');
export const submitBody = z.strictObject({ flow_id: flowId, code: authorizationCode });
export const flowQuery = z.object({ flow_id: flowId });
export const profileQuery = z.object({ profile: profileName.optional() });

/** The first problem with a failed parse, phrased for a person ("flow_id is required"). */
export function firstIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  if (!issue) return `Invalid ${what}.`;
  if (issue.code === 'invalid_type' && issue.path.length === 0) return `The ${what} must be a JSON object.`;
  if (issue.code === 'unrecognized_keys') return `Unknown field in the ${what}: ${issue.keys.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}.`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${issue.path.join('.')} is required.`;
  return issue.message;
}

/** `revoke` in a query: `1`/`true` or `0`/`false`. */
const revokeFlag = z.enum(['1', 'true', '0', 'false'], { error: 'revoke must be 1, true, 0 or false' }).transform((v) => v === '1' || v === 'true');
export const accountPath = z.object({
  provider: z.string().min(1, 'provider is required').max(200),
  account_id: z.string().min(1, 'account_id is required').max(200),
});
export const removeQuery = z.object({ profile: profileName.optional(), revoke: revokeFlag.optional() });
export const logoutBody = z.strictObject({
  provider: providerName,
  profile: profileName.optional(),
  revoke: z.boolean({ error: 'revoke must be true or false' }).optional(),
});
