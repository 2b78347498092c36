#!/usr/bin/env python3
"""Peer for xinli's sentiment model: the classical baseline named in issue 4 --
TF-IDF character 1-3-grams + logistic regression (scikit-learn defaults, C=1.0) -- trained and
scored on exactly the split `xinli text train` uses:

    row_id % 10 == 0 -> held-out (scored), == 1 -> calibration (xinli: lambda + Platt), else training.

The peer trains on training + calibration rows (it has nothing to calibrate), so it sees more
training data than xinli does. Prints one JSON object: held-out accuracy, macro-F1, per category,
fit seconds and scoring speed (reviews/s on one core).

    bench/.venv/bin/python bench/peer_text_baseline.py --data ../shared/data --out bench/results/peer-text.json
"""
import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pandas as pd  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402


def load(data):
    zh = pd.read_csv(os.path.join(data, "zh_reviews/online_shopping_10_cats_train80.csv"), keep_default_na=False, dtype=str)
    zh["text"] = zh["review"].str.lstrip("\ufeff").str.strip()
    zh = zh[zh["text"] != ""]
    zh = pd.DataFrame({"row_id": zh["row_id"].astype(int), "cat": zh["cat"], "text": zh["text"], "y": zh["label"].astype(int)})
    en = pd.read_csv(os.path.join(data, "en_reviews/womens_clothing_reviews_train80.csv"), keep_default_na=False, dtype=str)
    # As xinli reads a review: title, line break, body (rows without a body are left out by both).
    body = en["Review Text"].str.strip()
    title = en["Title"].str.strip()
    en["text"] = (title + "\n" + body).where(title != "", body)
    en["stars"] = en["Rating"].astype(int)
    en = en[(body != "") & (en["stars"] != 3)]
    cat = en["Department Name"].str.strip().replace("", "(none)")
    en = pd.DataFrame({"row_id": en["row_id"].astype(int), "cat": cat, "text": en["text"], "y": (en["stars"] >= 4).astype(int)})
    return {"zh": zh, "en": en}


def metrics(y, p):
    return {"n": int(len(y)), "accuracy": float(accuracy_score(y, p)), "macro_f1": float(f1_score(y, p, average="macro"))}


def run(df):
    held = df[df["row_id"] % 10 == 0]
    fit = df[df["row_id"] % 10 != 0]
    t0 = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    clf = LogisticRegression(max_iter=1000)
    clf.fit(vec.fit_transform(fit["text"]), fit["y"])
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = clf.predict(vec.transform(held["text"]))
    score_s = time.perf_counter() - t0
    out = metrics(held["y"].values, pred)
    out["by_category"] = {c: metrics(held["y"].values[held["cat"].values == c], pred[held["cat"].values == c]) for c in sorted(held["cat"].unique())}
    out.update({"train_rows": int(len(fit)), "fit_seconds": fit_s, "score_seconds": score_s, "reviews_per_second": len(held) / score_s})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    ap.add_argument("--out", help="also write the JSON here")
    a = ap.parse_args()
    import sklearn

    res = {"peer": f"scikit-learn {sklearn.__version__} TfidfVectorizer(char, 1-3) + LogisticRegression()", "threads": 1}
    for lang, df in load(a.data).items():
        res[lang] = run(df)
    text = json.dumps(res, indent=2, ensure_ascii=False)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
