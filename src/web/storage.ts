/**
 * What the page keeps in this tab's sessionStorage: the access token (from `#token=…`) and the flow
 * being watched, so a reload resumes it instead of starting another. Storage may be unavailable
 * (privacy modes): every access is guarded and the page then simply forgets on reload.
 */
import type { AnyStart, StartOptions } from './api.js';

const TOKEN_KEY = 'hermes-onboard.token';
const FLOW_KEY = 'hermes-onboard.flow';

/** Reads a key, or null when storage is unavailable. */
function read(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Writes (or with null, removes) a key; silently does nothing when storage is unavailable. */
function write(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage unavailable: the page works, it just will not remember across reloads.
  }
}

/**
 * Takes `#token=…` out of the address bar (so it is not bookmarked, shared or kept in history) and keeps
 * it for this tab. Returns the token in use, or null.
 */
export function adoptToken(): string | null {
  const hash = location.hash.replace(/^#/, '');
  const params = new URLSearchParams(hash);
  const fromHash = params.get('token');
  if (fromHash !== null) {
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    write(TOKEN_KEY, fromHash.trim() || null);
  }
  return read(TOKEN_KEY);
}

/** Forgets a token the server refused. */
export function forgetToken(): void {
  write(TOKEN_KEY, null);
}

/** A flow the page is watching, with what it needs to show it again after a reload. */
export interface SavedFlow {
  start: AnyStart;
  profile: string;
  providerLabel: string;
  /** Server time (epoch ms) when the page first saw the flow: the countdown bar's full length. */
  seenAt: number;
  /** What the start asked for (method, region…), so Try again asks the same. */
  options?: StartOptions;
  /** The label of the account this sign-in repairs ("Sign in again"), if any. */
  repairing?: string;
}

/** Remembers the flow being watched. */
export function saveFlow(flow: SavedFlow): void {
  write(FLOW_KEY, JSON.stringify(flow));
}

/** The flow a previous load of this tab was watching, if any. */
export function loadFlow(): SavedFlow | null {
  const raw = read(FLOW_KEY);
  if (!raw) return null;
  try {
    const flow = JSON.parse(raw) as SavedFlow;
    if (typeof flow?.start?.flow_id === 'string' && typeof flow.profile === 'string') return flow;
  } catch {
    // Corrupt entry: drop it below.
  }
  write(FLOW_KEY, null);
  return null;
}

/** Forgets the watched flow (it ended, or the user left it). */
export function clearFlow(): void {
  write(FLOW_KEY, null);
}
