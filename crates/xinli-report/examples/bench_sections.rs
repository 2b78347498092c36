//! Times the customer-value sections on synthetic data (run with `--release`).
//!
//! ```text
//! cargo run --release -p xinli-report --example bench_sections -- [customers]
//! ```

use std::time::Instant;
use xinli_core::TimeUnit;
use xinli_report::{demo, render, value_sections as vs, Lang, Report};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let d = demo::demo_data(n);
    let mut report = Report::new("bench");
    let total = Instant::now();
    let t = Instant::now();
    report.push(vs::clv_distribution(&d.clv, "¥", None));
    println!("clv_distribution    {:?}", t.elapsed());
    let t = Instant::now();
    report.push(vs::pareto(&d.revenue, "¥"));
    println!("pareto              {:?}", t.elapsed());
    let t = Instant::now();
    report.push(vs::p_alive_vs_recency(&d.alive, Some(&d.repeats), TimeUnit::Weeks));
    println!("p_alive_vs_recency  {:?}", t.elapsed());
    let t = Instant::now();
    let html = render(&report, Lang::Zh);
    println!("render              {:?}", t.elapsed());
    println!("total               {:?} for {n} customers ({} KB)", total.elapsed(), html.len() / 1024);
}
