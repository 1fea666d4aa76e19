/** Which authorization server a provider talks to: its real one, or HERMES_ONBOARD_<PROVIDER>_ISSUER. */
import type { ProviderConfig } from '../config.js';
import { checkIssuerUrl, isLoopbackHost, issuerEnvName } from '../util/http.js';
import { ProviderError } from './errors.js';

/** The issuer a provider uses: its real one, or the override from the environment. */
export interface IssuerChoice {
  /** Base URL without a trailing slash. */
  url: string;
  /** True when HERMES_ONBOARD_<PROVIDER>_ISSUER set it. */
  overridden: boolean;
  /** True when it is a loopback address. */
  loopback: boolean;
  /** True when plain http is in use (allowed for loopback only). */
  insecure: boolean;
  /** The environment variable that overrides it, named in messages. */
  envName: string;
}

/**
 * Choices made, per configuration (read once at start-up and never changed): every sign-in asks, and a fresh
 * URL parse and issuer string per flow was garbage at every start and a string kept by every pending flow.
 */
const chosen = new WeakMap<ProviderConfig['issuers'], Map<string, IssuerChoice>>();

/** Reads the provider's issuer override from the configuration (validated: plain http only for loopback), else `fallback`. */
export function resolveIssuer(config: ProviderConfig, providerId: string, fallback: string): IssuerChoice {
  let byProvider = chosen.get(config.issuers);
  const key = `${providerId} ${fallback}`;
  const known = byProvider?.get(key);
  if (known) return known;
  const choice = chooseIssuer(config, providerId, fallback);
  if (!byProvider) chosen.set(config.issuers, (byProvider = new Map()));
  byProvider.set(key, choice);
  return choice;
}

function chooseIssuer(config: ProviderConfig, providerId: string, fallback: string): IssuerChoice {
  const envName = issuerEnvName(providerId);
  const raw = config.issuers[envName]?.trim();
  let url: string;
  try {
    url = checkIssuerUrl(raw || fallback, envName);
  } catch (error) {
    throw new ProviderError((error as Error).message);
  }
  const parsed = new URL(url);
  const loopback = isLoopbackHost(parsed.hostname);
  return Object.freeze({ url, overridden: Boolean(raw), loopback, insecure: loopback && parsed.protocol === 'http:', envName });
}
