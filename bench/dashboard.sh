#!/usr/bin/env bash
# The dashboard's endpoints over a store of 1e6 scored customers: fills customer_scores (and
# 1e6 reviews) directly with SQL, starts `xinli serve` on it and prints each endpoint's latency,
# first request (computed by the database) and the median of the next ones (the per-run cache,
# or uncached for paged lists). Saves the figures in bench/results/dashboard-*.txt.
# usage: [XINLI=path/to/xinli] bench/dashboard.sh [customers] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
repeats="${2:-5}"
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3; }
# XINLI=path/to/xinli uses that binary (e.g. the dev profile's, which is optimised) instead of
# building the release one.
if [ -z "${XINLI:-}" ]; then
    cargo build --release --locked -p xinli >&2
fi
xinli="${XINLI:-${CARGO_TARGET_DIR:-target}/release/xinli}"
dir="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
server=""
key="$("$xinli" keys create --role admin --name bench --data-dir "$dir")"

started=$(date +%s.%N)
sqlite3 "$dir/xinli.db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO analysis_runs (run_id, started_at, finished_at, as_of, source, customers, status) VALUES (1, 0, 0, '2024-06-30', 'bench', $n, 'ok');
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n),
r AS (SELECT i, abs(random()) AS x, abs(random()) AS y, abs(random()) AS z FROM c)
INSERT INTO customer_scores (cid, run_id, customer_id, persona, rfm_segment, rfm_r, rfm_f, rfm_m, value_tier, journey_stage,
  clv, p_alive, churn_risk, expected_purchases, recency, frequency, t, orders, total_spend, first_purchase, last_purchase,
  trait_price_sensitivity, trait_info_seeking, trait_convenience, trait_trust_concern, trait_social_influence, trait_novelty_seeking,
  next_best_action, nba_reason, main_barrier, barrier_evidence, emotion, satisfaction, data)
SELECT i, 1, 'c' || i,
  CASE x % 7 WHEN 0 THEN 'price_sensitive' WHEN 1 THEN 'info_seeker' WHEN 2 THEN 'convenience_seeker' WHEN 3 THEN 'trust_seeker'
    WHEN 4 THEN 'socially_influenced' WHEN 5 THEN 'novelty_seeker' ELSE 'balanced' END,
  CASE y % 8 WHEN 0 THEN 'Champions' WHEN 1 THEN 'Loyal' WHEN 2 THEN 'Potential loyalist' WHEN 3 THEN 'New' WHEN 4 THEN 'At risk'
    WHEN 5 THEN 'Can''t lose' WHEN 6 THEN 'Hibernating' ELSE 'Lost' END,
  1 + x % 5, 1 + y % 5, 1 + z % 5, CASE z % 10 WHEN 0 THEN 'top' WHEN 1 THEN 'middle' WHEN 2 THEN 'middle' ELSE 'tail' END,
  CASE x % 6 WHEN 0 THEN 'need_recognition' WHEN 1 THEN 'information_search' WHEN 2 THEN 'evaluation' WHEN 3 THEN 'purchase'
    WHEN 4 THEN 'post_purchase' ELSE 'dormant' END,
  (x % 100000) / 100.0, (y % 1000) / 1000.0, (z % 1000) / 1000.0, (x % 50) / 10.0, y % 180, x % 12, 180 + z % 180, 1 + x % 12,
  (y % 500000) / 100.0, '2024-01-01', '2024-06-01',
  (x % 997) / 997.0, (y % 991) / 991.0, (z % 983) / 983.0, CASE WHEN x % 5 = 0 THEN NULL ELSE (x % 977) / 977.0 END,
  (y % 971) / 971.0, (z % 967) / 967.0,
  CASE y % 4 WHEN 0 THEN 'win_back' WHEN 1 THEN 'vip_care' WHEN 2 THEN 'price_drop_alert' ELSE 'nurture' END, 'bench',
  CASE WHEN z % 3 = 0 THEN 'price' ELSE NULL END, NULL, CASE WHEN x % 4 = 0 THEN 'anger' ELSE 'joy' END, (z % 100) / 100.0, '{}'
FROM r;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
INSERT INTO reviews (review_id, cid, product_id, ts, rating, text) SELECT 'r' || i, i, 'p' || (i % 500), 1704067200000 + (abs(random()) % 15552000000), 1 + abs(random()) % 5, 'bench review' FROM c;
COMMIT;
SQL
echo "filled $n customer_scores rows and $n reviews in $(echo "$(date +%s.%N) - $started" | bc) s" >&2

"$xinli" serve --data-dir "$dir" --bind 127.0.0.1:0 > "$dir/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$dir/serve.log" 2>/dev/null && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.:]*' "$dir/serve.log" | head -n1)"

measure() { # path [method body]
    local path="$1" times=()
    for i in $(seq 0 "$repeats"); do
        if [ -n "${2:-}" ]; then
            times+=("$(curl -s -o /dev/null -w '%{time_total}' -X "$2" -H "authorization: Bearer $key" -H 'content-type: application/json' -d "$3" "$url$path")")
        else
            times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "authorization: Bearer $key" "$url$path")")
        fi
    done
    local first="${times[0]}"
    local median
    median="$(printf '%s\n' "${times[@]:1}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
    printf '%-58s first %7.1f ms   then median %7.1f ms\n' "$path ${2:-}" "$(echo "$first * 1000" | bc)" "$(echo "$median * 1000" | bc)"
}

out="bench/results/dashboard-$(date -u +%Y-%m-%d-%H%M%S).txt"
{
    echo "# xinli dashboard endpoints over $n scored customers (SQLite), $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    measure /
    measure /ui/app.js
    measure /api/dashboard/overview
    measure /api/dashboard/psychology
    measure /api/dashboard/value
    measure /api/dashboard/voice
    measure "/api/dashboard/members?r=5&f=5&limit=20"
    measure "/api/dashboard/members?persona=info_seeker&limit=20&offset=1000"
    measure "/api/dashboard/members?rfm_segment=At%20risk&stage=dormant&limit=20"
} | tee "$out"
echo "saved $out" >&2
