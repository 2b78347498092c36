//! Trait scores against the planted traits of `xinli-sim`'s simulated shops. Prints the
//! measured figures (run with `--nocapture`) and asserts floors a little below them, so a
//! regression fails while the acceptance targets are reported honestly.

use xinli_psych::{score_traits, Trait, TraitConfig};
use xinli_sim::{simulate, spearman, SimConfig, PERSONAS};

struct Figures {
    spearman_truth: [f64; 6],
    spearman_sessions: [f64; 6],
    persona_accuracy: f64,
    persona_accuracy_dense: f64,
    balanced_share: f64,
    /// Persona accuracy by planted sessions: 1–2, 3–7, ≥ 8.
    persona_by_band: [f64; 3],
}

fn measure(config: &SimConfig) -> Figures {
    let sim = simulate(config);
    let as_of = config.start.add_days(config.days as i64 + 1);
    let table = score_traits(&sim.shop, as_of, &TraitConfig::default());
    let by_id: std::collections::HashMap<_, _> = table.customers.iter().map(|c| (c.customer_id.clone(), c)).collect();
    let mut spearman_truth = [0.0; 6];
    let mut spearman_sessions = [0.0; 6];
    for (ti, t) in Trait::ALL.into_iter().enumerate() {
        let (mut score, mut truth) = (Vec::new(), Vec::new());
        let (mut all_score, mut sessions) = (Vec::new(), Vec::new());
        for c in &sim.truth {
            let Some(found) = by_id.get(&c.customer_id) else { continue };
            let s = found.get(t).score.expect("simulated shops hold every trait's signals");
            all_score.push(s);
            sessions.push(c.sessions as f64);
            if c.sessions >= 8 {
                score.push(s);
                truth.push(c.traits.as_array()[ti]);
            }
        }
        spearman_truth[ti] = spearman(&score, &truth);
        spearman_sessions[ti] = spearman(&all_score, &sessions);
    }
    let (mut right, mut total, mut right_dense, mut total_dense, mut balanced) = (0, 0, 0, 0, 0);
    let mut band = [(0usize, 0usize); 3];
    for c in &sim.truth {
        let Some(found) = by_id.get(&c.customer_id) else { continue };
        let ok = found.persona.name() == c.persona;
        total += 1;
        right += ok as usize;
        balanced += (found.persona.name() == "balanced") as usize;
        let b = if c.sessions <= 2 { 0 } else if c.sessions < 8 { 1 } else { 2 };
        band[b].0 += ok as usize;
        band[b].1 += 1;
        if c.sessions >= 8 {
            total_dense += 1;
            right_dense += ok as usize;
        }
    }
    assert!(PERSONAS.contains(&"balanced"));
    Figures {
        spearman_truth,
        spearman_sessions,
        persona_accuracy: right as f64 / total as f64,
        persona_accuracy_dense: right_dense as f64 / total_dense as f64,
        balanced_share: balanced as f64 / total as f64,
        persona_by_band: band.map(|(r, t)| r as f64 / t.max(1) as f64),
    }
}

fn print(label: &str, f: &Figures) {
    println!("{label}");
    for (ti, t) in Trait::ALL.into_iter().enumerate() {
        println!(
            "  {:<18} spearman(score, planted | ≥8 sessions) = {:.3}   spearman(score, sessions) = {:+.3}",
            t.name(),
            f.spearman_truth[ti],
            f.spearman_sessions[ti]
        );
    }
    println!(
        "  persona accuracy: {:.3} (all), {:.3} (≥8 sessions); predicted balanced {:.3}",
        f.persona_accuracy, f.persona_accuracy_dense, f.balanced_share
    );
    println!(
        "  persona accuracy by sessions: 1–2 {:.3}, 3–7 {:.3}, ≥8 {:.3}",
        f.persona_by_band[0], f.persona_by_band[1], f.persona_by_band[2]
    );
}

#[test]
fn planted_traits_are_recovered() {
    let config = SimConfig { customers: 3_000, ..SimConfig::default() };
    let f = measure(&config);
    print("default simulated shop, 3,000 customers, seed 42", &f);
    for ti in 0..6 {
        assert!(f.spearman_truth[ti] >= 0.6, "{}: {:.3}", Trait::ALL[ti].name(), f.spearman_truth[ti]);
        assert!(f.spearman_sessions[ti].abs() < 0.3, "{}: {:.3}", Trait::ALL[ti].name(), f.spearman_sessions[ti]);
    }
    // The target (≥ 0.7 over all customers, thin ones included); measured 0.736.
    assert!(f.persona_accuracy >= 0.72, "{:.3}", f.persona_accuracy);
    assert!(f.persona_accuracy_dense >= 0.8, "{:.3}", f.persona_accuracy_dense);
}

/// Other seeds and shop sizes: the tuning shops (7, 2024, 11, 99, 123) and three of the fresh
/// shops drawn at random when the mixture got its residual correlation (seeds 1001–1010, sizes
/// 1,500–20,000, never tuned on; all ten are in `docs/psychology.md`), including the smallest,
/// 1004, and the smallest of the second fresh set (2001–2010), 2009. Persona accuracy over all
/// customers ≥ 0.70 on each (small shops scatter most: about ±0.011 at 1,700 customers).
#[test]
fn planted_traits_other_seeds() {
    for (seed, customers, floor) in [
        (7u64, 3_000usize, 0.70),
        (2024, 10_000, 0.70),
        (11, 5_000, 0.70),
        (99, 20_000, 0.70),
        (123, 1_500, 0.70),
        (1004, 1_700, 0.70),
        (1007, 7_000, 0.70),
        (1010, 8_300, 0.70),
        (2009, 1_778, 0.70),
    ] {
        let config = SimConfig { customers, seed, ..SimConfig::default() };
        let f = measure(&config);
        print(&format!("simulated shop, {customers} customers, seed {seed}"), &f);
        for ti in 0..6 {
            assert!(f.spearman_truth[ti] >= 0.55 && f.spearman_sessions[ti].abs() < 0.3);
        }
        assert!(f.persona_accuracy >= floor && f.persona_accuracy_dense >= 0.78, "{:.3} / {:.3}", f.persona_accuracy, f.persona_accuracy_dense);
    }
}
