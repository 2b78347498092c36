//! Prints every model's metrics on Online Retail, split 2011-11-01 (tuning aid).
//! `cargo run --release -p xinli-recommend --example online_retail_eval [path]`
use std::time::Instant;
use xinli_recommend::{tune_blend, InteractionConfig, ModelConfig, Split};

fn main() {
    let path = std::env::args().nth(1).unwrap_or("../shared/data/online_retail/online_retail.csv.gz".into());
    let t = Instant::now();
    let shop = xinli_ingest::import_preset(xinli_ingest::Preset::OnlineRetail, &[std::path::PathBuf::from(path)], &Default::default()).unwrap().shop;
    eprintln!("import {:.2}s", t.elapsed().as_secs_f64());
    let cut = xinli_core::Timestamp::parse("2011-11-01").unwrap();
    let t = Instant::now();
    let split = Split::new(&shop, cut, &InteractionConfig::default());
    eprintln!("interactions {:.2}s, {} evaluated", t.elapsed().as_secs_f64(), split.test.customers.len());
    let mut config = ModelConfig::default();
    let t = Instant::now();
    if let Some(tuning) = tune_blend(&shop, cut, 30, &InteractionConfig::default(), &config, 10) {
        eprintln!("tuned in {:.2}s on {} customers: {:?} HR {:.3} NDCG {:.3}", t.elapsed().as_secs_f64(), tuning.validation_customers, tuning.weights, tuning.hit_rate, tuning.ndcg);
        let mut grid = tuning.grid.clone();
        grid.sort_by(|a, b| (b.1 + b.2).total_cmp(&(a.1 + a.2)));
        for g in grid.iter().take(8) { eprintln!("  {:?} {:.3} {:.3}", g.0, g.1, g.2); }
        config.weights = tuning.weights;
    }
    for m in split.evaluate_all(&config, 10) {
        println!("{:<16} HR {:.3} P {:.3} R {:.3} NDCG {:.3} cov {:.3} train {:.2}s", m.model, m.hit_rate, m.precision, m.recall, m.ndcg, m.coverage, m.train_seconds);
    }
}
