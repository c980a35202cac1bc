#!/usr/bin/env bash
# The Debian packages the test suite needs: Chromium (browser tests) and PostgreSQL (the suite
# runs on it as well as on SQLite). Installs them when it can; otherwise says how, and fails.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} with apt-get..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    exit 0
fi
echo "The tests need ${missing[*]}. Install with:" >&2
echo "    sudo apt-get install -y ${missing[*]}" >&2
exit 1
