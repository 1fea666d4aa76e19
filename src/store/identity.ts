/**
 * The one rule for "is this the same account?", used by every sign-in that saves into auth.json (Codex and
 * xAI deciding which entry a new login renews) and by "sign in again" (deciding whether the repair is the
 * same account or a new one). Accounts are told apart by what Hermes Agent keeps: the claims of the stored
 * access token (it drops other fields such as `account_id` or `sub` on its first write); saved hints count
 * only when the token has no readable claims. Claims are decoded, never verified: they name accounts, and
 * decide nothing about access.
 */
import { claimText, jwtClaims, text } from './hermesPool.js';

/** Who an account is, as far as its tokens and saved fields tell. */
export interface AccountIdentity {
  /** The provider's account or workspace id (OpenAI's `chatgpt_account_id`). */
  accountId?: string;
  /** The token's subject: the user. */
  sub?: string;
  /** Lower-cased. */
  email?: string;
}

const OPENAI_AUTH = 'https://api.openai.com/auth';
const OPENAI_PROFILE = 'https://api.openai.com/profile';

/** The identity a token's claims name (OpenAI's account claim, `sub`, `email`), or undefined when it is not a readable JWT. */
export function tokenIdentity(token: unknown): AccountIdentity | undefined {
  const claims = jwtClaims(token);
  if (!claims) return undefined;
  const accountId = claimText(claims, OPENAI_AUTH, 'chatgpt_account_id');
  const sub = claimText(claims, 'sub');
  const email = claimText(claims, 'email') ?? claimText(claims, OPENAI_PROFILE, 'email');
  return compact({ accountId, sub, email });
}

/**
 * Who a stored credential (a pool entry, a singleton's `tokens`, or a fresh login shaped like one) belongs
 * to: its access token's claims when they name an account or a subject; else its id token's; else the
 * saved hints `account_id` / `chatgpt_account_id`, `sub` and `email`.
 */
export function storedIdentity(stored: Readonly<Record<string, unknown>>): AccountIdentity {
  for (const token of [stored.access_token, stored.id_token]) {
    const id = tokenIdentity(token);
    if (id && isKnown(id)) return id;
  }
  const fromToken = tokenIdentity(stored.access_token) ?? tokenIdentity(stored.id_token) ?? {};
  return compact({
    accountId: text(stored.account_id) ?? text(stored.chatgpt_account_id),
    sub: text(stored.sub),
    email: fromToken.email ?? text(stored.email),
  });
}

/** True when the account id or the subject is known (an email alone is a weaker hint). */
export function isKnown(id: AccountIdentity): boolean {
  return id.accountId !== undefined || id.sub !== undefined;
}

/**
 * Whether two identities are the same account: when both know an account id or a subject, both must agree
 * (same account id and same subject, as OpenAI workspaces share one account id among their members); when
 * neither side is known that way, the emails decide; undefined when nothing can tell.
 */
export function sameAccount(a: AccountIdentity | undefined, b: AccountIdentity | undefined): boolean | undefined {
  if (!a || !b) return undefined;
  if (isKnown(a) && isKnown(b)) return a.accountId === b.accountId && a.sub === b.sub;
  if (isKnown(a) || isKnown(b)) return undefined;
  if (a.email && b.email) return a.email.toLowerCase() === b.email.toLowerCase();
  return undefined;
}

/** An identity without its empty fields, the email lower-cased. */
function compact(id: AccountIdentity): AccountIdentity {
  return {
    ...(id.accountId && { accountId: id.accountId }),
    ...(id.sub && { sub: id.sub }),
    ...(id.email && { email: id.email.toLowerCase() }),
  };
}
