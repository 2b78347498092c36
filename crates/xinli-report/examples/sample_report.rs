//! Writes a sample customer-value report built from synthetic data.
//!
//! ```text
//! cargo run -p xinli-report --example sample_report -- /tmp/report.html [customers] [zh|en]
//! ```

use std::time::Instant;
use xinli_report::{demo, render, Lang};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "report.html".to_string());
    let customers: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let lang: Lang = args.next().and_then(|s| s.parse().ok()).unwrap_or(Lang::Zh);
    let data = demo::demo_data(customers);
    let start = Instant::now();
    let report = demo::demo_report_from(&data);
    let build_time = start.elapsed();
    let html = render(&report, lang);
    let render_time = start.elapsed() - build_time;
    std::fs::write(&path, &html).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    println!("wrote {path}: {} KB, {customers} customers; sections built in {build_time:?}, page rendered in {render_time:?}", html.len() / 1024);
}
