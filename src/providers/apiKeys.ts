/**
 * API keys: checked for shape, checked live with the provider's cheapest authenticated call, and saved
 * as Hermes Agent's `hermes auth add <provider> --type api-key` saves them (hermes_cli/auth_commands.py
 * `_add_api_key_credential`): a `credential_pool[<provider>]` entry with `auth_type: "api_key"`,
 * `source: "manual"`, the key as `access_token`, the registry's `base_url`, a label (default
 * `api-key-<n>`), the next priority; and, as `auth_add_command` does first, the provider's
 * `suppressed_sources` cleared. The OpenRouter PKCE key is saved the same way with
 * `source: "manual:openrouter_pkce"` (`_OAUTH_ADD_SPECS["openrouter"]`).
 *
 * Unlike Hermes Agent, the same key saved twice stays one entry (its label and health are refreshed).
 * No key ever appears in an error or a log line: only a hint such as `sk-…a1b2`.
 */
import type { ProviderConfig } from '../config.js';
import { updateAuthStore, upsertPoolEntry, type AuthStore, type PoolEntry } from '../store/index.js';
import { checkIssuerUrl, describeUrl, providerRequest, type ProviderResponse } from '../util/http.js';
import { safeMessage } from '../util/secrets.js';
import { API_KEY_PROVIDERS, type ApiKeyProviderSpec } from './apiKeyProviders.js';
import { TransientProviderError } from './errors.js';
import { OPENROUTER_BASE_URL, OPENROUTER_PKCE_SOURCE, OPENROUTER_PROVIDER_ID } from './openrouter.js';
import { nextPriority, POOL_STATUS_RESET, unsuppressSources } from '../store/providerState.js';
import type { ProviderContext, StepBounds } from './types.js';

export { API_KEY_PROVIDERS, type ApiKeyProviderSpec, type KeyAuthStyle } from './apiKeyProviders.js';

/** Largest key accepted, in bytes. */
export const MAX_API_KEY_BYTES = 4096;
/** `source` of a manually added key. */
export const MANUAL_SOURCE = 'manual';
/** The `anthropic-version` header Hermes Agent sends with Anthropic keys. */
export const ANTHROPIC_VERSION = '2023-06-01';
/** The beta flag Anthropic wants with an OAuth token (`sk-ant-oat…`) sent as a bearer. */
export const ANTHROPIC_OAUTH_BETA = 'oauth-2025-04-20';
/** Where Kimi Code keys (`sk-kimi-…`) work; Hermes Agent routes them there (`_resolve_kimi_base_url`). */
export const KIMI_CODE_BASE_URL = 'https://api.kimi.com/coding';
/** Longest a key check may take, even when the caller's deadline is later. */
export const KEY_CHECK_TIMEOUT_MS = 15_000;

const MAX_LABEL_LENGTH = 100;

/** The key (or label) is malformed: answer 400; nothing was sent or saved. */
export class ApiKeyFormatError extends Error {
  override name = 'ApiKeyFormatError';
  readonly status = 400 as const;
}

/** The provider refused the key (401/403, or Gemini's API_KEY_INVALID): answer 422; nothing saved. */
export class ApiKeyRejectedError extends Error {
  override name = 'ApiKeyRejectedError';
  readonly status = 422 as const;
  /** The provider's HTTP status. */
  readonly providerStatus: number;
  /** The provider's own words, scrubbed of secrets and the key, at most 200 characters. */
  readonly providerMessage: string | undefined;
  constructor(message: string, providerStatus: number, providerMessage?: string) {
    super(message);
    this.providerStatus = providerStatus;
    this.providerMessage = providerMessage;
  }
}

/** The key could not be checked (network, timeout, 429, 5xx, an unexpected answer): answer 502; saved only with `verify: false`. */
export class ApiKeyUnverifiedError extends Error {
  override name = 'ApiKeyUnverifiedError';
  readonly status = 502 as const;
  /** The provider's HTTP status, when it answered. */
  readonly providerStatus: number | undefined;
  constructor(message: string, providerStatus?: number) {
    super(message);
    this.providerStatus = providerStatus;
  }
}

/** Finds an API-key provider by id or alias (case-insensitive, trimmed). */
export function findApiKeyProvider(name: string): ApiKeyProviderSpec | undefined {
  const wanted = name.trim().toLowerCase();
  return API_KEY_PROVIDERS.find((p) => p.id === wanted || p.aliases.includes(wanted));
}

/** The ids of every API-key provider, for messages naming the valid ones. */
export function apiKeyProviderIds(): string[] {
  return API_KEY_PROVIDERS.map((p) => p.id);
}

/**
 * The key as it will be used: surrounding whitespace trimmed; refused (ApiKeyFormatError) when empty,
 * over 4 KiB, or holding inner whitespace, control characters or anything outside printable ASCII
 * (no provider issues such keys, and an HTTP header could not carry them).
 */
export function normalizeApiKey(raw: string): string {
  const key = raw.trim();
  if (key === '') throw new ApiKeyFormatError('The API key is empty.');
  if (Buffer.byteLength(key, 'utf8') > MAX_API_KEY_BYTES) throw new ApiKeyFormatError('The API key is longer than 4 KiB, which no provider issues.');
  if (/\s/.test(key)) throw new ApiKeyFormatError('The API key contains spaces or line breaks; paste the key alone.');
  if (/[\x00-\x1f\x7f]/.test(key)) throw new ApiKeyFormatError('The API key contains control characters; paste the key alone.');
  if (/[^\x21-\x7e]/.test(key)) throw new ApiKeyFormatError('The API key contains characters no API key has (only printable ASCII is accepted).');
  return key;
}

/** A label as given: trimmed; undefined when blank; refused when over 100 characters or holding control characters. */
export function normalizeLabel(raw: string | undefined): string | undefined {
  const label = raw?.trim();
  if (!label) return undefined;
  if (label.length > MAX_LABEL_LENGTH) throw new ApiKeyFormatError(`The label is longer than ${MAX_LABEL_LENGTH} characters.`);
  if (/[\x00-\x1f\x7f]/.test(label)) throw new ApiKeyFormatError('The label contains control characters.');
  return label;
}

/**
 * What may be shown of a key: its scheme prefix (letters up to the first `-`, when that comes within
 * the first 5 characters) and its last 4 characters, e.g. `sk-…a1b2`. A key under 12 characters shows
 * only its last 2, so most of a short key is never revealed.
 */
export function keyHint(key: string): string {
  const prefix = /^[A-Za-z]{1,4}-/.exec(key)?.[0] ?? '';
  const tail = key.length >= 12 ? key.slice(-4) : key.slice(-2);
  return `${prefix}…${tail}`;
}

/** The base-URL override variable of a provider, e.g. HERMES_ONBOARD_OPENAI_API_BASE_URL. */
export function baseUrlEnvName(providerId: string): string {
  return `HERMES_ONBOARD_${providerId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BASE_URL`;
}

/**
 * The base a key is checked against: HERMES_ONBOARD_<PROVIDER>_BASE_URL when set (plain http only on
 * loopback; a bad value is an ApiKeyUnverifiedError naming the variable), else the registry's; a Kimi
 * Code key (`sk-kimi-…`) is checked where Hermes Agent sends it.
 */
export function checkBaseUrl(config: ProviderConfig, spec: ApiKeyProviderSpec, key: string): string {
  const envName = baseUrlEnvName(spec.id);
  const raw = config.baseUrls[envName]?.trim();
  if (raw) {
    try {
      return checkIssuerUrl(raw, envName);
    } catch (error) {
      throw new ApiKeyUnverifiedError((error as Error).message);
    }
  }
  if (spec.id === 'kimi-coding' && key.startsWith('sk-kimi-')) return `${KIMI_CODE_BASE_URL}/v1`;
  return spec.baseUrl;
}

/** The request headers that carry `key` the way `spec`'s provider wants it. */
export function keyHeaders(spec: ApiKeyProviderSpec, key: string): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  switch (spec.check.style) {
    case 'anthropic':
      headers['anthropic-version'] = ANTHROPIC_VERSION;
      if (spec.id === 'anthropic' && key.startsWith('sk-ant-oat')) {
        // a Claude subscription token: Anthropic takes it only as a bearer with the OAuth beta flag
        headers.authorization = `Bearer ${key}`;
        headers['anthropic-beta'] = ANTHROPIC_OAUTH_BETA;
      } else {
        headers['x-api-key'] = key;
      }
      break;
    case 'gemini':
      headers['x-goog-api-key'] = key;
      break;
    case 'bearer':
      headers.authorization = `Bearer ${key}`;
      break;
  }
  return headers;
}

/** The provider's own words about a refusal (JSON `error.message`, `message`, `error`, `detail`…), with the key removed and scrubbed. */
export function providerWords(res: ProviderResponse, key: string): string | undefined {
  let text: string | undefined;
  const body = res.json;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const fields = body as Record<string, unknown>;
    const nested = fields.error !== null && typeof fields.error === 'object' ? (fields.error as Record<string, unknown>) : {};
    text = [nested.message, fields.message, fields.error, fields.error_description, fields.detail].find(
      (v): v is string => typeof v === 'string' && v.trim() !== '',
    );
  } else if ((res.headers.get('content-type') ?? '').startsWith('text/plain') && res.text.trim() !== '') {
    text = res.text;
  }
  if (text === undefined) return undefined;
  const withoutKey = text.split(key).join('[redacted]');
  return safeMessage(withoutKey, 200);
}

/** True for Gemini's way of refusing a key: HTTP 400 whose body names API_KEY_INVALID. */
function isGeminiInvalidKey(spec: ApiKeyProviderSpec, res: ProviderResponse): boolean {
  return spec.check.style === 'gemini' && res.status === 400 && res.text.includes('API_KEY_INVALID');
}

/**
 * Classifies the check's answer: 2xx accepts; 401/403 (and Gemini's 400 API_KEY_INVALID) reject with
 * the provider's words; anything else means the key could not be checked.
 */
export function classifyKeyCheck(spec: ApiKeyProviderSpec, res: ProviderResponse, key: string, where: string): void {
  if (res.status >= 200 && res.status < 300) return;
  if (res.status === 401 || res.status === 403 || isGeminiInvalidKey(spec, res)) {
    const words = providerWords(res, key);
    throw new ApiKeyRejectedError(
      `${spec.label} rejected the key (HTTP ${res.status})${words ? `: "${words}"` : ''}. Check that it was copied whole and is still active.`,
      res.status,
      words,
    );
  }
  const why = res.status === 429 ? 'is limiting requests' : res.status >= 500 ? 'is having trouble' : 'gave an unexpected answer';
  throw new ApiKeyUnverifiedError(`${spec.label} (${where}) ${why} (HTTP ${res.status}), so the key could not be checked.`, res.status);
}

/**
 * Checks `key` live with `spec`'s cheapest authenticated call (GET {base}{check.path}). Resolves when
 * the provider accepts it; ApiKeyRejectedError when it refuses; ApiKeyUnverifiedError when it cannot be
 * reached or answers otherwise. Cancellation rethrows the signal's reason.
 */
export async function verifyApiKey(ctx: ProviderContext, bounds: StepBounds, spec: ApiKeyProviderSpec, rawKey: string): Promise<void> {
  const key = normalizeApiKey(rawKey);
  const url = `${checkBaseUrl(ctx.config, spec, key)}${spec.check.path}`;
  const where = describeUrl(url);
  let res: ProviderResponse;
  try {
    res = await providerRequest(
      url,
      { method: 'GET', headers: keyHeaders(spec, key) },
      { signal: bounds.signal, deadline: bounds.deadline, clock: ctx.clock, timeoutMs: KEY_CHECK_TIMEOUT_MS },
    );
  } catch (error) {
    if (bounds.signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const status = error instanceof TransientProviderError ? error.status : undefined;
    throw new ApiKeyUnverifiedError(`${spec.label} could not be reached to check the key: ${safeMessage(message.split(key).join('[redacted]'))}`, status);
  }
  classifyKeyCheck(spec, res, key, where);
}

/** What a save returns: the entry as it may be shown (no key). */
export interface SavedKeyAccount {
  id: string;
  label: string;
  key_hint: string;
  /** False when the same key was already saved and its entry was updated instead. */
  created: boolean;
}

/** The object entries of a provider's pool as the file holds them (none when the pool or the list is missing or malformed). */
function existingEntries(store: AuthStore, provider: string): PoolEntry[] {
  const list: unknown = store.credential_pool?.[provider];
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is PoolEntry => e !== null && typeof e === 'object' && !Array.isArray(e));
}

/** True for an entry a person added by hand (`manual` or `manual:*`), as Hermes Agent's `_is_manual_source`. */
function isManual(entry: PoolEntry): boolean {
  const source = typeof entry.source === 'string' ? entry.source.trim().toLowerCase() : '';
  return source === MANUAL_SOURCE || source.startsWith(`${MANUAL_SOURCE}:`);
}

/** Inputs of one key entry save. */
interface KeyEntrySpec {
  provider: string;
  key: string;
  source: string;
  baseUrl: string;
  label: string | undefined;
  defaultLabel: (count: number) => string;
}

/**
 * Writes one api_key pool entry under the store lock: the manual entry holding the same key is updated
 * (label when one was given, base URL, health fields reset), else a new entry takes the next priority
 * (Hermes Agent's `CredentialPool.add_entry`). The provider's suppressed sources are cleared either way.
 */
async function saveKeyEntry(ctx: ProviderContext, home: string, spec: KeyEntrySpec): Promise<SavedKeyAccount> {
  return updateAuthStore(
    home,
    (store) => {
      const entries = existingEntries(store, spec.provider);
      const same = entries.find((e) => isManual(e) && e.access_token === spec.key);
      const fields: PoolEntry = same
        ? { id: same.id, ...(spec.label && { label: spec.label }), base_url: spec.baseUrl, ...POOL_STATUS_RESET }
        : {
            id: '', // upsertPoolEntry picks an id no entry has
            label: spec.label ?? spec.defaultLabel(entries.length),
            auth_type: 'api_key',
            priority: nextPriority(entries),
            source: spec.source,
            access_token: spec.key,
            ...POOL_STATUS_RESET,
            base_url: spec.baseUrl,
            request_count: 0,
          };
      const { entry, created } = upsertPoolEntry(store, spec.provider, fields, (e) => e === same);
      unsuppressSources(store, spec.provider);
      return { id: entry.id, label: String(entry.label ?? ''), key_hint: keyHint(spec.key), created };
    },
    { logger: ctx.logger, clock: ctx.clock },
  );
}

/** Saves an API key for `spec`'s provider as `hermes auth add <provider> --type api-key` does (see the module comment). */
export async function saveApiKey(
  ctx: ProviderContext,
  home: string,
  spec: ApiKeyProviderSpec,
  rawKey: string,
  opts: { label?: string } = {},
): Promise<SavedKeyAccount> {
  const key = normalizeApiKey(rawKey);
  const label = normalizeLabel(opts.label);
  return saveKeyEntry(ctx, home, {
    provider: spec.id,
    key,
    source: MANUAL_SOURCE,
    baseUrl: spec.baseUrl,
    label,
    defaultLabel: (count) => `api-key-${count + 1}`,
  });
}

/**
 * Saves the key an OpenRouter PKCE sign-in minted, as `hermes auth add openrouter --type oauth` does:
 * `auth_type: "api_key"`, `source: "manual:openrouter_pkce"`, `base_url: "https://openrouter.ai/api/v1"`,
 * label default `openrouter-oauth-<n>` (Hermes Agent's `label_from_token` fallback for a non-JWT key).
 */
export async function saveOpenRouterPkceKey(ctx: ProviderContext, home: string, rawKey: string, opts: { label?: string } = {}): Promise<SavedKeyAccount> {
  const key = normalizeApiKey(rawKey);
  return saveKeyEntry(ctx, home, {
    provider: OPENROUTER_PROVIDER_ID,
    key,
    source: OPENROUTER_PKCE_SOURCE,
    baseUrl: OPENROUTER_BASE_URL,
    label: normalizeLabel(opts.label),
    defaultLabel: (count) => `${OPENROUTER_PROVIDER_ID}-oauth-${count + 1}`,
  });
}
