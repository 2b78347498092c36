#!/usr/bin/env bash
# Create/refresh bench/.venv with the Python peer (lifetimes + pandas) pinned in
# bench/requirements-peers.txt, then smoke-test it. Idempotent: re-running only
# installs what is missing or at the wrong version. Needs CPython 3.11 and PyPI.
#
#   bash bench/setup-peers.sh            # create / update
#   bash bench/setup-peers.sh --force    # delete bench/.venv and rebuild
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$BENCH_DIR/.venv"
REQ="$BENCH_DIR/requirements-peers.txt"

say() { printf '[setup-peers] %s\n' "$*"; }
die() { printf '[setup-peers] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" == "--force" ]]; then
    say "--force: removing $VENV"
    rm -rf "$VENV"
fi

# Pick a Python 3.11 interpreter (lifetimes 0.11.3 + these pins are tested on 3.11 only).
PY="${PEER_PYTHON:-}"
if [[ -z "$PY" ]]; then
    for cand in python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1 &&
           "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
            PY="$(command -v "$cand")"; break
        fi
    done
fi
[[ -n "$PY" ]] || die "no CPython 3.11 found (set PEER_PYTHON=/path/to/python3.11)"
say "using $PY ($("$PY" -c 'import platform; print(platform.python_version())'))"

if [[ -x "$VENV/bin/python" ]]; then
    if ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
        say "existing $VENV is not Python 3.11: rebuilding"
        rm -rf "$VENV"
    else
        say "reusing existing virtualenv $VENV"
    fi
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating virtualenv $VENV"
    "$PY" -m venv "$VENV" || die "python -m venv failed (on Debian: apt-get install python3-venv)"
fi

say "installing pinned packages from $(basename "$REQ") (no-op when already satisfied)"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ" \
    || die "pip install failed (is PyPI reachable?)"

say "smoke test: import + BG/NBD fit on lifetimes' bundled CDNOW summary"
"$VENV/bin/python" - <<'PY' || die "smoke test failed"
import warnings
warnings.simplefilter("ignore")
from importlib import metadata
import lifetimes
from lifetimes import BetaGeoFitter
from lifetimes.datasets import load_cdnow_summary
d = load_cdnow_summary(index_col=[0])
m = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
p = m.params_
assert abs(p["r"] - 0.243) < 0.01 and abs(p["alpha"] - 4.414) < 0.05, p
print("[setup-peers] ok: " + ", ".join(
    f"{k} {metadata.version(k)}" for k in ("lifetimes", "numpy", "pandas", "scipy", "autograd", "dill", "psutil")))
print("[setup-peers] CDNOW BG/NBD: " + ", ".join(f"{k}={v:.4f}" for k, v in p.items()))
PY
say "smoke test: implicit (recommendation peer, bench/peer_implicit.py)"
"$VENV/bin/python" -c 'import implicit, scipy.sparse as s; from implicit.nearest_neighbours import BM25Recommender; m = BM25Recommender(K=2); m.fit(s.csr_matrix([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), show_progress=False); print("[setup-peers] ok: implicit", implicit.__version__)' \
    || die "implicit smoke test failed"
say "done. Run: $VENV/bin/python $BENCH_DIR/peer_lifetimes.py --help"
