/**
 * The sign-in panel: while pending, the code (with copy), the verification link, a QR code and a
 * countdown; once ended, the outcome with what to do next.
 */
import type { CodeStart, DetectStart, DeviceStart, FlowAccount, StatusPayload } from './api.js';
import { copyText, selectText } from './clipboard.js';
import { announce, avatar, h, icon, type IconName, replace, safeHttpUrl, sentence } from './dom.js';
import { drawQr } from './qr.js';
import type { SavedFlow } from './storage.js';
import { formatCountdown, serverClock } from './time.js';

/** Where a flow stands, from the page's point of view ("gone" = the server forgot it). */
export type FlowPhase = 'pending' | 'success' | 'error' | 'expired' | 'cancelled' | 'gone';

/** What the panel shows. */
export interface FlowModel {
  flow: SavedFlow;
  phase: FlowPhase;
  status?: StatusPayload;
}

/** What the panel asks of the app. */
export interface FlowHandlers {
  cancel(): void;
  /** Sends a pasted authorization code; resolves to an error message, or null once the server took it. */
  submitCode(code: string): Promise<string | null>;
  retry(): void;
  close(): void;
}

/** A rendered panel: its element, where focus should land, and hooks for live updates. */
export interface FlowPanel {
  el: HTMLElement;
  focusTarget: HTMLElement;
  /** Shows (or clears) a connection problem under the status line. */
  setTrouble(message: string | null): void;
  /** Marks the cancel as in progress. */
  setCancelling(busy: boolean): void;
  /** Stops the panel's timers. */
  dispose(): void;
}

/** The panel's heading, focusable so focus can be moved to it when the panel changes. */
function heading(text: string): HTMLHeadingElement {
  return h('h2', { id: 'flow-title', tabindex: '-1' }, text);
}

/** "for profile default": which Hermes profile the sign-in lands in. */
function profileLine(profile: string): HTMLElement {
  return h('p', { class: 'muted' }, 'Signing in for profile ', h('strong', {}, profile));
}

/** The user code, spelled out for screen readers, with a copy button that shows it worked. */
function codeBlock(code: string): HTMLElement {
  const text = h('span', { class: 'user-code', id: 'user-code', 'aria-hidden': 'true' }, code);
  const spoken = h('span', { class: 'sr-only' }, `Your code is ${[...code].join(' ')}`);
  const button = h('button', { type: 'button', class: 'btn btn-secondary copy-btn', 'data-action': 'copy' });
  const show = (copied: boolean): void => {
    button.classList.toggle('copied', copied);
    replace(button, icon(copied ? 'check' : 'copy'), copied ? 'Copied' : 'Copy', h('span', { class: 'sr-only' }, ' code'));
  };
  show(false);
  let reset: ReturnType<typeof setTimeout> | undefined;
  button.addEventListener('click', async () => {
    const ok = await copyText(code);
    clearTimeout(reset);
    show(ok);
    if (ok) {
      announce('Code copied to the clipboard.');
      reset = setTimeout(() => show(false), 2500);
    } else {
      selectText(text);
      announce('Could not copy automatically. The code is selected: press Control C or Command C.');
    }
  });
  return h('div', { class: 'code-row' }, h('div', { class: 'code-box' }, text, spoken), button);
}

/** Step 1: the verification link (new tab, no referrer, no opener). */
function linkStep(start: DeviceStart): HTMLElement {
  const display = start.verification_uri;
  const href = safeHttpUrl(start.verification_uri_complete) ?? safeHttpUrl(display);
  const host = href ? new URL(href).host : display;
  return h(
    'li',
    { class: 'step' },
    h('span', { class: 'step-n', 'aria-hidden': 'true' }, '1'),
    h(
      'div',
      { class: 'step-body' },
      h('h3', {}, 'Open the sign-in page'),
      href
        ? h('a', { class: 'btn btn-primary', id: 'verification-link', href, target: '_blank', rel: 'noopener noreferrer' }, `Open ${host}`, icon('external'), h('span', { class: 'sr-only' }, ' (opens in a new tab)'))
        : null,
      h('p', { class: 'url' }, display),
    ),
  );
}

/** The QR code of the verification address, for finishing on a phone. */
function qrBlock(start: DeviceStart): HTMLElement | null {
  const target = safeHttpUrl(start.verification_uri_complete) ?? safeHttpUrl(start.verification_uri);
  if (!target) return null;
  const canvas = h('canvas', { id: 'qr', role: 'img', 'aria-label': `QR code of the sign-in address ${target}` });
  try {
    drawQr(canvas, target);
  } catch {
    return null;
  }
  return h('figure', { class: 'qr' }, h('div', { class: 'qr-frame' }, canvas), h('figcaption', {}, icon('phone'), 'Or scan to sign in on your phone'));
}

/** A numbered step of the pending panel. */
function step(n: number, title: string, ...body: (HTMLElement | null)[]): HTMLElement {
  return h('li', { class: 'step' }, h('span', { class: 'step-n', 'aria-hidden': 'true' }, String(n)), h('div', { class: 'step-body' }, h('h3', {}, title), ...body));
}

const UPDATES_ITSELF = 'This page updates by itself the moment you do.';

/** Device code: the link, the code to enter, the QR code. */
function deviceBody(start: DeviceStart): HTMLElement {
  return h(
    'div',
    { class: 'flow-body' },
    h('ol', { class: 'steps' }, linkStep(start), step(2, 'Enter this code', codeBlock(start.user_code)), step(3, 'Approve the sign-in', h('p', { class: 'muted' }, UPDATES_ITSELF))),
    qrBlock(start),
  );
}

/**
 * The address for the paste fallback: the server's, or else the same authorization address without its
 * `callback_url`, for which OpenRouter shows the code instead of sending the browser back (as Hermes
 * Agent's paste mode does). Same PKCE challenge, so the pasted code fits this flow.
 */
function pasteUrl(start: CodeStart): string | null {
  const given = safeHttpUrl(start.paste_url);
  if (given) return given;
  const href = safeHttpUrl(start.authorize_url);
  if (!href) return null;
  const url = new URL(href);
  if (!url.searchParams.has('callback_url')) return null;
  url.searchParams.delete('callback_url');
  return url.href;
}

/** The paste fallback of an authorization-code flow: for a browser that cannot come back to this server. */
function pasteBlock(start: CodeStart, handlers: FlowHandlers): HTMLElement {
  const id = 'paste-code';
  const input = h('input', { type: 'password', id, name: 'code', autocomplete: 'off', spellcheck: 'false', required: true });
  const error = h('p', { class: 'inline-error', id: 'paste-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary', 'data-action': 'submit-code' }, 'Use this code');
  const pasteHref = pasteUrl(start);
  const send = async (): Promise<void> => {
    const code = input.value.trim();
    if (!code) return input.focus();
    submit.disabled = true;
    const problem = await handlers.submitCode(code);
    submit.disabled = false;
    input.value = ''; // the code is single-use: never leave it in the page
    error.hidden = problem === null;
    error.textContent = problem ?? '';
    if (problem) input.focus();
  };
  const form = h(
    'form',
    {
      class: 'paste-form',
      onsubmit: (e) => {
        e.preventDefault();
        void send();
      },
    },
    h('div', { class: 'field' }, h('label', { for: id }, 'Code shown by the provider'), input),
    submit,
    error,
  );
  return h(
    'details',
    { class: 'paste' },
    h('summary', {}, 'The other tab cannot reach this server? Paste the code instead'),
    h(
      'p',
      { class: 'muted' },
      ...(pasteHref
        ? ['Open ', h('a', { href: pasteHref, target: '_blank', rel: 'noopener noreferrer', id: 'paste-link' }, 'this sign-in page'), ', which shows a code after you approve, and paste it here.']
        : ['If the provider shows you a code instead of coming back here, paste it below.']),
    ),
    form,
  );
}

/** Authorization code (OpenRouter): open the provider in a new tab; this tab learns the outcome by itself. */
function codeBody(start: CodeStart, handlers: FlowHandlers): HTMLElement {
  const href = safeHttpUrl(start.authorize_url);
  const host = href ? new URL(href).host : start.authorize_url;
  return h(
    'div',
    { class: 'flow-body flow-body-single' },
    h(
      'ol',
      { class: 'steps' },
      step(
        1,
        `Approve on ${host}`,
        href ? h('a', { class: 'btn btn-primary', id: 'authorize-link', href, target: '_blank', rel: 'noopener' }, `Open ${host}`, icon('external'), h('span', { class: 'sr-only' }, ' (opens in a new tab)')) : null,
        h('p', { class: 'muted' }, 'It opens in a new tab and comes back to this server when you approve.'),
      ),
      step(2, 'Come back here', h('p', { class: 'muted' }, UPDATES_ITSELF)),
    ),
    pasteBlock(start, handlers),
  );
}

/** Detect (Claude Code link): what to run, where; the server watches for the sign-in to appear. */
function detectBody(start: DetectStart): HTMLElement {
  return h(
    'div',
    { class: 'flow-body flow-body-single' },
    h(
      'ol',
      { class: 'steps' },
      step(1, 'Sign in to Claude Code on the server', h('p', { class: 'action-required', id: 'action-required' }, start.action_required)),
      step(2, 'Come back here', h('p', { class: 'muted' }, 'The server links Claude Code’s sign-in the moment it appears. No token is copied: Hermes Agent reads it from Claude Code’s own file.')),
    ),
  );
}

/** The pending panel. */
function pendingPanel(model: FlowModel, handlers: FlowHandlers): FlowPanel {
  const { flow } = model;
  const start = flow.start;
  const title = heading(flow.repairing ? `Sign in to ${flow.providerLabel} again` : `Sign in to ${flow.providerLabel}`);
  const remaining = h('time', { class: 'countdown-value' });
  const noun = start.kind === 'detect' ? 'Waiting ends' : start.kind === 'authorization_code' ? 'Sign-in expires' : 'Code expires';
  const label = h('span', { class: 'countdown-label' }, `${noun} in `);
  const bar = h('span', { class: 'bar-fill' });
  const countdown = h('div', { class: 'countdown' }, h('span', { class: 'countdown-text' }, icon('clock'), label, remaining), h('span', { class: 'bar', 'aria-hidden': 'true' }, bar));
  const trouble = h('p', { class: 'trouble', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', 'data-action': 'cancel', onclick: () => handlers.cancel() }, 'Cancel');

  const expiresMs = start.expires_at * 1000;
  const totalMs = Math.max(1000, expiresMs - flow.seenAt);
  const tick = (): void => {
    const left = expiresMs - serverClock.now();
    remaining.textContent = formatCountdown(left);
    remaining.setAttribute('datetime', `PT${Math.max(0, Math.ceil(left / 1000))}S`);
    bar.style.setProperty('--fraction', String(Math.min(1, Math.max(0, left / totalMs))));
    countdown.classList.toggle('soon', left < 60_000);
    if (left <= 0) label.textContent = start.kind === 'detect' ? 'Waiting ended ' : 'Expired ';
  };
  tick();
  const timer = setInterval(tick, 1000);

  const body = start.kind === 'authorization_code' ? codeBody(start, handlers) : start.kind === 'detect' ? detectBody(start) : deviceBody(start);
  const waiting = start.kind === 'detect' ? 'Waiting for Claude Code’s sign-in…' : start.kind === 'authorization_code' ? 'Waiting for you to approve in the other tab…' : 'Waiting for approval…';
  const el = h(
    'section',
    { class: 'flow card', 'aria-labelledby': 'flow-title', 'data-phase': 'pending', 'data-kind': start.kind ?? 'device_code' },
    h(
      'header',
      { class: 'flow-head' },
      avatar(start.provider, flow.providerLabel, true),
      h('div', {}, title, profileLine(flow.profile), flow.repairing ? h('p', { class: 'muted' }, 'Repairing the account ', h('strong', {}, flow.repairing)) : null),
    ),
    body,
    h(
      'footer',
      { class: 'flow-foot' },
      h('div', { class: 'waiting' }, h('span', { class: 'pulse', 'aria-hidden': 'true' }), h('span', { id: 'flow-status' }, waiting), trouble),
      countdown,
      cancel,
    ),
  );
  return {
    el,
    focusTarget: title,
    setTrouble(message) {
      trouble.hidden = message === null;
      trouble.textContent = message ?? '';
    },
    setCancelling(busy) {
      cancel.disabled = busy;
      cancel.textContent = busy ? 'Cancelling…' : 'Cancel';
    },
    dispose: () => clearInterval(timer),
  };
}

/** The signed-in account, as a small card. */
function accountCard(account: FlowAccount | undefined): HTMLElement | null {
  if (!account) return null;
  return h(
    'div',
    { class: 'account-card' },
    h('span', { class: 'account-label' }, account.label),
    account.email && account.email !== account.label ? h('span', { class: 'muted' }, account.email) : null,
    account.plan ? h('span', { class: 'chip' }, account.plan) : null,
  );
}

/** Title, icon and message for each end. */
function outcome(model: FlowModel): { icon: IconName; tone: string; title: string; message: string } {
  const provider = model.flow.providerLabel;
  switch (model.phase) {
    case 'success': {
      const relogin = model.status?.relogin;
      const repairing = model.flow.repairing ?? 'the account';
      if (relogin && !relogin.same_account) {
        return {
          icon: 'alert',
          tone: 'warn',
          title: `Signed in to ${provider} as another account`,
          message: `This is not ${repairing}, so it was added as a new account in profile ${model.flow.profile}. ${repairing} still needs a new sign-in (or remove it).`,
        };
      }
      if (relogin) return { icon: 'check', tone: 'ok', title: `Repaired ${repairing}`, message: `Signed in again in profile ${model.flow.profile}. Hermes Agent can use it again right away.` };
      return { icon: 'check', tone: 'ok', title: `Connected to ${provider}`, message: `Saved to profile ${model.flow.profile}. Hermes Agent can use it right away.` };
    }
    case 'expired':
      return { icon: 'clock', tone: 'warn', title: 'The code expired', message: 'It was not approved in time. Try again to get a fresh code.' };
    case 'cancelled':
      return { icon: 'x', tone: 'muted', title: 'Sign-in cancelled', message: 'This sign-in was cancelled, here or in another window. Nothing was saved.' };
    case 'gone':
      return { icon: 'alert', tone: 'warn', title: 'This sign-in is no longer available', message: 'The server no longer knows it (it may have restarted). Try again to get a fresh code.' };
    default:
      return {
        icon: 'alert',
        tone: 'error',
        title: `Could not sign in to ${provider}`,
        message: model.status?.error ? sentence(model.status.error) : 'The provider reported an error. Try again.',
      };
  }
}

/** The panel for an ended flow. */
function endPanel(model: FlowModel, handlers: FlowHandlers): FlowPanel {
  const o = outcome(model);
  const title = heading(o.title);
  const success = model.phase === 'success';
  const el = h(
    'section',
    { class: `flow card result tone-${o.tone}`, 'aria-labelledby': 'flow-title', 'data-phase': model.phase },
    h('span', { class: 'result-icon', 'aria-hidden': 'true' }, icon(o.icon)),
    title,
    success ? accountCard(model.status?.account) : null,
    h('p', { class: 'result-message', id: 'flow-message' }, o.message),
    h(
      'div',
      { class: 'result-actions' },
      success
        ? h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'done', onclick: () => handlers.close() }, 'Done')
        : h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'retry', onclick: () => handlers.retry() }, 'Try again'),
      success ? null : h('button', { type: 'button', class: 'btn btn-ghost', 'data-action': 'close', onclick: () => handlers.close() }, 'Back to providers'),
    ),
  );
  return { el, focusTarget: title, setTrouble: () => undefined, setCancelling: () => undefined, dispose: () => undefined };
}

/** Renders the panel for the model's phase. */
export function renderFlow(model: FlowModel, handlers: FlowHandlers): FlowPanel {
  return model.phase === 'pending' ? pendingPanel(model, handlers) : endPanel(model, handlers);
}

/** The sentence announced to screen readers when a flow reaches `phase`. */
export function phaseAnnouncement(model: FlowModel): string {
  if (model.phase === 'pending') {
    const start = model.flow.start;
    const started = `Sign-in to ${model.flow.providerLabel} started.`;
    if (start.kind === 'authorization_code') return `${started} Open the provider’s page in a new tab and approve.`;
    if (start.kind === 'detect') return `${started} ${start.action_required}`;
    return `${started} Your code is ${[...start.user_code].join(' ')}.`;
  }
  const o = outcome(model);
  return `${o.title}. ${o.message}`;
}
