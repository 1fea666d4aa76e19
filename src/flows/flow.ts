/**
 * A flow is a plain, serialisable record: ids, provider, profile, status and phase, timestamps, what the
 * user may see, and a `secrets` part (the provider's state, a submitted code) that a store may encrypt.
 * What cannot be serialised (timers, the poller, the abort controller) belongs to the runner.
 */
import type { FlowStatus } from '../contract.js';
import type { SavedAccount, SignInKind } from '../providers/types.js';

export type { FlowStatus };

export const END_STATUSES: ReadonlySet<FlowStatus> = new Set(['success', 'error', 'expired', 'cancelled']);

/**
 * Where a pending flow is in its life:
 * - `starting`: waiting for the provider's first answer (single flight already holds its key);
 * - `waiting`: the user is signing in (device code shown, authorize URL opened, credential awaited);
 * - `exchanging`: an authorization code arrived and is being exchanged (cancel and expiry still win);
 * - `committing`: credentials are being written; cancel no longer wins and expiry no longer applies;
 * - `ended`: the status is an end status.
 */
export type FlowPhase = 'starting' | 'waiting' | 'exchanging' | 'committing' | 'ended';

/** Phases in which cancel wins. */
export const CANCELLABLE_PHASES: readonly FlowPhase[] = ['starting', 'waiting', 'exchanging'];
/** Phases that end at `expiresAt` (a `starting` flow is bounded by its first request instead). */
export const EXPIRING_PHASES: readonly FlowPhase[] = ['waiting', 'exchanging'];
/** Phases from which the runner may commit credentials. */
export const COMMITTABLE_PHASES: readonly FlowPhase[] = ['waiting', 'exchanging'];

/** What the user needs to sign in, by kind. Never a secret. */
export type FlowPublic =
  | {
      kind: 'device_code';
      userCode: string;
      verificationUri: string;
      verificationUriComplete?: string;
      /** Seconds between polls, at least 1. */
      intervalSeconds: number;
    }
  | { kind: 'authorization_code'; authorizeUrl: string }
  | { kind: 'detect'; actionRequired: string };

/** The server-only part of a flow. A store that leaves the process encrypts it. */
export interface FlowSecrets {
  /** The provider's own state from `begin` (device code, PKCE verifier…), typed by the provider. */
  begin: unknown;
  /** An authorization code submitted by callback or paste, once. */
  code?: string;
  /** The nonce of this flow's callback address: a callback must carry it (it is the callback's only credential). */
  nonce?: string;
}

/** One sign-in attempt. Plain data: every field survives JSON. */
export interface FlowRecord {
  readonly id: string;
  readonly providerId: string;
  readonly profile: string;
  readonly home: string;
  readonly kind: SignInKind;
  readonly status: FlowStatus;
  readonly phase: FlowPhase;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms: a pending flow ends by then at the latest. */
  readonly expiresAt: number;
  readonly endedAt?: number;
  readonly public?: FlowPublic;
  /** Why the flow failed (status `error`), safe to show. */
  readonly error?: string;
  /** The signed-in account (status `success`), and for a sign-in again what happened to the repaired account. */
  readonly account?: SavedAccount;
  readonly secrets?: FlowSecrets;
  /** "Sign in again": the account these credentials repair. Kept in the record so a replica taking the flow over repairs it too. */
  readonly repairAccountId?: string;
}

/** The fields an update may change; the ids, provider, home and kind never change. */
export type FlowChange = Partial<Pick<FlowRecord, 'status' | 'phase' | 'expiresAt' | 'endedAt' | 'public' | 'error' | 'account' | 'secrets'>>;

/** True once a flow has an end status. */
export function isEnded(record: Pick<FlowRecord, 'status'>): boolean {
  return END_STATUSES.has(record.status);
}
