/** A flow's state and the payloads built from it. Payloads are allowlisted, never spread from state. */
import type { FlowAccount, FlowStatus, StartPayload, StatusPayload } from '../contract.js';
import type { AccountSummary, DeviceAuthorization, Provider } from '../providers/types.js';

export type { FlowStatus, StartPayload, StatusPayload };
export const END_STATUSES: ReadonlySet<FlowStatus> = new Set(['success', 'error', 'expired', 'cancelled']);

/** Where a pending flow is in its life; `committing` means its credentials are being written and cancel no longer wins. */
export type FlowPhase = 'starting' | 'polling' | 'committing' | 'ended';

/** One sign-in attempt, held in server memory only. */
export interface Flow {
  readonly id: string;
  readonly provider: Provider;
  readonly home: string;
  readonly profile: string;
  readonly controller: AbortController;
  status: FlowStatus;
  phase: FlowPhase;
  auth: DeviceAuthorization | undefined;
  expiresAt: number;
  endedAt: number | undefined;
  error: string | undefined;
  account: AccountSummary | undefined;
  /** Resolves when the flow reaches an end status. */
  readonly ended: Promise<void>;
}

/** Builds the status payload for a flow: id, provider, status, plus error or account when they apply. */
export function statusPayload(flow: Flow): StatusPayload {
  const payload: StatusPayload = { ok: true, provider: flow.provider.id, flow_id: flow.id, status: flow.status };
  if (flow.status === 'error' && flow.error) payload.error = flow.error;
  if (flow.status === 'success' && flow.account) payload.account = accountPayload(flow.account);
  return payload;
}

/** Builds the account part of a success payload from the summary's known fields only. */
export function accountPayload(account: AccountSummary): FlowAccount {
  const out: FlowAccount = { label: account.label };
  if (account.email) out.email = account.email;
  if (account.plan) out.plan = account.plan;
  return out;
}

/** Builds the start payload: what the user needs to sign in, and nothing the provider keeps secret. */
export function startPayload(flow: Flow): StartPayload {
  const auth = flow.auth;
  if (!auth) throw new Error('startPayload needs a started flow');
  const payload: StartPayload = {
    ok: true,
    provider: flow.provider.id,
    flow_id: flow.id,
    status: 'pending',
    verification_uri: auth.verificationUri,
    user_code: auth.userCode,
    expires_at: Math.floor(flow.expiresAt / 1000),
    poll_interval_seconds: auth.intervalSeconds,
  };
  if (auth.verificationUriComplete) payload.verification_uri_complete = auth.verificationUriComplete;
  return payload;
}
