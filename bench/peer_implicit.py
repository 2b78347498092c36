#!/usr/bin/env python3
"""Peer benchmark for `xinli recommend`: the Python `implicit` package on Online Retail.

    bench/.venv/bin/python bench/peer_implicit.py --data PATH/online_retail.csv.gz [--split 2011-11-01]

Protocol (the same as `xinli recommend --evaluate` and crates/xinli-bench's xinli-recommend-bench):
customers with a CustomerID, completed lines (InvoiceNo not starting with "C"); train = lines
before the split, the matrix holds invoice counts per (customer, StockCode); test = the distinct
StockCodes a customer bought on or after the split, for customers present in both periods.
Already-bought items may be recommended (filter_already_liked_items=False: these shops reorder).
Metrics at 10: HR (share of customers with at least one hit), precision, recall, NDCG (binary
relevance, ideal DCG over min(|test|, 10) hits), catalogue coverage (distinct recommended items /
items in the training matrix).

Prints one JSON document on stdout; progress on stderr.
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402


def log(msg):
    print(f"[peer_implicit] {msg}", file=sys.stderr, flush=True)


def load(path, split):
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    df = df[df["CustomerID"].notna()]
    df = df[~df["InvoiceNo"].str.startswith("C")]
    df["customer"] = df["CustomerID"].str.strip().str.replace(r"\.0$", "", regex=True)
    df["item"] = df["StockCode"].str.strip()
    df["at"] = pd.to_datetime(df["InvoiceDate"])
    cut = pd.Timestamp(split)
    return df[df["at"] < cut], df[df["at"] >= cut]


def metrics(recs, truth, n_items):
    """recs: customer -> list of item indices (best first); truth: customer -> set of item ids (indices or -1)."""
    hr = prec = rec = ndcg = 0.0
    seen = set()
    for c, items in recs.items():
        t = truth[c]
        hits = [1 if i in t else 0 for i in items[:10]]
        h = sum(hits)
        hr += h > 0
        prec += h / 10
        rec += h / len(t)
        dcg = sum(x / math.log2(r + 2) for r, x in enumerate(hits))
        idcg = sum(1 / math.log2(r + 2) for r in range(min(len(t), 10)))
        ndcg += dcg / idcg
        seen.update(items[:10])
    n = len(recs)
    return {"hr_at_10": hr / n, "precision_at_10": prec / n, "recall_at_10": rec / n, "ndcg_at_10": ndcg / n,
            "coverage": len(seen) / n_items, "customers": n}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="2011-11-01")
    ap.add_argument("--latency-samples", type=int, default=2000)
    args = ap.parse_args()

    import implicit
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender
    from implicit.als import AlternatingLeastSquares
    from implicit.bpr import BayesianPersonalizedRanking
    from importlib import metadata

    t0 = time.perf_counter()
    train, test = load(args.data, args.split)
    counts = train.groupby(["customer", "item"])["InvoiceNo"].nunique().reset_index()
    customers = {c: k for k, c in enumerate(sorted(counts["customer"].unique()))}
    items = {i: k for k, i in enumerate(sorted(counts["item"].unique()))}
    rows = counts["customer"].map(customers).to_numpy()
    cols = counts["item"].map(items).to_numpy()
    user_items = sp.csr_matrix((counts["InvoiceNo"].to_numpy(dtype=np.float32), (rows, cols)),
                               shape=(len(customers), len(items)))
    truth = {}
    for c, g in test.groupby("customer"):
        if c in customers:
            truth[customers[c]] = {items.get(i, -1) for i in g["item"].unique()}
    evaluated = sorted(truth)
    log(f"loaded in {time.perf_counter() - t0:.2f} s: {len(customers)} customers x {len(items)} items, "
        f"{user_items.nnz} nonzeros; {len(evaluated)} evaluated customers")

    rows_out = []
    # Popularity: customers who bought each item (the same baseline xinli prints).
    t = time.perf_counter()
    pop = np.asarray((user_items > 0).sum(axis=0)).ravel()
    top = list(np.argsort(-pop, kind="stable")[:10])
    pop_train = time.perf_counter() - t
    m = metrics({c: top for c in evaluated}, truth, len(items))
    rows_out.append({"model": "popularity", "train_s": pop_train, **m})

    models = [
        ("bm25_item_item", lambda: BM25Recommender()),
        ("cosine_item_item", lambda: CosineRecommender()),
        ("als", lambda: AlternatingLeastSquares(random_state=42)),
        ("bpr", lambda: BayesianPersonalizedRanking(random_state=42)),
    ]
    rng = np.random.default_rng(7)
    for name, make in models:
        model = make()
        t = time.perf_counter()
        model.fit(user_items, show_progress=False)
        train_s = time.perf_counter() - t
        ids = np.array(evaluated)
        recs, _ = model.recommend(ids, user_items[ids], N=10, filter_already_liked_items=False)
        m = metrics({c: list(r) for c, r in zip(evaluated, recs)}, truth, len(items))
        lat = []
        for u in rng.choice(len(customers), size=args.latency_samples):
            s = time.perf_counter()
            model.recommend(int(u), user_items[int(u)], N=10, filter_already_liked_items=False)
            lat.append(time.perf_counter() - s)
        lat = np.array(lat) * 1e6
        row = {"model": name, "train_s": train_s, "p50_us": float(np.percentile(lat, 50)),
               "p99_us": float(np.percentile(lat, 99)), **m}
        log(f"{name}: HR@10 {m['hr_at_10']:.3f} NDCG@10 {m['ndcg_at_10']:.3f} train {train_s:.2f} s "
            f"p50 {row['p50_us']:.0f} us p99 {row['p99_us']:.0f} us")
        rows_out.append(row)

    print(json.dumps({"peer": "implicit", "implicit_version": metadata.version("implicit"),
                      "split": args.split, "customers": len(customers), "items": len(items),
                      "nonzeros": int(user_items.nnz), "evaluated_customers": len(evaluated),
                      "rows": rows_out}, indent=1))


if __name__ == "__main__":
    main()
