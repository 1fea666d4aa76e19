/**
 * The provider list: a search box, then compact rows grouped by state (connected, browser sign-in, API
 * key, terminal only), so 25+ providers stay readable on a phone. Each row has its ways to connect, its
 * accounts with their health, and the controls to remove them. Pure rendering: every action is a handler.
 */
import type { PageAccount, PageProvider, ProvidersPayload, SignInMethod } from './api.js';
import { avatar, h, icon, sentence } from './dom.js';
import { describeExpiry, describeRetry, parseExpiry, serverClock } from './time.js';

/** The open API-key form of one provider and what its last save said. */
export interface KeyFormState {
  provider: string;
  busy: boolean;
  /** Why the last save failed, shown under the form. */
  error: string | null;
  /** The provider could not be reached to check the key: offer to save it unchecked. */
  unreachable: boolean;
}

/** How the list should look right now. */
export interface ProviderListState {
  /** The provider whose start request is in flight, if any. */
  starting: string | null;
  /** A start (or removal) error to show on one provider's row. */
  error: { provider: string; message: string } | null;
  /** What the search box holds. */
  filter: string;
  keyForm: KeyFormState | null;
  /** A success line on one row (a saved key, a removal). */
  saved: { provider: string; message: string } | null;
  /** A provider with a removal in flight. */
  removing: string | null;
}

/** A fresh, empty list state. */
export function emptyListState(): ProviderListState {
  return { starting: null, error: null, filter: '', keyForm: null, saved: null, removing: null };
}

/** Options chosen on the row before starting (MiniMax region, Claude Code's .env clean-up). */
export interface StartChoice {
  method: SignInMethod;
  region?: 'global' | 'cn';
  clear_env_keys?: boolean;
}

/** What the list asks of the app. */
export interface ProviderListHandlers {
  signIn(provider: PageProvider, choice: StartChoice): void;
  /** Starts a sign-in that repairs this (dead or expired) account. */
  relogin(provider: PageProvider, account: PageAccount): void;
  toggleKeyForm(provider: PageProvider): void;
  saveKey(provider: PageProvider, key: { apiKey: string; label: string; verify: boolean }): void;
  remove(provider: PageProvider, account: PageAccount): void;
  logout(provider: PageProvider): void;
  filter(text: string): void;
}

/** Methods that run a sign-in flow (everything but a pasted API key). */
const INTERACTIVE: readonly SignInMethod[] = ['device_code', 'authorization_code', 'detect'];

const METHOD_LABEL: Record<SignInMethod, string> = {
  device_code: 'Device code',
  authorization_code: 'Browser sign-in',
  detect: 'Link Claude Code',
  api_key: 'API key',
};

const SOURCE_LABEL: Record<string, string> = {
  device_code: 'device code',
  pkce: 'browser sign-in',
  linked: 'linked',
  api_key: 'API key',
  env: 'environment (.env)',
  config: 'config.yaml',
};

/** A provider is supported unless the server says otherwise (older servers omit the field). */
export function isSupported(provider: PageProvider): boolean {
  return provider.supported !== false;
}

/** The ways to connect a provider; older servers send no `methods`, so it is inferred from `supported`. */
export function methodsOf(provider: PageProvider): SignInMethod[] {
  if (provider.methods) return provider.methods;
  return isSupported(provider) ? ['device_code'] : [];
}

/** True for an account only a new sign-in brings back. */
export function needsSignIn(account: PageAccount): boolean {
  return account.health === 'dead' || account.health === 'expired' || account.relogin_required === true;
}

/** The health badge of an account: a word, a tone, and the details that go with it. */
function healthBadge(account: PageAccount): HTMLElement | null {
  const health = account.health;
  if (!health) return null;
  const now = serverClock.now();
  let text: string;
  let tone: string;
  switch (health) {
    case 'ok':
      text = 'Working';
      tone = 'ok';
      break;
    case 'exhausted': {
      const retry = account.retry_at ? describeRetry(account.retry_at * 1000, now) : null;
      text = ['Paused', retry].filter(Boolean).join(' ');
      tone = 'warn';
      break;
    }
    case 'dead':
      text = 'Signed out: sign in again';
      tone = 'error';
      break;
    case 'expired':
      text = 'Expired';
      tone = 'error';
      break;
    default:
      text = 'Health unknown';
      tone = 'muted';
  }
  return h('span', { class: `health health-${tone}`, 'data-health': health }, h('span', { class: 'dot', 'aria-hidden': 'true' }), text);
}

/** One saved account: label, badges, details (email, source, key hint, expiry, why it is benched) and its controls. */
function accountItem(provider: PageProvider, account: PageAccount, state: ProviderListState, handlers: ProviderListHandlers): HTMLElement {
  const details: (HTMLElement | string)[] = [];
  if (account.email && account.email !== account.label) details.push(account.email);
  if (account.source) details.push(`via ${SOURCE_LABEL[account.source] ?? account.source}`);
  if (account.key_hint) details.push(h('code', { class: 'key-hint' }, account.key_hint));
  const expiry = parseExpiry(account.expires_at);
  if (expiry !== null) {
    const text = describeExpiry(expiry, serverClock.now());
    details.push(h('span', { class: expiry < serverClock.now() ? 'expiry expired' : 'expiry' }, `token ${text}`));
  }
  if (account.health_detail && account.health !== 'ok') details.push(h('span', { class: 'warn-text health-detail' }, account.health_detail));
  const detailLine = details.length
    ? h('span', { class: 'account-detail' }, ...details.flatMap((d, i) => (i ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), d] : [d])))
    : null;
  const busy = state.removing === provider.id || state.starting !== null;
  const repair = needsSignIn(account) && methodsOf(provider).some((m) => INTERACTIVE.includes(m));
  return h(
    'li',
    { class: 'account', 'data-account': account.id, 'data-health': account.health ?? null },
    h(
      'span',
      { class: 'account-main' },
      h('span', { class: 'account-label' }, account.label),
      account.plan ? h('span', { class: 'chip' }, account.plan) : null,
      account.used_first ? h('span', { class: 'chip chip-accent', title: 'Hermes Agent uses this account first' }, 'Used first') : null,
      healthBadge(account),
    ),
    detailLine,
    h(
      'span',
      { class: 'account-actions' },
      repair
        ? h(
            'button',
            { type: 'button', class: 'btn btn-primary btn-sm', 'data-action': 'relogin', disabled: busy, onclick: () => handlers.relogin(provider, account) },
            'Sign in again',
            h('span', { class: 'sr-only' }, ` as ${account.label}`),
          )
        : null,
      h(
        'button',
        { type: 'button', class: 'btn btn-ghost btn-sm', 'data-action': 'remove', disabled: busy, onclick: () => handlers.remove(provider, account) },
        'Remove',
        h('span', { class: 'sr-only' }, ` ${account.label}`),
      ),
    ),
  );
}

/** The state pill of a row. */
function statePill(provider: PageProvider): HTMLElement {
  if (!methodsOf(provider).length) return h('span', { class: 'pill pill-muted' }, 'Terminal only');
  if (!provider.connected) return h('span', { class: 'pill pill-off' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Not connected');
  const troubled = provider.accounts.length > 0 && provider.accounts.every((a) => a.health && a.health !== 'ok');
  return troubled
    ? h('span', { class: 'pill pill-warn' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Connected, needs attention')
    : h('span', { class: 'pill pill-ok' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Connected');
}

/** The words on a sign-in button, by method. */
function signInWords(method: SignInMethod, connected: boolean): string {
  if (method === 'detect') return 'Link Claude Code';
  return connected ? 'Add an account' : 'Sign in';
}

/** The choices a row offers before starting: MiniMax's region, Claude Code's optional .env clean-up. */
function startOptions(provider: PageProvider): { el: HTMLElement | null; read: () => Omit<StartChoice, 'method'> } {
  const methods = methodsOf(provider);
  const parts: HTMLElement[] = [];
  let region: HTMLSelectElement | null = null;
  let clearEnv: HTMLInputElement | null = null;
  if (provider.id === 'minimax-oauth') {
    const id = `region-${provider.id}`;
    region = h(
      'select',
      { id, name: 'region' },
      h('option', { value: 'global' }, 'Global (minimax.io)'),
      h('option', { value: 'cn' }, 'China (minimaxi.com)'),
    );
    parts.push(h('div', { class: 'field field-inline' }, h('label', { for: id }, 'Region'), region));
  }
  if (methods.includes('detect')) {
    const id = `clear-env-${provider.id}`;
    clearEnv = h('input', { type: 'checkbox', id, name: 'clear_env_keys' });
    parts.push(
      h(
        'div',
        { class: 'check' },
        clearEnv,
        h(
          'label',
          { for: id },
          'Also remove ',
          h('code', {}, 'ANTHROPIC_API_KEY'),
          ' and ',
          h('code', {}, 'ANTHROPIC_TOKEN'),
          ' from this profile’s ',
          h('code', {}, '.env'),
          h('span', { class: 'check-hint' }, 'If either is set, Hermes Agent uses it instead of the Claude Code sign-in. The rest of .env is kept.'),
        ),
      ),
    );
  }
  return {
    el: parts.length ? h('div', { class: 'start-options' }, ...parts) : null,
    read: () => ({
      ...(region ? { region: region.value === 'cn' ? ('cn' as const) : ('global' as const) } : {}),
      ...(clearEnv?.checked ? { clear_env_keys: true } : {}),
    }),
  };
}

/** The API-key form: a password field, an optional label, and the outcome of the last save. */
function keyForm(provider: PageProvider, form: KeyFormState, handlers: ProviderListHandlers): HTMLElement {
  const keyId = `key-${provider.id}`;
  const labelId = `key-label-${provider.id}`;
  const errorId = `key-error-${provider.id}`;
  const key = h('input', {
    type: 'password',
    id: keyId,
    name: 'api_key',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': form.error ? errorId : null,
    'aria-invalid': form.error && !form.unreachable ? 'true' : null,
  });
  const label = h('input', { type: 'text', id: labelId, name: 'label', autocomplete: 'off', maxlength: '64', placeholder: 'e.g. work' });
  const save = (verify: boolean) => handlers.saveKey(provider, { apiKey: key.value, label: label.value, verify });
  return h(
    'form',
    {
      class: 'key-form',
      id: `key-form-${provider.id}`,
      'aria-label': `API key for ${provider.label}`,
      'aria-busy': form.busy ? 'true' : null,
      onsubmit: (e) => {
        e.preventDefault();
        save(true);
      },
    },
    h('div', { class: 'field' }, h('label', { for: keyId }, `${provider.label} API key`), key),
    h('div', { class: 'field' }, h('label', { for: labelId }, 'Label ', h('span', { class: 'muted' }, '(optional)')), label),
    h(
      'div',
      { class: 'key-actions' },
      h(
        'button',
        { type: 'submit', class: 'btn btn-primary', 'data-action': 'save-key', disabled: form.busy },
        form.busy ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
        form.busy ? 'Checking…' : 'Check and save',
      ),
      form.unreachable
        ? h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'save-unchecked', disabled: form.busy, onclick: () => save(false) }, 'Save without checking')
        : null,
    ),
    form.error ? h('p', { class: 'inline-error', id: errorId, role: 'alert' }, icon('alert'), h('span', {}, sentence(form.error))) : null,
    h('p', { class: 'muted small' }, 'The key is checked with the provider, then saved on the server for Hermes Agent. This page shows only its last characters.'),
  );
}

/** Where a provider cannot be connected from the browser: the terminal command that does it. */
function terminalNote(provider: PageProvider): HTMLElement {
  return h(
    'p',
    { class: 'provider-note' },
    icon('terminal'),
    h('span', {}, 'Not possible from the browser yet: run ', h('code', {}, provider.terminal_command ?? `hermes auth add ${provider.id}`), ' (Hermes Agent) in a terminal.'),
  );
}

/** The row's buttons: one per sign-in method, the API-key toggle, and Sign out. */
function rowActions(provider: PageProvider, state: ProviderListState, handlers: ProviderListHandlers, read: () => Omit<StartChoice, 'method'>): HTMLElement | null {
  const methods = methodsOf(provider);
  if (!methods.length) return null;
  const starting = state.starting === provider.id;
  const buttons: HTMLElement[] = methods
    .filter((m) => INTERACTIVE.includes(m))
    .map((method) =>
      h(
        'button',
        {
          type: 'button',
          class: provider.connected ? 'btn btn-secondary' : 'btn btn-primary',
          'data-action': 'sign-in',
          'data-method': method,
          disabled: state.starting !== null,
          'aria-busy': starting ? 'true' : null,
          onclick: () => handlers.signIn(provider, { method, ...read() }),
        },
        starting ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
        starting ? 'Starting…' : signInWords(method, provider.connected),
        method === 'detect' ? null : h('span', { class: 'sr-only' }, ` to ${provider.label}`),
      ),
    );
  if (methods.includes('api_key')) {
    const open = state.keyForm?.provider === provider.id;
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          class: buttons.length || provider.connected ? 'btn btn-ghost' : 'btn btn-secondary',
          'data-action': 'add-key',
          'aria-expanded': open ? 'true' : 'false',
          'aria-controls': `key-form-${provider.id}`,
          onclick: () => handlers.toggleKeyForm(provider),
        },
        icon('key'),
        provider.accounts.some((a) => a.key_hint) ? 'Add another key' : 'Add an API key',
        h('span', { class: 'sr-only' }, ` for ${provider.label}`),
      ),
    );
  }
  if (provider.accounts.length) {
    buttons.push(
      h(
        'button',
        { type: 'button', class: 'btn btn-ghost btn-danger', 'data-action': 'logout', disabled: state.removing === provider.id, onclick: () => handlers.logout(provider) },
        'Sign out',
        h('span', { class: 'sr-only' }, ` of ${provider.label}`),
      ),
    );
  }
  return h('div', { class: 'provider-actions' }, ...buttons);
}

/** Hermes Agent's record of the provider's last failed login, when it has one. */
function lastAuthError(provider: PageProvider): HTMLElement | null {
  const err = provider.last_auth_error;
  if (!err) return null;
  const words = err.message ?? err.reason ?? err.code ?? 'Hermes Agent could not use this sign-in.';
  const relogin = err.relogin_required;
  return h(
    'p',
    { class: 'auth-error', 'data-role': 'last-auth-error' },
    icon('alert'),
    h('span', {}, h('strong', {}, 'Last sign-in problem: '), sentence(words), relogin ? ' Sign in again to fix it.' : ''),
  );
}

/** One provider's row. */
function providerRow(provider: PageProvider, state: ProviderListState, handlers: ProviderListHandlers): HTMLElement {
  const error = state.error?.provider === provider.id ? state.error.message : null;
  const saved = state.saved?.provider === provider.id ? state.saved.message : null;
  const methods = methodsOf(provider);
  const options = startOptions(provider);
  const form = state.keyForm?.provider === provider.id ? state.keyForm : null;
  return h(
    'li',
    { class: methods.length ? 'provider row' : 'provider row unsupported', 'data-provider': provider.id, 'data-search': `${provider.label} ${provider.id}`.toLowerCase() },
    h(
      'div',
      { class: 'provider-head' },
      avatar(provider.id, provider.label),
      h(
        'div',
        { class: 'provider-title' },
        h('h4', { id: `provider-${provider.id}` }, provider.label),
        h(
          'p',
          { class: 'provider-meta' },
          statePill(provider),
          ...methods.map((m) => h('span', { class: 'kind', title: `Provider id: ${provider.id}` }, METHOD_LABEL[m] ?? m)),
        ),
      ),
    ),
    lastAuthError(provider),
    provider.accounts.length
      ? h('ul', { class: 'accounts', 'aria-label': `Accounts of ${provider.label}` }, ...provider.accounts.map((a) => accountItem(provider, a, state, handlers)))
      : null,
    methods.length ? options.el : terminalNote(provider),
    rowActions(provider, state, handlers, options.read),
    form ? keyForm(provider, form, handlers) : null,
    saved ? h('p', { class: 'inline-ok', role: 'status' }, icon('check'), h('span', {}, saved)) : null,
    error ? h('p', { class: 'inline-error', role: 'alert' }, icon('alert'), h('span', {}, error)) : null,
  );
}

/** The groups of the list, in order: each provider lands in the first that takes it. */
const GROUPS: Array<{ id: string; title: string; takes: (p: PageProvider) => boolean }> = [
  { id: 'connected', title: 'Connected', takes: (p) => p.connected || p.accounts.length > 0 },
  { id: 'browser', title: 'Sign in with your browser', takes: (p) => methodsOf(p).some((m) => INTERACTIVE.includes(m)) },
  { id: 'api-key', title: 'Add an API key', takes: (p) => methodsOf(p).includes('api_key') },
  { id: 'terminal', title: 'From a terminal', takes: () => true },
];

/** Shows only the rows whose name or id holds `text` (and the groups that keep a row); returns how many are shown. */
export function applyFilter(section: Element, text: string): number {
  const wanted = text.trim().toLowerCase();
  let shown = 0;
  for (const group of section.querySelectorAll<HTMLElement>('.provider-group')) {
    let inGroup = 0;
    for (const row of group.querySelectorAll<HTMLElement>('[data-provider]')) {
      const match = !wanted || (row.dataset.search ?? '').includes(wanted);
      row.hidden = !match;
      if (match) inGroup++;
    }
    group.hidden = inGroup === 0;
    const count = group.querySelector('.group-count');
    if (count) count.textContent = String(inGroup);
    shown += inGroup;
  }
  const empty = section.querySelector<HTMLElement>('.filter-empty');
  if (empty) empty.hidden = shown > 0;
  return shown;
}

/** The whole list: summary, search box, and the groups. */
export function renderProviderList(payload: ProvidersPayload, state: ProviderListState, handlers: ProviderListHandlers): HTMLElement {
  const providers = payload.providers;
  const connected = providers.filter((p) => p.connected).length;
  const buckets = new Map<string, PageProvider[]>(GROUPS.map((g) => [g.id, []]));
  for (const p of providers) buckets.get(GROUPS.find((g) => g.takes(p))?.id ?? 'terminal')?.push(p);
  const count = h('span', { class: 'sr-only', id: 'filter-count', 'aria-live': 'polite' });
  const search = h('input', {
    type: 'search',
    id: 'provider-filter',
    name: 'filter',
    autocomplete: 'off',
    placeholder: 'Search providers',
    value: state.filter,
    oninput: (e) => {
      const text = (e.target as HTMLInputElement).value;
      handlers.filter(text);
      const shown = applyFilter(section, text);
      count.textContent = `${shown} of ${providers.length} providers shown`;
    },
  });
  const section = h(
    'section',
    { class: 'providers', 'aria-labelledby': 'providers-title' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'providers-title' }, 'Providers'),
      h('p', { class: 'muted', id: 'providers-summary' }, `${connected} of ${providers.length} connected`),
    ),
    providers.length > 6 ? h('div', { class: 'filter' }, h('label', { for: 'provider-filter', class: 'sr-only' }, 'Search providers'), search, count) : null,
    ...GROUPS.map((g) => {
      const list = buckets.get(g.id) ?? [];
      if (!list.length) return null;
      return h(
        'section',
        { class: `provider-group group-${g.id}`, 'aria-labelledby': `group-${g.id}`, 'data-group': g.id },
        h('h3', { class: 'group-title', id: `group-${g.id}` }, g.title, h('span', { class: 'group-count' }, String(list.length))),
        h('ul', { class: 'provider-list', role: 'list' }, ...list.map((p) => providerRow(p, state, handlers))),
      );
    }),
    providers.length ? h('p', { class: 'muted filter-empty', hidden: true }, 'No provider matches this search.') : h('p', { class: 'muted' }, 'This server offers no providers.'),
  );
  if (state.filter) applyFilter(section, state.filter);
  return section;
}

/** Placeholder rows while the list loads. */
export function renderSkeleton(): HTMLElement {
  const row = (): HTMLElement =>
    h('li', { class: 'provider row skeleton', 'aria-hidden': 'true' }, h('span', { class: 'bone bone-avatar' }), h('span', { class: 'bone bone-line' }), h('span', { class: 'bone bone-line short' }));
  return h(
    'section',
    { class: 'providers', 'aria-busy': 'true', 'aria-label': 'Loading providers' },
    h('ul', { class: 'provider-list', role: 'list' }, row(), row(), row(), row()),
  );
}
