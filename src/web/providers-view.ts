/** The provider list: one card per provider with its state, accounts and a sign-in button. */
import type { AccountView, ProviderKind, ProviderView, ProvidersPayload } from './api.js';
import { avatar, h, icon } from './dom.js';
import { describeExpiry, parseExpiry, serverClock } from './time.js';

/** How the list should look right now. */
export interface ProviderListState {
  /** The provider whose start request is in flight, if any. */
  starting: string | null;
  /** A start error to show on one provider's card. */
  error: { provider: string; message: string } | null;
}

/** What the list asks of the app. */
export interface ProviderListHandlers {
  signIn(provider: ProviderView): void;
}

const KIND_LABEL: Record<ProviderKind, string> = {
  device_code: 'Device code',
  authorization_code: 'Sign-in page',
  detect: 'Link Claude Code',
  api_key: 'API key',
  link: 'Sign-in link',
  paste: 'Pasted key',
};

/** Statuses that mean "fine" and are not worth showing next to an account. */
const QUIET_STATUSES = new Set(['ok', 'active', 'valid', 'success']);

/** A provider is supported unless the server says otherwise (older servers omit the field). */
export function isSupported(provider: ProviderView): boolean {
  return provider.supported !== false;
}

/** One saved account: its label, then email, plan and expiry where known. */
function accountItem(account: AccountView): HTMLElement {
  const details: (HTMLElement | string)[] = [];
  if (account.email && account.email !== account.label) details.push(account.email);
  const expiry = parseExpiry(account.expires_at);
  if (expiry !== null) {
    const text = describeExpiry(expiry, serverClock.now());
    details.push(h('span', { class: expiry < serverClock.now() ? 'expiry expired' : 'expiry' }, text));
  }
  if (account.last_status && !QUIET_STATUSES.has(account.last_status.toLowerCase())) {
    details.push(h('span', { class: 'warn-text' }, `last status: ${account.last_status}`));
  }
  const detailLine = details.length
    ? h('span', { class: 'account-detail' }, ...details.flatMap((d, i) => (i ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), d] : [d])))
    : null;
  return h(
    'li',
    { class: 'account' },
    h('span', { class: 'account-main' }, h('span', { class: 'account-label' }, account.label), account.plan ? h('span', { class: 'chip' }, account.plan) : null),
    detailLine,
  );
}

/** The state pill in a card's corner. */
function statePill(provider: ProviderView): HTMLElement {
  if (!isSupported(provider)) return h('span', { class: 'pill pill-muted' }, 'Terminal only');
  return provider.connected
    ? h('span', { class: 'pill pill-ok' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Connected')
    : h('span', { class: 'pill pill-off' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Not connected');
}

/** The bottom of a card: the sign-in button, or why there is none. */
function cardAction(provider: ProviderView, state: ProviderListState, handlers: ProviderListHandlers): HTMLElement {
  if (!isSupported(provider)) {
    return h(
      'p',
      { class: 'provider-note' },
      icon('terminal'),
      h('span', {}, 'The browser cannot sign in to this provider yet: run ', h('code', {}, `hermes auth add ${provider.id}`), ' (Hermes Agent) in a terminal.'),
    );
  }
  const starting = state.starting === provider.id;
  const verb = provider.connected ? 'Sign in again' : 'Sign in';
  return h(
    'div',
    { class: 'provider-actions' },
    h(
      'button',
      {
        type: 'button',
        class: provider.connected ? 'btn btn-secondary' : 'btn btn-primary',
        'data-action': 'sign-in',
        disabled: state.starting !== null,
        'aria-busy': starting ? 'true' : null,
        onclick: () => handlers.signIn(provider),
      },
      starting ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
      starting ? 'Starting…' : verb,
      h('span', { class: 'sr-only' }, ` to ${provider.label}`),
    ),
  );
}

/** One provider's card. */
function providerCard(provider: ProviderView, state: ProviderListState, handlers: ProviderListHandlers): HTMLElement {
  const error = state.error?.provider === provider.id ? state.error.message : null;
  const supported = isSupported(provider);
  return h(
    'li',
    { class: supported ? 'provider card' : 'provider card unsupported', 'data-provider': provider.id },
    h(
      'div',
      { class: 'provider-head' },
      avatar(provider.id, provider.label),
      h(
        'div',
        { class: 'provider-title' },
        h('h3', {}, provider.label),
        h('p', { class: 'provider-meta' }, statePill(provider), h('span', { class: 'kind', title: `Provider id: ${provider.id}` }, KIND_LABEL[provider.kind] ?? provider.kind)),
      ),
    ),
    provider.accounts.length
      ? h('ul', { class: 'accounts', 'aria-label': `Accounts signed in to ${provider.label}` }, ...provider.accounts.map(accountItem))
      : supported
        ? h('p', { class: 'provider-empty' }, 'No account signed in yet.')
        : null,
    cardAction(provider, state, handlers),
    error ? h('p', { class: 'inline-error', role: 'alert' }, icon('alert'), h('span', {}, error)) : null,
  );
}

/** The whole list, supported providers first, with a one-line summary. */
export function renderProviderList(payload: ProvidersPayload, state: ProviderListState, handlers: ProviderListHandlers): HTMLElement {
  const providers = [...payload.providers].sort((a, b) => Number(isSupported(b)) - Number(isSupported(a)));
  const connected = providers.filter((p) => p.connected).length;
  return h(
    'section',
    { class: 'providers', 'aria-labelledby': 'providers-title' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'providers-title' }, 'Providers'),
      h('p', { class: 'muted', id: 'providers-summary' }, `${connected} of ${providers.length} connected`),
    ),
    providers.length
      ? h('ul', { class: 'provider-grid', role: 'list' }, ...providers.map((p) => providerCard(p, state, handlers)))
      : h('p', { class: 'muted' }, 'This server offers no providers.'),
  );
}

/** Placeholder cards while the list loads. */
export function renderSkeleton(): HTMLElement {
  const card = (): HTMLElement =>
    h('li', { class: 'provider card skeleton', 'aria-hidden': 'true' }, h('span', { class: 'bone bone-avatar' }), h('span', { class: 'bone bone-line' }), h('span', { class: 'bone bone-line short' }));
  return h(
    'section',
    { class: 'providers', 'aria-busy': 'true', 'aria-label': 'Loading providers' },
    h('ul', { class: 'provider-grid', role: 'list' }, card(), card(), card(), card()),
  );
}
