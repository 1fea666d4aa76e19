/**
 * The OpenRouter provider (`openrouter`): the PKCE sign-in of openrouter.ts (kind `authorization_code`,
 * callback to this server or a pasted code) that mints a key saved as `hermes auth add openrouter --type
 * oauth` saves it, and a plain API key (POST /api/onboarding/keys) saved as `--type api-key` does.
 */
import { findApiKeyProvider, saveOpenRouterPkceKey } from './apiKeys.js';
import type { ApiKeyProviderSpec } from './apiKeyProviders.js';
import { ProviderError } from './errors.js';
import {
  authorizeUrl,
  callbackToken,
  callbackUrl,
  checkPastedCode,
  createPkce,
  exchangeCodeForKey,
  newCallbackNonce,
  OPENROUTER_CODE_LIFETIME_SECONDS,
  OPENROUTER_PROVIDER_ID,
  openrouterSite,
} from './openrouter.js';
import { poolAccountViews } from './poolCredentials.js';
import { defineProvider, type AuthorizationCodeProvider } from './types.js';

/** What a started OpenRouter sign-in keeps on the server. Holds the PKCE verifier. */
export interface OpenRouterSecret {
  site: string;
  codeVerifier: string;
}

/** What the exchange obtained: the minted key. */
export interface OpenRouterKey {
  key: string;
}

function spec(id: string): ApiKeyProviderSpec {
  const found = findApiKeyProvider(id);
  if (!found) throw new Error(`no API-key spec for ${id}`);
  return found;
}

/** The OpenRouter provider. */
export const openrouterProvider: AuthorizationCodeProvider<OpenRouterSecret, OpenRouterKey> = defineProvider<OpenRouterSecret, OpenRouterKey>({
  id: OPENROUTER_PROVIDER_ID,
  label: 'OpenRouter',
  kind: 'authorization_code',
  signIn: 'authorization_code',
  savesTo: 'pool',
  aliases: ['or', 'open-router'],
  supported: true,
  apiKey: spec(OPENROUTER_PROVIDER_ID),
  async begin(ctx, _bounds, options) {
    const site = openrouterSite(ctx.config).url;
    const { codeVerifier, codeChallenge } = await createPkce();
    let callback: string | undefined;
    let nonce: string | undefined;
    if (options?.callbackOrigin !== undefined) {
      nonce = newCallbackNonce();
      callback = callbackUrl(options.callbackOrigin, callbackToken(options.flowId, nonce), options.callbackPrefix);
    }
    return {
      authorizeUrl: authorizeUrl(site, codeChallenge, callback),
      ...(nonce !== undefined && { callbackNonce: nonce }),
      // OpenRouter honours a code for 10 minutes; the person needs a few more to sign in first
      expiresInSeconds: OPENROUTER_CODE_LIFETIME_SECONDS + 5 * 60,
      secret: { site, codeVerifier },
    };
  },
  async exchange(ctx, secret, code, bounds) {
    let checked: string;
    try {
      checked = checkPastedCode(code);
    } catch (error) {
      throw new ProviderError(`${(error as Error).message} Start the sign-in again.`);
    }
    const key = await exchangeCodeForKey(ctx, bounds, secret.site, checked, secret.codeVerifier);
    return { account: { label: 'OpenRouter' }, secret: { key } };
  },
  async save(ctx, home, credentials) {
    const saved = await saveOpenRouterPkceKey(ctx, home, credentials.secret.key);
    return { label: saved.label };
  },
  accounts(home) {
    return poolAccountViews(home, OPENROUTER_PROVIDER_ID);
  },
});
