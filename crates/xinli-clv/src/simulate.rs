//! Generative simulator of a shop whose customers follow BG/NBD purchasing and Gamma-Gamma spend —
//! for parameter-recovery tests, benchmarks and demos.

use crate::bgnbd::BgNbdParams;
use crate::error::{ClvError, Result};
use crate::gamma_gamma::GammaGammaParams;
use xinli_core::{TimeUnit, Timestamp, Transaction};

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// λ ~ Gamma(r, rate α) per `unit`; p ~ Beta(a, b).
    pub purchases: BgNbdParams,
    /// Per-transaction spend z ~ Gamma(p, rate ν), ν ~ Gamma(q, rate v).
    pub spend: GammaGammaParams,
    pub n_customers: usize,
    pub unit: TimeUnit,
    /// false: BG/NBD — dropout only after repeat purchases; true: MBG/NBD — a coin is also flipped
    /// right after the first purchase, so some customers never come back.
    pub dropout_at_birth: bool,
    /// Day 0 of the simulation.
    pub start: Timestamp,
    /// Customers are born uniformly over days [0, acquisition_days).
    pub acquisition_days: u32,
    /// The observation (calibration) period is days [0, observation_days).
    pub observation_days: u32,
    pub seed: u64,
}

/// The simulated shop.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// Sorted by customer, then time.
    pub transactions: Vec<Transaction>,
    pub n_customers: usize,
    /// End of the last observed day: pass to [`crate::summarize`].
    pub calibration_end: Timestamp,
}

/// xoshiro256++ (Blackman & Vigna), seeded through splitmix64.
pub(crate) struct Rng {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Rng { s: [next(), next(), next(), next()], spare_normal: None }
    }
    #[inline]
    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }
    /// Uniform on the open interval (0, 1).
    #[inline]
    pub(crate) fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }
    #[inline]
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let (u, v) = (self.uniform(), self.uniform());
        let rad = (-2.0 * u.ln()).sqrt();
        let ang = std::f64::consts::TAU * v;
        self.spare_normal = Some(rad * ang.sin());
        rad * ang.cos()
    }
    /// Gamma(shape, 1): Marsaglia & Tsang (2000); shape < 1 via Gamma(shape+1)·U^{1/shape}.
    pub(crate) fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform();
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform();
            if u < 1.0 - 0.0331 * x * x * x * x || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }
    #[inline]
    fn exponential(&mut self) -> f64 {
        -self.uniform().ln()
    }
}

/// Simulates `n_customers` customers (BG/NBD purchasing, Gamma-Gamma spend).
///
/// Each customer is born on a uniformly drawn day of the acquisition window and makes the first purchase
/// at the middle of that day. While alive, purchases follow a Poisson process with rate λ per `unit`; after
/// every repeat purchase the customer drops out with probability p (BG/NBD, FHL 2005 §3: the likelihood
/// (1−p)ˣ counts x coin flips for x repeat purchases), and with `dropout_at_birth` also right after the first
/// purchase (MBG/NBD). Observation ends at the middle of the last day
/// (`observation_days − ½`), so that day-index differences (what [`crate::summarize`] measures) are unbiased
/// for the continuous recency and age. Times are stored to the second. Because summaries count distinct
/// purchase days (lifetimes' convention) while the model's clock is continuous, a purchase that would fall on a
/// day the customer already bought on is recorded on the next free day instead: without this, with r = 0.25,
/// α = 4 per week about 2 % of repeat purchases (those of the most frequent buyers) would be merged away and
/// the fitted α would be biased up by ≈ 4 % (14 standard errors at 10⁶ customers).
pub fn simulate(cfg: &SimConfig) -> Result<Simulation> {
    cfg.purchases.validate()?;
    cfg.spend.validate()?;
    if cfg.acquisition_days == 0 || cfg.observation_days < cfg.acquisition_days {
        return Err(ClvError::InvalidInput("need 0 < acquisition_days ≤ observation_days".into()));
    }
    if cfg.n_customers > u32::MAX as usize {
        return Err(ClvError::InvalidInput("too many customers for u32 indices".into()));
    }
    let BgNbdParams { r, alpha, a, b } = cfg.purchases;
    let GammaGammaParams { p: sp, q: sq, v: sv } = cfg.spend;
    let unit_days = cfg.unit.days();
    let end = cfg.observation_days as f64 - 0.5;
    let start_s = cfg.start.unix_seconds();
    let mut rng = Rng::new(cfg.seed);
    // Rough size: a few purchases per customer.
    let mut out = Vec::with_capacity(cfg.n_customers.saturating_mul(3));
    for c in 0..cfg.n_customers {
        let birth = (rng.uniform() * cfg.acquisition_days as f64).floor().min(cfg.acquisition_days as f64 - 1.0) + 0.5;
        let lambda = rng.gamma(r) / alpha; // per unit
        let ga = rng.gamma(a);
        let gb = rng.gamma(b);
        let drop_p = if ga + gb > 0.0 { ga / (ga + gb) } else { 0.5 };
        let nu = rng.gamma(sq) / sv;
        let mut t = birth;
        let mut first = true;
        let mut last_day = i64::MIN;
        loop {
            let amount = (rng.gamma(sp) / nu).max(0.0);
            // At most one recorded purchase per calendar day: a purchase falling on an already used day is
            // recorded at noon of the next free day (the summary would otherwise merge it and lose a count).
            let mut secs = (t * 86_400.0) as i64;
            let day = secs.div_euclid(86_400);
            if day <= last_day {
                secs = (last_day + 1) * 86_400 + 43_200;
                if secs as f64 / 86_400.0 >= end {
                    break;
                }
            }
            last_day = secs.div_euclid(86_400);
            out.push(Transaction {
                customer: c as u32,
                at: Timestamp::from_unix_seconds(start_s + secs),
                amount: if amount.is_finite() { amount } else { 0.0 },
            });
            let flip = !first || cfg.dropout_at_birth;
            first = false;
            if (flip && rng.uniform() < drop_p) || lambda <= 0.0 {
                break;
            }
            t += rng.exponential() / lambda * unit_days;
            if !(t < end) {
                break;
            }
        }
    }
    Ok(Simulation {
        transactions: out,
        n_customers: cfg.n_customers,
        calibration_end: cfg.start.add_days(cfg.observation_days as i64 - 1).end_of_day(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_sampler_has_the_right_moments() {
        let mut rng = Rng::new(7);
        for shape in [0.25, 0.8, 2.5, 6.0] {
            let n = 400_000;
            let xs: Vec<f64> = (0..n).map(|_| rng.gamma(shape)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            assert!((mean - shape).abs() < 5.0 * (shape / n as f64).sqrt(), "shape {shape}: mean {mean}");
            assert!((var - shape).abs() < 0.03 * shape, "shape {shape}: var {var}");
        }
    }
}
