/**
 * `hermes-onboard logout <provider> [--account <id|label>]`: removes one account, or signs the provider out
 * of the profile, with Hermes Agent's side effects (the same code as DELETE /api/onboarding/accounts and
 * POST /api/onboarding/logout). `--revoke` revokes the sign-in at the provider first (every device using it
 * is signed out). A person at a terminal is asked to confirm, naming what goes; `--yes` skips the question,
 * and a script (stdin not a terminal) is not asked, as Hermes Agent's `hermes auth remove` does not ask.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { findProvider } from '../providers/index.js';
import { revocationSummary, removeOne, signOutProvider, type SignOutOutcome } from '../providers/signOut.js';
import { supportsRevocation } from '../providers/revoke.js';
import type { ProviderContext } from '../providers/types.js';
import { checkProviderId } from '../store/hermesPool.js';
import { readProviderHealth, type AccountHealthView } from '../store/health.js';
import { systemClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { targetProfile, UsageError } from './args.js';
import { plain, type Output } from './terminal.js';

/** The warning printed before a revocation. */
export const REVOKE_WARNING = 'Revoking ends the sign-in at the provider: every device and program using it is signed out, not only Hermes Agent.';

/** The terminal a command talks to (tests pass their own). */
export interface Terminal {
  out: Output;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Runs `logout <provider> [--account ID|LABEL] [--profile NAME] [--home DIR] [--revoke] [--yes]`; returns the exit code. */
export async function runLogout(argv: string[], config: Config, term: Terminal = { out: process.stdout, input: process.stdin }): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      profile: { type: 'string' },
      home: { type: 'string' },
      revoke: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    },
  });
  const [name, ...extra] = positionals;
  if (!name) throw new UsageError('Name the provider to sign out: hermes-onboard logout <provider> [--account <id|label>].');
  if (extra.length > 0) throw new UsageError(`logout takes one provider; got also "${plain(extra[0]!).slice(0, 64)}".`);
  const known = findProvider(name);
  const providerId = known?.id ?? name.trim();
  checkProviderId(providerId);
  const target = targetProfile(values, config);
  const accounts = (await readProviderHealth(target.home, providerId, { clock: systemClock })).accounts;
  const account = values.account !== undefined ? pickAccount(accounts, values.account, providerId) : undefined;
  const label = known?.label ?? providerId;

  const what = account ? `${plain(account.label)} (${account.id}) from ${label}` : `every credential of ${label}`;
  if (values.revoke) term.out.write(`${supportsRevocation(providerId) ? REVOKE_WARNING : `${label} offers no way to revoke a sign-in; only the local credential is removed.`}\n`);
  if (!values.yes && term.input.isTTY) {
    const question = `Remove ${what} in profile ${target.profile}${values.revoke ? ', revoking it at the provider' : ''}? [y/N] `;
    if (!(await confirm(term, question))) {
      term.out.write('Nothing was changed.\n');
      return 1;
    }
  }

  const ctx: ProviderContext = { clock: systemClock, config, logger: silentLogger() };
  const outcome = account
    ? await removeOne(ctx, target.home, providerId, account.id, { revoke: values.revoke === true })
    : await signOutProvider(ctx, target.home, providerId, { revoke: values.revoke === true });
  term.out.write(report(outcome, label, target.profile));
  return 0;
}

/** The account named by `--account`: its id, else its label or email (case-insensitive, one match). */
function pickAccount(accounts: readonly AccountHealthView[], wanted: string, provider: string): { id: string; label: string } {
  const byId = accounts.find((a) => a.id === wanted);
  if (byId) return byId;
  const w = wanted.trim().toLowerCase();
  const matches = accounts.filter((a) => a.label.toLowerCase() === w || a.email?.toLowerCase() === w);
  const list = accounts.map((a) => `${a.id} (${plain(a.label)})`).join(', ') || 'none';
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`More than one ${provider} account is called "${plain(wanted).slice(0, 64)}"; name it by id: ${list}.`);
  // an id the read-out does not list (e.g. a seeded entry Hermes Agent has not written yet): the removal decides
  if (matches.length === 0 && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(wanted) && !accounts.some((a) => a.label.toLowerCase() === w)) {
    return { id: wanted, label: wanted };
  }
  throw new UsageError(`${provider} has no account "${plain(wanted).slice(0, 64)}" in this profile. Accounts: ${list}.`);
}

/** Asks a yes/no question on the terminal; true for y or yes. */
async function confirm(term: Terminal, question: string): Promise<boolean> {
  const rl = createInterface({ input: term.input, output: term.out });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** What was done, as lines for a person. */
function report(outcome: SignOutOutcome, label: string, profile: string): string {
  const { removal } = outcome;
  const lines: string[] = [];
  if (removal.removed.length === 0) lines.push(`Nothing of ${label} was saved in profile ${profile}.`);
  for (const a of removal.removed) lines.push(`Removed ${plain(a.label)} (${a.id}) from ${label} in profile ${profile}.`);
  for (const c of removal.cleaned) lines.push(plain(c));
  if (removal.activeProviderCleared) lines.push(`${label} is no longer the active provider.`);
  const { revoked, notes } = revocationSummary(outcome.revocations);
  if (outcome.revocations && revoked === false) lines.push('Revoking at the provider FAILED.');
  lines.push(...notes.map(plain), ...removal.hints.map(plain));
  return `${lines.join('\n')}\n`;
}
