#!/usr/bin/env bash
# Load benchmark of `xinli serve` (ingest events/s through /v1/batch with p99, customer-360 p99
# at a fixed request rate, and /healthz at the same rate as the machine's floor) on SQLite and
# PostgreSQL; saves the figures in bench/results/.
# usage: bench/serve.sh [sqlite|postgres|both] [events] [clients] [batch] [rate] [seconds]
# XINLI_BENCH_ACK_AFTER_COMMIT=1: SQLite answers after the writer's commit, not from the
# ingest log (`xinli serve --ack-after-commit`), for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
cargo build --release --locked -p xinli-serve --bin serve-bench >&2
out="bench/results/serve-${1:-both}-$(date -u +%Y-%m-%d-%H%M%S).txt"
{
    echo "# xinli serve load benchmark, $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ -n "${XINLI_BENCH_ACK_AFTER_COMMIT:-}" ]; then ack="after the writer's commit (XINLI_BENCH_ACK_AFTER_COMMIT)"; else ack="from the ingest log"; fi
    echo "# SQLite answers ingestion $ack; at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    "${CARGO_TARGET_DIR:-target}/release/serve-bench" "$@"
} | tee "$out"
echo "saved $out" >&2
