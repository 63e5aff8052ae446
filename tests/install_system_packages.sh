#!/usr/bin/env bash
# `make test` runs this first: the suite needs PostgreSQL's server binaries (initdb, pg_ctl),
# Chromium for the console's browser tests, and faketime (libfaketime) to play the demo on a date
# after the shipped covenants end (tests/integration/test_any_date.py), and npm (with Node.js) to
# install the OpenID provider the node's sign-in tests start (tests/oidc_provider.py), all from
# Debian's packages.
# Installs what is missing. EXCHANGE_E2E=skip leaves Chromium out (the browser tests then skip).
set -euo pipefail

missing=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
if [ "${EXCHANGE_E2E:-}" != "skip" ] && ! command -v chromium >/dev/null 2>&1 \
    && [ ! -x /usr/lib/chromium/chromium ]; then
    missing+=(chromium)
fi
if ! command -v faketime >/dev/null 2>&1; then
    missing+=(faketime)
fi
if [ "${EXCHANGE_OIDC:-}" != "skip" ] && ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages the tests need: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "no apt-get here: install ${missing[*]} yourself (or set EXCHANGE_E2E=skip for chromium)" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
