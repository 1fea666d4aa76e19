/**
 * Tests that need a tool outside npm (chromium, python3) skip with a printed reason on a developer's
 * machine without it, but must not skip in CI, which installs everything (scripts/install-test-deps.sh).
 */

/** True when no test may skip for a missing tool: in CI, or when HERMES_ONBOARD_TESTS_REQUIRE_ALL=1. */
export const MUST_RUN_ALL = process.env.CI === 'true' || process.env.HERMES_ONBOARD_TESTS_REQUIRE_ALL === '1';

/** Passes a skip reason through, or throws it as a failure where skipping is not allowed. */
export function allowedSkip(reason: string | undefined): string | undefined {
  if (reason !== undefined && MUST_RUN_ALL) {
    throw new Error(`${reason}; this run must not skip it (CI=true): run scripts/install-test-deps.sh`);
  }
  return reason;
}
