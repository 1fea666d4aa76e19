/** The base of every store failure: its message says what went wrong with auth.json and what to do, and holds no secret. */
export class StoreError extends Error {}
