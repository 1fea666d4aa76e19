/** This program's side of the interop tests: sign-ins saved with the providers' own save functions. */
import { codexAccount, codexProvider, type CodexTokens } from '../../src/providers/codex.js';
import { copilotProvider } from '../../src/providers/copilot.js';
import { nousProvider, nousState } from '../../src/providers/nous.js';
import { xaiProvider, xaiTokens } from '../../src/providers/xai.js';
import type { ProviderContext } from '../../src/providers/types.js';
import type { TokenAnswer } from '../../src/providers/rfc8628.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { codexAccessToken, jwt, refreshToken } from './hermes.js';
import { loadConfig } from '../../src/config.js';

const XAI_TOKEN_TTL = 900;

/** The context of a save: the wall clock (Hermes Agent reads it too), no issuer overrides. */
export const ctx: ProviderContext = { clock: systemClock, config: loadConfig({}), logger: silentLogger() };

/** An OpenAI account of the tests. */
export interface CodexAccount {
  accountId: string;
  sub: string;
  email?: string;
  plan?: string;
}

/** Fresh tokens of `account`, as OpenAI's token endpoint would issue them (claims in the access token). */
export async function codexTokens(account: CodexAccount): Promise<CodexTokens> {
  return { accessToken: await codexAccessToken(account), refreshToken: refreshToken('codex'), accountId: account.accountId, sub: account.sub };
}

/** Saves a Codex sign-in of `account` into `home`; returns the tokens saved. */
export async function saveCodex(home: string, account: CodexAccount): Promise<CodexTokens> {
  const tokens = await codexTokens(account);
  await codexProvider.save(ctx, home, { account: codexAccount(tokens), secret: tokens });
  return tokens;
}

/**
 * Fresh xAI tokens for `sub`: a JWT access token naming the account, living 15 minutes as those of xAI's
 * device-code logins do (Hermes Agent refreshes longer-lived ones an hour before they expire).
 */
export async function xaiAnswer(sub: string, email?: string): Promise<TokenAnswer> {
  const claims = { sub, ...(email && { email }) };
  return {
    access_token: await jwt(claims, XAI_TOKEN_TTL),
    refresh_token: refreshToken('xai'),
    id_token: await jwt({ ...claims, aud: 'xai' }),
    token_type: 'bearer',
    expires_in: XAI_TOKEN_TTL,
  } as TokenAnswer;
}

/** Saves an xAI sign-in into `home`; returns the token answer saved. */
export async function saveXai(home: string, sub: string, email?: string): Promise<TokenAnswer> {
  const answer = await xaiAnswer(sub, email);
  // save() describes the account from the tokens itself; the label here is not used
  await xaiProvider.save(ctx, home, { account: { label: 'xAI Grok' }, secret: xaiTokens(answer) });
  return answer;
}

/** A Nous Portal token answer: an inference JWT (scope and exp) and a refresh token. */
export async function nousAnswer(): Promise<TokenAnswer> {
  return {
    access_token: await jwt({ sub: 'nous-user', scope: 'inference:invoke' }),
    refresh_token: refreshToken('nous'),
    token_type: 'bearer',
    expires_in: 3600,
    scope: 'inference:invoke',
  } as TokenAnswer;
}

/** Saves a Nous sign-in into `home`; returns the state saved. */
export async function saveNous(home: string, answer?: TokenAnswer): Promise<ReturnType<typeof nousState>> {
  const state = nousState(answer ?? (await nousAnswer()), 'https://portal.nousresearch.com', Date.now());
  await nousProvider.save(ctx, home, { account: { label: 'Nous Portal' }, secret: state });
  return state;
}

/** Saves a Copilot sign-in (a GitHub OAuth token) into `home`; returns the token. */
export async function saveCopilot(home: string): Promise<string> {
  const token = `gho_${refreshToken('copilot').replace(/[^A-Za-z0-9]/g, '')}`;
  await copilotProvider.save(ctx, home, { account: { label: 'GitHub Copilot' }, secret: { token } });
  return token;
}
