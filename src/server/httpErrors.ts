/** The error shape of every API answer: `{"ok": false, "error": "<message a person can act on>"}`. */

/** An error that maps to an HTTP status with a message safe to show. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The JSON body for an error answer. */
export function errorBody(message: string): { ok: false; error: string } {
  return { ok: false, error: message };
}
