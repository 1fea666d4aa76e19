/** `hermes-onboard status`: the providers of a profile and their saved accounts, as GET /api/onboarding/providers lists them. */
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import type { AccountView, ProvidersPayload } from '../contract.js';
import { allProviders } from '../providers/index.js';
import { listProviders } from '../providers/listing.js';
import { providersPayload } from '../server/presenters.js';
import { targetProfile, UsageError } from './args.js';
import { formatTable, plain } from './terminal.js';

/** One account as table text: label, email and plan. */
function accountText(a: AccountView): string {
  return [a.label, a.email, a.plan].filter((part): part is string => Boolean(part)).map(plain).join(' · ');
}

/** The payload as a table: one row per provider, one more per extra account. */
export function statusTable(payload: ProvidersPayload, home: string): string {
  const rows: string[][] = [['PROVIDER', 'NAME', 'STATUS', 'ACCOUNTS']];
  for (const p of payload.providers) {
    const status = p.connected ? 'connected' : p.supported ? 'not connected' : `not connected (use \`hermes auth add ${p.id}\`)`;
    const [first, ...rest] = p.accounts;
    rows.push([p.id, p.label, status, first ? accountText(first) : '']);
    for (const a of rest) rows.push(['', '', '', accountText(a)]);
  }
  return `Profile: ${payload.profile} (${home})\n\n${formatTable(rows)}`;
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
