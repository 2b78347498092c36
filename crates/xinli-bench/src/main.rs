//! `xinli-bench`: times xinli's customer-base modelling on simulated shops and writes the calibration
//! summary so the Python `lifetimes` peer (bench/peer_lifetimes.py fit-summary) fits exactly the same data.
//! Not part of the product; driven by bench/run.sh.
//!
//! ```text
//! xinli-bench sim --customers 1000000 [--seed 42] [--summary-csv F] [--fit-repeat 3] [--no-std-errors]
//! xinli-bench rss-of PID...   (not needed: bench/run.sh uses /usr/bin/time -v for other processes)
//! ```
//!
//! Output: one JSON document on one line on stdout; a human-readable table on stderr.

use std::io::Write;
use std::time::Instant;

use serde_json::{json, Value};
use xinli_clv::{
    customer_lifetime_value, summarize, simulate, BgNbd, BgNbdParams, ClvOptions, FitOptions, GammaGamma,
    GammaGammaParams, Patterns, SimConfig, TransactionModel,
};
use xinli_core::{TimeUnit, Timestamp};

/// `VmHWM` (peak resident set) and `VmRSS` of this process in MiB, from /proc/self/status.
fn mem_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn loadavg() -> Vec<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect()
}

struct Steps {
    rows: Vec<Value>,
    table: Vec<(String, f64, f64, f64)>,
}

impl Steps {
    fn new() -> Self {
        Steps { rows: Vec::new(), table: Vec::new() }
    }
    /// Runs `f`, recording its wall seconds and the memory after it.
    fn time<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> (T, f64) {
        let t0 = Instant::now();
        let out = f();
        let secs = t0.elapsed().as_secs_f64();
        let (hwm, rss) = mem_mib();
        eprintln!("[xinli-bench] {name}: {secs:.4} s (rss {rss:.0} MiB, peak {hwm:.0} MiB)");
        self.rows.push(json!({"step": name, "seconds": secs, "rss_mib_after": rss, "peak_rss_mib_after": hwm}));
        self.table.push((name.to_string(), secs, rss, hwm));
        (out, secs)
    }
}

struct Args {
    customers: usize,
    seed: u64,
    summary_csv: Option<String>,
    fit_repeat: usize,
    std_errors: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args { customers: 0, seed: 42, summary_csv: None, fit_repeat: 1, std_errors: true };
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--customers" | "-n" => {
                let v = val()?;
                a.customers = v.parse::<f64>().map_err(|_| format!("bad --customers {v}"))? as usize;
            }
            "--seed" => a.seed = val()?.parse().map_err(|_| "bad --seed".to_string())?,
            "--summary-csv" => a.summary_csv = Some(val()?),
            "--fit-repeat" => a.fit_repeat = val()?.parse().map_err(|_| "bad --fit-repeat".to_string())?,
            "--no-std-errors" => a.std_errors = false,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.customers == 0 {
        return Err("--customers N is required".into());
    }
    a.fit_repeat = a.fit_repeat.max(1);
    Ok(a)
}

fn main() {
    let mut argv = std::env::args().skip(1);
    let cmd = argv.next().unwrap_or_default();
    let result = match cmd.as_str() {
        "sim" => parse_args(argv).and_then(|a| run_sim(&a)),
        _ => Err("usage: xinli-bench sim --customers N [--seed S] [--summary-csv F] [--fit-repeat K] [--no-std-errors]".into()),
    };
    if let Err(e) = result {
        eprintln!("xinli-bench: {e}");
        std::process::exit(2);
    }
}

fn run_sim(args: &Args) -> Result<(), String> {
    let e = |err: xinli_clv::ClvError| err.to_string();
    let truth = BgNbdParams { r: 0.25, alpha: 4.0, a: 0.8, b: 2.5 };
    let spend_truth = GammaGammaParams { p: 6.0, q: 4.0, v: 15.0 };
    // Same shop as xinli-clv's recovery tests: weekly rates, customers acquired over the first year,
    // observed for three years (364-day years).
    let cfg = SimConfig {
        purchases: truth,
        spend: spend_truth,
        n_customers: args.customers,
        unit: TimeUnit::Weeks,
        dropout_at_birth: false,
        start: Timestamp::parse("2020-01-01").unwrap(),
        acquisition_days: 364,
        observation_days: 3 * 364,
        seed: args.seed,
    };
    let load_start = loadavg();
    let (hwm0, _) = mem_mib();
    let mut st = Steps::new();
    let wall0 = Instant::now();

    let (sim, t_sim) = st.time("simulate", || simulate(&cfg));
    let sim = sim.map_err(e)?;
    let n_tx = sim.transactions.len();

    let (cal, t_sum) = st.time("summarize", || summarize(&sim.transactions, sim.n_customers, sim.calibration_end, TimeUnit::Weeks));
    let cal = cal.map_err(e)?;
    let (rft, t_rft) = st.time("rft_vectors", || cal.rfts());
    let (freq_money, t_fm) =
        st.time("spend_vectors", || cal.present().map(|(_, s)| (s.frequency, s.monetary_value)).unzip::<_, _, Vec<u32>, Vec<f64>>());
    let (freq, money) = freq_money;

    let opts = FitOptions { std_errors: args.std_errors, ..FitOptions::default() };
    let mut fit_runs = Vec::new();
    let mut group_runs = Vec::new();
    let mut model = None;
    for i in 0..args.fit_repeat {
        let label = if args.fit_repeat > 1 { format!("group_patterns#{}", i + 1) } else { "group_patterns".into() };
        let (patterns, t_group) = st.time(&label, || Patterns::from_rft(&rft));
        let patterns = patterns.map_err(e)?;
        let label = if args.fit_repeat > 1 { format!("fit_bgnbd#{}", i + 1) } else { "fit_bgnbd".into() };
        let (m, t_fit) = st.time(&label, || BgNbd::fit_patterns(&patterns, &opts));
        group_runs.push(t_group);
        fit_runs.push(t_fit);
        model = Some((m.map_err(e)?, patterns.len()));
    }
    let (model, n_patterns) = model.expect("at least one fit");
    let (gg, t_gg) = st.time("fit_gamma_gamma", || GammaGamma::fit(&freq, &money, &opts));
    let gg = gg.map_err(e)?;

    let (p_alive, t_pa) = st.time("predict_p_alive", || model.p_alive(&rft));
    let p_alive = p_alive.map_err(e)?;
    let (exp52, t_exp) = st.time("predict_expected_purchases_52w", || model.conditional_expected_purchases(&rft, 52.0));
    let exp52 = exp52.map_err(e)?;
    let (churn, t_churn) = st.time("predict_churn_risk_13w", || model.prob_no_purchase_within(&rft, 13.0));
    let churn = churn.map_err(e)?;
    let (spend, t_spend) = st.time("predict_expected_spend", || gg.conditional_expected_average_spend(&freq, &money));
    let spend = spend.map_err(e)?;
    let clv_opts = ClvOptions { horizon: 52.0, unit: TimeUnit::Weeks, annual_discount_rate: 0.1 };
    let (clv, t_clv) = st.time("predict_clv_52w", || customer_lifetime_value(&model, &rft, &spend, &clv_opts));
    let clv = clv.map_err(e)?;
    let wall = wall0.elapsed().as_secs_f64();
    let (peak, rss_end) = mem_mib();

    // Everything except simulate: what a pipeline does once the transactions are in memory.
    let fit_min = fit_runs.iter().cloned().fold(f64::INFINITY, f64::min);
    let group_min = group_runs.iter().cloned().fold(f64::INFINITY, f64::min);
    let modelling = t_sum + t_rft + t_fm + group_runs[0] + fit_runs[0] + t_gg + t_pa + t_exp + t_churn + t_spend + t_clv;
    let predictions = t_pa + t_exp + t_churn + t_spend + t_clv;
    let n_cust = rft.len();
    let repeaters = freq.iter().filter(|&&x| x > 0).count();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;

    let mut csv_info = Value::Null;
    if let Some(path) = &args.summary_csv {
        let t0 = Instant::now();
        write_summary_csv(path, &cal).map_err(|err| format!("{path}: {err}"))?;
        csv_info = json!({"path": path, "seconds": t0.elapsed().as_secs_f64(), "rows": n_cust});
        eprintln!("[xinli-bench] wrote {path} ({n_cust} customers) in {:.2} s", t0.elapsed().as_secs_f64());
    }

    let bp = model.params;
    let gp = gg.params;
    let doc = json!({
        "benchmark": "xinli-sim",
        "customers_simulated": args.customers,
        "customers_in_calibration": n_cust,
        "repeat_customers": repeaters,
        "transactions": n_tx,
        "seed": args.seed,
        "shop": {"unit": "weeks", "acquisition_days": 364, "observation_days": 3 * 364,
                 "truth": {"r": truth.r, "alpha": truth.alpha, "a": truth.a, "b": truth.b,
                           "gg_p": spend_truth.p, "gg_q": spend_truth.q, "gg_v": spend_truth.v}},
        "std_errors": args.std_errors,
        "steps": st.rows,
        "seconds": {
            "simulate": t_sim, "summarize": t_sum + t_rft + t_fm,
            "group_patterns": group_runs[0], "group_patterns_min": group_min,
            "fit_bgnbd": fit_runs[0], "fit_bgnbd_min": fit_min, "fit_bgnbd_runs": fit_runs,
            "fit_bgnbd_incl_grouping_min": group_min + fit_min,
            "fit_gamma_gamma": t_gg, "predictions": predictions,
            "modelling_total": modelling, "process_steps_wall": wall,
        },
        "rows_per_second": {
            "transactions_per_s_modelling": n_tx as f64 / modelling,
            "transactions_per_s_summarize": n_tx as f64 / (t_sum + t_rft + t_fm),
            "customers_per_s_fit_bgnbd_incl_grouping": n_cust as f64 / (group_min + fit_min),
            "transactions_per_s_simulate": n_tx as f64 / t_sim,
        },
        "peak_rss_mib": peak,
        "peak_rss_mib_at_start": hwm0,
        "rss_mib_end": rss_end,
        "bgnbd": {
            "params": {"r": bp.r, "alpha": bp.alpha, "a": bp.a, "b": bp.b},
            "log_likelihood": model.report.log_likelihood, "converged": model.report.converged,
            "iterations": model.report.iterations, "function_evals": model.report.function_evals,
            "boundary": model.report.boundary, "method": model.report.method, "n_patterns": n_patterns,
            "std_errors": model.report.std_errors,
        },
        "gamma_gamma": {
            "params": {"p": gp.p, "q": gp.q, "v": gp.v}, "converged": gg.report.converged,
            "n_customers": gg.report.n_customers, "n_patterns": gg.report.n_patterns,
            "iterations": gg.report.iterations, "log_likelihood": gg.report.log_likelihood,
        },
        "predictions": {
            "mean_p_alive": mean(&p_alive), "mean_expected_purchases_52w": mean(&exp52),
            "mean_churn_risk_13w": mean(&churn), "mean_clv_52w": mean(&clv), "sum_clv_52w": clv.iter().sum::<f64>(),
        },
        "summary_csv": csv_info,
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
    });

    // Human table.
    eprintln!();
    eprintln!("xinli-bench sim: {} customers simulated, {} in calibration ({} repeat), {} transactions, seed {}",
        args.customers, n_cust, repeaters, n_tx, args.seed);
    eprintln!("{:<34} {:>10} {:>10} {:>10}", "step", "seconds", "rss MiB", "peak MiB");
    for (name, s, rss, hwm) in &st.table {
        eprintln!("{name:<34} {s:>10.4} {rss:>10.0} {hwm:>10.0}");
    }
    eprintln!("BG/NBD r={:.5} alpha={:.4} a={:.4} b={:.4} (truth 0.25/4/0.8/2.5), LL {:.2}, {} patterns, converged {}",
        bp.r, bp.alpha, bp.a, bp.b, model.report.log_likelihood, n_patterns, model.report.converged);
    eprintln!("Gamma-Gamma p={:.4} q={:.4} v={:.4} (truth 6/4/15)", gp.p, gp.q, gp.v);
    eprintln!("modelling (summarize..CLV) {modelling:.3} s = {:.0} transactions/s; BG/NBD fit incl. grouping {:.4} s; peak RSS {peak:.0} MiB",
        n_tx as f64 / modelling, group_min + fit_min);

    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &doc).map_err(|err| err.to_string())?;
    writeln!(out).map_err(|err| err.to_string())?;
    Ok(())
}

/// lifetimes' summary layout: customer_id,frequency,recency,T,monetary_value (weeks; shortest
/// round-trip float formatting, so both sides see the same numbers).
fn write_summary_csv(path: &str, cal: &xinli_clv::Calibration) -> std::io::Result<()> {
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "customer_id,frequency,recency,T,monetary_value")?;
    for (id, s) in cal.present() {
        writeln!(w, "{},{},{},{},{}", id, s.frequency, s.recency, s.age, s.monetary_value)?;
    }
    w.flush()
}
