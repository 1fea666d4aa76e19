/**
 * Every wire shape of the HTTP API (docs/api.md), one presenter per payload. Each builds its payload by
 * allowlisting fields, never by spreading internal state; the account fields a client may see are listed
 * once, here.
 */
import type { AccountView, FlowAccount, ProfilesPayload, ProvidersPayload, ProviderView, StartPayload, StatusPayload } from '../contract.js';
import type { FlowRecord } from '../flows/flow.js';
import type { ProviderListing } from '../providers/listing.js';
import type { AccountSummary } from '../providers/types.js';

/** The account fields that may reach a client beside `id` and `label`, and nothing else. */
const ACCOUNT_FIELDS = ['email', 'plan', 'expires_at', 'last_status'] as const;

/** A saved account as listed (GET /api/onboarding/providers): the allowlisted fields that are set. */
export function accountView(account: AccountView): AccountView {
  const out: AccountView = { id: account.id, label: account.label };
  for (const field of ACCOUNT_FIELDS) {
    const value = account[field];
    // an expiry of 0 is a value; empty text is no value
    if (field === 'expires_at' ? value !== undefined : Boolean(value)) Object.assign(out, { [field]: value });
  }
  return out;
}

/** The account of a successful flow: the same allowlist (a flow's account has no id). */
export function flowAccount(account: AccountSummary): FlowAccount {
  const { id: _id, ...shown } = accountView({ id: '', ...account });
  return shown;
}

/** The poll and cancel payload, also every `status` event: id, provider, status, plus error or account when they apply. */
export function statusPayload(flow: FlowRecord): StatusPayload {
  const payload: StatusPayload = { ok: true, provider: flow.providerId, flow_id: flow.id, status: flow.status };
  if (flow.status === 'error' && flow.error) payload.error = flow.error;
  if (flow.status === 'success' && flow.account) payload.account = flowAccount(flow.account);
  return payload;
}

/** The answer to cancelling a flow this server does not know (no provider to name). */
export function unknownCancelPayload(flowId: string): { ok: true; flow_id: string; status: 'cancelled' } {
  return { ok: true, flow_id: flowId, status: 'cancelled' };
}

/** The start payload of a started device-code flow: what the user needs, nothing the provider keeps secret. */
export function startPayload(flow: FlowRecord): StartPayload {
  const pub = flow.public;
  if (pub?.kind !== 'device_code') throw new Error('startPayload needs a started device-code flow');
  const payload: StartPayload = {
    ok: true,
    provider: flow.providerId,
    flow_id: flow.id,
    status: 'pending',
    verification_uri: pub.verificationUri,
    user_code: pub.userCode,
    expires_at: Math.floor(flow.expiresAt / 1000),
    poll_interval_seconds: pub.intervalSeconds,
  };
  if (pub.verificationUriComplete) payload.verification_uri_complete = pub.verificationUriComplete;
  return payload;
}

/** The start payload of any kind (docs/api.md, "Sign-in kinds"): device-code flows answer as above. */
export function startPayloadOfKind(flow: FlowRecord): StartPayload | KindStartPayload {
  const pub = flow.public;
  if (pub?.kind === 'authorization_code' || pub?.kind === 'detect') {
    const base = { ok: true as const, provider: flow.providerId, flow_id: flow.id, status: 'pending' as const, expires_at: Math.floor(flow.expiresAt / 1000) };
    return pub.kind === 'authorization_code'
      ? { ...base, kind: 'authorization_code', authorize_url: pub.authorizeUrl }
      : { ...base, kind: 'detect', action_required: pub.actionRequired };
  }
  return startPayload(flow);
}

/** Start answers of the kinds beyond the device code. */
export type KindStartPayload =
  | { ok: true; provider: string; flow_id: string; status: 'pending'; expires_at: number; kind: 'authorization_code'; authorize_url: string }
  | { ok: true; provider: string; flow_id: string; status: 'pending'; expires_at: number; kind: 'detect'; action_required: string };

/** GET /api/onboarding/providers for one profile. */
export function providersPayload(profile: string, listings: readonly ProviderListing[]): ProvidersPayload {
  const providers: ProviderView[] = listings.map(({ provider: p, accounts }) => {
    const views = accounts.map(accountView);
    return { id: p.id, label: p.label, kind: p.kind, supported: p.supported, connected: views.length > 0, accounts: views };
  });
  return { ok: true, profile, providers };
}

/** GET /api/onboarding/profiles. */
export function profilesPayload(active: string, profiles: string[]): ProfilesPayload {
  return { ok: true, active, profiles };
}

/** GET /api/health. */
export function healthPayload(version: string): { ok: true; version: string } {
  return { ok: true, version };
}

/** GET /api/health (503) while the shared store (Redis) does not answer: this replica cannot serve flows. */
export function degradedHealthPayload(): { ok: false; redis: 'unreachable' } {
  return { ok: false, redis: 'unreachable' };
}

/** The body of every error answer: `{"ok": false, "error": "<message a person can act on>"}`. */
export function errorBody(message: string): { ok: false; error: string } {
  return { ok: false, error: message };
}
