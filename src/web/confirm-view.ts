/**
 * The confirmation asked before removing an account or signing a provider out: a modal <dialog> (focus
 * stays inside, Escape cancels) that names what goes, with an opt-in revoke checkbox and its warning.
 * It lives outside the provider list, so a live update of the list cannot close it.
 */
import { h } from './dom.js';

/** What the dialog asks. */
export interface ConfirmRequest {
  title: string;
  message: string;
  /** The words on the confirming button, e.g. "Remove ada@example.com". */
  action: string;
  /** Offer the revoke checkbox (the provider's sign-in grant can be revoked). */
  revocable: boolean;
  /** The provider's name, for the revoke wording. */
  providerLabel: string;
}

/** The person's answer: null when they cancelled. */
export type ConfirmAnswer = { revoke: boolean } | null;

/** Asks, and resolves with the answer once the dialog closes. Focus returns to where it was. */
export function confirmRemoval(request: ConfirmRequest): Promise<ConfirmAnswer> {
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const revoke = h('input', { type: 'checkbox', id: 'confirm-revoke', name: 'revoke' });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', 'data-action': 'confirm-cancel', value: 'cancel' }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: 'btn btn-danger-solid', 'data-action': 'confirm', value: 'confirm' }, request.action);
  const dialog = h(
    'dialog',
    { class: 'confirm', id: 'confirm-dialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-message' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'confirm-title' }, request.title),
      h('p', { id: 'confirm-message' }, request.message),
      request.revocable
        ? h(
            'div',
            { class: 'check' },
            revoke,
            h(
              'label',
              { for: 'confirm-revoke' },
              `Also revoke the sign-in at ${request.providerLabel}`,
              h('span', { class: 'check-hint warn-text' }, 'Revoking signs out every device and app using that sign-in grant, not only Hermes.'),
            ),
          )
        : null,
      h('div', { class: 'confirm-actions' }, cancel, confirm),
    ),
  );
  document.getElementById('confirm-dialog')?.remove();
  document.body.append(dialog);
  return new Promise((resolve) => {
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      const answer = dialog.returnValue === 'confirm' ? { revoke: request.revocable && revoke.checked } : null;
      dialog.remove();
      returnTo?.focus();
      resolve(answer);
    });
    dialog.showModal();
    cancel.focus();
  });
}
