#!/usr/bin/env bash
# Run every peer (lifetimes) benchmark and merge the JSON into
# bench/results/peer-lifetimes-<YYYY-MM-DD>.json.  Needs bash bench/setup-peers.sh first.
#
# Env overrides: DATA_DIR (default /work/shared/data), SIM_N (1000000), SIM_SEED (42),
# REPEAT_OR (online-retail pipeline repeats, 5), REPEAT_FIT (1e6 fit repeats, 3),
# SIM_DIR (where the simulated summary csv goes, default /tmp/xinli-bench; not committed).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="$BENCH_DIR/.venv/bin/python"
PEER="$BENCH_DIR/peer_lifetimes.py"
DATA_DIR="${DATA_DIR:-/work/shared/data}"
SIM_N="${SIM_N:-1000000}"; SIM_SEED="${SIM_SEED:-42}"
REPEAT_OR="${REPEAT_OR:-5}"; REPEAT_FIT="${REPEAT_FIT:-3}"
SIM_DIR="${SIM_DIR:-/tmp/xinli-bench}"
OUT_DIR="$BENCH_DIR/results"; mkdir -p "$OUT_DIR" "$SIM_DIR"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
[[ -x "$PY" ]] || { echo "[run-peers] bench/.venv missing: run bash bench/setup-peers.sh" >&2; exit 1; }

say() { printf '[run-peers] %s\n' "$*" >&2; }
SIM_CSV="$SIM_DIR/sim_bgnbd_n${SIM_N}_seed${SIM_SEED}.csv"

say "online-retail (calendar-day dates, x$REPEAT_OR)"
"$PY" "$PEER" online-retail --data "$DATA_DIR/online_retail/online_retail.csv.gz" --dates day --repeat "$REPEAT_OR" > "$TMP/or_day.json"
say "online-retail (raw timestamps, x$REPEAT_OR)"
"$PY" "$PEER" online-retail --data "$DATA_DIR/online_retail/online_retail.csv.gz" --dates timestamp --repeat "$REPEAT_OR" > "$TMP/or_ts.json"
say "cdnow"
"$PY" "$PEER" cdnow --summary "$DATA_DIR/cdnow/cdnow_customers_summary.csv" --repeat 5 > "$TMP/cdnow.json"
say "simulate n=$SIM_N seed=$SIM_SEED -> $SIM_CSV"
"$PY" "$PEER" simulate --n "$SIM_N" --seed "$SIM_SEED" --out "$SIM_CSV" > "$TMP/sim.json"
say "fit-summary on $SIM_CSV (x$REPEAT_FIT)"
"$PY" "$PEER" fit-summary --csv "$SIM_CSV" --repeat "$REPEAT_FIT" > "$TMP/fit.json"

OUT="$OUT_DIR/peer-lifetimes-$(date -u +%F).json"
"$PY" - "$TMP" "$OUT" <<'PY'
import json, sys, os, datetime
tmp, out = sys.argv[1], sys.argv[2]
doc = {"generated_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
       "generator": "bench/run-peers.sh"}
for key, name in [("online_retail_day", "or_day"), ("online_retail_timestamp", "or_ts"),
                  ("cdnow", "cdnow"), ("simulate", "sim"), ("fit_summary_simulated", "fit")]:
    with open(os.path.join(tmp, name + ".json")) as f:
        doc[key] = json.load(f)
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print(out)
PY
say "wrote $OUT"
