//! The interface every transaction (purchase-count) model implements, so the pipeline can switch
//! models. Per-customer methods return `Result<f64>`: a finite number or an explicit error.

use crate::error::{finite, Result};
use crate::optimize::FitReport;
use crate::summary::Rft;

/// A fitted (or parameterised) customer-base model of purchase counts.
pub trait TransactionModel: std::fmt::Debug + Send + Sync {
    /// Short model name ("BG/NBD", "MBG/NBD", "Pareto/NBD").
    fn name(&self) -> &'static str;
    /// Parameter names and values in the papers' notation.
    fn params(&self) -> Vec<(&'static str, f64)>;
    /// How the fit went (a `fixed` report for given parameters).
    fn report(&self) -> &FitReport;

    /// Log-likelihood contribution of one customer.
    fn log_likelihood_one(&self, c: Rft) -> Result<f64>;
    /// Probability the customer is still alive at the end of calibration (T).
    fn p_alive_one(&self, c: Rft) -> Result<f64>;
    /// E[Y(t) | x, t_x, T]: expected purchases in (T, T + t].
    fn conditional_expected_purchases_one(&self, c: Rft, t: f64) -> Result<f64>;
    /// E[X(t)]: expected repeat purchases in the first t time units of a newly acquired customer.
    fn expected_purchases(&self, t: f64) -> Result<f64>;
    /// P(no purchase in (T, T + h] | x, t_x, T): churn risk over a horizon (dead, or alive but silent).
    fn prob_no_purchase_within_one(&self, c: Rft, h: f64) -> Result<f64>;
    /// Median wait from T to the next purchase, given the customer is alive (and, for Pareto/NBD,
    /// stays alive): solves P(no purchase in w | alive) = ½ for the gamma-mixed Poisson.
    fn expected_next_purchase_wait_one(&self, c: Rft) -> Result<f64>;

    /// Total log-likelihood.
    fn log_likelihood(&self, customers: &[Rft]) -> Result<f64> {
        let mut s = 0.0;
        for &c in customers {
            s += self.log_likelihood_one(c)?;
        }
        finite(s, "log-likelihood")
    }
    fn p_alive(&self, customers: &[Rft]) -> Result<Vec<f64>> {
        customers.iter().map(|&c| self.p_alive_one(c)).collect()
    }
    /// Computed once per distinct (x, t_x, T) pattern (the ₂F₁ terms make it the costly prediction).
    fn conditional_expected_purchases(&self, customers: &[Rft], t: f64) -> Result<Vec<f64>> {
        memo_by_pattern(customers, |c| self.conditional_expected_purchases_one(c, t))
    }
    fn prob_no_purchase_within(&self, customers: &[Rft], h: f64) -> Result<Vec<f64>> {
        customers.iter().map(|&c| self.prob_no_purchase_within_one(c, h)).collect()
    }
    fn expected_next_purchase_wait(&self, customers: &[Rft]) -> Result<Vec<f64>> {
        customers.iter().map(|&c| self.expected_next_purchase_wait_one(c)).collect()
    }
}

/// `f` applied to every customer, evaluated once per distinct (x, t_x, T) (customers share patterns
/// heavily: day-resolution data has a few thousand patterns per million customers). Small inputs skip
/// the hash map.
pub(crate) fn memo_by_pattern(customers: &[Rft], mut f: impl FnMut(Rft) -> Result<f64>) -> Result<Vec<f64>> {
    if customers.len() < 64 {
        return customers.iter().map(|&c| f(c)).collect();
    }
    let mut memo: crate::summary::FastMap<(u32, u64, u64), f64> = crate::summary::FastMap::default();
    let mut out = Vec::with_capacity(customers.len());
    for &c in customers {
        let key = (c.x, c.t_x.to_bits(), c.t.to_bits());
        let v = match memo.get(&key) {
            Some(&v) => v,
            None => {
                let v = f(c)?;
                memo.insert(key, v);
                v
            }
        };
        out.push(v);
    }
    Ok(out)
}

/// ∫₀^L e^{−k v} dv = (1 − e^{−kL}) / k, stable as k → 0 (limit L).
#[inline]
pub(crate) fn one_minus_exp_over(k: f64, l: f64) -> f64 {
    if k == 0.0 {
        l
    } else {
        -(-k * l).exp_m1() / k
    }
}

/// The gamma–Poisson pieces every model shares, for λ ~ Gamma(shape, rate) (posterior or prior).
/// P(no event in w) = (rate / (rate + w))^shape.
#[inline]
pub(crate) fn gamma_poisson_silence(shape: f64, rate: f64, w: f64) -> f64 {
    (-shape * (w / rate).ln_1p()).exp()
}

/// Median of the waiting time to the next event: solves (rate/(rate+w))^shape = ½.
#[inline]
pub(crate) fn gamma_poisson_median_wait(shape: f64, rate: f64) -> f64 {
    rate * (std::f64::consts::LN_2 / shape).exp_m1()
}

pub(crate) fn check_horizon(t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(crate::ClvError::InvalidInput(format!("time horizon must be finite and ≥ 0, got {t}")))
    }
}
