#!/usr/bin/env bash
# The one test command (README, `.ci/run`): brings up what the tests need, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL backs the server deployment's tests; start the local cluster if it is down.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

if [ ! -d ../shared/data ]; then
    echo "note: ../shared/data is missing; tests that need the shared real data sets will fail" >&2
fi

cargo test --workspace --locked "$@"
