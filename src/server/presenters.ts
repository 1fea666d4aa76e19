/**
 * Every wire shape of the HTTP API (docs/api.md), one presenter per payload. Each builds its payload by
 * allowlisting fields, never by spreading internal state; the account fields a client may see are listed
 * once, here.
 */
import type { AccountView, FlowAccount, LastAuthErrorView, LogoutPayload, ProfilesPayload, ProvidersPayload, ProviderView, RemovePayload, StartPayload, StatusPayload } from '../contract.js';
import { revocationSummary, type SignOutOutcome } from '../providers/signOut.js';
import type { FlowRecord } from '../flows/flow.js';
import type { ProviderListing } from '../providers/listing.js';
import { methodsOf, type AccountSummary } from '../providers/types.js';
import type { AccountHealthView, LastAuthError } from '../store/health.js';

/** A saved account as listed (GET /api/onboarding/providers): allowlisted, lifecycle fields included; no secrets. */
export function accountView(a: AccountHealthView): AccountView {
  return {
    id: a.id,
    label: a.label,
    ...(a.email && { email: a.email }),
    ...(a.plan && { plan: a.plan }),
    source: a.source,
    ...(a.keyHint && { key_hint: a.keyHint }),
    ...(a.expiresAt !== undefined && { expires_at: a.expiresAt }),
    health: a.health,
    ...(a.healthDetail && { health_detail: a.healthDetail }),
    ...(a.retryAt !== undefined && { retry_at: Math.floor(a.retryAt) }),
    relogin_required: a.reloginRequired,
    ...(a.usedFirst && { used_first: true }),
  };
}

/** `providers.<id>.last_auth_error`, allowlisted. */
function lastAuthErrorView(e: LastAuthError): LastAuthErrorView {
  return {
    ...(e.code && { code: e.code }),
    ...(e.reason && { reason: e.reason }),
    ...(e.message && { message: e.message }),
    ...(e.at && { at: e.at }),
    relogin_required: e.reloginRequired,
  };
}

/** The account of a successful flow: label, email and plan (a flow's account has no id). */
export function flowAccount(account: AccountSummary): FlowAccount {
  return { label: account.label, ...(account.email && { email: account.email }), ...(account.plan && { plan: account.plan }) };
}

/** The poll and cancel payload, also every `status` event: id, provider, status, plus error or account when they apply. */
export function statusPayload(flow: FlowRecord): StatusPayload {
  const payload: StatusPayload = { ok: true, provider: flow.providerId, flow_id: flow.id, status: flow.status };
  if (flow.status === 'error' && flow.error) payload.error = flow.error;
  if (flow.status === 'success' && flow.account) payload.account = flowAccount(flow.account);
  const relogin = flow.status === 'success' ? flow.account?.relogin : undefined;
  if (relogin) payload.relogin = { repaired_id: relogin.repairedId, account_id: relogin.id, same_account: relogin.sameAccount };
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
    kind: 'device_code',
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
  const providers: ProviderView[] = listings.map(({ provider: p, health }) => {
    const views = health.accounts.map(accountView);
    const view: ProviderView = { id: p.id, label: p.label, kind: p.kind, methods: methodsOf(p), supported: p.supported, connected: views.length > 0, accounts: views };
    if (!p.supported) view.terminal_command = p.terminalCommand;
    if (health.lastAuthError) view.last_auth_error = lastAuthErrorView(health.lastAuthError);
    return view;
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

/** POST /api/onboarding/keys: the saved entry as it may be shown (a hint of the key, never the key). */
export function keyPayload(provider: string, account: { id: string; label: string; key_hint: string }): {
  ok: true;
  provider: string;
  account: { id: string; label: string; key_hint: string };
} {
  return { ok: true, provider, account: { id: account.id, label: account.label, key_hint: account.key_hint } };
}

/** DELETE /api/onboarding/accounts/<provider>/<account_id>: what was removed, whether it was revoked, what is left to do. */
export function removePayload(outcome: SignOutOutcome): RemovePayload {
  const { removal } = outcome;
  const removed = removal.removed[0];
  const { revoked, notes } = revocationSummary(outcome.revocations);
  return { ok: true, provider: removal.provider, removed: { id: removed?.id ?? '', label: removed?.label ?? '' }, revoked, hints: [...notes, ...removal.hints] };
}

/** POST /api/onboarding/logout: every credential removed; `revoked` only when revoking was asked for. */
export function logoutPayload(outcome: SignOutOutcome): LogoutPayload {
  const { removal } = outcome;
  const { revoked, notes } = revocationSummary(outcome.revocations);
  const hints = removal.removed.length === 0 && !removal.activeProviderCleared ? [`Nothing of ${removal.provider} was saved in this profile.`] : [];
  return {
    ok: true,
    provider: removal.provider,
    removed: removal.removed.map((a) => ({ id: a.id, label: a.label })),
    ...(outcome.revocations && { revoked }),
    hints: [...hints, ...notes, ...removal.hints],
  };
}
