#!/usr/bin/env bash
# Installs the real Segment client (PyPI `segment-analytics-python`) into a virtualenv under
# target/, for the test that points it at `xinli serve`. Idempotent; prints the python path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${XINLI_SEGMENT_VENV:-target/segment-venv}"
mkdir -p "$(dirname "$venv")"
# The test's SQLite and PostgreSQL cases run this at the same time: on a fresh machine two pip
# installs into one venv race (a half-written package, "AssertionError" on a .pyc). One at a time.
exec 9>"$venv.lock"
flock 9
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import segment.analytics' 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'segment-analytics-python==2.*' >&2
fi
echo "$(cd "$(dirname "$venv/bin/python")" && pwd)/python"
