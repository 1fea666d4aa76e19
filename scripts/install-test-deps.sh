#!/usr/bin/env bash
# Installs what `npm ci` and the tests need that npm does not bring, from Debian's packages:
#   - a C++ toolchain and python3 for node-gyp (the fs-ext flock addon is built on install),
#   - python3 (with python-dotenv) for the tests that share auth.json and .env with a real Python process,
#   - chromium (and fonts, so screenshots show text) for the browser tests,
#   - openssl, to make a test CA for the NODE_EXTRA_CA_CERTS test.
# Safe to run twice: it installs only what is missing. When it cannot install (not root, no apt-get,
# no network) it says why and exits 0; the tests that need the missing tool then skip with a printed
# reason on a developer machine, and fail in CI (CI=true), where nothing may be skipped.
set -u

say() { printf 'install-test-deps: %s\n' "$*"; }

missing=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_cmd g++ && have_cmd make || missing+=(build-essential)
have_cmd python3 || missing+=(python3)
have_cmd openssl || missing+=(openssl)
have_cmd redis-server || missing+=(redis-server)
python3 -c 'import dotenv' >/dev/null 2>&1 || missing+=(python3-dotenv)
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-liberation fonts-dejavu-core)

if [ "${#missing[@]}" -eq 0 ]; then
  say "everything is installed (chromium: $(/usr/bin/chromium --version 2>/dev/null || echo '?'); $(python3 --version 2>&1)); nothing to do."
  exit 0
fi

say "missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  say "not root; install them with: sudo apt-get install -y ${missing[*]}"
  exit 0
fi
if ! have_cmd apt-get; then
  say "apt-get is not available here (not Debian/Ubuntu?); install the equivalents of: ${missing[*]}"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
say "running apt-get update..."
if ! apt-get update -q; then
  say "apt-get update failed (no network or no package mirror?)."
  exit 0
fi
say "installing ${missing[*]}..."
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  say "apt-get install failed."
  exit 0
fi
say "installed: ${missing[*]}."
exit 0
