//! `xinli gen-transactions`: a synthetic shop drawn from the BG/NBD + Gamma-Gamma process,
//! written as a canonical `orders` file (one order line per transaction).

use std::io::Write;
use xinli_clv::{BgNbdParams, GammaGammaParams, SimConfig, Simulation};
use xinli_core::{TimeUnit, Timestamp};

/// Parses `r=0.25,alpha=4,a=0.8,b=2.5,p=6,q=4,v=15` (any subset; the rest keep these defaults).
pub fn parse_params(spec: &str) -> Result<(BgNbdParams, GammaGammaParams), String> {
    let mut purchases = BgNbdParams { r: 0.25, alpha: 4.0, a: 0.8, b: 2.5 };
    let mut spend = GammaGammaParams { p: 6.0, q: 4.0, v: 15.0 };
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').ok_or_else(|| format!("--params: {pair:?} is not name=value"))?;
        let value: f64 = value.trim().parse().map_err(|_| format!("--params: {pair:?} is not a number"))?;
        if !(value.is_finite() && value > 0.0) {
            return Err(format!("--params: {name} must be positive, got {value}"));
        }
        let slot = match name.trim() {
            "r" => &mut purchases.r,
            "alpha" => &mut purchases.alpha,
            "a" => &mut purchases.a,
            "b" => &mut purchases.b,
            "p" => &mut spend.p,
            "q" => &mut spend.q,
            "v" => &mut spend.v,
            other => return Err(format!("--params: unknown parameter {other:?} (r, alpha, a, b, p, q, v)")),
        };
        *slot = value;
    }
    Ok((purchases, spend))
}

/// Customers are acquired over the first half of the period, observed to its end; rates per week.
pub fn simulate(spec: &str, customers: usize, weeks: f64, start: Timestamp, seed: u64) -> Result<Simulation, String> {
    let (purchases, spend) = parse_params(spec)?;
    let observation_days = (weeks * 7.0).round().max(2.0) as u32;
    let config = SimConfig {
        purchases,
        spend,
        n_customers: customers,
        unit: TimeUnit::Weeks,
        dropout_at_birth: false,
        start,
        acquisition_days: (observation_days / 2).max(1),
        observation_days,
        seed,
    };
    xinli_clv::simulate(&config).map_err(|e| e.to_string())
}

/// Writes canonical orders: order_id, customer_id, ordered_at, quantity, unit_price.
pub fn write_orders(simulation: &Simulation, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "order_id,customer_id,ordered_at,quantity,unit_price")?;
    for (i, t) in simulation.transactions.iter().enumerate() {
        writeln!(out, "o{i},c{},{},1,{:.2}", t.customer + 1, t.at, t.amount)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_accept_subsets_and_reject_nonsense() {
        let (bg, gg) = parse_params("r=0.5, v=20").unwrap();
        assert_eq!((bg.r, bg.alpha, gg.v), (0.5, 4.0, 20.0));
        assert!(parse_params("r=-1").is_err());
        assert!(parse_params("zeta=1").is_err());
        assert!(parse_params("r").is_err());
    }
}
