mod reference_scorer;

use xinli_sim::{simulate, spearman, SimConfig, TRAITS};

#[test]
fn a_naive_scorer_recovers_every_trait_and_ignores_activity() {
    for seed in [1u64, 2] {
        let sim = simulate(&SimConfig { customers: 3_000, seed, ..SimConfig::default() });
        let ids: Vec<String> = sim.truth.iter().map(|t| t.customer_id.to_string()).collect();
        let scores = reference_scorer::score(&sim.shop, &ids);
        let rich: Vec<usize> = (0..ids.len()).filter(|&k| sim.truth[k].sessions >= 8).collect();
        let sessions: Vec<f64> = sim.truth.iter().map(|t| t.sessions as f64).collect();
        for (tr, name) in TRAITS.iter().enumerate() {
            let s: Vec<f64> = rich.iter().map(|&k| scores[k][tr]).collect();
            let truth: Vec<f64> = rich.iter().map(|&k| sim.truth[k].traits.as_array()[tr]).collect();
            let rho = spearman(&s, &truth);
            let all: Vec<f64> = scores.iter().map(|s| s[tr]).collect();
            let activity = spearman(&all, &sessions);
            eprintln!("seed {seed} {name:>18}: spearman(score, trait) {rho:.3} (n={}), spearman(score, sessions) {activity:+.3}", rich.len());
            assert!(rho >= 0.55, "{name}: {rho}");
            assert!(activity.abs() < 0.3, "{name}: {activity}");
        }
    }
}
