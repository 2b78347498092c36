//! Per-signal diagnostics on a simulated shop (ignored by default; run with `--ignored --nocapture`).
use xinli_psych::{score_traits, Trait, TraitConfig};
use xinli_sim::{simulate, spearman, SimConfig};

#[test]
#[ignore]
fn per_signal_correlations() {
    let config = SimConfig { customers: 3_000, ..SimConfig::default() };
    let sim = simulate(&config);
    let table = score_traits(&sim.shop, config.start.add_days(config.days as i64 + 1), &TraitConfig::default());
    let by_id: std::collections::HashMap<_, _> = table.customers.iter().map(|c| (c.customer_id.clone(), c)).collect();
    for (ti, t) in Trait::ALL.into_iter().enumerate() {
        let first = by_id.values().next().unwrap();
        for (ei, e) in first.get(t).evidence.iter().enumerate() {
            let mut cols: Vec<Vec<f64>> = vec![Vec::new(); 8];
            for c in sim.truth.iter().filter(|c| c.sessions >= 8) {
                let f = by_id[&c.customer_id];
                cols[0].push(f.get(t).evidence[ei].percentile);
                for k in 0..6 {
                    cols[k + 1].push(c.traits.as_array()[k]);
                }
            }
            let line: Vec<String> = (0..6).map(|k| format!("{:+.2}", spearman(&cols[0], &cols[k + 1]))).collect();
            println!("{:<18} {:<34} vs [p i c s o n] {}", t.name(), e.signal, line.join(" "));
        }
        let _ = ti;
    }
    let c = &table.customers[0];
    for t in &c.traits {
        for e in &t.evidence {
            println!("{} | {}", e.text_en(), e.text_zh());
        }
    }
    println!("{:?}", table.coverage);
}

#[test]
#[ignore]
fn persona_grid() {
    for seed in [42u64, 7] {
        let config = SimConfig { customers: 3_000, seed, ..SimConfig::default() };
        let sim = simulate(&config);
        let as_of = config.start.add_days(config.days as i64 + 1);
        let table = score_traits(&sim.shop, as_of, &TraitConfig::default());
        let by_id: std::collections::HashMap<_, _> = table.customers.iter().map(|c| (c.customer_id.clone(), c)).collect();
        for threshold in [0.0, 0.1, 0.2, 0.3] {
            for gap in [0.25, 0.3, 0.35] {
                for margin in [0.0, 0.05] {
                    let cfg = TraitConfig { persona_min_confidence: threshold, persona_gap: gap, persona_margin: margin, ..TraitConfig::default() };
                    let (mut right, mut total) = (0, 0);
                    for c in &sim.truth {
                        let f = by_id[&c.customer_id];
                        total += 1;
                        right += (xinli_psych::persona(&f.traits, &cfg).name() == c.persona) as usize;
                    }
                    println!("seed {seed} threshold {threshold} gap {gap} margin {margin}: accuracy {:.3}", right as f64 / total as f64);
                }
            }
        }
    }
}

#[test]
#[ignore]
fn persona_rules() {
    for seed in [42u64, 7] {
        let config = SimConfig { customers: 3_000, seed, ..SimConfig::default() };
        let sim = simulate(&config);
        let as_of = config.start.add_days(config.days as i64 + 1);
        let table = score_traits(&sim.shop, as_of, &TraitConfig::default());
        let by_id: std::collections::HashMap<_, _> = table.customers.iter().map(|c| (c.customer_id.clone(), c)).collect();
        for gap in [0.15, 0.2, 0.25, 0.3, 0.35] {
            for margin in [0.0, 0.05, 0.1] {
                let (mut right, mut total) = (0, 0);
                let mut conf = std::collections::BTreeMap::new();
                for c in &sim.truth {
                    let f = by_id[&c.customer_id];
                    let mut s: Vec<(f64, usize)> = f.traits.iter().enumerate().map(|(i, t)| (t.score.unwrap(), i)).collect();
                    s.sort_by(|a, b| b.0.total_cmp(&a.0));
                    let others = s[1..].iter().map(|x| x.0).sum::<f64>() / 5.0;
                    let pred = if s[0].0 - others >= gap && s[0].0 - s[1].0 >= margin { Trait::ALL[s[0].1].persona().name() } else { "balanced" };
                    total += 1;
                    right += (pred == c.persona) as usize;
                    let key = (c.persona == "balanced", pred == "balanced", pred == c.persona);
                    *conf.entry(key).or_insert(0) += 1;
                }
                println!("seed {seed} gap {gap} margin {margin}: accuracy {:.3} (truth balanced, pred balanced, right) {:?}", right as f64 / total as f64, conf);
            }
        }
    }
}
