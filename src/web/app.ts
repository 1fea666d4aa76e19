/**
 * The onboarding page's controller: loads profiles and providers, starts, watches, resumes and cancels
 * sign-in flows, and decides what is on screen. Rendering lives in the *-view modules.
 */
import { Api, ApiError, type LogoutPayload, type PageAccount, type PageProvider, type ProvidersPayload, type RemovePayload, type StartOptions, type StatusPayload } from './api.js';
import { confirmRemoval } from './confirm-view.js';
import { announce, h, icon, replace } from './dom.js';
import { phaseAnnouncement, renderFlow, type FlowModel, type FlowPanel, type FlowPhase } from './flow-view.js';
import { emptyListState, methodsOf, renderProviderList, renderSkeleton, type ProviderListState, type StartChoice } from './providers-view.js';
import { adoptToken, clearFlow, forgetToken, loadFlow, saveFlow, type SavedFlow } from './storage.js';
import { serverClock } from './time.js';
import { watchFlow, watchProviders, type StopWatching } from './watch.js';

/** Sources whose sign-in grant the provider may revoke (an OAuth refresh token); keys and links have none. */
const REVOCABLE_SOURCES = new Set(['device_code']);

/** The values and focus of a list's form fields, carried over a re-render so a live update never eats typing. */
interface FieldSnapshot {
  values: Map<string, { value: string; checked: boolean }>;
  focused: { id: string; start: number | null; end: number | null } | null;
}

/** Records the fields (by id) under `root`. */
function snapshotFields(root: Element): FieldSnapshot {
  const values = new Map<string, { value: string; checked: boolean }>();
  for (const el of root.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[id], select[id]')) {
    values.set(el.id, { value: el.value, checked: el instanceof HTMLInputElement && el.checked });
  }
  const active = document.activeElement;
  let focused: FieldSnapshot['focused'] = null;
  if (active instanceof HTMLElement && active.id && root.contains(active)) {
    const text = active instanceof HTMLInputElement && ['text', 'search', 'password'].includes(active.type);
    focused = { id: active.id, start: text ? active.selectionStart : null, end: text ? active.selectionEnd : null };
  }
  return { values, focused };
}

/** Puts recorded values and focus back on the fields that still exist. */
function restoreFields(root: Element, snapshot: FieldSnapshot): void {
  for (const [id, saved] of snapshot.values) {
    const el = root.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(id)}`);
    if (!el) continue;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = saved.checked;
    else el.value = saved.value;
  }
  const f = snapshot.focused;
  const target = f ? root.querySelector<HTMLElement>(`#${CSS.escape(f.id)}`) : null;
  if (f && target && document.activeElement !== target) {
    target.focus();
    if (target instanceof HTMLInputElement && f.start !== null) target.setSelectionRange(f.start, f.end);
  }
}

/** A short signature of each account's health, to announce what changed on a live update. */
function healthSignature(payload: ProvidersPayload): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of payload.providers) for (const a of p.accounts) out.set(`${p.label}: ${a.label}`, a.health ?? '');
  return out;
}

const HEALTH_WORDS: Record<string, string> = { ok: 'working', exhausted: 'paused', dead: 'signed out, sign in again', expired: 'expired', unknown: 'of unknown health' };

/** Looks up an element the page's HTML must contain. */
function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html is missing #${id}`);
  return el;
}

/** The page. One instance, created at load. */
class OnboardingPage {
  private token: string | null = adoptToken();
  private readonly api = new Api(() => this.token);
  private readonly root = byId('app');
  private readonly notice = byId('notice');
  private readonly profileArea = byId('profile-area');

  private profiles: string[] = [];
  private profile = '';
  private providers: ProvidersPayload | null = null;
  private list: ProviderListState = emptyListState();
  private stopProviders: (() => void) | null = null;
  private flow: FlowModel | null = null;
  private panel: FlowPanel | null = null;
  private stopWatch: StopWatching | null = null;
  /** Set while a cancel request is in flight: its answer, not the stream, decides what is shown. */
  private cancelling = false;
  /** An end status the stream reported while cancelling, used if the cancel request itself fails. */
  private endDuringCancel: StatusPayload | null = null;
  private loadSeq = 0;

  /** Loads everything and resumes a flow this tab was watching before a reload. */
  async boot(): Promise<void> {
    this.render();
    let profiles;
    try {
      profiles = await this.api.profiles();
    } catch (err) {
      this.fail(err, 'Could not load this server’s profiles');
      return;
    }
    this.profiles = profiles.profiles.length ? profiles.profiles : [profiles.active];
    const saved = loadFlow();
    const wanted = new URLSearchParams(location.search).get('profile');
    this.profile = saved?.profile ?? (wanted && this.profiles.includes(wanted) ? wanted : profiles.active);
    this.renderProfiles();
    const loading = this.loadProviders();
    this.followProviders();
    if (saved) await this.resume(saved);
    await loading;
  }

  /** Follows the profile's providers live, so changes other programs make show without a reload. */
  private followProviders(): void {
    this.stopProviders?.();
    const profile = this.profile;
    this.stopProviders = watchProviders(this.api, profile, (payload) => {
      if (profile === this.profile) this.showProviders(payload, true);
    });
  }

  /** Takes a providers payload; a live one also says which accounts changed health. */
  private showProviders(payload: ProvidersPayload, live: boolean): void {
    const before = this.providers;
    if (before && JSON.stringify(before) === JSON.stringify(payload)) return;
    this.providers = payload;
    this.clearNotice(true);
    this.render();
    if (live && before) {
      const old = healthSignature(before);
      const changes = [...healthSignature(payload)].filter(([k, v]) => old.has(k) && old.get(k) !== v).map(([k, v]) => `${k} is now ${HEALTH_WORDS[v] ?? v}`);
      if (changes.length) announce(`${changes.join('. ')}.`);
    }
  }

  /** Fetches the provider list of the current profile; a newer request wins over an older one. */
  private async loadProviders(): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      const payload = await this.api.providers(this.profile);
      if (seq !== this.loadSeq) return;
      this.showProviders(payload, false);
    } catch (err) {
      if (seq === this.loadSeq) this.fail(err, 'Could not load the providers');
    }
  }

  /** Shows again the flow a previous load was watching: asks its status, creates nothing. */
  private async resume(saved: SavedFlow): Promise<void> {
    let status: StatusPayload;
    try {
      status = await this.api.poll(saved.start.flow_id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return clearFlow();
      if (err instanceof ApiError && err.isAuth) return this.fail(err, 'Could not resume the sign-in');
      // The server is unreachable for now: show the flow; the watcher reports and retries.
      status = { ok: true, provider: saved.start.provider, flow_id: saved.start.flow_id, status: 'pending' };
    }
    if (status.status === 'pending') this.follow(saved);
    else this.end(saved, status.status, status);
  }

  /** Starts (or, thanks to the server's single flight, rejoins) a sign-in. */
  private async start(providerId: string, providerLabel: string, options: StartOptions = {}, repairing?: string): Promise<void> {
    if (this.list.starting) return;
    this.closeFlow(false);
    this.clearNotice();
    this.list = { ...this.list, starting: providerId, error: null, saved: null };
    this.render();
    try {
      const start = await this.api.start(providerId, this.profile, options);
      this.list = { ...this.list, starting: null };
      const saved: SavedFlow = { start, profile: this.profile, providerLabel, seenAt: serverClock.now(), options, ...(repairing ? { repairing } : {}) };
      saveFlow(saved);
      this.follow(saved);
    } catch (err) {
      this.list = { ...this.list, starting: null };
      if (err instanceof ApiError && err.isAuth) return this.fail(err, 'Could not start the sign-in');
      this.list.error = { provider: providerId, message: err instanceof Error ? err.message : String(err) };
      this.render();
      this.focusProvider(providerId);
    }
  }

  /** "Sign in again" on a dead or expired account: a sign-in that repairs that same account. */
  private relogin(provider: PageProvider, account: PageAccount): void {
    const method = methodsOf(provider).find((m) => m !== 'api_key');
    if (!method) return;
    void this.start(provider.id, provider.label, { ...startOptions(provider, { method }), account_id: account.id }, account.label);
  }

  /** Opens or closes a provider's API-key form. */
  private toggleKeyForm(provider: PageProvider): void {
    const open = this.list.keyForm?.provider === provider.id;
    this.list = { ...this.list, keyForm: open ? null : { provider: provider.id, busy: false, error: null, unreachable: false }, saved: null };
    this.render();
    const target = open
      ? this.root.querySelector<HTMLElement>(`[data-provider="${CSS.escape(provider.id)}"] [data-action="add-key"]`)
      : document.getElementById(`key-${provider.id}`);
    target?.focus();
  }

  /** Checks and saves an API key; only the key's hint is shown afterwards, and the field is emptied. */
  private async saveKey(provider: PageProvider, key: { apiKey: string; label: string; verify: boolean }): Promise<void> {
    const form = this.list.keyForm;
    if (!form || form.provider !== provider.id || form.busy) return;
    const field = (): HTMLInputElement | null => document.getElementById(`key-${provider.id}`) as HTMLInputElement | null;
    const apiKey = key.apiKey.trim();
    if (!apiKey) {
      this.list.keyForm = { ...form, error: 'Paste the API key first.', unreachable: false };
      this.render();
      field()?.focus();
      return;
    }
    this.list.keyForm = { ...form, busy: true };
    this.render();
    try {
      const label = key.label.trim();
      const answer = await this.api.addKey({ provider: provider.id, api_key: apiKey, profile: this.profile, ...(label ? { label } : {}), ...(key.verify ? {} : { verify: false }) });
      const k = field();
      if (k) k.value = '';
      const labelField = document.getElementById(`key-label-${provider.id}`) as HTMLInputElement | null;
      if (labelField) labelField.value = '';
      const hint = answer.account.key_hint ? ` (${answer.account.key_hint})` : '';
      const message = `Saved ${answer.account.label}${hint} to profile ${this.profile}.${key.verify ? '' : ' It was not checked with the provider.'}`;
      this.list = { ...this.list, keyForm: null, saved: { provider: provider.id, message } };
      announce(message);
      await this.loadProviders();
      this.render();
      this.root.querySelector<HTMLElement>(`[data-provider="${CSS.escape(provider.id)}"] [data-action="add-key"]`)?.focus();
    } catch (err) {
      if (err instanceof ApiError && err.isAuth) return this.fail(err, 'Could not save the key');
      const status = err instanceof ApiError ? err.status : 0;
      const message = err instanceof Error ? err.message : String(err);
      // a 422 carries the provider's own words about the key; a 502 means it could not be asked
      this.list.keyForm = { ...form, busy: false, error: message, unreachable: status === 502 };
      this.render();
      field()?.focus();
    }
  }

  /** Removes one account, after a confirmation that names it. */
  private async remove(provider: PageProvider, account: PageAccount): Promise<void> {
    const answer = await confirmRemoval({
      title: `Remove ${account.label}?`,
      message: `${account.label} is removed from ${provider.label} in profile ${this.profile}; Hermes Agent will stop using it.`,
      action: `Remove ${account.label}`,
      revocable: REVOCABLE_SOURCES.has(account.source ?? ''),
      providerLabel: provider.label,
    });
    if (!answer) return;
    await this.removal(provider, () => this.api.removeAccount(provider.id, account.id, this.profile, answer.revoke), answer.revoke);
  }

  /** Signs a provider out of the profile (every credential), after a confirmation. */
  private async logout(provider: PageProvider): Promise<void> {
    const names = provider.accounts.map((a) => a.label).join(', ');
    const answer = await confirmRemoval({
      title: `Sign out of ${provider.label}?`,
      message: `Every ${provider.label} credential in profile ${this.profile} is removed (${names}); Hermes Agent will stop using them.`,
      action: `Sign out of ${provider.label}`,
      revocable: provider.accounts.some((a) => REVOCABLE_SOURCES.has(a.source ?? '')),
      providerLabel: provider.label,
    });
    if (!answer) return;
    await this.removal(provider, () => this.api.logout(provider.id, this.profile, answer.revoke), answer.revoke);
  }

  /** Runs a removal and reports what went and what is left to do elsewhere. */
  private async removal(provider: PageProvider, run: () => Promise<RemovePayload | LogoutPayload>, revoke: boolean): Promise<void> {
    this.list = { ...this.list, removing: provider.id, error: null, saved: null };
    this.render();
    try {
      const answer = await run();
      const removed = Array.isArray(answer.removed) ? answer.removed : [answer.removed];
      const names = removed.map((r) => r.label).join(', ') || 'nothing';
      // the server's hints say how revoking went; a word of our own only when it said nothing
      const revokeWords = answer.revoked === true ? 'The sign-in was revoked at the provider.' : answer.revoked === false ? 'Revoking at the provider failed; the local credential is removed anyway.' : `${provider.label} does not support revoking.`;
      const hints = answer.hints.length || !revoke ? answer.hints : [revokeWords];
      const message = `Removed ${names} from ${provider.label}.`;
      this.list = { ...this.list, removing: null };
      this.showNotice('info', message, ...hints.map((hint) => h('p', {}, hint)));
      announce(message);
      await this.loadProviders();
      this.focusProvider(provider.id);
    } catch (err) {
      this.list = { ...this.list, removing: null };
      if (err instanceof ApiError && err.isAuth) return this.fail(err, 'Could not remove the account');
      this.list.error = { provider: provider.id, message: err instanceof Error ? err.message : String(err) };
      this.render();
      this.focusProvider(provider.id);
    }
  }

  /** Shows a pending flow and follows its status live. */
  private follow(saved: SavedFlow): void {
    this.showFlow({ flow: saved, phase: 'pending' });
    this.stopWatch = watchFlow(this.api, saved.start.flow_id, saved.start.poll_interval_seconds ?? 2, {
      onStatus: (status) => {
        if (status.status === 'pending') return;
        if (this.cancelling) this.endDuringCancel = status;
        else this.end(saved, status.status, status);
      },
      onGone: () => this.end(saved, 'gone'),
      onTrouble: (message) => this.panel?.setTrouble(message),
    });
  }

  /** Shows how a flow ended; a success also refreshes the provider list under it. */
  private end(saved: SavedFlow, phase: FlowPhase, status?: StatusPayload): void {
    clearFlow();
    this.showFlow({ flow: saved, phase, status });
    if (phase === 'success') void this.loadProviders();
  }

  /**
   * Cancels the flow on the server. The server's answer is the truth (a success may have won the race);
   * the stream keeps running meanwhile so it can end by itself instead of being cut.
   */
  private async cancel(): Promise<void> {
    const model = this.flow;
    if (!model || model.phase !== 'pending' || this.cancelling) return;
    this.cancelling = true;
    this.endDuringCancel = null;
    this.panel?.setCancelling(true);
    let status: StatusPayload;
    try {
      status = await this.api.cancel(model.flow.start.flow_id);
    } catch (err) {
      status = this.endDuringCancel ?? { ok: true, provider: model.flow.start.provider, flow_id: model.flow.start.flow_id, status: 'pending' };
      if (status.status === 'pending') {
        this.cancelling = false;
        this.panel?.setCancelling(false);
        this.panel?.setTrouble(err instanceof Error ? err.message : String(err));
        return;
      }
    }
    this.cancelling = false;
    if (this.flow !== model) return;
    this.stopWatching(true);
    if (status.status === 'cancelled' || status.status === 'pending') {
      clearFlow();
      this.closeFlow(true);
      this.showNotice('info', `Sign-in to ${model.flow.providerLabel} cancelled. Nothing was saved.`);
      announce(`Sign-in to ${model.flow.providerLabel} cancelled.`);
    } else {
      this.end(model.flow, status.status, status);
    }
  }

  /** Sends a pasted code; the flow's stream reports the outcome, so only a refusal is returned here. */
  private async submitCode(model: FlowModel, code: string): Promise<string | null> {
    try {
      const status = await this.api.submit(model.flow.start.flow_id, code);
      if (status.status !== 'pending' && this.flow === model) this.end(model.flow, status.status, status);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** Replaces the flow panel and moves focus to it. */
  private showFlow(model: FlowModel): void {
    this.stopWatching(model.phase !== 'pending');
    this.panel?.dispose();
    this.flow = model;
    this.panel = renderFlow(model, {
      cancel: () => void this.cancel(),
      retry: () => void this.start(model.flow.start.provider, model.flow.providerLabel, model.flow.options, model.flow.repairing),
      close: () => this.closeFlow(true),
      submitCode: (code) => this.submitCode(model, code),
    });
    this.render();
    this.renderProfiles();
    this.panel.focusTarget.focus();
    announce(phaseAnnouncement(model));
  }

  /** Removes the flow panel; with `refocus`, focus returns to that provider's card. */
  private closeFlow(refocus: boolean): void {
    const provider = this.flow?.flow.start.provider;
    this.stopWatching(this.flow?.phase !== 'pending');
    this.panel?.dispose();
    this.panel = null;
    this.flow = null;
    this.render();
    this.renderProfiles();
    if (refocus && provider) this.focusProvider(provider);
  }

  /** Stops following the current flow (gracefully once it has ended: see StopWatching). */
  private stopWatching(graceful: boolean): void {
    this.stopWatch?.(graceful);
    this.stopWatch = null;
  }

  /** Puts focus on a provider's sign-in button (or its card's heading). */
  private focusProvider(providerId: string): void {
    const card = this.root.querySelector(`[data-provider="${CSS.escape(providerId)}"]`);
    const target = card?.querySelector<HTMLElement>('[data-action="sign-in"]') ?? byId('providers-title');
    if (target.tagName === 'H2') target.setAttribute('tabindex', '-1');
    target.focus();
  }

  /** Switches the profile being looked at and signed in to. */
  private switchProfile(profile: string): void {
    if (profile === this.profile) return;
    this.profile = profile;
    const url = new URL(location.href);
    url.searchParams.set('profile', profile);
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    this.providers = null;
    this.list = emptyListState();
    this.closeFlow(false);
    void this.loadProviders();
    this.followProviders();
    announce(`Showing profile ${profile}.`);
  }

  /** Draws the main area: the flow panel (alone while pending), then the provider list. */
  private render(): void {
    const pending = this.flow?.phase === 'pending';
    const list = pending
      ? null
      : this.providers
        ? renderProviderList(this.providers, this.list, {
            signIn: (p, choice) => void this.start(p.id, p.label, startOptions(p, choice)),
            relogin: (p, a) => this.relogin(p, a),
            toggleKeyForm: (p) => this.toggleKeyForm(p),
            saveKey: (p, key) => void this.saveKey(p, key),
            remove: (p, a) => void this.remove(p, a),
            logout: (p) => void this.logout(p),
            filter: (text) => {
              this.list.filter = text;
            },
          })
        : renderSkeleton();
    const fields = snapshotFields(this.root);
    const panel = this.panel?.el;
    if (panel && this.root.firstElementChild === panel) {
      // Keep the panel node in place: detaching it would drop the keyboard focus inside it.
      while (panel.nextSibling) panel.nextSibling.remove();
      if (list) this.root.append(list);
    } else {
      replace(this.root, panel, list);
    }
    restoreFields(this.root, fields);
  }

  /** The profile switcher (a select when there are several profiles, else a label); updated in place. */
  private renderProfiles(): void {
    if (!this.profile) return;
    const existing = this.profileArea.querySelector('select');
    if (existing) {
      existing.value = this.profile;
      existing.disabled = this.flow?.phase === 'pending';
      return;
    }
    if (this.profiles.length < 2) {
      replace(this.profileArea, h('span', { class: 'profile-chip' }, h('span', { class: 'profile-caption' }, 'Profile'), h('strong', { id: 'profile-name' }, this.profile)));
      return;
    }
    const select = h(
      'select',
      { id: 'profile-select', onchange: (e) => this.switchProfile((e.target as HTMLSelectElement).value) },
      ...this.profiles.map((p) => h('option', { value: p }, p)),
    );
    replace(this.profileArea, h('label', { class: 'profile-switch', for: 'profile-select' }, h('span', { class: 'profile-caption' }, 'Profile')), select);
    this.renderProfiles();
  }

  /** Explains a failure: how to get a token for 401/403, else the message with a retry. */
  private fail(err: unknown, title: string): void {
    if (!this.providers && !this.flow) this.root.replaceChildren(); // no endless loading placeholders
    if (err instanceof ApiError && err.isAuth) {
      const hadToken = this.token !== null;
      forgetToken();
      this.token = null;
      const address = `${location.origin}${location.pathname}#token=`;
      this.showNotice(
        'error',
        hadToken ? 'The access token was not accepted' : 'This server needs an access token',
        h('p', {}, err.message),
        h(
          'p',
          {},
          'Open this page with the token in its address: ',
          h('code', { class: 'break' }, `${address}<HERMES_ONBOARD_TOKEN>`),
          ', using the value of ',
          h('code', {}, 'HERMES_ONBOARD_TOKEN'),
          ' on the server. The token is kept only in this browser tab and removed from the address bar.',
        ),
      );
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.showNotice('error', title, h('p', {}, message), h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => location.reload() }, 'Reload'));
  }

  /** Shows a banner above the content: errors as alerts, the rest as status. */
  private showNotice(tone: 'info' | 'error', title: string, ...body: HTMLElement[]): void {
    this.notice.hidden = false;
    this.notice.className = `notice notice-${tone}`;
    this.notice.setAttribute('role', tone === 'error' ? 'alert' : 'status');
    replace(this.notice, icon(tone === 'error' ? 'alert' : 'x'), h('div', { class: 'notice-body' }, h('p', { class: 'notice-title' }, title), ...body));
  }

  /** Hides the banner (with `errorsOnly`, only an error banner: a fresh list answers it, an info stays). */
  private clearNotice(errorsOnly = false): void {
    if (errorsOnly && !this.notice.classList.contains('notice-error')) return;
    this.notice.hidden = true;
    this.notice.replaceChildren();
  }
}

/**
 * The start body's options for a row's choice. `method` goes only to a provider with more than one
 * interactive way (the server takes its first by default, and older servers know no `method` field).
 */
function startOptions(provider: PageProvider, choice: StartChoice): StartOptions {
  const { method, ...rest } = choice;
  const interactive = methodsOf(provider).filter((m) => m !== 'api_key');
  return interactive.length > 1 ? { method, ...rest } : rest;
}

void new OnboardingPage().boot();
