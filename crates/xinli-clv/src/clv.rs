//! Customer lifetime value: discounted expected future purchases × expected spend.

use crate::error::{finite, ClvError, Result};
use crate::model::TransactionModel;
use crate::summary::{FastMap, Rft};
use xinli_core::TimeUnit;

/// Days per month used for the monthly steps (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Days per year for the annual discount rate.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// How to value customers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClvOptions {
    /// Horizon in the model's time unit.
    pub horizon: f64,
    /// The model's time unit.
    pub unit: TimeUnit,
    /// Annual discount rate d (0.1 = 10 % a year).
    pub annual_discount_rate: f64,
}

/// CLVᵢ = Σₖ (E[Y(t_k) | i] − E[Y(t_{k−1}) | i]) · spendᵢ / (1 + d)^{t_k / year}, over monthly steps
/// t_k = min(k · month, horizon) (months of 30.4375 days, expressed in the model's unit).
/// `expected_spend` is per customer (e.g. the Gamma-Gamma conditional expected average spend).
pub fn customer_lifetime_value(
    model: &dyn TransactionModel,
    customers: &[Rft],
    expected_spend: &[f64],
    opts: &ClvOptions,
) -> Result<Vec<f64>> {
    if customers.len() != expected_spend.len() {
        return Err(ClvError::InvalidInput("customers and expected spend lengths differ".into()));
    }
    if !(opts.horizon.is_finite() && opts.horizon >= 0.0) {
        return Err(ClvError::InvalidInput(format!("horizon {}", opts.horizon)));
    }
    if !(opts.annual_discount_rate.is_finite() && opts.annual_discount_rate > -1.0) {
        return Err(ClvError::InvalidInput(format!("discount rate {}", opts.annual_discount_rate)));
    }
    let month = DAYS_PER_MONTH / opts.unit.days();
    let year = DAYS_PER_YEAR / opts.unit.days();
    let steps = (opts.horizon / month - 1e-9).ceil().max(0.0) as usize;
    let times: Vec<f64> = (1..=steps).map(|k| (k as f64 * month).min(opts.horizon)).collect();
    let ln1d = opts.annual_discount_rate.ln_1p();
    let discount: Vec<f64> = times.iter().map(|t| (-ln1d * t / year).exp()).collect();
    // CLVᵢ = spendᵢ × (discounted expected purchases of i's pattern): the model is asked once per distinct
    // (x, t_x, T) and month, not once per customer and month.
    let mut memo: FastMap<(u32, u64, u64), f64> = FastMap::default();
    let mut out = Vec::with_capacity(customers.len());
    for (&c, &spend) in customers.iter().zip(expected_spend) {
        if !spend.is_finite() {
            return Err(ClvError::InvalidInput(format!("expected spend {spend}")));
        }
        let key = (c.x, c.t_x.to_bits(), c.t.to_bits());
        let total = match memo.get(&key) {
            Some(&v) => v,
            None => {
                let mut prev = 0.0;
                let mut total = 0.0;
                for (t, d) in times.iter().zip(&discount) {
                    let e = model.conditional_expected_purchases_one(c, *t)?;
                    total += (e - prev).max(0.0) * d;
                    prev = e;
                }
                memo.insert(key, total);
                total
            }
        };
        out.push(finite(total * spend, "CLV")?);
    }
    Ok(out)
}
