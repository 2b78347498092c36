#!/usr/bin/env bash
# One benchmark run: xinli beside the Python lifetimes peer, same machine, same run.
#
#   bash bench/run.sh               # Online Retail + generated shops 1e4..1e7 (~10 min on 2 idle cores)
#   bash bench/run.sh --no-1e7      # skip the 1e7-customer xinli run
#   bash bench/run.sh --full        # also `xinli analyze` end to end on a generated 1e7-customer shop
#                                   # (--model bgnbd) and --model auto at 1e6
#   bash bench/run.sh --skip-build  # reuse the release binaries in $CARGO_TARGET_DIR
#
# Env: DATA_DIR (default <repo>/../shared/data), REPEAT (Online Retail repeats, 5), PEER_REPEAT_1E6
# (lifetimes fits of the 1e6 summary, 2), BENCH_WORK (scratch, default /tmp/xinli-bench-run; the
# generated files are large and never committed), CARGO_TARGET_DIR (default /work/target-bench),
# SIM_SIZES ("10000 100000 1000000"; 1e7 is added unless --no-1e7), E2E_SIZES ("100000 1000000"),
# E2E_AUTO_MAX (largest generated shop analysed with the default --model auto, 100000).
#
# Writes bench/results/<UTC date>-run.txt (human) and -run.json (everything), via bench/report.py.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
DATA_DIR="${DATA_DIR:-$ROOT/../shared/data}"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
REPEAT="${REPEAT:-5}"
PEER_REPEAT_1E6="${PEER_REPEAT_1E6:-2}"
WORK="${BENCH_WORK:-/tmp/xinli-bench-run}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
DO_1E7=1; FULL=0; BUILD=1
for arg in "$@"; do
    case "$arg" in
        --no-1e7) DO_1E7=0 ;;
        --full) FULL=1 ;;
        --skip-build) BUILD=0 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument $arg" >&2; exit 2 ;;
    esac
done

say() { printf '[run] %s  (load %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }
OR_CSV="$DATA_DIR/online_retail/online_retail.csv.gz"
[[ -f "$OR_CSV" ]] || { echo "missing $OR_CSV (set DATA_DIR)" >&2; exit 1; }

if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time (apt-get install time)"
    { sudo -n apt-get install -y time || apt-get install -y time; } >&2
fi

if [[ $BUILD == 1 ]]; then
    say "cargo build --release -p xinli -p xinli-bench (target $CARGO_TARGET_DIR)"
    (cd "$ROOT" && cargo build --release -p xinli -p xinli-bench) >&2
fi
XINLI="$CARGO_TARGET_DIR/release/xinli"
XBENCH="$CARGO_TARGET_DIR/release/xinli-bench"
[[ -x "$XINLI" && -x "$XBENCH" ]] || { echo "missing release binaries in $CARGO_TARGET_DIR" >&2; exit 1; }

say "peer virtualenv (bench/setup-peers.sh)"
bash "$BENCH_DIR/setup-peers.sh" >&2
PY="$BENCH_DIR/.venv/bin/python"
PEER="$BENCH_DIR/peer_lifetimes.py"

rm -rf "$WORK"; mkdir -p "$WORK/raw"
RAW="$WORK/raw"

# timed NAME CMD...: runs CMD under GNU time; stdout -> $RAW/NAME.out, stderr -> $RAW/NAME.err,
# and $RAW/NAME.time = {"wall_s","max_rss_kb","user_s","sys_s","load_before","load_after","exit"}.
timed() {
    local name="$1"; shift
    local lb; lb="$(cut -d' ' -f1 /proc/loadavg)"
    local rc=0
    /usr/bin/time -f '%e %M %U %S' -o "$RAW/$name.tm" "$@" > "$RAW/$name.out" 2> "$RAW/$name.err" || rc=$?
    local la; la="$(cut -d' ' -f1 /proc/loadavg)"
    read -r w m u s < <(tail -n 1 "$RAW/$name.tm")
    printf '{"name":"%s","wall_s":%s,"max_rss_kb":%s,"user_s":%s,"sys_s":%s,"load_before":%s,"load_after":%s,"exit":%s}\n' \
        "$name" "$w" "$m" "$u" "$s" "$lb" "$la" "$rc" > "$RAW/$name.time"
    say "$name: ${w}s wall, $((m / 1024)) MiB peak, exit $rc"
    return 0
}

{
    echo "{"
    echo "\"date_utc\": \"$(date -u +%FT%TZ)\","
    echo "\"git_commit\": \"$(cd "$ROOT" && git rev-parse --short HEAD)\","
    # the build compiles the shared working tree: list uncommitted product files it may have included
    echo "\"uncommitted_crate_files\": \"$(cd "$ROOT" && git status --short -- crates | grep -v xinli-bench | tr '\n' ';' | tr -d '"')\","
    echo "\"uptime_start\": \"$(uptime | sed 's/^ *//')\","
    echo "\"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\","
    echo "\"nproc\": $(nproc),"
    echo "\"mem_total_kb\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
    echo "\"repeat\": $REPEAT, \"do_1e7\": $DO_1E7, \"full\": $FULL,"
    echo "\"data_dir\": \"$DATA_DIR\""
    echo "}"
} > "$RAW/meta.json"

# ---------------------------------------------------------------- (i) Online Retail, whole pipeline
OR_ARGS=(--preset online-retail --time-unit days --calibration-end 2011-09-08 --holdout-end 2011-12-09 -q)
for i in $(seq 1 "$REPEAT"); do
    # the brief's command (default --model auto: fits BG/NBD, MBG/NBD and Pareto/NBD and picks one)
    timed "or_xinli_auto_$i" "$XINLI" analyze "$OR_CSV" "${OR_ARGS[@]}" --out "$WORK/or_xinli_auto_$i"
    # like for like with the peer, which fits BG/NBD only
    timed "or_xinli_bgnbd_$i" "$XINLI" analyze "$OR_CSV" "${OR_ARGS[@]}" --model bgnbd --out "$WORK/or_xinli_bgnbd_$i"
done
say "lifetimes online-retail pipeline x$REPEAT (in one process; MBG/NBD and Pareto/NBD skipped: not in its total)"
timed or_peer "$PY" "$PEER" online-retail --data "$OR_CSV" --dates day --repeat "$REPEAT" --skip-other-models

# ---------------------------------------------------------------- (ii) generated shops
read -r -a SIZES <<< "${SIM_SIZES:-10000 100000 1000000}"
[[ $DO_1E7 == 1 ]] && SIZES+=(10000000)
for n in "${SIZES[@]}"; do
    if (( n <= 1000000 )); then
        timed "sim_$n" "$XBENCH" sim --customers "$n" --seed 42 --fit-repeat 3 --summary-csv "$WORK/summary_$n.csv"
        case "$n" in 1000000) rep="$PEER_REPEAT_1E6" ;; *) rep=3 ;; esac
        timed "peer_fit_$n" "$PY" "$PEER" fit-summary --csv "$WORK/summary_$n.csv" --repeat "$rep"
    else
        # lifetimes is not run at 1e7: ~10x its 1e6 fit time per fit, and several GB of pandas
        timed "sim_$n" "$XBENCH" sim --customers "$n" --seed 42 --fit-repeat 1
    fi
done

# ---------------------------------------------------------------- (iii) end to end on generated orders
read -r -a E2E <<< "${E2E_SIZES:-100000 1000000}"
E2E_AUTO_MAX="${E2E_AUTO_MAX:-100000}"
if [[ $FULL == 1 ]]; then E2E+=(10000000); E2E_AUTO_MAX=1000000; fi
for n in "${E2E[@]}"; do
    # the canonical reader recognises the file by its name: orders.csv
    mkdir -p "$WORK/shop_$n"
    timed "gen_$n" "$XINLI" gen-transactions --customers "$n" --seed 42 --out "$WORK/shop_$n/orders.csv"
    timed "e2e_bgnbd_$n" "$XINLI" analyze "$WORK/shop_$n/orders.csv" --time-unit weeks --model bgnbd -q --out "$WORK/e2e_bgnbd_$n"
    # --model auto also fits Pareto/NBD (twice, for the holdout-based choice): ~18 s at 1e5 under load,
    # so by default only up to E2E_AUTO_MAX customers (--full: 1e6)
    if (( n <= E2E_AUTO_MAX )); then
        timed "e2e_auto_$n" "$XINLI" analyze "$WORK/shop_$n/orders.csv" --time-unit weeks -q --out "$WORK/e2e_auto_$n"
    fi
    rm -rf "$WORK/shop_$n"
done
echo "\"$(uptime | sed 's/^ *//')\"" > "$RAW/uptime_end.json"

say "writing results"
python3 "$BENCH_DIR/report.py" "$WORK" "$BENCH_DIR/results"
