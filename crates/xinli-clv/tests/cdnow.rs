//! The papers' own numbers on the CDNOW data (Fader, Hardie & Lee 2005; lifetimes' test fixtures).

use std::path::PathBuf;
use xinli_clv::*;
use xinli_core::{TimeUnit, Timestamp, Transaction};

fn data_dir() -> PathBuf {
    let rel = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cdnow");
    if rel.join("CDNOW_sample.txt").exists() {
        rel
    } else {
        PathBuf::from("/work/shared/data/cdnow")
    }
}

/// Tiny local reader of the raw CDNOW sample: master_id sample_id YYYYMMDD cds dollars.
fn cdnow_transactions() -> (Vec<Transaction>, usize) {
    let text = std::fs::read_to_string(data_dir().join("CDNOW_sample.txt")).unwrap();
    let mut out = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let id: u32 = f[1].parse().unwrap();
        n = n.max(id as usize);
        out.push(Transaction { customer: id - 1, at: Timestamp::parse_compact_date(f[2]).unwrap(), amount: f[4].parse().unwrap() });
    }
    (out, n)
}

fn read_csv(name: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
    text.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect()).collect()
}

fn cdnow_rft() -> Vec<Rft> {
    read_csv("cdnow_customers_summary.csv").iter().map(|r| Rft::new(r[1] as u32, r[2], r[3])).collect()
}

fn cal_end() -> Timestamp {
    Timestamp::parse("1997-09-30").unwrap().end_of_day()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn summary_reproduces_the_published_cdnow_summary() {
    let (txs, n) = cdnow_transactions();
    assert_eq!(n, 2357);
    let cal = summarize(&txs, n, cal_end(), TimeUnit::Weeks).unwrap();
    let want = read_csv("cdnow_customers_summary.csv");
    let want_m = read_csv("cdnow_customers_summary_with_transactions.csv");
    assert_eq!(want.len(), 2357);
    for (row, rowm) in want.iter().zip(&want_m) {
        let id = row[0] as usize;
        let s = cal.customers[id - 1].expect("every sample customer bought in Q1 1997");
        assert_eq!(s.frequency as f64, row[1], "customer {id} frequency");
        assert!((s.recency - row[2]).abs() <= 0.005 + 1e-9, "customer {id} recency {} vs {}", s.recency, row[2]);
        assert!((s.age - row[3]).abs() <= 0.005 + 1e-9, "customer {id} T {} vs {}", s.age, row[3]);
        assert!((s.monetary_value - rowm[4]).abs() <= 0.005 + 1e-9, "customer {id} zbar {} vs {}", s.monetary_value, rowm[4]);
    }
    // Holdout: 1997-10-01 .. 1998-06-30 (39 weeks).
    let hold = holdout_summary(&txs, n, cal_end(), Timestamp::parse("1998-06-30").unwrap().end_of_day(), TimeUnit::Weeks).unwrap();
    assert!((hold.duration - 39.0).abs() < 1e-9);
    let total: u32 = hold.purchases.iter().sum();
    assert!(total > 0);
}

#[test]
fn bgnbd_matches_fader_hardie_lee_2005() {
    let rft = cdnow_rft();
    let m = BgNbd::fit(&rft, &FitOptions::default()).unwrap();
    let p = m.params;
    eprintln!("BG/NBD {:?}\n{:#?}", p, m.report);
    assert!(m.report.converged && m.report.boundary.is_none());
    for (got, want) in [(p.r, 0.2426), (p.alpha, 4.4136), (p.a, 0.7929), (p.b, 2.4259)] {
        assert!(rel(got, want) < 1e-3, "{got} vs {want}");
    }
    assert!((m.report.log_likelihood - -9582.4).abs() < 0.1, "{}", m.report.log_likelihood);
    assert!((m.log_likelihood(&rft).unwrap() - m.report.log_likelihood).abs() < 1e-6);
    let ce = m.conditional_expected_purchases_one(Rft::new(2, 30.43, 38.86), 39.0).unwrap();
    assert!((ce - 1.226).abs() < 1e-3, "{ce}");
    let ts = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0];
    let want = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    for (t, w) in ts.iter().zip(want) {
        let e = m.expected_purchases(*t).unwrap();
        assert!((e - w).abs() < 1e-3, "E[X({t})] = {e} vs {w}");
    }
    let fixed = BgNbd::with_params(BgNbdParams { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }).unwrap();
    let p0 = fixed.prob_purchases(39.0, 0).unwrap();
    assert!((p0 - 0.5737864).abs() < 1e-6, "{p0}");
    let p10 = fixed.prob_purchases(2.0, 10).unwrap();
    assert!(rel(p10, 1.07869e-07) < 1e-4, "{p10}");
    // Every prediction is finite for every customer.
    for c in &rft {
        for v in [
            m.p_alive_one(*c).unwrap(),
            m.conditional_expected_purchases_one(*c, 52.0).unwrap(),
            m.prob_no_purchase_within_one(*c, 13.0).unwrap(),
            m.expected_next_purchase_wait_one(*c).unwrap(),
        ] {
            assert!(v.is_finite() && v >= 0.0);
        }
    }
    let se = m.report.std_errors.clone().unwrap();
    eprintln!("std errors {se:?}");
}

#[test]
fn mbgnbd_and_pareto_match_published_estimates() {
    let rft = cdnow_rft();
    let m = MbgNbd::fit(&rft, &FitOptions::default()).unwrap();
    eprintln!("MBG/NBD {:?}\n{:#?}", m.params, m.report);
    let p = m.params;
    for (got, want) in [(p.r, 0.525), (p.alpha, 6.183), (p.a, 0.891), (p.b, 1.614)] {
        assert!(rel(got, want) < 1e-2, "MBG {got} vs {want}");
    }
    let pn = ParetoNbd::fit(&rft, &FitOptions::default()).unwrap();
    eprintln!("Pareto/NBD {:?}\n{:#?}", pn.params, pn.report);
    let p = pn.params;
    for (got, want) in [(p.r, 0.553), (p.alpha, 10.578), (p.s, 0.606), (p.beta, 11.669)] {
        assert!(rel(got, want) < 1e-2, "Pareto {got} vs {want}");
    }
    assert!(pn.report.converged);
    for c in &rft {
        for v in [
            pn.p_alive_one(*c).unwrap(),
            pn.conditional_expected_purchases_one(*c, 52.0).unwrap(),
            pn.prob_no_purchase_within_one(*c, 13.0).unwrap(),
            m.conditional_expected_purchases_one(*c, 52.0).unwrap(),
        ] {
            assert!(v.is_finite() && v >= 0.0);
        }
    }
}

#[test]
fn gamma_gamma_matches_fader_hardie_lee_2005_jmr() {
    let rows = read_csv("cdnow_customers_summary_with_transactions.csv");
    let freq: Vec<u32> = rows.iter().map(|r| r[1] as u32).collect();
    let m: Vec<f64> = rows.iter().map(|r| r[4]).collect();
    assert_eq!(freq.iter().filter(|&&x| x > 0).count(), 946);
    let gg = GammaGamma::fit(&freq, &m, &FitOptions::default()).unwrap();
    eprintln!("Gamma-Gamma {:?}\n{:#?}", gg.params, gg.report);
    let p = gg.params;
    for (got, want) in [(p.p, 6.2496), (p.q, 3.7442), (p.v, 15.4435)] {
        assert!(rel(got, want) < 1e-3, "{got} vs {want}");
    }
    let fixed = GammaGamma::with_params(GammaGammaParams { p: 6.25, q: 3.74, v: 15.44 }).unwrap();
    let want = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    let got = fixed.conditional_expected_average_spend(&freq[..10], &m[..10]).unwrap();
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 0.1, "{g} vs {w}");
    }
}
