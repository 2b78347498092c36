//! Scale: one million customers (≈ 3.5 M orders) through every analysis. Ignored by default
//! (it wants a release build): `cargo test --release -p xinli-value --test scale -- --ignored --nocapture`.

use std::time::Instant;
use xinli_value::churn::ChurnConfig;
use xinli_value::{cohorts, concentration, predict_churn, rfm, Timestamp, Transaction};

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Customers arrive over 600 days, buy every `gap` days until they stop.
fn shop(customers: u32) -> Vec<Transaction> {
    let mut t = Vec::new();
    for c in 0..customers {
        let h = mix(c as u64);
        let start = (h % 600) as i64;
        let gap = 10 + (h >> 10) % 90;
        let life = 1 + (h >> 20) % 400;
        let mut d = start;
        let mut k = 0;
        while d < (start + life as i64).min(730) {
            t.push(Transaction {
                customer: c,
                at: Timestamp::from_unix_seconds(1_500_000_000 + d * 86_400 + (k * 3600) as i64),
                amount: 5.0 + ((h >> 30) % 200) as f64,
            });
            k += 1;
            d += gap as i64 + (mix(h ^ k) % 20) as i64;
        }
    }
    t
}

#[test]
#[ignore]
fn a_million_customers_in_a_few_seconds() {
    let t = shop(1_000_000);
    let at = Timestamp::from_unix_seconds(1_500_000_000 + 640 * 86_400);
    eprintln!("{} transactions", t.len());
    let started = Instant::now();
    let r = rfm(&t, at);
    eprintln!("rfm {:?}", started.elapsed());
    let s = Instant::now();
    let c = concentration(&t, at);
    eprintln!("concentration {:?}", s.elapsed());
    let s = Instant::now();
    let co = cohorts(&t, at);
    eprintln!("cohorts {:?}", s.elapsed());
    let s = Instant::now();
    let out = predict_churn(&t, at, &ChurnConfig::default());
    eprintln!(
        "churn {:?}: {} windows, {} training + {} validation examples, {} (validation AUC {:?})",
        s.elapsed(),
        out.report.windows.len(),
        out.report.training_examples,
        out.report.validation_examples,
        out.report.chosen_description,
        out.report.validation_auc
    );
    eprintln!("total {:?}", started.elapsed());
    assert_eq!(r.customers.len(), c.customers);
    assert_eq!(co.customers, c.customers);
    assert_eq!(out.scores.len(), c.customers);
    assert!(started.elapsed().as_secs_f64() < 20.0);
}
