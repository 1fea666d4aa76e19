/**
 * Linking the host's Claude Code sign-in to a Hermes profile (`anthropic`, kind `detect`), as Hermes WebUI
 * does it (api/oauth.py `_link_anthropic_credentials`): Anthropic restricts third-party apps running its
 * subscription OAuth, so no OAuth flow runs here. Hermes Agent reads Claude Code's own
 * `~/.claude/.credentials.json` (agent/anthropic_credentials.py `read_claude_code_credentials`) when
 * nothing in the profile's `.env` wins over it; linking therefore writes no secret:
 *
 *   - `claude_code` leaves `suppressed_sources.anthropic` (a `hermes auth remove` had suppressed it);
 *   - the secret-free marker entry Hermes WebUI writes (`source: "claude_code_linked"`) is upserted, so
 *     both tools agree the profile is linked;
 *   - only when asked, `ANTHROPIC_API_KEY` / `ANTHROPIC_TOKEN` leave the profile's `.env` (they would
 *     win over Claude Code's file in Hermes Agent), every other byte kept.
 *
 * The Claude Code token is never returned, logged or copied: this module only says whether the file
 * holds a linkable sign-in (`claudeAiOauth` with an access token that is unexpired, with Hermes Agent's
 * 60-second margin, or that comes with a refresh token).
 */
import type { ProviderConfig } from '../config.js';
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { updateAuthStore, upsertPoolEntry, type AuthStore, type PoolEntry } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { ProviderError } from './errors.js';
import { removeEnvValues } from '../store/envFile.js';
import { unsuppressSources } from '../store/providerState.js';
import { readRegularFile, UnsafeFileError } from '../store/safeOpen.js';
import { API_KEY_PROVIDERS, type ApiKeyProviderSpec } from './apiKeyProviders.js';
import { poolAccountViews } from './poolCredentials.js';
import { defineProvider, type AccountSummary, type DetectProvider, type PollOutcome, type ProviderContext } from './types.js';
import type { AbortLike } from '../util/abort.js';

export const ANTHROPIC_PROVIDER_ID = 'anthropic';
/** The suppressed source that blocks Hermes Agent from reading Claude Code's file. */
export const CLAUDE_CODE_SOURCE = 'claude_code';
/** `source` of Hermes WebUI's secret-free marker entry. */
export const CLAUDE_CODE_LINKED_SOURCE = 'claude_code_linked';
export const CLAUDE_CODE_LINK_LABEL = 'Claude Code (linked)';
/** The `.env` keys that would win over Claude Code's file in Hermes Agent (Hermes WebUI's `_ANTHROPIC_ENV_KEYS`). */
export const ANTHROPIC_ENV_KEYS = ['ANTHROPIC_TOKEN', 'ANTHROPIC_API_KEY'] as const;
/** An access token counts as expired this long before its `expiresAt` (Hermes Agent's `is_claude_code_token_valid`). */
export const CLAUDE_CODE_EXPIRY_MARGIN_MS = 60_000;
/** How often the file is looked at when no file-system event arrives (Hermes WebUI polls every 5 s). */
export const CLAUDE_CODE_POLL_INTERVAL_MS = 5_000;
/** Largest credentials file read; Claude Code's is a few hundred bytes. */
const MAX_CREDENTIALS_BYTES = 256 * 1024;

/** What `${CLAUDE_CONFIG_DIR:-~/.claude}/.credentials.json` holds, without any secret from it. */
export type ClaudeCodeCredentialState =
  | { linkable: true; file: string; accessTokenValid: boolean; refreshable: boolean; expiresAt?: number }
  | { linkable: false; file: string; reason: 'missing' | 'unreadable' | 'malformed' | 'no_oauth' | 'expired' };

/**
 * Where Claude Code keeps its sign-in: `$CLAUDE_CONFIG_DIR/.credentials.json` when set (a leading `~`
 * expanded), else `~/.claude/.credentials.json`. `userHome` defaults to `env.HOME`, then the OS's.
 */
export function claudeCodeCredentialsPath(config: Pick<ProviderConfig, 'claudeConfigDir' | 'userHome'>): string {
  const userHome = config.userHome || os.homedir();
  const configured = config.claudeConfigDir?.trim();
  const dir = configured
    ? configured === '~' || configured.startsWith('~/')
      ? path.join(userHome, configured.slice(1))
      : path.resolve(configured)
    : path.join(userHome, '.claude');
  return path.join(dir, '.credentials.json');
}

/**
 * Reads the file (at most MAX_CREDENTIALS_BYTES) as text without a BOM; a failure names why. Opened as the
 * store opens a user's files (O_NOFOLLOW | O_NONBLOCK): a FIFO planted there cannot hold a thread, and a
 * link cannot point the server at another file; either is "unreadable", anything but a file "malformed".
 */
async function readCredentialsText(file: string): Promise<string | 'missing' | 'unreadable' | 'malformed'> {
  try {
    const read = await readRegularFile(file);
    if (read === undefined) return 'missing';
    if (read.stat.size > MAX_CREDENTIALS_BYTES) return 'malformed';
    return read.bytes.toString('utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    if (error instanceof UnsafeFileError) return error.reason === 'symlink' ? 'unreadable' : 'malformed';
    const code = (error as NodeJS.ErrnoException | null)?.code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  }
}

/**
 * Decides whether Claude Code's file holds a sign-in Hermes Agent can use: `claudeAiOauth.accessToken`
 * present, and either unexpired (`expiresAt` in ms, minus a minute; no `expiresAt` means a managed key,
 * valid) or backed by a `refreshToken` Hermes Agent refreshes with. Returns no token, only facts.
 */
export async function inspectClaudeCodeCredentials(file: string, nowMs: number): Promise<ClaudeCodeCredentialState> {
  const text = await readCredentialsText(file);
  if (text === 'missing' || text === 'unreadable' || text === 'malformed') return { linkable: false, file, reason: text };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { linkable: false, file, reason: 'malformed' };
  }
  const oauth = data !== null && typeof data === 'object' ? (data as Record<string, unknown>).claudeAiOauth : undefined;
  if (oauth === null || typeof oauth !== 'object' || Array.isArray(oauth)) return { linkable: false, file, reason: 'no_oauth' };
  const fields = oauth as Record<string, unknown>;
  if (typeof fields.accessToken !== 'string' || fields.accessToken === '') return { linkable: false, file, reason: 'no_oauth' };
  const expiresAt = typeof fields.expiresAt === 'number' && Number.isFinite(fields.expiresAt) && fields.expiresAt > 0 ? fields.expiresAt : undefined;
  const accessTokenValid = expiresAt === undefined || nowMs < expiresAt - CLAUDE_CODE_EXPIRY_MARGIN_MS;
  const refreshable = typeof fields.refreshToken === 'string' && fields.refreshToken !== '';
  if (!accessTokenValid && !refreshable) return { linkable: false, file, reason: 'expired' };
  return { linkable: true, file, accessTokenValid, refreshable, ...(expiresAt !== undefined && { expiresAt }) };
}

/** What to tell a person whose host has no linkable Claude Code sign-in (the `action_required` text). */
export function claudeCodeActionRequired(state: ClaudeCodeCredentialState, host: string = os.hostname()): string {
  const where = `on ${host}`;
  const base = `Run \`claude login\` (or \`claude setup-token\`) in a terminal ${where}, as the user running hermes-onboard; it is linked as soon as ${state.file} appears.`;
  if (state.linkable) return '';
  if (state.reason === 'expired') return `The Claude Code sign-in ${where} has expired and cannot be refreshed. ${base}`;
  if (state.reason === 'unreadable') return `${state.file} exists ${where} but cannot be read by this server; check its owner and permissions.`;
  if (state.reason === 'malformed') return `${state.file} ${where} is not a Claude Code credentials file. ${base}`;
  return `Claude Code is not signed in ${where}. ${base}`;
}

/** One detect poll, PollOutcome-shaped: approved (grant: the file's path, no secret) when linkable, else pending. */
export async function pollClaudeCode(ctx: ProviderContext): Promise<PollOutcome> {
  const state = await inspectClaudeCodeCredentials(claudeCodeCredentialsPath(ctx.config), ctx.clock.now());
  return state.linkable ? { kind: 'approved', grant: { file: state.file } } : { kind: 'pending' };
}

/** Options of waitForClaudeCodeCredentials. */
export interface WaitOptions {
  file: string;
  clock: Clock;
  signal: AbortLike;
  /** Fallback poll interval (default 5 s), for file systems where fs.watch says nothing. */
  pollIntervalMs?: number;
  /** Set false to rely on polling alone. */
  watch?: boolean;
  /** Called after each look at the file (tests and progress reports). */
  onCheck?: (state: ClaudeCodeCredentialState) => void;
}

/**
 * Resolves once `file` holds a linkable sign-in: looks at once, then again on every fs.watch event in
 * its folder (and its parent, while the folder itself does not exist yet) and every `pollIntervalMs` of
 * `clock` time. Rejects with the signal's reason when aborted; watchers and timers are always released.
 */
export function waitForClaudeCodeCredentials(opts: WaitOptions): Promise<ClaudeCodeCredentialState & { linkable: true }> {
  const interval = opts.pollIntervalMs ?? CLAUDE_CODE_POLL_INTERVAL_MS;
  return new Promise((resolve, reject) => {
    const watchers = new Map<string, FSWatcher>();
    let cancelTimer: () => void = () => {};
    let done = false;
    let checking = false;
    let again = false;

    const finish = (action: () => void) => {
      if (done) return;
      done = true;
      cancelTimer();
      for (const w of watchers.values()) w.close();
      watchers.clear();
      opts.signal.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = () => finish(() => reject(opts.signal.reason));

    /** Starts watching `dir`; true when a new watcher was set up (a change just before it may have been missed). */
    const watchDir = (dir: string): boolean => {
      if (opts.watch === false || watchers.has(dir) || done) return false;
      try {
        const w = watch(dir, { persistent: false }, () => void check());
        w.on('error', () => {
          w.close();
          watchers.delete(dir);
        });
        watchers.set(dir, w);
        return true;
      } catch {
        return false; // the folder is missing or cannot be watched: the poll still finds the file
      }
    };
    /** Watches the file's folder, or its parent while the folder is missing; true when a watcher was added. */
    const refreshWatchers = (): boolean => {
      const dir = path.dirname(opts.file);
      const parent = path.dirname(dir);
      const added = watchDir(dir);
      if (watchers.has(dir)) {
        watchers.get(parent)?.close();
        watchers.delete(parent);
        return added;
      }
      return watchDir(parent) || added;
    };
    const schedule = () => {
      cancelTimer = opts.clock.setTimer(interval, () => void check());
    };

    async function check(): Promise<void> {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      cancelTimer();
      try {
        do {
          again = false;
          const state = await inspectClaudeCodeCredentials(opts.file, opts.clock.now());
          if (done) return;
          opts.onCheck?.(state);
          if (state.linkable) return finish(() => resolve(state));
          // a new watcher cannot have seen what happened before it existed: look once more
          if (refreshWatchers()) again = true;
        } while (again && !done);
      } catch (error) {
        return finish(() => reject(error));
      } finally {
        checking = false;
      }
      if (!done) schedule();
    }

    if (opts.signal.aborted) return reject(opts.signal.reason);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    void check();
  });
}

/** What linking did. */
export interface ClaudeCodeLinkResult {
  account: AccountSummary;
  /** The marker entry's id. */
  entryId: string;
  /** The `.env` keys removed (only when `clearEnvKeys` was asked). */
  clearedEnvKeys: string[];
}

/** A marker id in Hermes WebUI's form: `anthropic-claude-code-` + 12 hex characters. */
function markerId(): string {
  return `anthropic-claude-code-${randomBytes(6).toString('hex')}`;
}

/**
 * Links the profile at `home` to Claude Code's sign-in (see the module comment). Checks the file again
 * first (it may have gone since it was detected): a ProviderError when it is no longer linkable, and
 * nothing is written. With `clearEnvKeys`, ANTHROPIC_TOKEN / ANTHROPIC_API_KEY leave `<home>/.env` first
 * (as Hermes WebUI orders it), then auth.json is updated under its lock.
 */
export async function linkClaudeCode(
  ctx: ProviderContext,
  home: string,
  opts: { clearEnvKeys?: boolean; credentialsFile?: string } = {},
): Promise<ClaudeCodeLinkResult> {
  const file = opts.credentialsFile ?? claudeCodeCredentialsPath(ctx.config);
  const state = await inspectClaudeCodeCredentials(file, ctx.clock.now());
  if (!state.linkable) throw new ProviderError(`Claude Code's sign-in is no longer there to link. ${claudeCodeActionRequired(state)}`);
  const clearedEnvKeys = opts.clearEnvKeys
    ? await removeEnvValues(path.join(home, '.env'), ANTHROPIC_ENV_KEYS, { clock: ctx.clock })
    : [];
  const nowIso = new Date(ctx.clock.now()).toISOString();
  const entryId = await updateAuthStore(
    home,
    (store) => {
      const list: unknown = store.credential_pool?.[ANTHROPIC_PROVIDER_ID];
      const existing = Array.isArray(list)
        ? (list as unknown[]).find(
            (e): e is PoolEntry => e !== null && typeof e === 'object' && (e as Record<string, unknown>).source === CLAUDE_CODE_LINKED_SOURCE,
          )
        : undefined;
      const marker: PoolEntry = {
        id: existing?.id ?? markerId(),
        label: CLAUDE_CODE_LINK_LABEL,
        auth_type: 'oauth',
        priority: 0,
        source: CLAUDE_CODE_LINKED_SOURCE,
        ...(existing ? {} : { created_at: nowIso }),
        updated_at: nowIso,
      };
      const { entry } = upsertMarker(store, marker, existing);
      unsuppressSources(store, ANTHROPIC_PROVIDER_ID, CLAUDE_CODE_SOURCE);
      return entry.id;
    },
    { logger: ctx.logger, clock: ctx.clock },
  );
  ctx.logger.info({ provider: ANTHROPIC_PROVIDER_ID, clearedEnvKeys }, 'linked the Claude Code sign-in');
  return { account: { label: CLAUDE_CODE_LINK_LABEL }, entryId, clearedEnvKeys };
}

/** Upserts the marker: updates `existing` in place (keeping its id and created_at), else appends it. */
function upsertMarker(store: AuthStore, marker: PoolEntry, existing: PoolEntry | undefined): { entry: PoolEntry } {
  return upsertPoolEntry(store, ANTHROPIC_PROVIDER_ID, marker, (e) => e === existing);
}

/** How long a Claude Code link waits for the file (the usual 15 minutes of a sign-in). */
export const CLAUDE_CODE_LINK_LIFETIME_SECONDS = 15 * 60;

/** What a started link keeps: the file watched and the person's choice about `.env`. No secret. */
export interface ClaudeCodeLinkSecret {
  file: string;
  clearEnvKeys: boolean;
}

/**
 * The Claude Code link (`anthropic`, kind `detect`): looks for a linkable sign-in in Claude Code's file
 * every 5 s of the flow's clock until it appears (or the flow ends), then links it (see linkClaudeCode).
 * `clear_env_keys` in the start body also drops ANTHROPIC_API_KEY / ANTHROPIC_TOKEN from the `.env`.
 */
export const claudeCodeProvider: DetectProvider<ClaudeCodeLinkSecret, ClaudeCodeLinkSecret> = defineProvider<ClaudeCodeLinkSecret, ClaudeCodeLinkSecret>({
  id: ANTHROPIC_PROVIDER_ID,
  label: 'Anthropic Claude',
  kind: 'detect',
  signIn: 'detect',
  savesTo: 'pool',
  aliases: ['claude', 'claude-code'],
  supported: true,
  startOptions: ['clear_env_keys'],
  apiKey: anthropicKeySpec(),
  async begin(ctx, _bounds, options) {
    const file = claudeCodeCredentialsPath(ctx.config);
    const state = await inspectClaudeCodeCredentials(file, ctx.clock.now());
    return {
      actionRequired: state.linkable ? `Claude Code's sign-in was found in ${file}; linking it.` : claudeCodeActionRequired(state),
      expiresInSeconds: CLAUDE_CODE_LINK_LIFETIME_SECONDS,
      intervalSeconds: CLAUDE_CODE_POLL_INTERVAL_MS / 1000,
      secret: { file, clearEnvKeys: options?.clearEnvKeys === true },
    };
  },
  async detect(ctx, secret) {
    const state = await inspectClaudeCodeCredentials(secret.file, ctx.clock.now());
    return state.linkable ? { account: { label: CLAUDE_CODE_LINK_LABEL }, secret } : undefined;
  },
  async save(ctx, home, credentials) {
    const linked = await linkClaudeCode(ctx, home, { clearEnvKeys: credentials.secret.clearEnvKeys, credentialsFile: credentials.secret.file });
    return linked.account;
  },
  accounts(home) {
    return poolAccountViews(home, ANTHROPIC_PROVIDER_ID);
  },
});

function anthropicKeySpec(): ApiKeyProviderSpec {
  const spec = API_KEY_PROVIDERS.find((p) => p.id === ANTHROPIC_PROVIDER_ID);
  if (!spec) throw new Error('no API-key spec for anthropic');
  return spec;
}
