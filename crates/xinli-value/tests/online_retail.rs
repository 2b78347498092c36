//! End-to-end checks on UCI Online Retail (`shared/data/online_retail`), parsed minimally here
//! (the product's importer lives in xinli-ingest): rows with a CustomerID, InvoiceNo not
//! starting with 'C', Quantity > 0; one transaction per invoice.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;
use xinli_value::churn::ChurnConfig;
use xinli_value::metrics::{auc, calibration_bins, log_loss};
use xinli_value::{cohorts, concentration, predict_churn, rfm, Segment, Timestamp, Transaction};

fn data_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/online_retail/online_retail.csv.gz")
}

/// Transactions, or `None` when the data file is not there (the test then says so and passes).
fn transactions() -> Option<&'static Vec<Transaction>> {
    static DATA: OnceLock<Option<Vec<Transaction>>> = OnceLock::new();
    DATA.get_or_init(|| {
        let path = data_path();
        let file = std::fs::File::open(&path).ok()?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(file).read_to_string(&mut text).expect("gzip");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut customers: HashMap<String, u32> = HashMap::new();
        let mut invoices: HashMap<String, usize> = HashMap::new();
        let mut out: Vec<Transaction> = Vec::new();
        for record in reader.records() {
            let r = record.expect("csv row");
            let (invoice, qty, date, price, customer) = (&r[0], &r[3], &r[4], &r[5], &r[6]);
            if customer.trim().is_empty() || invoice.starts_with('C') {
                continue;
            }
            let qty: f64 = qty.trim().parse().expect("quantity");
            if qty <= 0.0 {
                continue;
            }
            let price: f64 = price.trim().parse().expect("price");
            let n = customers.len() as u32;
            let c = *customers.entry(customer.trim().to_string()).or_insert(n);
            let at = Timestamp::parse(date).expect("date");
            let slot = *invoices.entry(invoice.to_string()).or_insert_with(|| {
                out.push(Transaction { customer: c, at, amount: 0.0 });
                out.len() - 1
            });
            out[slot].amount += qty * price;
        }
        Some(out)
    })
    .as_ref()
}

fn analysis_date() -> Timestamp {
    Timestamp::parse("2011-09-08").unwrap().end_of_day()
}

macro_rules! data_or_skip {
    () => {
        match transactions() {
            Some(t) => t,
            None => {
                eprintln!("skipped: {} not found", data_path().display());
                return;
            }
        }
    };
}

#[test]
fn churn_model_beats_btyd_on_the_holdout() {
    let t = data_or_skip!();
    assert!(t.len() > 18_000, "{} invoices", t.len());
    let a = analysis_date();
    let end = Timestamp::parse("2011-12-09").unwrap().end_of_day();
    let horizon = end.day_index() - a.day_index();
    assert_eq!(horizon, 92);
    let config = ChurnConfig { horizon_days: horizon, ..ChurnConfig::default() };
    // Warm-up then time a full train + score.
    let _ = predict_churn(t, a, &config);
    let started = Instant::now();
    let out = predict_churn(t, a, &config);
    let elapsed = started.elapsed();
    let r = &out.report;

    let buyers: HashSet<u32> = t
        .iter()
        .filter(|x| x.at > a && x.at <= end)
        .map(|x| x.customer)
        .collect();
    let labels: Vec<bool> = out.scores.iter().map(|s| buyers.contains(&s.customer)).collect();
    let p: Vec<f64> = out.scores.iter().map(|s| s.p_return).collect();
    let holdout_auc = auc(&p, &labels).unwrap();
    let holdout_ll = log_loss(&p, &labels).unwrap();
    let positives = labels.iter().filter(|&&l| l).count();

    eprintln!("windows:");
    for w in &r.windows {
        eprintln!("  {} {:?} customers={} examples={} positives={}", w.cutoff, w.role, w.customers, w.examples, w.positives);
    }
    eprintln!("training examples {}, validation {}", r.training_examples, r.validation_examples);
    for c in &r.candidates {
        eprintln!("  candidate {:<60} val AUC {:.4} log-loss {:.4}", c.description, c.validation_auc.unwrap_or(f64::NAN), c.validation_log_loss.unwrap_or(f64::NAN));
    }
    eprintln!("chosen {} (validation AUC {:.4})", r.chosen_description, r.validation_auc.unwrap_or(f64::NAN));
    eprintln!("coefficients (per sd): intercept {:.3}", r.intercept);
    for c in &r.coefficients {
        eprintln!("  {:<28} {:+.3}", c.feature, c.value);
    }
    eprintln!("importances:");
    for c in r.importances.iter().take(8) {
        eprintln!("  {:<28} {:.3}", c.feature, c.value);
    }
    for b in calibration_bins(&p, &labels, 10).iter().filter(|b| b.count > 0) {
        eprintln!("  calib [{:.1},{:.1}) n={:<5} predicted {:.3} observed {:.3}", b.lower, b.upper, b.count, b.mean_predicted, b.observed_rate);
    }
    eprintln!(
        "HOLDOUT: customers {} bought-again {} AUC {:.4} log-loss {:.4}; train+score {:?}",
        out.scores.len(),
        positives,
        holdout_auc,
        holdout_ll,
        elapsed
    );

    assert!(out.scores.len() > 3000 && out.scores.len() < 4400);
    assert!(r.windows.len() >= 3);
    assert!(r.validation_auc.unwrap() > 0.7);
    assert!(holdout_auc > 0.73, "holdout AUC {holdout_auc}");
    assert!(out.scores.iter().all(|s| s.p_return.is_finite() && (0.0..=1.0).contains(&s.p_return)));
}

#[test]
fn rfm_segments_cover_every_customer() {
    let t = data_or_skip!();
    let table = rfm(t, analysis_date());
    let n = table.customers.len();
    let total: usize = table.segment_counts.iter().map(|(_, c)| c).sum();
    assert_eq!(total, n);
    assert!(n > 3000);
    for (s, c) in &table.segment_counts {
        eprintln!("  {:<20} {c}", s.name());
    }
    // Every segment is populated on a real shop.
    assert!(table.segment_counts.iter().all(|(_, c)| *c > 0), "{:?}", table.segment_counts);
    let champions = table.customers.iter().filter(|c| c.segment == Segment::Champions).count();
    assert!(champions > 0);
    for c in &table.customers {
        assert!((1..=5).contains(&c.r_score) && (1..=5).contains(&c.f_score) && (1..=5).contains(&c.m_score));
    }
}

#[test]
fn concentration_and_cohorts_are_sane() {
    let t = data_or_skip!();
    let c = concentration(t, analysis_date());
    eprintln!(
        "top20 share {:.3}, customers for 80% {:.3}, gini {:.3}",
        c.top20_share, c.customer_share_for_80, c.gini
    );
    assert!(c.top20_share > 0.65 && c.top20_share < 0.85, "{}", c.top20_share);
    assert!(c.customer_share_for_80 > 0.1 && c.customer_share_for_80 < 0.35);
    assert!(c.gini > 0.5 && c.gini < 0.9);
    let high = &c.tier_summary[0];
    assert!((high.customers as f64 / c.customers as f64 - 0.2).abs() < 0.02);

    let table = cohorts(t, analysis_date());
    assert_eq!(table.cohorts[0].month, "2010-12");
    assert_eq!(table.cohorts.len(), 10); // 2010-12 .. 2011-09
    for co in &table.cohorts {
        assert_eq!(co.retention[0], 1.0);
        assert!(co.retention.iter().all(|r| (0.0..=1.0).contains(r)));
    }
    assert_eq!(table.cohorts.iter().map(|c| c.size).sum::<usize>(), table.customers);
    eprintln!("repeat rate {:.3}; Dec-2010 retention {:?}", table.repeat_rate, table.cohorts[0].retention);
    assert!(table.repeat_rate > 0.4 && table.repeat_rate < 0.8);
}
