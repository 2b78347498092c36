#!/usr/bin/env bash
# Instructions per ingested event and per customer 360, counted by callgrind over a small
# serve-bench run: unlike bench/serve.sh's wall-clock figures they do not depend on what else
# the machine is doing, so a change's effect shows even on a loaded machine.
#   writer: every instruction of the writer thread (parsing is done before, on the HTTP
#           threads) divided by the events; customer 360: Store::customer_360 inclusive, per call.
# usage: bench/serve-callgrind.sh [sqlite|postgres] [events] [360 requests] [clients] [batch]
# (8 clients x 500 events by default, the shape of the earlier figures)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
events=${2:-20000}
reads=${3:-400}
clients=${4:-8}
batch=${5:-500}
cargo build --release --locked -p xinli-serve --bin serve-bench >&2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$dir/cg.%p" \
    "${CARGO_TARGET_DIR:-target}/release/serve-bench" "$backend" "$events" "$clients" "$batch" "$reads" 1 >"$dir/bench.txt" 2>"$dir/valgrind.txt"
writer=0
calls=0
cost_360=0
for f in "$dir"/cg.*; do
    total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f")
    if grep -q 'ingest_groups' "$f"; then
        writer=$((writer + total))
    fi
    # Call sites of Store::customer_360: "<inclusive cost> … => …customer_360 (<calls>x)".
    while read -r cost n; do
        cost_360=$((cost_360 + cost))
        calls=$((calls + n))
    done < <(callgrind_annotate --inclusive=yes "$f" 2>/dev/null |
        sed -n 's/^ *\([0-9,]*\) .*=> .*Store>::customer_360 (\([0-9]*\)x).*/\1 \2/p' | tr -d ,)
done
echo "# callgrind, $backend, $events events, $clients clients x $batch, $(git rev-parse --short HEAD)"
echo "writer instructions per event: $((writer / events))"
echo "Store::customer_360 instructions per call: $((cost_360 / (calls > 0 ? calls : 1))) ($calls calls)"
