mod reference_scorer;

use xinli_sim::{simulate, spearman, SimConfig, PERSONAS, TRAITS};

#[test]
fn a_naive_scorer_recovers_every_trait_and_ignores_activity() {
    for seed in [1u64, 2] {
        let sim = simulate(&SimConfig { customers: 3_000, seed, ..SimConfig::default() });
        let ids: Vec<String> = sim.truth.iter().map(|t| t.customer_id.to_string()).collect();
        let (scores, features) = reference_scorer::score(&sim.shop, &ids);
        let rich: Vec<usize> = (0..ids.len()).filter(|&k| sim.truth[k].sessions >= 8).collect();
        let sessions: Vec<f64> = sim.truth.iter().map(|t| t.sessions as f64).collect();
        if std::env::var_os("XINLI_SIM_DEBUG").is_some() {
            for (tr, fi, values) in &features {
                let f: Vec<f64> = rich.iter().map(|&k| values[k]).collect();
                let truth: Vec<f64> = rich.iter().map(|&k| sim.truth[k].traits.as_array()[*tr]).collect();
                eprintln!("  {} feature {fi}: {:.3}", TRAITS[*tr], spearman(&f, &truth));
            }
        }
        // Persona: the top trait when it stands out from the second (scores are percentiles).
        let persona = |s: &[f64; 6], margin: f64| {
            let mut order: Vec<usize> = (0..6).collect();
            order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
            if s[order[0]] - s[order[1]] >= margin { PERSONAS[order[0]] } else { "balanced" }
        };
        for margin in [0.1, 0.15, 0.2, 0.25] {
            let hits = rich.iter().filter(|&&k| persona(&scores[k], margin) == sim.truth[k].persona).count();
            let all = (0..ids.len()).filter(|&k| persona(&scores[k], margin) == sim.truth[k].persona).count();
            eprintln!(
                "seed {seed} persona accuracy (margin {margin}): {:.3} with ≥ 8 sessions, {:.3} over all",
                hits as f64 / rich.len() as f64,
                all as f64 / ids.len() as f64
            );
        }
        for (tr, name) in TRAITS.iter().enumerate() {
            let s: Vec<f64> = rich.iter().map(|&k| scores[k][tr]).collect();
            let truth: Vec<f64> = rich.iter().map(|&k| sim.truth[k].traits.as_array()[tr]).collect();
            let rho = spearman(&s, &truth);
            let all: Vec<f64> = scores.iter().map(|s| s[tr]).collect();
            let activity = spearman(&all, &sessions);
            eprintln!("seed {seed} {name:>18}: spearman(score, trait) {rho:.3} (n={}), spearman(score, sessions) {activity:+.3}", rich.len());
            assert!(rho >= 0.6, "{name}: {rho}");
            assert!(activity.abs() < 0.3, "{name}: {activity}");
        }
    }
}
