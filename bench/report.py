#!/usr/bin/env python3
"""Collects one bench/run.sh run (WORK/raw/*) into results/<date>-run.txt and -run.json.

    python3 bench/report.py WORK_DIR RESULTS_DIR

Standard library only. Every wall time carries the 1-minute load average measured around it.
"""
import glob
import json
import os
import statistics
import sys


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def last_json_line(path):
    """stdout of xinli-bench is one JSON line; the peer prints one indented document."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    try:
        return json.loads(text)
    except ValueError:
        for line in reversed(text.strip().splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def fmt(x, nd=3):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, int):
        return f"{x:,}"
    if abs(x) >= 1e3:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def table(headers, rows):
    cols = list(zip(*([headers] + [[fmt(c) if not isinstance(c, str) else c for c in r] for r in rows])))
    widths = [max(len(str(c)) for c in col) for col in cols]
    out = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)),
           "  ".join("-" * w for w in widths)]
    for r in rows:
        cells = [fmt(c) if not isinstance(c, str) else c for c in r]
        out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    return "\n".join(out)


def ratio(a, b):
    return a / b if a and b else None


def main():
    work, results = sys.argv[1], sys.argv[2]
    raw = os.path.join(work, "raw")
    meta = load(os.path.join(raw, "meta.json"), {})
    meta["uptime_end"] = load(os.path.join(raw, "uptime_end.json"))
    times = {os.path.basename(p)[:-5]: load(p) for p in glob.glob(os.path.join(raw, "*.time"))}
    doc = {"meta": meta, "online_retail": {}, "generated": [], "end_to_end_generated": [], "targets": {}}
    lines = []
    w = lines.append

    date = (meta.get("date_utc") or "unknown")[:10]
    w(f"xinli vs lifetimes — one run, {meta.get('date_utc')} (commit {meta.get('git_commit')})")
    w(f"machine: {meta.get('cpu')}, {meta.get('nproc')} cores, {int(meta.get('mem_total_kb', 0)) / 1048576:.1f} GiB")
    if meta.get("uncommitted_crate_files"):
        w(f"built from the shared working tree, which had uncommitted changes in: {meta['uncommitted_crate_files']}")
    w(f"uptime at start: {meta.get('uptime_start')}")
    w(f"uptime at end:   {meta.get('uptime_end')}")
    w("Every wall time below is given with the 1-min load average before/after it (other engineers share the 2 cores).")
    w("")

    # ------------------------------------------------------------ Online Retail
    def runs(prefix):
        rs = sorted((t for k, t in times.items() if k.startswith(prefix + "_")), key=lambda t: t["name"])
        return [r for r in rs if r and r.get("exit") == 0]

    orr = {}
    for variant in ("auto", "bgnbd"):
        rs = runs(f"or_xinli_{variant}")
        if not rs:
            continue
        walls = [r["wall_s"] for r in rs]
        first = os.path.join(work, f"or_xinli_{variant}_1")
        summ = load(os.path.join(first, "summary.json"), {})
        val = load(os.path.join(first, "validation.json"), {})
        mod = load(os.path.join(first, "models.json"), {})
        step_runs = [dict(load(os.path.join(work, r["name"], "summary.json"), {}).get("timings_seconds", []))
                     for r in rs]
        steps_min = {k: min(s.get(k, float("inf")) for s in step_runs) for k in step_runs[0]} if step_runs else {}
        rows_read = sum(f.get("rows_read", 0) for f in summ.get("import", {}).get("files", []))
        bg = mod.get("bgnbd", {})
        orr[f"xinli_{variant}"] = {
            "wall_s_runs": walls, "wall_s_min": min(walls), "wall_s_median": statistics.median(walls),
            "max_rss_mib": max(r["max_rss_kb"] for r in rs) / 1024,
            "loads": [[r["load_before"], r["load_after"]] for r in rs],
            "rows_read": rows_read, "rows_per_s_min_wall": rows_read / min(walls) if rows_read else None,
            "steps_min_s": steps_min,
            "validation": {k: val.get(k) for k in ("customers", "predicted_total", "actual_total", "mae_per_customer",
                                                  "auc_expected_purchases", "auc_p_alive", "auc_churn_risk",
                                                  "selected_model")},
            "selected_model": mod.get("selected_model"),
            "bgnbd": {k: bg.get(k) for k in ("r", "alpha", "a", "b", "log_likelihood", "boundary", "penalizer",
                                             "converged", "fit_seconds")},
            "model_fit_seconds": {k: v.get("fit_seconds") for k, v in mod.items()
                                  if isinstance(v, dict) and "fit_seconds" in v},
        }
    peer = last_json_line(os.path.join(raw, "or_peer.out"))
    pt = times.get("or_peer")
    if peer:
        h = (peer["result"]["bgnbd"].get("holdout") or {})
        orr["lifetimes"] = {
            "pipeline_s_runs": [r["pipeline_seconds"] for r in peer["runs"]],
            "pipeline_s_min": peer["pipeline_seconds_min"], "pipeline_s_median": peer["pipeline_seconds_median"],
            "import_s": peer["import_seconds"],
            "pipeline_plus_import_s_min": peer["pipeline_seconds_min"] + peer["import_seconds"],
            "process_wall_s_all_repeats": pt and pt["wall_s"],
            "peak_rss_mib": peer["peak_rss_mb"] / 1.048576 if peer.get("peak_rss_mb") else None,
            "max_rss_mib_gnu_time": pt and pt["max_rss_kb"] / 1024,
            "loads_after_each_run": [r["loadavg_1min_after"] for r in peer["runs"]],
            "load_before": pt and pt["load_before"],
            "rows_read": peer["result"].get("rows_read"),
            "rows_per_s_min": peer["result"].get("rows_read", 0) / peer["pipeline_seconds_min"],
            "steps_min_s": peer["steps_min"],
            "validation": {"customers": h.get("n_customers"),
                           "predicted_total": h.get("predicted_total_holdout_purchases"),
                           "actual_total": h.get("actual_total_holdout_purchases_finite_pred"),
                           "actual_total_all": h.get("actual_total_holdout_purchases_all"),
                           "mae_per_customer": h.get("mae_per_customer"),
                           "auc_expected_purchases": h.get("auc_expected_purchases"),
                           "auc_p_alive": h.get("auc_p_alive")},
            "bgnbd": {"params": peer["result"]["bgnbd"].get("params"),
                      "penalizer": peer["result"]["bgnbd"].get("penalizer"),
                      "log_likelihood_unpenalized": peer["result"]["bgnbd"].get("loglik_unpenalized")},
        }
    doc["online_retail"] = orr
    if orr:
        w("== (i) Online Retail: read .csv.gz -> report (xinli) vs read_csv -> CLV (pandas + lifetimes) ==")
        rows = []
        for key, label in (("xinli_auto", "xinli analyze (default --model auto)"),
                           ("xinli_bgnbd", "xinli analyze --model bgnbd"),):
            x = orr.get(key)
            if x:
                rows.append([label, x["wall_s_min"], x["wall_s_median"], f'{x["max_rss_mib"]:.0f}', x["rows_per_s_min_wall"],
                             " ".join(f"{a:.2f}/{b:.2f}" for a, b in x["loads"])])
        l = orr.get("lifetimes")
        if l:
            rows.append(["lifetimes pipeline (excl. import)", l["pipeline_s_min"], l["pipeline_s_median"],
                         f'{l["peak_rss_mib"]:.0f}', l["rows_per_s_min"],
                         f"{l['load_before']:.2f} then " + " ".join(f"{v:.2f}" for v in l["loads_after_each_run"])])
            rows.append(["lifetimes pipeline + import once", l["pipeline_plus_import_s_min"], None, None, None, ""])
        w(table(["pipeline", "wall min s", "median s", "peak MiB", "rows/s", "load 1-min (before/after)"], rows))
        w("xinli = process wall (GNU time) incl. writing customers.csv, models.json, report.html, churn back-test;")
        w("lifetimes = its own 'pipeline_seconds' (steps 1-7, no output files, no interpreter start or import).")
        for key in ("xinli_auto", "xinli_bgnbd"):
            x = orr.get(key)
            if x:
                w(f"{key} steps (min over runs, s): " + ", ".join(f"{k} {v:.3f}" for k, v in x["steps_min_s"].items()))
                w(f"{key} model fits in run 1 (s): " + ", ".join(f"{k} {v:.4f}" for k, v in x["model_fit_seconds"].items()))
        if l:
            w("lifetimes steps (min over runs, s): " + ", ".join(f"{k} {v:.3f}" for k, v in l["steps_min_s"].items()))
        if l:
            for key in ("xinli_auto", "xinli_bgnbd"):
                x = orr.get(key)
                if x:
                    r1 = ratio(l["pipeline_s_min"], x["wall_s_min"])
                    r2 = ratio(l["pipeline_s_median"], x["wall_s_median"])
                    r3 = ratio(l["pipeline_plus_import_s_min"], x["wall_s_min"])
                    x["speedup_vs_lifetimes"] = {"min": r1, "median": r2, "min_with_import": r3}
                    w(f"speed ratio lifetimes/{key}: {r1:.2f}x (min/min), {r2:.2f}x (median/median), "
                      f"{r3:.2f}x counting lifetimes' import")
        w("")
        w("Accuracy on the 3,362 calibration customers (holdout 2011-09-09..2011-12-09):")
        rows = []
        for key, label in (("xinli_auto", "xinli (auto)"), ("xinli_bgnbd", "xinli (bgnbd)"), ("lifetimes", "lifetimes")):
            x = orr.get(key)
            if not x:
                continue
            v = x["validation"]
            if key == "lifetimes":
                ll = x["bgnbd"]["log_likelihood_unpenalized"]
                note = f"penalizer {x['bgnbd']['penalizer']}"
            else:
                ll = x["bgnbd"].get("log_likelihood")
                note = f"selected {x['selected_model']}, penalizer {x['bgnbd'].get('penalizer')}" + \
                       (", boundary (no dropout)" if x["bgnbd"].get("boundary") else "")
            rows.append([label, v.get("predicted_total"), v.get("actual_total"), v.get("mae_per_customer"),
                         v.get("auc_expected_purchases"), v.get("auc_p_alive"), v.get("auc_churn_risk"), ll, note])
        w(table(["", "predicted", "actual", "MAE/cust", "AUC E[purch]", "AUC P(alive)", "AUC churn", "BG/NBD LL", "note"], rows))
        w("")

    # ------------------------------------------------------------ generated shops
    gen = []
    for n in (10_000, 100_000, 1_000_000, 10_000_000):
        x = last_json_line(os.path.join(raw, f"sim_{n}.out"))
        xt = times.get(f"sim_{n}")
        if not x:
            continue
        p = last_json_line(os.path.join(raw, f"peer_fit_{n}.out"))
        ptm = times.get(f"peer_fit_{n}")
        s = x["seconds"]
        g = {"customers": n, "transactions": x["transactions"], "xinli": {
            "simulate_s": s["simulate"], "summarize_s": s["summarize"], "group_s_min": s["group_patterns_min"],
            "fit_bgnbd_s_min": s["fit_bgnbd_min"], "fit_bgnbd_s_runs": s["fit_bgnbd_runs"],
            "fit_incl_group_s_min": s["fit_bgnbd_incl_grouping_min"], "fit_gamma_gamma_s": s["fit_gamma_gamma"],
            "predictions_s": s["predictions"], "modelling_total_s": s["modelling_total"],
            "tx_per_s_modelling": x["rows_per_second"]["transactions_per_s_modelling"],
            "customers_per_s_fit": x["rows_per_second"]["customers_per_s_fit_bgnbd_incl_grouping"],
            "peak_rss_mib": x["peak_rss_mib"], "max_rss_mib_gnu_time": xt and xt["max_rss_kb"] / 1024,
            "n_patterns": x["bgnbd"]["n_patterns"], "bgnbd_params": x["bgnbd"]["params"],
            "bgnbd_ll": x["bgnbd"]["log_likelihood"], "gg_params": x["gamma_gamma"]["params"],
            "load_start_end": [x["loadavg_start"][0], x["loadavg_end"][0]],
            "steps": x["steps"]}}
        if p:
            gg = p.get("gamma_gamma") or {}
            g["lifetimes"] = {
                "read_csv_s": p["read_seconds"], "fit_bgnbd_s_min": p["fit_seconds_min"],
                "fit_bgnbd_s_median": p["fit_seconds_median"], "fit_bgnbd_s_runs": p["fit_seconds_runs"],
                "fit_cpu_s_runs": p["fit_cpu_seconds_runs"],
                "fit_gamma_gamma_s": gg.get("seconds_total_incl_failed"),
                "penalizer": p["bgnbd"]["penalizer"], "bgnbd_params": p["bgnbd"]["params"],
                "bgnbd_ll": p["bgnbd"]["loglik_unpenalized"], "gg_params": gg.get("params"),
                "peak_rss_mib": p["peak_rss_mb"] / 1.048576,
                "loads_after_each_fit": p["loadavg_1min_after_each_fit"],
                "load_before": ptm and ptm["load_before"],
                "customers_per_s_fit": n / p["fit_seconds_min"]}
            g["fit_speedup"] = ratio(p["fit_seconds_min"], s["fit_bgnbd_incl_grouping_min"])
            g["fit_speedup_fit_only"] = ratio(p["fit_seconds_min"], s["fit_bgnbd_min"])
            g["gamma_gamma_speedup"] = ratio(gg.get("seconds_total_incl_failed"), s["fit_gamma_gamma"])
        gen.append(g)
    doc["generated"] = gen
    if gen:
        w("== (ii) Generated shops (BG/NBD r=0.25 alpha=4 a=0.8 b=2.5 weekly, Gamma-Gamma 6/4/15; acquired over 1 year, observed 3) ==")
        w("xinli-bench sim: simulate -> summarize -> group patterns -> BG/NBD fit (with standard errors, as lifetimes")
        w("computes its Hessian) -> Gamma-Gamma fit -> P(alive), E[purchases 52w], churn risk 13w, spend, CLV 52w.")
        w("lifetimes: fit-summary on the summary CSV xinli wrote (same customers, same numbers).")
        rows = []
        for g in gen:
            x = g["xinli"]
            rows.append([f"{g['customers']:.0e}", g["transactions"], x["simulate_s"], x["summarize_s"], x["group_s_min"],
                         x["fit_bgnbd_s_min"], x["fit_gamma_gamma_s"], x["predictions_s"], x["modelling_total_s"],
                         x["tx_per_s_modelling"], f'{x["peak_rss_mib"]:.0f}', x["n_patterns"],
                         f"{x['load_start_end'][0]:.2f}/{x['load_start_end'][1]:.2f}"])
        w(table(["customers", "transactions", "simulate", "summarize", "group", "BG/NBD fit", "GG fit", "predict",
                 "model total", "tx/s", "peak MiB", "patterns", "load"], rows))
        w("(seconds; 'model total' = summarize..CLV without simulate; BG/NBD fit and group are the min of 3 runs (1 at 1e7))")
        w("")
        rows = []
        for g in gen:
            l = g.get("lifetimes")
            x = g["xinli"]
            if not l:
                rows.append([f"{g['customers']:.0e}", x["fit_incl_group_s_min"], "not run", None, None, None, None, None, "", ""])
                continue
            rows.append([f"{g['customers']:.0e}", x["fit_incl_group_s_min"], l["fit_bgnbd_s_min"], l["fit_bgnbd_s_median"],
                         g["fit_speedup"], x["fit_gamma_gamma_s"], l["fit_gamma_gamma_s"], f'{l["peak_rss_mib"]:.0f}',
                         f"{x['bgnbd_ll']:.2f} / {l['bgnbd_ll']:.2f}",
                         (f"{l['load_before']:.2f} then " if l.get("load_before") is not None else "")
                         + " ".join(f"{v:.2f}" for v in l["loads_after_each_fit"])])
        w(table(["customers", "xinli fit s", "lifetimes fit min", "median", "speedup", "xinli GG s", "lifetimes GG s",
                 "lifetimes peak MiB", "BG/NBD LL xinli / lifetimes", "lifetimes load"], rows))
        w("xinli fit = group patterns + BG/NBD fit (min of 3); lifetimes fit = BetaGeoFitter().fit incl. any failed")
        w("penalizer attempts (min of its repeats). 1e7: lifetimes not run (its 1e6 fit already takes tens of seconds")
        w("and pandas would need several GB); xinli only.")
        for g in gen:
            x = g["xinli"]
            line = (f"  {g['customers']:.0e}: xinli r={x['bgnbd_params']['r']:.5f} alpha={x['bgnbd_params']['alpha']:.4f} "
                    f"a={x['bgnbd_params']['a']:.4f} b={x['bgnbd_params']['b']:.4f}")
            if g.get("lifetimes"):
                lp = g["lifetimes"]["bgnbd_params"]
                line += f" | lifetimes r={lp['r']:.5f} alpha={lp['alpha']:.4f} a={lp['a']:.4f} b={lp['b']:.4f}"
            w(line)
        w("")

    # ------------------------------------------------------------ end to end generated
    e2e = []
    for n in (100_000, 1_000_000, 10_000_000):
        gt = times.get(f"gen_{n}")
        if not gt:
            continue
        e = {"customers": n, "gen_transactions_s": gt["wall_s"]}
        for m in ("bgnbd", "auto"):
            t = times.get(f"e2e_{m}_{n}")
            if not t:
                continue
            summ = load(os.path.join(work, f"e2e_{m}_{n}", "summary.json"), {})
            rows_read = sum(f.get("rows_read", 0) for f in summ.get("import", {}).get("files", []))
            e[m] = {"wall_s": t["wall_s"], "max_rss_mib": t["max_rss_kb"] / 1024, "exit": t["exit"],
                    "rows_read": rows_read, "rows_per_s": rows_read / t["wall_s"] if t["wall_s"] else None,
                    "timings_s": dict(summ.get("timings_seconds", [])),
                    "load": [t["load_before"], t["load_after"]]}
        e2e.append(e)
    doc["end_to_end_generated"] = e2e
    if e2e:
        w("== (iii) End to end on generated orders: xinli gen-transactions (78 weeks) -> xinli analyze --time-unit weeks ==")
        rows = []
        for e in e2e:
            for m in ("bgnbd", "auto"):
                x = e.get(m)
                if x:
                    rows.append([f"{e['customers']:.0e}", m, x["rows_read"], x["wall_s"], x["rows_per_s"], f'{x["max_rss_mib"]:.0f}',
                                 ", ".join(f"{k} {v:.2f}" for k, v in x["timings_s"].items()),
                                 f"{x['load'][0]:.2f}/{x['load'][1]:.2f}", x["exit"]])
        w(table(["customers", "model", "rows", "wall s", "rows/s", "peak MiB", "steps (s)", "load", "exit"], rows))
        w("")

    # ------------------------------------------------------------ targets
    tg = doc["targets"]
    w("== Targets ==")
    g6 = next((g for g in gen if g["customers"] == 1_000_000), None)
    if g6 and g6.get("fit_speedup"):
        ok = g6["fit_speedup"] >= 50
        tg["fit_1e6_50x"] = {"speedup": g6["fit_speedup"], "met": ok,
                             "xinli_s": g6["xinli"]["fit_incl_group_s_min"], "lifetimes_s": g6["lifetimes"]["fit_bgnbd_s_min"]}
        w(f"fit 1e6 >= 50x faster: {g6['fit_speedup']:.1f}x ({g6['xinli']['fit_incl_group_s_min']:.3f} s vs "
          f"{g6['lifetimes']['fit_bgnbd_s_min']:.2f} s)  -> {'MET' if ok else 'NOT MET'}")
    for key in ("xinli_auto", "xinli_bgnbd"):
        x = orr.get(key)
        if x and x.get("speedup_vs_lifetimes"):
            sp = x["speedup_vs_lifetimes"]["min"]
            tg[f"online_retail_4x_{key}"] = {"speedup_min": sp, "speedup_median": x["speedup_vs_lifetimes"]["median"],
                                              "met": sp >= 4}
            w(f"Online Retail pipeline >= 4x ({key}): {sp:.2f}x min/min, "
              f"{x['speedup_vs_lifetimes']['median']:.2f}x median/median -> {'MET' if sp >= 4 else 'NOT MET'}")
    g7 = next((g for g in gen if g["customers"] == 10_000_000), None)
    if g7:
        pk = max(g7["xinli"]["peak_rss_mib"], g7["xinli"]["max_rss_mib_gnu_time"] or 0)
        tg["1e7_under_4GB"] = {"peak_rss_mib": pk, "met": pk < 4000}
        w(f"1e7 customers < 4 GB peak (xinli-bench sim, all steps in one process): {pk:.0f} MiB -> "
          f"{'MET' if pk < 4000 else 'NOT MET'}")
    e7 = next((e for e in e2e if e["customers"] == 10_000_000), None)
    if e7:
        for m in ("bgnbd", "auto"):
            if e7.get(m):
                pk = e7[m]["max_rss_mib"]
                tg[f"1e7_e2e_{m}_under_4GB"] = {"peak_rss_mib": pk, "met": pk < 4000 and e7[m]["exit"] == 0}
                w(f"1e7 customers end to end (xinli analyze --model {m}): {pk:.0f} MiB, exit {e7[m]['exit']}")

    os.makedirs(results, exist_ok=True)
    base = os.path.join(results, f"{date}-run")
    with open(base + ".txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("\n".join(lines))
    print(f"\nwrote {base}.txt and {base}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
