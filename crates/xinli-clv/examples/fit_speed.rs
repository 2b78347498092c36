//! Fit time on simulated shops: `cargo run -p xinli-clv --release --example fit_speed [n ...]`
//! (default: 1e6 and 1e7 customers).

use std::time::Instant;
use xinli_clv::*;
use xinli_core::{TimeUnit, Timestamp};

fn main() -> Result<()> {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse::<f64>().ok()).map(|v| v as usize).collect();
    let sizes = if sizes.is_empty() { vec![1_000_000, 10_000_000] } else { sizes };
    let truth = BgNbdParams { r: 0.25, alpha: 4.0, a: 0.8, b: 2.5 };
    let spend = GammaGammaParams { p: 6.0, q: 4.0, v: 15.0 };
    for n in sizes {
        let cfg = SimConfig {
            purchases: truth,
            spend,
            n_customers: n,
            unit: TimeUnit::Weeks,
            dropout_at_birth: false,
            start: Timestamp::parse("2020-01-01").unwrap(),
            acquisition_days: 364,
            observation_days: 3 * 364,
            seed: 42,
        };
        let t0 = Instant::now();
        let sim = simulate(&cfg)?;
        let t_sim = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let cal = summarize(&sim.transactions, sim.n_customers, sim.calibration_end, TimeUnit::Weeks)?;
        let rft = cal.rfts();
        let t_sum = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let patterns = Patterns::from_rft(&rft)?;
        let t_pat = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let opts = FitOptions { std_errors: false, ..FitOptions::default() };
        let m = BgNbd::fit_patterns(&patterns, &opts)?;
        let t_fit = t0.elapsed().as_secs_f64();
        let (freq, money): (Vec<u32>, Vec<f64>) = cal.present().map(|(_, s)| (s.frequency, s.monetary_value)).unzip();
        let t0 = Instant::now();
        let gg = GammaGamma::fit(&freq, &money, &opts)?;
        let t_gg = t0.elapsed().as_secs_f64();
        println!(
            "{n:>10} customers, {:>10} transactions, {:>8} patterns | simulate {t_sim:.2}s, summarize {t_sum:.2}s, \
             group {t_pat:.3}s, BG/NBD fit {t_fit:.3}s ({} iterations, {} evals, converged {}), total fit {:.3}s | \
             Gamma-Gamma fit {t_gg:.3}s",
            sim.transactions.len(),
            patterns.len(),
            m.report.iterations,
            m.report.function_evals,
            m.report.converged,
            t_pat + t_fit,
        );
        println!("    BG/NBD {:?}\n    Gamma-Gamma {:?}", m.params, gg.params);
        println!(
            "    Gamma-Gamma: {} customers, {} groups, {} iterations, {} evals, converged {}, |g| {:.2e}, method {}",
            gg.report.n_customers, gg.report.n_patterns, gg.report.iterations, gg.report.function_evals,
            gg.report.converged, gg.report.grad_norm, gg.report.method
        );
        println!("    BG/NBD: |g| {:.2e}, method {}, starts {}", m.report.grad_norm, m.report.method, m.report.starts_tried);
    }
    Ok(())
}
