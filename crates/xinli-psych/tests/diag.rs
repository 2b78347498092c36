//! Per-signal diagnostics on a simulated shop (ignored by default; run with `--ignored --nocapture`).
use xinli_psych::{score_traits, Trait, TraitConfig};
use xinli_sim::{simulate, spearman, SimConfig};

#[test]
#[ignore]
fn per_signal_correlations() {
    let config = SimConfig { customers: 3_000, ..SimConfig::default() };
    let sim = simulate(&config);
    let table = score_traits(&sim.shop, config.start.add_days(config.days as i64 + 1), &TraitConfig::default());
    let by_id: std::collections::HashMap<_, _> = table.customers.iter().enumerate().map(|(i, c)| (c.customer_id.clone(), i)).collect();
    for t in Trait::ALL {
        for (ei, e) in table.evidence(0, t).iter().enumerate() {
            let mut cols: Vec<Vec<f64>> = vec![Vec::new(); 8];
            for c in sim.truth.iter().filter(|c| c.sessions >= 8) {
                cols[0].push(table.evidence(by_id[&c.customer_id], t)[ei].percentile);
                for k in 0..6 {
                    cols[k + 1].push(c.traits.as_array()[k]);
                }
            }
            let line: Vec<String> = (0..6).map(|k| format!("{:+.2}", spearman(&cols[0], &cols[k + 1]))).collect();
            println!("{:<18} {:<34} vs [p i c s o n] {}", t.name(), e.signal, line.join(" "));
        }
    }
    for t in Trait::ALL {
        for e in &table.evidence(0, t) {
            println!("{} | {}", e.text_en(), e.text_zh());
        }
    }
    println!("{:?}", table.coverage);
}

/// Scores, confidences and the planted truth of simulated shops as CSV under
/// `$TMPDIR/xinli-persona-<seed>-<customers>.csv`, for studying persona rules offline.
#[test]
#[ignore]
fn dump_scores() {
    use std::io::Write;
    for (seed, customers) in [(42u64, 3_000usize), (7, 3_000), (2024, 10_000), (11, 5_000), (99, 20_000)] {
        let config = SimConfig { customers, seed, ..SimConfig::default() };
        let sim = simulate(&config);
        let table = score_traits(&sim.shop, config.start.add_days(config.days as i64 + 1), &TraitConfig::default());
        let by_id: std::collections::HashMap<_, _> = table.customers.iter().map(|c| (c.customer_id.clone(), c)).collect();
        let path = std::env::temp_dir().join(format!("xinli-persona-{seed}-{customers}.csv"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for c in &sim.truth {
            let Some(f) = by_id.get(&c.customer_id) else { continue };
            let scores: Vec<String> = f.traits.iter().map(|t| format!("{:.6}", t.score.unwrap())).collect();
            let conf: Vec<String> = f.traits.iter().map(|t| format!("{:.6}", t.confidence)).collect();
            writeln!(out, "{},{},{},{},{}", c.persona, c.sessions, scores.join(","), conf.join(","), f.persona.name()).unwrap();
        }
        println!("{}", path.display());
    }
}
