/**
 * The sign-in panel: while pending, the code (with copy), the verification link, a QR code and a
 * countdown; once ended, the outcome with what to do next.
 */
import type { FlowAccount, StatusPayload } from './api.js';
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
function linkStep(flow: SavedFlow): HTMLElement {
  const display = flow.start.verification_uri;
  const href = safeHttpUrl(flow.start.verification_uri_complete) ?? safeHttpUrl(display);
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
function qrBlock(flow: SavedFlow): HTMLElement | null {
  const target = safeHttpUrl(flow.start.verification_uri_complete) ?? safeHttpUrl(flow.start.verification_uri);
  if (!target) return null;
  const canvas = h('canvas', { id: 'qr', role: 'img', 'aria-label': `QR code of the sign-in address ${target}` });
  try {
    drawQr(canvas, target);
  } catch {
    return null;
  }
  return h('figure', { class: 'qr' }, h('div', { class: 'qr-frame' }, canvas), h('figcaption', {}, icon('phone'), 'Or scan to sign in on your phone'));
}

/** The pending panel. */
function pendingPanel(model: FlowModel, handlers: FlowHandlers): FlowPanel {
  const { flow } = model;
  const title = heading(`Sign in to ${flow.providerLabel}`);
  const remaining = h('time', { class: 'countdown-value' });
  const label = h('span', { class: 'countdown-label' }, 'Code expires in ');
  const bar = h('span', { class: 'bar-fill' });
  const countdown = h('div', { class: 'countdown' }, h('span', { class: 'countdown-text' }, icon('clock'), label, remaining), h('span', { class: 'bar', 'aria-hidden': 'true' }, bar));
  const trouble = h('p', { class: 'trouble', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', 'data-action': 'cancel', onclick: () => handlers.cancel() }, 'Cancel');

  const expiresMs = flow.start.expires_at * 1000;
  const totalMs = Math.max(1000, expiresMs - flow.seenAt);
  const tick = (): void => {
    const left = expiresMs - serverClock.now();
    remaining.textContent = formatCountdown(left);
    remaining.setAttribute('datetime', `PT${Math.max(0, Math.ceil(left / 1000))}S`);
    bar.style.setProperty('--fraction', String(Math.min(1, Math.max(0, left / totalMs))));
    countdown.classList.toggle('soon', left < 60_000);
    if (left <= 0) label.textContent = 'Code expired ';
  };
  tick();
  const timer = setInterval(tick, 1000);

  const el = h(
    'section',
    { class: 'flow card', 'aria-labelledby': 'flow-title', 'data-phase': 'pending' },
    h('header', { class: 'flow-head' }, avatar(flow.start.provider, flow.providerLabel, true), h('div', {}, title, profileLine(flow.profile))),
    h(
      'div',
      { class: 'flow-body' },
      h(
        'ol',
        { class: 'steps' },
        linkStep(flow),
        h('li', { class: 'step' }, h('span', { class: 'step-n', 'aria-hidden': 'true' }, '2'), h('div', { class: 'step-body' }, h('h3', {}, 'Enter this code'), codeBlock(flow.start.user_code))),
        h('li', { class: 'step' }, h('span', { class: 'step-n', 'aria-hidden': 'true' }, '3'), h('div', { class: 'step-body' }, h('h3', {}, 'Approve the sign-in'), h('p', { class: 'muted' }, 'This page updates by itself the moment you do.'))),
      ),
      qrBlock(flow),
    ),
    h(
      'footer',
      { class: 'flow-foot' },
      h('div', { class: 'waiting' }, h('span', { class: 'pulse', 'aria-hidden': 'true' }), h('span', { id: 'flow-status' }, 'Waiting for approval…'), trouble),
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
    case 'success':
      return { icon: 'check', tone: 'ok', title: `Connected to ${provider}`, message: `Saved to profile ${model.flow.profile}. Hermes Agent can use it right away.` };
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
  if (model.phase === 'pending') return `Sign-in to ${model.flow.providerLabel} started. Your code is ${[...model.flow.start.user_code].join(' ')}.`;
  const o = outcome(model);
  return `${o.title}. ${o.message}`;
}
