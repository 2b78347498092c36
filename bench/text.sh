#!/usr/bin/env bash
# Voice-of-the-customer benchmark: xinli's shipped sentiment model beside the classical peer
# (TF-IDF char 1-3-grams + logistic regression, scikit-learn) on the same held-out split, in one
# run on this machine. Prints both and saves bench/results/text-<date>.json.
#
#   bash bench/text.sh [DATA_DIR]      # default ../shared/data
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-$ROOT/../shared/data}"
OUT="$ROOT/bench/results/text-$(date +%F).json"
bash "$ROOT/bench/setup-peers.sh" >/dev/null
cd "$ROOT"
echo "[text] xinli (one thread)…" >&2
XINLI="$(cargo run --release -q -p xinli-text --example bench_scoring -- "$DATA")"
echo "[text] peer: scikit-learn TF-IDF char(1,3) + LogisticRegression (one thread)…" >&2
PEER="$(bench/.venv/bin/python bench/peer_text_baseline.py --data "$DATA")"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$OUT" "$LOAD" <<PY
import json, sys
xinli = json.loads('''$XINLI''')
peer = json.loads('''$PEER''')
out, load = sys.argv[1], sys.argv[2]
print(f"machine load (1/5/15 min): {load}")
print(f"{'':4} {'xinli acc':>10} {'xinli F1':>9} {'peer acc':>9} {'peer F1':>8} {'xinli rev/s wall (sentiment | full)':>38} {'xinli rev per CPU-s (sentiment | full)':>40} {'peer rev/s':>11}")
for l in ("zh", "en"):
    x, p = xinli[l], peer[l]
    print(f"{l:4} {x['accuracy']:10.4f} {x['macro_f1']:9.4f} {p['accuracy']:9.4f} {p['macro_f1']:8.4f} "
          f"{x['sentiment_reviews_per_second_per_core']:>20,.0f} | {x['full_scoring_reviews_per_second_per_core']:>14,.0f} "
          f"{x['sentiment_reviews_per_cpu_second'] or 0:>22,.0f} | {x['full_scoring_reviews_per_cpu_second'] or 0:>14,.0f} {p['reviews_per_second']:>11,.0f}")
json.dump({"load": load, "xinli": xinli, "peer": peer}, open(out, "w"), indent=2, ensure_ascii=False)
print(f"saved {out}")
PY
