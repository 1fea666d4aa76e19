/** Errors a provider step raises. Their messages are written by us, never copied from a provider body. */

/** A provider answered in a way that ends the flow; `message` is safe to show a person. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  /** The RFC or provider error code, when there was one (e.g. `access_denied`). */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/** Advice appended to a transient failure's fact when it reaches a person. */
export const TRY_AGAIN_LATER = 'Try again later, or check the network, proxy or issuer settings.';

/** A failure worth retrying (network error, 5xx, 429); the poller backs off and tries again. */
export class TransientProviderError extends Error {
  override name = 'TransientProviderError';
  /** Seconds the provider asked us to wait (`Retry-After`), when it did. */
  readonly retryAfterSeconds: number | undefined;
  /** HTTP status, when the failure was an answer rather than a network error. */
  readonly status: number | undefined;
  constructor(message: string, options: { retryAfterSeconds?: number; status?: number } = {}) {
    super(message);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.status = options.status;
  }
}
