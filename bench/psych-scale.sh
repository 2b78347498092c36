#!/usr/bin/env bash
# Scale of the streaming psychology pipeline: `xinli simulate` a planted-trait shop (written in
# parts), then `xinli analyze` it (events streamed into the folds), printing wall time, CPU time
# and peak memory of each, and events per second.
#
#   bash bench/psych-scale.sh                 # 200,000 customers (~21 million events)
#   CUSTOMERS=1000000 bash bench/psych-scale.sh   # ~10^8 events, ~9 GB of CSV in $BENCH_WORK
#
# Env: CUSTOMERS (200000), BENCH_WORK (/tmp/xinli-psych-scale), CARGO_TARGET_DIR
# (/work/target-bench), SHOP (a shop already written by `xinli simulate --customers $CUSTOMERS
# --seed 5`: analysed as is, simulate not timed). Appends a line to bench/results/psych-scale.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CUSTOMERS="${CUSTOMERS:-200000}"
WORK="${BENCH_WORK:-/tmp/xinli-psych-scale}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
cargo build --release --locked -p xinli --manifest-path "$ROOT/Cargo.toml" >&2
XINLI="$CARGO_TARGET_DIR/release/xinli"
rm -rf "$WORK"; mkdir -p "$WORK"

measure() { # label, command…: prints "label wall_s cpu_s peak_MB"
    local label="$1"; shift
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >/dev/null
    read -r wall user sys kb < "$WORK/time"
    echo "$label $wall $(echo "$user + $sys" | bc) $((kb / 1024))"
}

if [ -n "${SHOP:-}" ]; then
    sim="simulate (given: $SHOP)"
else
    SHOP="$WORK/shop"
    sim=$(measure simulate "$XINLI" simulate --customers "$CUSTOMERS" --seed 5 --out "$SHOP" --quiet)
fi
ana=$(measure analyze "$XINLI" analyze "$SHOP" --out "$WORK/out" --quiet)
events=$(python3 -c "import json;print(json.load(open('$WORK/out/summary.json'))['import']['records']['events'])")
read -r _ wall _ peak <<< "$ana"
line="$(date -u +%F) customers=$CUSTOMERS events=$events | $sim | $ana | $(python3 -c "print(round($events / $wall))") events/s (wall), peak $peak MB"
echo "$line"
echo "$line" >> "$ROOT/bench/results/psych-scale.txt"
