/**
 * The program's fixed bounds, each defined once (docs/api.md). No imports, so every layer may use them;
 * config.ts re-exports them beside the settings a person can change.
 */

/** Default bound on flows pending at once in one server (HERMES_ONBOARD_MAX_PENDING). */
export const DEFAULT_MAX_PENDING = 1000;
/** Default starts per client address per minute (HERMES_ONBOARD_START_RATE). */
export const DEFAULT_START_RATE = 10;
/** Default lease TTL with a shared store: another replica takes over a dead one's flows this soon (HERMES_ONBOARD_LEASE_TTL_MS). */
export const DEFAULT_LEASE_TTL_MS = 10_000;
/** Ended flows are forgotten this long after they end. */
export const ENDED_FLOW_TTL_MS = 5 * 60 * 1000;
/** Longest the first provider request (asking for a code) may take. */
export const START_TIMEOUT_MS = 30_000;
/** Longest wait for auth.lock before a write gives up. */
export const LOCK_TIMEOUT_MS = 15_000;
/** Largest request body accepted. */
export const BODY_LIMIT_BYTES = 16 * 1024;
/** Seconds a client is told to wait when too many flows are pending. */
export const PENDING_RETRY_AFTER_SECONDS = 30;
/** Seconds a client is told to wait while the server shuts down. */
export const CLOSING_RETRY_AFTER_SECONDS = 5;
/** Longest a graceful shutdown may take before the process exits anyway. */
export const SHUTDOWN_GRACE_MS = 5000;
/** Milliseconds between server-sent-event keep-alive comments. */
export const SSE_KEEPALIVE_MS = 15_000;
