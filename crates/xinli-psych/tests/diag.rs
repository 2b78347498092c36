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

/// `XINLI_SHOPS` ("seed:customers,…"; default the tuning shops) as (seed, customers).
fn shops_from_env() -> Vec<(u64, usize)> {
    let spec = std::env::var("XINLI_SHOPS").unwrap_or_else(|_| "42:3000,7:3000,2024:10000,11:5000,99:20000,123:1500".into());
    spec.split(',').map(|p| {
        let (seed, customers) = p.split_once(':').expect("seed:customers");
        (seed.trim().parse().expect("seed"), customers.trim().parse().expect("customers"))
    }).collect()
}

/// Scores, confidences and the planted truth of simulated shops (`XINLI_SHOPS`) as CSV under
/// `$TMPDIR/xinli-persona-<seed>-<customers>.csv`, for studying persona rules offline
/// (`persona_offline` reads them back).
#[test]
#[ignore]
fn dump_scores() {
    use std::io::Write;
    for (seed, customers) in shops_from_env() {
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
            let planted: Vec<String> = c.traits.as_array().iter().map(|v| format!("{v:.6}")).collect();
            writeln!(out, "{},{},{},{},{},{}", c.persona, c.sessions, scores.join(","), conf.join(","), f.persona.name(), planted.join(",")).unwrap();
        }
        println!("{}", path.display());
    }
}

/// Persona accuracy of the current model on the CSVs `dump_scores` wrote (`XINLI_SHOPS`),
/// without simulating again: all customers, by planted sessions (1–2, 3–7, ≥ 8).
#[test]
#[ignore]
fn persona_offline() {
    use xinli_psych::{persona::assign_personas, TraitScore};
    let bins: usize = std::env::var("XINLI_BINS").ok().and_then(|b| b.parse().ok()).unwrap_or(TraitConfig::default().persona_confidence_bins);
    let mut accuracies = Vec::new();
    for (seed, customers) in shops_from_env() {
        let path = std::env::temp_dir().join(format!("xinli-persona-{seed}-{customers}.csv"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut planted = Vec::new();
        let mut rows: Vec<[TraitScore; 6]> = Vec::new();
        let mut truths = Vec::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| f[i].parse::<f64>().unwrap();
            planted.push((f[0].to_string(), num(1) as u32));
            rows.push(std::array::from_fn(|t| TraitScore { trait_: Trait::ALL[t], score: Some(num(2 + t)), confidence: num(8 + t) }));
            truths.push(std::array::from_fn::<f64, 6, _>(|t| num(15 + t)));
        }
        let spearmans: Vec<String> = (0..6)
            .map(|t| {
                let dense: Vec<usize> = (0..rows.len()).filter(|&i| planted[i].1 >= 8).collect();
                let score: Vec<f64> = dense.iter().map(|&i| rows[i][t].score.unwrap()).collect();
                let truth: Vec<f64> = dense.iter().map(|&i| truths[i][t]).collect();
                let all: Vec<f64> = rows.iter().map(|r| r[t].score.unwrap()).collect();
                let sessions: Vec<f64> = planted.iter().map(|p| p.1 as f64).collect();
                format!("{:.3}/{:+.2}", spearman(&score, &truth), spearman(&all, &sessions))
            })
            .collect();
        println!("seed {seed:>5} spearman(planted | ≥8)/spearman(sessions): {}", spearmans.join(" "));
        let refs: Vec<&[TraitScore; 6]> = rows.iter().collect();
        let personas = assign_personas(&refs, bins, 200);
        let mut band = [(0usize, 0usize); 4];
        for ((persona, sessions), p) in planted.iter().zip(&personas) {
            let ok = p.name() == persona;
            let b = if *sessions <= 2 { 0 } else if *sessions < 8 { 1 } else { 2 };
            for k in [b, 3] {
                band[k].0 += ok as usize;
                band[k].1 += 1;
            }
        }
        let [thin, mid, dense, all] = band.map(|(r, t)| r as f64 / t.max(1) as f64);
        let balanced = personas.iter().filter(|p| p.name() == "balanced").count() as f64 / personas.len() as f64;
        println!("seed {seed:>5} {customers:>6}: all {all:.3}  1-2 {thin:.3}  3-7 {mid:.3}  >=8 {dense:.3}  balanced {balanced:.3}");
        accuracies.push(all);
    }
    let mean = accuracies.iter().sum::<f64>() / accuracies.len() as f64;
    let min = accuracies.iter().copied().fold(1.0, f64::min);
    println!("mean {mean:.4}  min {min:.4}");
}
