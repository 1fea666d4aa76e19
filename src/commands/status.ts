/** `hermes-onboard status`: the providers of a profile, their accounts and each account's health, as GET /api/onboarding/providers lists them. */
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import type { AccountView, ProvidersPayload, ProviderView } from '../contract.js';
import { allProviders } from '../providers/index.js';
import { listProviders } from '../providers/listing.js';
import { providersPayload } from '../server/presenters.js';
import { systemClock } from '../util/clock.js';
import { targetProfile, UsageError } from './args.js';
import { formatTable, plain } from './terminal.js';

/** One account as table text: label, email and plan; `*` marks the account Hermes Agent uses first. */
function accountText(a: AccountView): string {
  const text = [a.label, a.email, a.plan].filter((part): part is string => Boolean(part)).map(plain).join(' · ');
  return `${a.used_first ? '* ' : '  '}${text}`;
}

/** An epoch-seconds time as `2026-01-01 14:00Z`. */
export function shortTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

/** The health column: `ok`, `exhausted: rate-limited until …`, `dead: sign in again`… */
function healthText(a: AccountView): string {
  const health = a.health ?? 'unknown';
  const detail = a.health_detail ? `: ${plain(a.health_detail)}` : '';
  const until = a.retry_at !== undefined ? ` until ${shortTime(a.retry_at)}` : '';
  const relogin = a.relogin_required && !/sign in again/.test(detail) ? ' (sign in again)' : '';
  return `${health}${detail}${until}${relogin}`;
}

/** The expiry column: the access token's expiry, when known. */
function expiryText(a: AccountView, nowS: number): string {
  if (typeof a.expires_at !== 'number') return '';
  return `${a.expires_at <= nowS ? 'expired ' : ''}${shortTime(a.expires_at)}`;
}

/** The status column of a provider. */
function providerStatus(p: ProviderView): string {
  if (p.connected) return 'connected';
  return p.supported ? 'not connected' : `not connected (use \`${p.terminal_command ?? `hermes auth add ${p.id}`}\`)`;
}

/** The payload as a table: one row per provider and account, then any sign-in errors Hermes Agent recorded. */
export function statusTable(payload: ProvidersPayload, home: string, nowMs: number = systemClock.now()): string {
  const nowS = nowMs / 1000;
  const rows: string[][] = [['PROVIDER', 'NAME', 'STATUS', 'ACCOUNT', 'HEALTH', 'SOURCE', 'EXPIRES']];
  const notes: string[] = [];
  for (const p of payload.providers) {
    const [first, ...rest] = p.accounts;
    const source = (a: AccountView) => [a.source, a.key_hint].filter((part): part is string => Boolean(part)).map(plain).join(' ');
    const cells = (a: AccountView | undefined) => (a ? [accountText(a), healthText(a), source(a), expiryText(a, nowS)] : []);
    rows.push([p.id, p.label, providerStatus(p), ...cells(first)]);
    for (const a of rest) rows.push(['', '', '', ...cells(a)]);
    const e = p.last_auth_error;
    if (e) {
      const why = [e.code, e.message].filter((part): part is string => Boolean(part)).map(plain).join(': ') || 'sign-in failed';
      notes.push(`${p.id}: Hermes Agent's last sign-in failed (${why})${e.relogin_required ? '; sign in again' : ''}.`);
    }
  }
  const legend = payload.providers.some((p) => p.accounts.some((a) => a.used_first)) ? '\n* = the account Hermes Agent uses first\n' : '';
  const noteText = notes.length > 0 ? `\n${notes.join('\n')}\n` : '';
  return `Profile: ${payload.profile} (${home})\n\n${formatTable(rows)}${legend}${noteText}`;
}

/** Runs `status [--profile NAME] [--home DIR] [--json]`; returns the exit code. */
export async function runStatus(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { profile: { type: 'string' }, home: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length > 0) throw new UsageError(`status takes no arguments; got "${plain(positionals[0]!).slice(0, 64)}".`);
  const target = targetProfile(values, config);
  const payload = providersPayload(target.profile, await listProviders(allProviders, target.home));
  process.stdout.write(values.json ? `${JSON.stringify(payload, null, 2)}\n` : statusTable(payload, target.home));
  return 0;
}
