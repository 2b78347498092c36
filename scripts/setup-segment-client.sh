#!/usr/bin/env bash
# Installs the real Segment client (PyPI `segment-analytics-python`) into a virtualenv under
# target/, for the test that points it at `xinli serve`. Idempotent; prints the python path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${XINLI_SEGMENT_VENV:-target/segment-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import segment.analytics' 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'segment-analytics-python==2.*' >&2
fi
echo "$(cd "$(dirname "$venv/bin/python")" && pwd)/python"
