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
-- Live profiles (the segment preview reads them) and their customers, as the writer stores them.
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n),
r AS (SELECT i, abs(random()) AS x, abs(random()) AS y FROM c),
p AS (SELECT i, x, y, x % 12 AS orders, 1719792000000 - (y % 15552000000) AS last_seen,
        CASE WHEN x % 12 > 0 THEN 1704067200000 + (x % 7776000000) END AS first_order FROM r)
INSERT INTO profiles (cid, data, stage, orders, revenue, last_seen, updated_at)
SELECT i, json_object('first_seen_ms', 1704067200000, 'last_seen_ms', last_seen, 'events', 5 + x % 40, 'other_events', x % 3,
    'by_type', json_object('product_view', 1 + x % 20, 'search', y % 7, 'add_to_cart', x % 5, 'purchase', orders, 'coupon_claim', y % 2),
    'orders', orders, 'total_spend', orders * ((y % 20000) / 100.0), 'first_order_ms', first_order,
    'last_order_ms', CASE WHEN first_order IS NOT NULL THEN first_order + (y % 7776000000) END, 'coupon_orders', (x / 7) % (orders + 1),
    'cancelled_orders', 0, 'returned_orders', 0, 'reviews', 1, 'rating_sum', 1 + y % 5, 'segments', json_array()),
  NULL, orders, orders * ((y % 20000) / 100.0), last_seen, last_seen
FROM p;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
INSERT INTO customers (cid, user_id, created_at, updated_at) SELECT i, 'c' || i, 1704067200000, 1704067200000 FROM c;
COMMIT;
SQL
echo "filled $n customer_scores rows, $n profiles and $n reviews in $(echo "$(date +%s.%N) - $started" | bc) s" >&2

"$xinli" serve --data-dir "$dir" --bind 127.0.0.1:0 > "$dir/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$dir/serve.log" 2>/dev/null && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.:]*' "$dir/serve.log" | head -n1)"

# CPU time (user + system, ms) the server process has used: wall-clock times mean little on a
# loaded machine, the CPU a request costs does (SQLite runs inside the server).
server_cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%d\n", ($14 + $15) * 1000 / hz}' "/proc/$server/stat"; }

median() { sort -n | awk 'NF {a[++n] = $1} END {print (n ? a[int((n + 1) / 2)] : 0)}'; }

measure() { # path [method body]
    local path="$1" times=() cpus=() before
    for i in $(seq 0 "$repeats"); do
        before="$(server_cpu_ms)"
        if [ -n "${2:-}" ]; then
            times+=("$(curl -s -o /dev/null -w '%{time_total}' -X "$2" -H "authorization: Bearer $key" -H 'content-type: application/json' -d "$3" "$url$path")")
        else
            times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "authorization: Bearer $key" "$url$path")")
        fi
        cpus+=("$(echo "$(server_cpu_ms) - $before" | bc)")
    done
    printf '%-58s first %7.1f ms   then median %7.1f ms   server CPU first %7.0f ms, median %7.0f ms\n' "${4:-$path ${2:-}}" \
        "$(echo "${times[0]} * 1000" | bc)" "$(echo "$(printf '%s\n' "${times[@]:1}" | median) * 1000" | bc)" \
        "${cpus[0]}" "$(printf '%s\n' "${cpus[@]:1}" | median)"
}

preview() { # expression → the request body
    printf '{"expression": "%s", "limit": 10}' "$1"
}

# The exact count of an expression the SQL cannot answer (journey_stage): the Rust evaluator
# over every candidate its compiled conjuncts leave, in the background — over every profile
# when there are none, as every preview did before expressions were compiled to SQL. Asks
# every 2 s until the answer is exact; prints the time and the server's CPU meanwhile.
measure_exact_count() { # expression
    local started before body
    started="$(date +%s.%N)"
    before="$(server_cpu_ms)"
    body="$(preview "$1")"
    until curl -s -X POST -H "authorization: Bearer $key" -H 'content-type: application/json' -d "$body" "$url/api/dashboard/segments/preview" | grep -q '"exact":true'; do
        sleep 2
    done
    printf '%-58s exact count after %7.1f s, server CPU %7.0f ms\n' "preview (exact, by the evaluator) $1" \
        "$(echo "$(date +%s.%N) - $started" | bc)" "$(echo "$(server_cpu_ms) - $before" | bc)"
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
    for expr in "clv > 900 and orders >= 2" "count_search >= 5 and signal_cart_per_view > 0.2" "rfm_segment in ['Champions', 'Loyal'] and last_seen_days < 30"; do
        measure /api/dashboard/segments/preview POST "$(preview "$expr")" "preview (SQL) $expr"
    done
    # journey_stage is evaluated here: a sample first, the exact count in the background.
    repeats=0 measure /api/dashboard/segments/preview POST "$(preview "journey_stage = 'dormant' and clv > 900")" "preview (sample) journey_stage = 'dormant' and clv > 900"
    measure_exact_count "journey_stage = 'dormant' and clv > 900"
    measure_exact_count "journey_stage = 'dormant'"
} | tee "$out"
echo "saved $out" >&2
