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

/** Reads the provider's issuer override from the configuration (validated: plain http only for loopback), else `fallback`. */
export function resolveIssuer(config: ProviderConfig, providerId: string, fallback: string): IssuerChoice {
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
  return { url, overridden: Boolean(raw), loopback, insecure: loopback && parsed.protocol === 'http:', envName };
}
