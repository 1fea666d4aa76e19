/** Every provider login Hermes Agent knows, and the lookup by id or alias. */
import { API_KEY_PROVIDERS, type ApiKeyProviderSpec } from './apiKeyProviders.js';
import { claudeCodeProvider } from './claudeCode.js';
import { codexProvider } from './codex.js';
import { copilotProvider } from './copilot.js';
import { minimaxProvider } from './minimax.js';
import { nousProvider } from './nous.js';
import { openrouterProvider } from './openrouterSignIn.js';
import { poolAccountViews } from './poolCredentials.js';
import { xaiProvider } from './xai.js';
import { isInteractive, type AnyProvider, type KeyProvider, type Provider, type UnsupportedProvider } from './types.js';

/** Logins Hermes Agent has that are not (yet) possible here. */
export const unsupportedProviders: readonly UnsupportedProvider[] = [
  // `hermes auth add` knows the Qwen login (_OAUTH_ADD_SPECS) but not Google's: that one runs from
  // `hermes model` when Google Gemini (OAuth) is chosen (hermes_cli/main.py, _model_flow_google_gemini_cli)
  { id: 'qwen-oauth', label: 'Qwen', kind: 'device_code', aliases: ['qwen'], supported: false, terminalCommand: 'hermes auth add qwen-oauth' },
  { id: 'google-gemini-cli', label: 'Google Gemini (OAuth)', kind: 'link', aliases: ['gemini-cli'], supported: false, terminalCommand: 'hermes model' },
];

/** The providers whose sign-in can be started here, in display order. */
export const supportedProviders: readonly Provider[] = [
  codexProvider,
  openrouterProvider,
  claudeCodeProvider,
  nousProvider,
  xaiProvider,
  copilotProvider,
  minimaxProvider,
];

/** A provider connected by an API key only, from its registry spec. */
function keyProvider(spec: ApiKeyProviderSpec): KeyProvider {
  return {
    id: spec.id,
    label: spec.label,
    kind: 'api_key',
    signIn: 'api_key',
    aliases: spec.aliases,
    supported: true,
    apiKey: spec,
    savesTo: 'pool',
    accounts: (home) => poolAccountViews(home, spec.id),
  };
}

/** The providers that take only an API key (those with a sign-in too take theirs through it). */
export const keyProviders: readonly KeyProvider[] = API_KEY_PROVIDERS.filter(
  (spec) => !supportedProviders.some((p) => p.id === spec.id),
).map(keyProvider);

/** All known providers: sign-ins first, then API keys, then the others. */
export const allProviders: readonly AnyProvider[] = [...supportedProviders, ...keyProviders, ...unsupportedProviders];

/** Finds a provider by id, else by alias (case-insensitive, trimmed), or undefined. An id always wins over another provider's alias. */
export function findProvider(name: string, providers: readonly AnyProvider[] = allProviders): AnyProvider | undefined {
  const wanted = name.trim().toLowerCase();
  return providers.find((p) => p.id === wanted) ?? providers.find((p) => p.aliases.includes(wanted));
}

/**
 * The provider a name means where only some providers apply: one `wanted` accepts (by id, then alias),
 * else any. So `xai` starts the xAI sign-in (`xai-oauth`, whose alias it is) but names the xAI API-key
 * provider when a key is added, as Hermes Agent's `hermes auth add xai` does.
 */
export function findProviderFor(
  name: string,
  wanted: (provider: AnyProvider) => boolean,
  providers: readonly AnyProvider[] = allProviders,
): AnyProvider | undefined {
  return findProvider(name, providers.filter(wanted)) ?? findProvider(name, providers);
}

/** The ids of the providers whose sign-in can be started here, for error messages. */
export function supportedIds(providers: readonly AnyProvider[] = allProviders): string[] {
  return providers.filter(isInteractive).map((p) => p.id);
}

/** The ids of the providers that take an API key here, for error messages. */
export function keyProviderIds(providers: readonly AnyProvider[] = allProviders): string[] {
  return providers.filter((p) => p.supported && (p.signIn === 'api_key' || p.apiKey !== undefined)).map((p) => p.id);
}

/** The API-key spec of a provider, when it takes a key here. */
export function keySpecOf(provider: AnyProvider): ApiKeyProviderSpec | undefined {
  return provider.supported ? provider.apiKey : undefined;
}

/**
 * The API-key spec of the provider `name` names (id or alias), or why there is none, listing the providers that
 * take a key: one lookup and one message for the API (400 unknown_provider) and the terminal (usage error).
 * `name` is echoed cut to 64 characters; the caller makes it safe for its output.
 */
export function keySpecNamed(name: string, providers: readonly AnyProvider[] = allProviders): { spec: ApiKeyProviderSpec } | { refusal: string } {
  const provider = findProviderFor(name, (p) => keySpecOf(p) !== undefined, providers);
  const spec = provider && keySpecOf(provider);
  if (spec) return { spec };
  const why = provider ? `${provider.label} does not take an API key here` : `Unknown provider "${name.slice(0, 64)}"`;
  return { refusal: `${why}. Providers that take an API key: ${keyProviderIds(providers).join(', ')}.` };
}
