//! Times `score_traits` on a simulated shop: `cargo run --release -p xinli-psych --example speed [customers]`.
use std::time::Instant;
use xinli_psych::{score_traits, TraitConfig};
use xinli_sim::{simulate, SimConfig};

fn main() {
    let customers: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let config = SimConfig { customers, ..SimConfig::default() };
    let sim = simulate(&config);
    let start = Instant::now();
    let table = score_traits(&sim.shop, config.start.add_days(config.days as i64 + 1), &TraitConfig::default());
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} customers, {} order lines, {} events: {:.2} s ({:.0} events/s)",
        table.customers.len(),
        sim.shop.orders.len(),
        sim.shop.events.len(),
        seconds,
        sim.shop.events.len() as f64 / seconds
    );
}
