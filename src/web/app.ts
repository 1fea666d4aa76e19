/**
 * The onboarding page's controller: loads profiles and providers, starts, watches, resumes and cancels
 * sign-in flows, and decides what is on screen. Rendering lives in the *-view modules.
 */
import { Api, ApiError, type ProvidersPayload, type StatusPayload } from './api.js';
import { announce, h, icon, replace } from './dom.js';
import { phaseAnnouncement, renderFlow, type FlowModel, type FlowPanel, type FlowPhase } from './flow-view.js';
import { renderProviderList, renderSkeleton, type ProviderListState } from './providers-view.js';
import { adoptToken, clearFlow, forgetToken, loadFlow, saveFlow, type SavedFlow } from './storage.js';
import { serverClock } from './time.js';
import { watchFlow, type StopWatching } from './watch.js';

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
  private list: ProviderListState = { starting: null, error: null };
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
    if (saved) await this.resume(saved);
    await loading;
  }

  /** Fetches the provider list of the current profile; a newer request wins over an older one. */
  private async loadProviders(): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      const payload = await this.api.providers(this.profile);
      if (seq !== this.loadSeq) return;
      this.providers = payload;
      this.clearNotice();
      this.render();
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
  private async start(providerId: string, providerLabel: string): Promise<void> {
    if (this.list.starting) return;
    this.closeFlow(false);
    this.clearNotice();
    this.list = { starting: providerId, error: null };
    this.render();
    try {
      const start = await this.api.start(providerId, this.profile);
      this.list = { starting: null, error: null };
      const saved: SavedFlow = { start, profile: this.profile, providerLabel, seenAt: serverClock.now() };
      saveFlow(saved);
      this.follow(saved);
    } catch (err) {
      this.list = { starting: null, error: null };
      if (err instanceof ApiError && err.isAuth) return this.fail(err, 'Could not start the sign-in');
      this.list.error = { provider: providerId, message: err instanceof Error ? err.message : String(err) };
      this.render();
      this.focusProvider(providerId);
    }
  }

  /** Shows a pending flow and follows its status live. */
  private follow(saved: SavedFlow): void {
    this.showFlow({ flow: saved, phase: 'pending' });
    this.stopWatch = watchFlow(this.api, saved.start.flow_id, saved.start.poll_interval_seconds, {
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

  /** Replaces the flow panel and moves focus to it. */
  private showFlow(model: FlowModel): void {
    this.stopWatching(model.phase !== 'pending');
    this.panel?.dispose();
    this.flow = model;
    this.panel = renderFlow(model, {
      cancel: () => void this.cancel(),
      retry: () => void this.start(model.flow.start.provider, model.flow.providerLabel),
      close: () => this.closeFlow(true),
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
    this.list = { starting: null, error: null };
    this.closeFlow(false);
    void this.loadProviders();
    announce(`Showing profile ${profile}.`);
  }

  /** Draws the main area: the flow panel (alone while pending), then the provider list. */
  private render(): void {
    const pending = this.flow?.phase === 'pending';
    const list = pending
      ? null
      : this.providers
        ? renderProviderList(this.providers, this.list, { signIn: (p) => void this.start(p.id, p.label) })
        : renderSkeleton();
    const panel = this.panel?.el;
    if (panel && this.root.firstElementChild === panel) {
      // Keep the panel node in place: detaching it would drop the keyboard focus inside it.
      while (panel.nextSibling) panel.nextSibling.remove();
      if (list) this.root.append(list);
    } else {
      replace(this.root, panel, list);
    }
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

  /** Hides the banner. */
  private clearNotice(): void {
    this.notice.hidden = true;
    this.notice.replaceChildren();
  }
}

void new OnboardingPage().boot();
