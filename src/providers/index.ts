/** Every provider login Hermes Agent knows, and the lookup by id or alias. */
import { codexProvider } from './codex.js';
import { copilotProvider } from './copilot.js';
import { nousProvider } from './nous.js';
import { xaiProvider } from './xai.js';
import type { AnyProvider, Provider, UnsupportedProvider } from './types.js';

/** Logins Hermes Agent has that are not (yet) possible from the browser. */
export const unsupportedProviders: readonly UnsupportedProvider[] = [
  { id: 'anthropic', label: 'Anthropic Claude (Pro/Max)', kind: 'paste', aliases: ['claude'], supported: false },
  { id: 'qwen-oauth', label: 'Qwen', kind: 'device_code', aliases: ['qwen'], supported: false },
  { id: 'google-gemini-cli', label: 'Google Gemini', kind: 'link', aliases: ['gemini'], supported: false },
];

/** The providers that can be signed in to in-app, in display order. */
export const supportedProviders: readonly Provider[] = [codexProvider, nousProvider, xaiProvider, copilotProvider];

/** All known providers: supported first, then the others. */
export const allProviders: readonly AnyProvider[] = [...supportedProviders, ...unsupportedProviders];

/** Finds a provider by id or alias (case-insensitive), or undefined. */
export function findProvider(name: string, providers: readonly AnyProvider[] = allProviders): AnyProvider | undefined {
  const wanted = name.trim().toLowerCase();
  return providers.find((p) => p.id === wanted || p.aliases.includes(wanted));
}

/** The ids of the providers that can be signed in to here, for error messages. */
export function supportedIds(providers: readonly AnyProvider[] = allProviders): string[] {
  return providers.filter((p): p is Provider => p.supported).map((p) => p.id);
}
