//! Measures import speed on a real export: `cargo run --release -p xinli-ingest --example import_speed [preset] [path]`.
//! Defaults to the UCI Online Retail file in `/work/shared/data`.

use std::time::Instant;
use xinli_ingest::{import_preset, ImportOptions, Preset};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let preset: Preset = args.get(1).map(|s| s.parse().expect("preset")).unwrap_or(Preset::OnlineRetail);
    let path = args.get(2).cloned().unwrap_or_else(|| {
        let root = std::env::var("XINLI_SHARED").unwrap_or_else(|_| "/work/shared".into());
        format!("{root}/data/online_retail/online_retail.csv.gz")
    });
    let runs: usize = std::env::var("RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = Instant::now();
        let outcome = import_preset(preset, &[&path], &ImportOptions::default()).expect("import");
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        let s = &outcome.summary;
        println!(
            "{preset} {path}: {} rows read, {} accepted, {} quarantined, filtered {:?}; {} orders, {} customers, {} events in {:.3} s ({:.0} rows/s)",
            s.rows_read(),
            s.accepted(),
            s.quarantined(),
            s.filtered(),
            outcome.shop.orders.len(),
            outcome.shop.customers.len(),
            outcome.shop.events.len(),
            secs,
            s.rows_read() as f64 / secs
        );
    }
    println!("best of {runs}: {best:.3} s");
}
