#!/usr/bin/env bash
# Brings up what the dashboard's browser tests need: Debian's chromium and playwright-core
# (from ui-tests/package-lock.json). Idempotent; the browser test (crates/xinli/tests/dashboard.rs)
# runs it before every run.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium, and a CJK font so the Chinese pages' screenshots show characters, not boxes.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages)…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d ui-tests/node_modules/playwright-core ] || [ ui-tests/package-lock.json -nt ui-tests/node_modules/.package-lock.json ]; then
    echo "installing playwright-core (npm ci)…" >&2
    (cd ui-tests && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
