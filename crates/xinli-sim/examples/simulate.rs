//! `cargo run --release -p xinli-sim --example simulate -- [customers] [seed] [out dir]`:
//! simulates a shop, prints its size and the time taken, and writes it when a directory is given.

use std::time::Instant;
use xinli_sim::{simulate, write_shop, SimConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let customers = args.first().map_or(50_000, |a| a.parse().expect("customers: a number"));
    let seed = args.get(1).map_or(42, |a| a.parse().expect("seed: a number"));
    let config = SimConfig { customers, seed, ..SimConfig::default() };
    let started = Instant::now();
    let sim = simulate(&config);
    let took = started.elapsed();
    let shop = &sim.shop;
    println!(
        "{} customers, {} products, {} order lines, {} events, {} reviews in {:.2} s",
        shop.customers.len(),
        shop.products.len(),
        shop.orders.len(),
        shop.events.len(),
        shop.reviews.len(),
        took.as_secs_f64()
    );
    if let Some(dir) = args.get(2) {
        let started = Instant::now();
        write_shop(&sim, std::path::Path::new(dir)).expect("write the shop");
        println!("written to {dir} in {:.2} s", started.elapsed().as_secs_f64());
    }
}
