/**
 * Reading a JWT's claims to label an account. The claims are decoded, never verified: they may name an
 * account on screen or in auth.json, and must never decide who may do what. The decoding itself is the
 * store's (store/hermesPool.ts jwtClaims/claimText); this module knows which claims OpenAI's tokens carry.
 */
import type { JWTPayload } from 'jose';
import { claimText, jwtClaims } from '../store/hermesPool.js';

/** The first non-empty string found at any of `paths`, looking through each token's claims in order. */
export function firstClaim(claimSets: Array<JWTPayload | undefined>, paths: string[][]): string | undefined {
  for (const claims of claimSets) {
    for (const path of paths) {
      const value = claimText(claims, ...path);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/** Who an OpenAI (ChatGPT) token belongs to, as its claims say. Every field is optional. */
export interface OpenAiAccountClaims {
  /** `https://api.openai.com/auth`.`chatgpt_account_id`: the ChatGPT account or workspace. */
  accountId?: string;
  /** The token's subject (the user). */
  sub?: string;
  email?: string;
  /** `https://api.openai.com/auth`.`chatgpt_plan_type`, e.g. `plus`, `pro`, `team`. */
  plan?: string;
}

const OPENAI_AUTH = 'https://api.openai.com/auth';
const OPENAI_PROFILE = 'https://api.openai.com/profile';

/** Reads OpenAI's account claims from the given tokens (id token first, then access token); ignores unreadable ones. */
export function openAiAccountClaims(...tokens: unknown[]): OpenAiAccountClaims {
  const claimSets = tokens.map(jwtClaims).filter((c): c is JWTPayload => c !== undefined);
  const out: OpenAiAccountClaims = {};
  const fields: Array<[keyof OpenAiAccountClaims, string[][]]> = [
    ['accountId', [[OPENAI_AUTH, 'chatgpt_account_id']]],
    ['sub', [['sub']]],
    ['email', [['email'], [OPENAI_PROFILE, 'email']]],
    ['plan', [[OPENAI_AUTH, 'chatgpt_plan_type']]],
  ];
  for (const [field, paths] of fields) {
    const value = firstClaim(claimSets, paths);
    if (value !== undefined) out[field] = value;
  }
  return out;
}
