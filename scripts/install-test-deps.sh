#!/usr/bin/env bash
# Installs what the browser tests need that npm does not: Debian's `chromium` at /usr/bin/chromium.
# Safe to run twice. Never fails the run: when it cannot install, it says why and exits 0, and the
# browser tests then skip with a printed reason.
set -u

CHROMIUM=/usr/bin/chromium

say() { printf 'install-test-deps: %s\n' "$*"; }

if [ -x "$CHROMIUM" ]; then
  say "chromium already installed ($("$CHROMIUM" --version 2>/dev/null || echo "version unknown")); nothing to do."
  exit 0
fi

if [ "${EUID:-$(id -u)}" -ne 0 ]; then
  say "chromium is missing and this is not root; install it with: sudo apt-get install -y chromium"
  say "browser tests will be skipped until then."
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "chromium is missing and apt-get is not available here (not Debian/Ubuntu?)."
  say "install a Chromium build at $CHROMIUM by hand; browser tests will be skipped until then."
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
say "running apt-get update..."
if ! apt-get update -q; then
  say "apt-get update failed (no network or no package mirror?); browser tests will be skipped."
  exit 0
fi

say "installing chromium (and fonts so screenshots show text)..."
if ! apt-get install -y -q --no-install-recommends chromium fonts-liberation fonts-dejavu-core; then
  say "apt-get install chromium failed; browser tests will be skipped."
  exit 0
fi

if [ -x "$CHROMIUM" ]; then
  say "installed $("$CHROMIUM" --version 2>/dev/null || echo chromium) at $CHROMIUM."
else
  say "apt-get finished but $CHROMIUM is still missing; browser tests will be skipped."
fi
exit 0
