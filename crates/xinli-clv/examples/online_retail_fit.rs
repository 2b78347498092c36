//! Fit times on the UCI Online Retail data:
//! `cargo run -p xinli-clv --release --example online_retail_fit -- <online_retail.csv[.gz]> [calibration end, default 2011-09-08]`
//!
//! Rows with a CustomerID, an InvoiceNo not starting with 'C' and Quantity > 0; one transaction per
//! invoice at its InvoiceDate (amount Σ Quantity × UnitPrice); summarised in days with [`summarize`].
//! Prints the fit time (best of 5 runs) of BG/NBD, MBG/NBD, Pareto/NBD, `select_model` (auto, by AIC) and Gamma-Gamma,
//! and the prediction times of CLV (12 months) and P(no purchase in 90 days).
//! A `.gz` file is decompressed with `gzip -dc`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Instant;
use xinli_clv::*;
use xinli_core::{TimeUnit, Timestamp, Transaction};

/// Splits one RFC-4180 line (quoted fields may contain commas and doubled quotes).
fn split_csv(line: &str, out: &mut Vec<String>) {
    out.clear();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
}

fn open(path: &str) -> Box<dyn Read> {
    if path.ends_with(".gz") {
        let child = Command::new("gzip").args(["-dc", path]).stdout(Stdio::piped()).spawn().expect("run gzip -dc");
        Box::new(child.stdout.expect("gzip stdout"))
    } else {
        Box::new(std::fs::File::open(path).expect("open input"))
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().map(String::as_str).unwrap_or("/work/shared/data/online_retail/online_retail.csv.gz");
    let cal_end = Timestamp::parse(args.get(1).map(String::as_str).unwrap_or("2011-09-08")).expect("date").end_of_day();

    let t0 = Instant::now();
    let mut customers: HashMap<String, u32> = HashMap::new();
    let mut invoices: HashMap<String, usize> = HashMap::new();
    let mut transactions: Vec<Transaction> = Vec::new();
    let mut fields = Vec::new();
    for (i, line) in BufReader::new(open(path)).lines().enumerate() {
        let line = line.expect("read");
        if i == 0 {
            continue;
        }
        split_csv(&line, &mut fields);
        if fields.len() < 8 {
            continue;
        }
        let (invoice, qty, date, price, cust) = (&fields[0], &fields[3], &fields[4], &fields[5], &fields[6]);
        if cust.is_empty() || invoice.starts_with('C') {
            continue;
        }
        let (Ok(q), Ok(p)) = (qty.parse::<f64>(), price.parse::<f64>()) else { continue };
        if q <= 0.0 {
            continue;
        }
        let next = customers.len() as u32;
        let c = *customers.entry(cust.clone()).or_insert(next);
        match invoices.get(invoice.as_str()) {
            Some(&k) => transactions[k].amount += q * p,
            None => {
                let at = Timestamp::parse(date).expect("InvoiceDate");
                invoices.insert(invoice.clone(), transactions.len());
                transactions.push(Transaction { customer: c, at, amount: q * p });
            }
        }
    }
    let t_read = t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let cal = summarize(&transactions, customers.len(), cal_end, TimeUnit::Days)?;
    let rft = cal.rfts();
    let patterns = Patterns::from_rft(&rft)?;
    let t_sum = t0.elapsed().as_secs_f64();
    println!(
        "{} rows → {} invoices, {} customers ({} in calibration to {:?}), {} distinct (x, t_x, T) patterns; \
         read {t_read:.2}s, summarize + group {t_sum:.4}s",
        transactions.len(),
        invoices.len(),
        customers.len(),
        rft.len(),
        cal_end.date(),
        patterns.len()
    );
    if let Ok(dump) = std::env::var("XINLI_DUMP_RFT") {
        let mut s = String::from("x,t_x,T\n");
        for r in &rft {
            s += &format!("{},{},{}\n", r.x, r.t_x, r.t);
        }
        std::fs::write(&dump, s).expect("write dump");
        println!("wrote {dump}");
    }

    let opts = FitOptions::default();
    let mut total = 0.0;
    for kind in ModelKind::ALL {
        // Best of 5 runs (the machine may be shared).
        let mut dt = f64::INFINITY;
        let mut fitted = None;
        for _ in 0..5 {
            let t0 = Instant::now();
            let m = fit_model(kind, &patterns, &opts)?;
            dt = dt.min(t0.elapsed().as_secs_f64());
            fitted = Some(m);
        }
        let m = fitted.expect("fitted");
        total += dt;
        let r = m.report();
        println!(
            "{:>10}: {:8.2} ms  LL {:.4}  converged {}  iterations {}  evals {}  method {}\n            params {:?}\n            boundary {:?}",
            kind.name(),
            dt * 1e3,
            r.log_likelihood,
            r.converged,
            r.iterations,
            r.function_evals,
            r.method,
            m.params(),
            r.boundary
        );
    }
    let mut t_sel = f64::INFINITY;
    let mut sel = None;
    for _ in 0..5 {
        let t0 = Instant::now();
        sel = Some(select_model(&rft, None, &opts)?);
        t_sel = t_sel.min(t0.elapsed().as_secs_f64());
    }
    let sel = sel.expect("selected");
    println!("select_model (auto): {:8.2} ms → {} ({})", t_sel * 1e3, sel.kind.name(), sel.reason);

    let (freq, money): (Vec<u32>, Vec<f64>) = cal.present().map(|(_, s)| (s.frequency, s.monetary_value)).unzip();
    let mut t_gg = f64::INFINITY;
    let mut gg = None;
    for _ in 0..5 {
        let t0 = Instant::now();
        gg = Some(GammaGamma::fit(&freq, &money, &opts)?);
        t_gg = t_gg.min(t0.elapsed().as_secs_f64());
    }
    let gg = gg.expect("fitted");
    total += t_gg;
    println!(
        "Gamma-Gamma: {:8.2} ms  {:?}  converged {}  iterations {}  boundary {:?}",
        t_gg * 1e3,
        gg.params,
        gg.report.converged,
        gg.report.iterations,
        gg.report.boundary
    );

    let spend = gg.conditional_expected_average_spend(&freq, &money)?;
    let mut t_pred = 0.0;
    for kind in ModelKind::ALL {
        let m = fit_model(kind, &patterns, &opts)?;
        let t0 = Instant::now();
        let clv = customer_lifetime_value(m.as_ref(), &rft, &spend, &ClvOptions { horizon: 365.0, unit: TimeUnit::Days, annual_discount_rate: 0.1 })?;
        let t_clv = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let churn = m.prob_no_purchase_within(&rft, 90.0)?;
        let t_churn = t0.elapsed().as_secs_f64();
        t_pred += t_clv + t_churn;
        println!(
            "{:>10}: CLV 12 months {:7.2} ms (total {:.0}), P(no purchase in 90 d) {:7.2} ms (mean {:.4})",
            kind.name(),
            t_clv * 1e3,
            clv.iter().sum::<f64>(),
            t_churn * 1e3,
            churn.iter().sum::<f64>() / churn.len() as f64
        );
    }
    // Predictions for 1e6 customers (the calibration customers repeated) with an interior Pareto/NBD model
    // (CDNOW's estimates in days), where every prediction needs ₂F₁ terms or a quadrature.
    let big: Vec<Rft> = rft.iter().cycle().take(1_000_000).copied().collect();
    let big_spend: Vec<f64> = spend.iter().cycle().take(big.len()).copied().collect();
    let pn = ParetoNbd::with_params(ParetoNbdParams { r: 0.553, alpha: 10.578 * 7.0, s: 0.606, beta: 11.669 * 7.0 })?;
    let t0 = Instant::now();
    let clv = customer_lifetime_value(&pn, &big, &big_spend, &ClvOptions { horizon: 365.0, unit: TimeUnit::Days, annual_discount_rate: 0.1 })?;
    let t_clv = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let churn = pn.prob_no_purchase_within(&big, 90.0)?;
    let t_churn = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let alive = pn.p_alive(&big)?;
    let t_alive = t0.elapsed().as_secs_f64();
    // The same per customer without reuse, on the first 20,000 customers, scaled to 1e6.
    let sub = 20_000;
    let t0 = Instant::now();
    let mut acc = 0.0;
    for c in &big[..sub] {
        let mut prev = 0.0;
        for k in 1..=12 {
            let e = pn.conditional_expected_purchases_one(*c, (k as f64 * 30.4375).min(365.0))?;
            acc += e - prev;
            prev = e;
        }
    }
    let t_clv_naive = t0.elapsed().as_secs_f64() * (big.len() / sub) as f64;
    let t0 = Instant::now();
    for c in &big[..sub] {
        acc += pn.prob_no_purchase_within_one(*c, 90.0)?;
    }
    let t_churn_naive = t0.elapsed().as_secs_f64() * (big.len() / sub) as f64;
    println!(
        "1e6 customers, Pareto/NBD (interior): CLV 12 months {:.1} ms (per customer and month: ~{:.0} ms), \
         P(no purchase in 90 d) {:.1} ms (per customer: ~{:.0} ms), P(alive) {:.1} ms [{:.0} {:.4} {:.4} {}]",
        t_clv * 1e3,
        t_clv_naive * 1e3,
        t_churn * 1e3,
        t_churn_naive * 1e3,
        t_alive * 1e3,
        clv.iter().sum::<f64>(),
        churn.iter().sum::<f64>() / churn.len() as f64,
        alive.iter().sum::<f64>() / alive.len() as f64,
        acc.is_finite()
    );
    println!(
        "total: three fits + Gamma-Gamma {:.1} ms; select_model {:.1} ms; predictions {:.1} ms",
        total * 1e3,
        t_sel * 1e3,
        t_pred * 1e3
    );
    Ok(())
}
