/**
 * Removing one account, or signing a provider out, with Hermes Agent's side effects (hermes_cli/auth_commands.py
 * auth_remove_command, agent/credential_sources.py removal steps, hermes_cli/auth.py clear_provider_auth):
 * the pool entry goes and the rest are renumbered; a `providers.<id>` singleton the entry was seeded from
 * goes; Copilot's COPILOT_GITHUB_TOKEN leaves `.env` (every other byte kept); every source Hermes Agent would
 * seed again on its next start is added to `suppressed_sources`; `active_provider` is cleared when it names
 * a provider left with no credential. One locked, atomic read-modify-write of auth.json (unknown keys kept).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { updateAuthStore, type AuthStore, type UpdateOptions } from './authStore.js';
import { isErrno, removeStaleTemps, writeFileAtomic } from './atomicWrite.js';
import { ownerToKeep } from './serialize.js';
import { isEnvKey, removeEnvLines } from './envFile.js';
import { readRegularFile } from './safeOpen.js';
import {
  AccountNotFoundError,
  checkAccountId,
  checkProviderId,
  COPILOT_ENV_ACCOUNT_ID,
  COPILOT_ENV_KEY,
  COPILOT_SOURCES,
  isPoolEntry,
  keepReadableByHermes,
  poolList,
  singletonSeeds,
  singletonState,
  singletonTokens,
  SINGLETON_SOURCES,
  text,
} from './hermesPool.js';
import { isRecord, StoreShapeError, type PoolEntry } from './pool.js';
import { jsonNumber } from './jsonText.js';
import { suppressSource } from './providerState.js';

/** An account that was removed. */
export interface RemovedAccount {
  id: string;
  label: string;
  /** Hermes Agent's source string of the removed credential. */
  source: string;
}

/** What a removal or logout did, and what the user may still have to do elsewhere. */
export interface RemovalOutcome {
  provider: string;
  removed: RemovedAccount[];
  /** External state that was changed (`Cleared COPILOT_GITHUB_TOKEN from .env`…), as Hermes Agent reports it. */
  cleaned: string[];
  /** Sources added to `suppressed_sources[provider]` by this removal. */
  suppressed: string[];
  /** True when `active_provider` named this provider and was cleared. */
  activeProviderCleared: boolean;
  /** What the user may still need to do elsewhere (a Claude Code sign-in lives in Claude Code's own file…). */
  hints: string[];
}

/** Options of the removal functions. */
export type RemovalOptions = Pick<UpdateOptions, 'lockTimeoutMs' | 'logger' | 'clock' | 'onLockWait'>;

/** The account `removeAccount` would remove, and the tokens a revocation needs (server-only: holds secrets). */
export interface RemovableAccount {
  id: string;
  label: string;
  source: string;
  /** The refresh token to revoke (the singleton's for a seeded entry), when there is one. */
  refreshToken?: string;
  /** The access token, for providers that revoke it too. */
  accessToken?: string;
}

/** A `.env` edit prepared under the lock and written before auth.json. */
interface EnvEdit {
  file: string;
  content: Buffer;
}

/** The work of one removal inside the lock. */
interface Work {
  provider: string;
  store: AuthStore;
  outcome: RemovalOutcome;
  home: string;
  env?: EnvEdit;
}

/** Nothing to do: thrown inside the update so nothing is written, caught outside. */
class NothingToRemove extends Error {}

/**
 * Finds an account without locking (for the revoke-before-remove step): its pool entry by id, the
 * `providers.<id>` login by the provider's own id, or Copilot's `.env` token by `env`. AccountNotFoundError
 * when there is none. Reads only: the removal itself re-reads under the lock.
 */
export function findRemovableAccount(store: AuthStore, provider: string, accountId: string, envToken?: string): RemovableAccount {
  checkProviderId(provider);
  checkAccountId(accountId);
  const entry = (poolList(store, provider) ?? []).filter(isPoolEntry).find((e) => e.id === accountId);
  const state = singletonState(store, provider);
  const seedSource = SINGLETON_SOURCES[provider];
  if (entry) {
    const source = text(entry.source) ?? 'manual';
    const fromSingleton = seedSource === source ? singletonTokens(provider, state) : {};
    const refreshToken = fromSingleton.refresh ?? text(entry.refresh_token);
    const accessToken = fromSingleton.access ?? text(entry.access_token);
    return { id: entry.id, label: text(entry.label) ?? source, source, ...(refreshToken && { refreshToken }), ...(accessToken && { accessToken }) };
  }
  if (seedSource && accountId === provider && state) {
    const { refresh, access } = singletonTokens(provider, state);
    return { id: provider, label: text(state.label) ?? provider, source: seedSource, ...(refresh && { refreshToken: refresh }), ...(access && { accessToken: access }) };
  }
  if (provider === 'copilot' && accountId === COPILOT_ENV_ACCOUNT_ID && envToken) {
    return { id: COPILOT_ENV_ACCOUNT_ID, label: 'GitHub token in .env', source: `env:${COPILOT_ENV_KEY}`, accessToken: envToken };
  }
  throw new AccountNotFoundError(provider, accountId);
}

/**
 * Removes one account of `provider` in the Hermes home `home`, as `hermes auth remove <provider> <id>` does,
 * plus clearing `active_provider` when nothing of the provider is left. LifecycleInputError for a malformed
 * provider or id, AccountNotFoundError when there is no such account; in both cases nothing is written.
 */
export async function removeAccount(home: string, provider: string, accountId: string, opts: RemovalOptions = {}): Promise<RemovalOutcome> {
  checkProviderId(provider);
  checkAccountId(accountId);
  return updateAuthStore(
    home,
    async (store) => {
      const work = newWork(home, provider, store);
      const target = await takeAccount(work, accountId);
      if (!target) throw new AccountNotFoundError(provider, accountId);
      await finish(work);
      return work.outcome;
    },
    opts,
  );
}

/**
 * Signs `provider` out of the Hermes home: every pool entry, the `providers.<id>` singleton and (Copilot)
 * the `.env` token go, as `hermes logout <provider>` clears them; each removed credential also gets its
 * source's removal step (suppression, `.env` line), so nothing comes back on Hermes Agent's next start.
 * A provider with nothing saved returns an empty outcome and writes nothing.
 */
export async function logoutProvider(home: string, provider: string, opts: RemovalOptions = {}): Promise<RemovalOutcome> {
  checkProviderId(provider);
  try {
    return await updateAuthStore(
      home,
      async (store) => {
        const work = newWork(home, provider, store);
        const ids = (poolList(store, provider) ?? []).filter(isPoolEntry).map((e) => e.id);
        for (const id of ids) await takeAccount(work, id);
        if (singletonState(store, provider) !== undefined && SINGLETON_SOURCES[provider]) await takeAccount(work, provider);
        if (singletonState(store, provider) !== undefined) {
          // clear_provider_auth deletes the singleton of any provider (spotify, qwen…), seeded or not
          deleteSingleton(store, provider);
          work.outcome.cleaned.push(`Cleared ${provider} auth state from auth store`);
        }
        if (provider === 'copilot') await takeAccount(work, COPILOT_ENV_ACCOUNT_ID);
        const pool = store.credential_pool;
        if (isRecord(pool) && Object.hasOwn(pool, provider) && Array.isArray(pool[provider]) && (pool[provider] as unknown[]).length === 0) {
          delete (pool as Record<string, unknown>)[provider];
        }
        await finish(work);
        const changed = work.outcome.removed.length > 0 || work.outcome.cleaned.length > 0 || work.outcome.activeProviderCleared;
        if (!changed) throw new NothingToRemove();
        work.outcome.hints.push(
          `If config.yaml selects ${provider} as the model provider, pick another with \`hermes model\` (Hermes Agent's own logout resets it).`,
        );
        return work.outcome;
      },
      opts,
    );
  } catch (error) {
    if (error instanceof NothingToRemove) {
      return { provider, removed: [], cleaned: [], suppressed: [], activeProviderCleared: false, hints: [] };
    }
    throw error;
  }
}

function newWork(home: string, provider: string, store: AuthStore): Work {
  return {
    provider,
    store,
    home: path.resolve(home),
    outcome: { provider, removed: [], cleaned: [], suppressed: [], activeProviderCleared: false, hints: [] },
  };
}

/** Removes one account (entry, singleton login or Copilot's `.env` token) and runs its source's removal step; false when absent. */
async function takeAccount(work: Work, accountId: string): Promise<boolean> {
  const { store, provider } = work;
  const list = poolList(store, provider);
  const index = list ? list.findIndex((e) => isPoolEntry(e) && e.id === accountId) : -1;
  if (list && index >= 0) {
    const entry = list[index] as PoolEntry;
    list.splice(index, 1);
    renumber(list);
    const source = text(entry.source) ?? 'manual';
    work.outcome.removed.push({ id: entry.id, label: text(entry.label) ?? source, source });
    await removalStep(work, source);
    return true;
  }
  const seedSource = SINGLETON_SOURCES[provider];
  const state = singletonState(store, provider);
  if (seedSource && accountId === provider && state) {
    work.outcome.removed.push({ id: provider, label: text(state.label) ?? provider, source: seedSource });
    await removalStep(work, seedSource);
    if (singletonState(store, provider)) deleteSingleton(store, provider); // e.g. nous manual step: the login itself goes too
    return true;
  }
  if (provider === 'copilot' && accountId === COPILOT_ENV_ACCOUNT_ID) {
    const had = await envHasKey(work, COPILOT_ENV_KEY);
    if (!had) return false;
    work.outcome.removed.push({ id: COPILOT_ENV_ACCOUNT_ID, label: 'GitHub token in .env', source: `env:${COPILOT_ENV_KEY}` });
    await removalStep(work, `env:${COPILOT_ENV_KEY}`);
    return true;
  }
  return false;
}

/** remove_index: the remaining entries, in priority order, get priorities 0..n-1 (and are written in that order). */
function renumber(list: unknown[]): void {
  const entries = list.filter(isPoolEntry);
  if (entries.length !== list.length) {
    // something Hermes did not write sits in the list; keep it where it is and renumber only entries
    entries.forEach((e, i) => (e.priority = i));
    return;
  }
  const prio = (e: PoolEntry) => jsonNumber(e.priority) ?? 0;
  const sorted = [...entries].sort((a, b) => prio(a) - prio(b));
  sorted.forEach((e, i) => (e.priority = i));
  list.splice(0, list.length, ...sorted);
}

/**
 * The removal step Hermes Agent registers for this source (agent/credential_sources.py, first match wins),
 * then the dispatcher's own suppression of the removed source.
 */
async function removalStep(work: Work, source: string): Promise<void> {
  const { provider, outcome } = work;
  const suppress = (s: string) => {
    if (suppressSource(work.store, provider, s) && !outcome.suppressed.includes(s)) outcome.suppressed.push(s);
  };
  const hint = (line: string) => {
    if (!outcome.hints.includes(line)) outcome.hints.push(line);
  };
  if (provider === 'copilot' && (source === 'gh_cli' || source.startsWith('env:'))) {
    for (const s of COPILOT_SOURCES) suppress(s);
    // our Copilot sign-in keeps its token in .env: it leaves with the account (Hermes' own step only suppresses)
    if (await clearEnvKey(work, COPILOT_ENV_KEY)) outcome.cleaned.push(`Cleared ${COPILOT_ENV_KEY} from .env`);
    hint('Suppressed all copilot token sources (gh_cli + env vars) — they will not be re-seeded.');
    hint('Note: Your gh CLI / shell environment is unchanged.');
  } else if (source.startsWith('env:')) {
    const name = source.slice(4);
    if (name && (await clearEnvKey(work, name))) outcome.cleaned.push(`Cleared ${name} from .env`);
    hint(`Suppressed env:${name} — it will not be re-seeded even if the variable is re-exported later.`);
  } else if (provider === 'anthropic' && (source === 'claude_code' || source === 'claude_code_linked')) {
    // the link marker stands for Claude Code's own credential: suppress what Hermes would seed from it
    suppress('claude_code');
    hint('Suppressed claude_code credential — it will not be re-seeded.');
    hint("Note: Claude Code's own sign-in stays in Claude Code's .credentials.json (~/.claude, or CLAUDE_CONFIG_DIR); sign out in Claude Code to remove it there.");
    if (source === 'claude_code_linked') return; // our marker is no source Hermes seeds: nothing more to suppress
  } else if (provider === 'anthropic' && source === 'hermes_pkce') {
    if (await deleteFileIfPresent(path.join(work.home, '.anthropic_oauth.json'))) outcome.cleaned.push('Cleared Hermes Anthropic OAuth credentials');
  } else if (
    (provider === 'nous' && source === 'device_code') ||
    (provider === 'xai-oauth' && source === 'device_code') ||
    (provider === 'minimax-oauth' && source === 'oauth')
  ) {
    if (deleteSingleton(work.store, provider)) outcome.cleaned.push(`Cleared ${provider} OAuth tokens from auth store`);
  } else if (provider === 'openai-codex' && (source === 'device_code' || source.endsWith(':device_code'))) {
    if (deleteSingleton(work.store, provider)) outcome.cleaned.push(`Cleared ${provider} OAuth tokens from auth store`);
    suppress('device_code');
    hint('Suppressed openai-codex device_code source — it will not be re-seeded.');
    hint('Note: Codex CLI credentials still live in ~/.codex/auth.json');
  } else if (provider === 'qwen-oauth' && source === 'qwen-cli') {
    suppress(source);
    hint('Note: Qwen CLI credentials still live in ~/.qwen/oauth_creds.json');
  } else if (source.startsWith('config:') || source === 'model_config') {
    hint(`Note: the key behind ${source} is still in config.yaml; edit it there to remove it from disk.`);
  } else {
    // no registered step (manual entries, legacy sources): the pool entry was all there was
    return;
  }
  if (provider === 'xai-oauth') hint('Sign in to xAI Grok again to re-enable it if needed.');
  suppress(source);
}

/** Deletes `providers.<id>`; true when it was there. */
function deleteSingleton(store: AuthStore, provider: string): boolean {
  const providers = store.providers;
  if (!isRecord(providers) || !Object.hasOwn(providers, provider)) return false;
  delete (providers as Record<string, unknown>)[provider];
  return true;
}

/**
 * Clears `active_provider` (to null, as clear_provider_auth does) when it names this provider and nothing
 * of it is left: no pool entry, no seedable singleton, no Copilot token in `.env`. Then writes the `.env` edit.
 */
async function finish(work: Work): Promise<void> {
  const { store, provider } = work;
  const active = typeof store.active_provider === 'string' ? store.active_provider.trim().toLowerCase() : undefined;
  if (active === provider.toLowerCase()) {
    const entriesLeft = (poolList(store, provider) ?? []).some(isPoolEntry);
    const state = singletonState(store, provider);
    const singletonLeft = state !== undefined && (singletonSeeds(provider, state) || Boolean(singletonTokens(provider, state).refresh));
    const envLeft = provider === 'copilot' && (await envHasKey(work, COPILOT_ENV_KEY));
    if (!entriesLeft && !singletonLeft && !envLeft) {
      (store as Record<string, unknown>).active_provider = null;
      work.outcome.activeProviderCleared = true;
    }
  }
  if (store.suppressed_sources !== undefined && !isRecord(store.suppressed_sources)) throw new StoreShapeError('suppressed_sources', 'an object');
  keepReadableByHermes(store);
  if (work.env) {
    // under the same auth.lock as the auth.json write (envFile.ts takes that lock for .env too)
    await removeStaleTemps(path.dirname(work.env.file), path.basename(work.env.file));
    await writeFileAtomic(work.env.file, work.env.content, await ownerToKeep(work.env.file));
  }
}

/**
 * The `.env` bytes as latin1 (every byte round-trips), from the pending edit or the file; '' when missing.
 * Read without following links and without blocking (envFile's discipline): a linked or special `.env` is
 * refused, never edited through, and a FIFO cannot hold auth.lock.
 */
async function envContent(work: Work): Promise<{ file: string; content: string }> {
  if (work.env) return { file: work.env.file, content: work.env.content.toString('latin1') };
  const file = path.join(work.home, '.env');
  const raw = await readRegularFile(file);
  return { file, content: raw ? raw.bytes.toString('latin1') : '' };
}

async function envHasKey(work: Work, key: string): Promise<boolean> {
  if (!isEnvKey(key)) return false;
  const { content } = await envContent(work);
  return removeEnvLines(content, key).removed > 0;
}

/**
 * Drops every line assigning `key` from `.env` (as Hermes' remove_env_value does; `export KEY=` too, which
 * python-dotenv also reads), keeping every other byte and a leading BOM. The write happens in `finish`.
 * A name that is not a variable name (a hand-edited `source` in auth.json) touches nothing.
 */
async function clearEnvKey(work: Work, key: string): Promise<boolean> {
  if (!isEnvKey(key)) return false;
  const { file, content } = await envContent(work);
  const result = removeEnvLines(content, key);
  if (result.removed === 0) return false;
  work.env = { file, content: Buffer.from(result.content, 'latin1') };
  return true;
}

/** Deletes a file; false when it was not there. */
async function deleteFileIfPresent(file: string): Promise<boolean> {
  try {
    await fsp.unlink(file);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}
