//! Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value
//! Curves for Customer Base Analysis", *Journal of Marketing Research* 42(4), 415–430; Fader & Hardie
//! note 025, "The Gamma-Gamma Model of Monetary Value", 2013).
//!
//! Each transaction's spend z ~ Gamma(p, ν); across customers ν ~ Gamma(q, γ) (γ is `v` here).
//! The mean z̄ of a customer's x repeat transactions is then Gamma(px, νx), and marginally
//! f(z̄ | p, q, γ; x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q z̄^{px−1} x^{px} / (γ + x z̄)^{px+q}
//! (note 025; FHL 2005 JMR).

use crate::error::{finite, require_positive, ClvError, Result};
use crate::optimize::{self, FitOptions, FitReport, Objective, WarmStart};
use crate::special::{digamma, ln_gamma};
use crate::summary::FastMap;
use std::time::Instant;

/// Gamma-Gamma parameters (p, q, v = γ).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub v: f64,
}

impl GammaGammaParams {
    pub fn validate(&self) -> Result<()> {
        require_positive(&[("p", self.p), ("q", self.q), ("v", self.v)])
    }
}

/// Fitted (or parameterised) Gamma-Gamma spend model.
#[derive(Clone, Debug, PartialEq)]
pub struct GammaGamma {
    pub params: GammaGammaParams,
    pub report: FitReport,
}

/// Customers with x > 0 grouped by (x, z̄), plus the aggregates the likelihood needs.
struct GgCache {
    xs: Vec<f64>,
    wx: Vec<f64>,
    /// per group: (x-group index, x, z̄, weight)
    rows: Vec<(u32, f64, f64, f64)>,
    /// Σ w x ln z̄ + Σ w x ln x (multiplies p), Σ w ln z̄ (constant)
    s_xlnz_xlnx: f64,
    s_lnz: f64,
    n: f64,
}

impl GgCache {
    fn new(freq: &[u32], monetary: &[f64]) -> Result<Self> {
        if freq.len() != monetary.len() {
            return Err(ClvError::InvalidInput("frequency and monetary value lengths differ".into()));
        }
        let mut c = GgCache { xs: vec![], wx: vec![], rows: vec![], s_xlnz_xlnx: 0.0, s_lnz: 0.0, n: 0.0 };
        // x groups: a direct table for the usual small x, a map beyond.
        let mut xtab: Vec<u32> = vec![u32::MAX; 4096];
        let mut xmap: FastMap<u32, u32> = FastMap::default();
        let mut group = |x: u32, c: &mut GgCache| -> u32 {
            let slot = if (x as usize) < xtab.len() { &mut xtab[x as usize] } else { xmap.entry(x).or_insert(u32::MAX) };
            if *slot == u32::MAX {
                *slot = c.xs.len() as u32;
                c.xs.push(x as f64);
                c.wx.push(0.0);
            }
            *slot
        };
        // Grouping by distinct (x, z̄) pays only when values repeat; z̄ is usually continuous (a mean of
        // amounts), so when a sample of the first 50,000 repeat customers is ≥ 90 % distinct every customer
        // is its own row (hashing millions of distinct keys costs more than it saves).
        let positive = freq.iter().filter(|&&x| x > 0).count();
        let dedup = positive < 200_000 || {
            let mut seen: FastMap<(u32, u64), ()> = FastMap::default();
            let mut k = 0usize;
            for (&x, &m) in freq.iter().zip(monetary).filter(|(&x, _)| x > 0).take(50_000) {
                seen.insert((x, m.to_bits()), ());
                k += 1;
            }
            (seen.len() as f64) < 0.9 * k as f64
        };
        let mut map: FastMap<(u32, u64), u32> = FastMap::default();
        if !dedup {
            c.rows.reserve(positive);
        }
        for (&x, &m) in freq.iter().zip(monetary) {
            if x == 0 {
                continue;
            }
            if !(m.is_finite() && m > 0.0) {
                return Err(ClvError::InvalidInput(format!(
                    "monetary value must be finite and > 0 for customers with repeat purchases, got {m}"
                )));
            }
            let g = group(x, &mut c);
            c.wx[g as usize] += 1.0;
            if dedup {
                let next = c.rows.len() as u32;
                let i = *map.entry((x, m.to_bits())).or_insert(next);
                if i == next {
                    c.rows.push((g, x as f64, m, 0.0));
                }
                c.rows[i as usize].3 += 1.0;
            } else {
                c.rows.push((g, x as f64, m, 1.0));
            }
            c.n += 1.0;
        }
        if c.n == 0.0 {
            return Err(ClvError::NoRepeatCustomers("Gamma-Gamma is fitted on customers with repeat purchases".into()));
        }
        // Σ w x ln z̄ + Σ w x ln x and Σ w ln z̄, one logarithm per row.
        for &(_, x, m, w) in &c.rows {
            let lm = m.ln();
            c.s_xlnz_xlnx += w * x * lm;
            c.s_lnz += w * lm;
        }
        for (&x, &w) in c.xs.iter().zip(&c.wx) {
            c.s_xlnz_xlnx += w * x * x.ln();
        }
        Ok(c)
    }

    /// A Horvitz–Thompson subsample for warm starts: every `k`-th (x, z̄) group with its weight × k, so
    /// the subsample's log-likelihood estimates the full one (the x aggregates are rebuilt from it).
    fn thinned(&self, k: usize) -> GgCache {
        let mut c = GgCache { xs: self.xs.clone(), wx: vec![0.0; self.xs.len()], rows: Vec::new(), s_xlnz_xlnx: 0.0, s_lnz: 0.0, n: 0.0 };
        for (i, &(g, x, m, w)) in self.rows.iter().enumerate() {
            if i % k != k - 1 {
                continue;
            }
            let w = w * k as f64;
            c.rows.push((g, x, m, w));
            c.wx[g as usize] += w;
            let lm = m.ln();
            c.s_xlnz_xlnx += w * (x * lm + x * x.ln());
            c.s_lnz += w * lm;
            c.n += w;
        }
        c
    }

    /// Σ ln f(z̄) and its gradient in (p, q, v).
    fn eval(&self, p: f64, q: f64, v: f64) -> (f64, [f64; 3]) {
        let mut ll = p * self.s_xlnz_xlnx - self.s_lnz + self.n * (q * v.ln() - ln_gamma(q));
        let mut g = [self.s_xlnz_xlnx, self.n * (v.ln() - digamma(q)), self.n * q / v];
        for (&x, &w) in self.xs.iter().zip(&self.wx) {
            let px = p * x;
            ll += w * (ln_gamma(px + q) - ln_gamma(px));
            let d = digamma(px + q);
            g[0] += w * x * (d - digamma(px));
            g[1] += w * d;
        }
        for &(_, x, m, w) in &self.rows {
            let l = (v + x * m).ln();
            let pxq = p * x + q;
            ll -= w * pxq * l;
            g[0] -= w * x * l;
            g[1] -= w * l;
            g[2] -= w * pxq / (v + x * m);
        }
        (ll, g)
    }
}

struct GgObjective<'a> {
    cache: &'a GgCache,
    penalizer: f64,
}

impl Objective for GgObjective<'_> {
    fn dim(&self) -> usize {
        3
    }
    fn eval(&mut self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let p: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        let (ll, g) = self.cache.eval(p[0], p[1], p[2]);
        let n = self.cache.n;
        for i in 0..3 {
            grad[i] = (-g[i] / n + 2.0 * self.penalizer * p[i]) * p[i];
        }
        let f = -ll / n + self.penalizer * p.iter().map(|v| v * v).sum::<f64>();
        if f.is_finite() {
            f
        } else {
            f64::INFINITY
        }
    }
}

impl GammaGamma {
    pub fn with_params(params: GammaGammaParams) -> Result<Self> {
        params.validate()?;
        Ok(GammaGamma { params, report: FitReport::fixed() })
    }

    /// Maximum-likelihood fit on (frequency, monetary value) of every customer; customers with x = 0
    /// are skipped (the model describes repeat-transaction spend). Grouped by distinct (x, z̄).
    pub fn fit(frequency: &[u32], monetary_value: &[f64], opts: &FitOptions) -> Result<Self> {
        let start = Instant::now();
        let cache = GgCache::new(frequency, monetary_value)?;
        let mean_m = cache.rows.iter().map(|r| r.2 * r.3).sum::<f64>() / cache.n;
        let mut starts = Vec::new();
        for p in [1.0, 5.0] {
            for q in [2.0, 5.0] {
                // E[z] = p v / (q − 1) ≈ mean z̄
                let v = (q - 1.0) * mean_m / p;
                starts.push(vec![p.ln(), q.ln(), v.ln()]);
            }
        }
        if let Some(init) = &opts.initial {
            if init.len() == 3 && init.iter().all(|v| *v > 0.0 && v.is_finite()) {
                starts.insert(0, init.iter().map(|v| v.ln()).collect());
            }
        }
        // Large inputs (z̄ is continuous, so groups barely shrink): screen starts and run BFGS on a
        // Horvitz–Thompson subsample of ~40k groups, then polish on all groups from that optimum with its
        // inverse-Hessian approximation — as for BG/NBD.
        let warm = optimize::warm_start_step(cache.rows.len()).and_then(|k| {
            let sub = cache.thinned(k);
            let mut obj = GgObjective { cache: &sub, penalizer: opts.penalizer };
            optimize::minimize_subsample(&mut obj, &starts, opts)
                .filter(|_| sub.n > 0.0)
                .map(|fit| WarmStart { fit, size: sub.rows.len(), unit: "group" })
        });
        let mut obj = GgObjective { cache: &cache, penalizer: opts.penalizer };
        let res = optimize::minimize_warm(&mut obj, &starts, warm, opts)
            .ok_or_else(|| ClvError::FitFailed("Gamma-Gamma: likelihood not finite at any start".into()))?;
        let th: Vec<f64> = res.theta.iter().map(|v| v.exp()).collect();
        let params = GammaGammaParams { p: th[0], q: th[1], v: th[2] };
        let (ll, _) = cache.eval(params.p, params.q, params.v);
        let at_edge = res.theta.iter().any(|t| t.abs() > optimize::LOG_BOUND - 1.0);
        let boundary = if at_edge || params.q > 1e5 {
            Some(format!(
                "spend heterogeneity not identified (p = {:.3e}, q = {:.3e}, v = {:.3e}): q, v → ∞ means every \
                 customer has the same mean spend; the conditional expectation is then the population mean",
                params.p, params.q, params.v
            ))
        } else if params.q <= 1.0 {
            Some(format!("q = {:.4} ≤ 1: the population mean spend p·v/(q−1) is infinite", params.q))
        } else {
            None
        };
        let std_errors = if opts.std_errors && boundary.is_none() {
            let mut obj0 = GgObjective { cache: &cache, penalizer: 0.0 };
            optimize::std_errors(&mut obj0, &res.theta, cache.n)
        } else {
            None
        };
        let report = FitReport {
            converged: res.converged,
            iterations: res.iterations,
            function_evals: res.evals,
            grad_norm: res.grad_norm,
            log_likelihood: ll,
            aic: 6.0 - 2.0 * ll,
            n_customers: cache.n,
            n_patterns: cache.rows.len(),
            penalizer: opts.penalizer,
            boundary,
            std_errors,
            method: res.method,
            starts_tried: res.starts_tried,
            seconds: optimize::elapsed(start),
        };
        Ok(GammaGamma { params, report })
    }

    pub fn params(&self) -> Vec<(&'static str, f64)> {
        vec![("p", self.params.p), ("q", self.params.q), ("v", self.params.v)]
    }

    /// Population mean spend per transaction E[Z] = p v / (q − 1) (requires q > 1).
    pub fn population_mean_spend(&self) -> Result<f64> {
        let GammaGammaParams { p, q, v } = self.params;
        if q <= 1.0 {
            return Err(ClvError::NonFinite(format!("population mean spend: q = {q} ≤ 1")));
        }
        finite(p * v / (q - 1.0), "population mean spend")
    }

    /// E[Z | x, z̄] = p (v + x z̄) / (p x + q − 1) (note 025 eq. (5)): a weighted average of the
    /// population mean and the customer's own mean; the population mean when x = 0.
    pub fn conditional_expected_average_spend_one(&self, frequency: u32, monetary_value: f64) -> Result<f64> {
        let GammaGammaParams { p, q, v } = self.params;
        if frequency == 0 {
            return self.population_mean_spend();
        }
        if !(monetary_value.is_finite() && monetary_value >= 0.0) {
            return Err(ClvError::InvalidInput(format!("monetary value {monetary_value}")));
        }
        let x = frequency as f64;
        let denom = p * x + q - 1.0;
        if denom <= 0.0 {
            return Err(ClvError::NonFinite(format!("conditional spend: p·x + q − 1 = {denom} ≤ 0")));
        }
        finite(p * (v + x * monetary_value) / denom, "conditional expected spend")
    }

    /// Vectorised [`Self::conditional_expected_average_spend_one`].
    pub fn conditional_expected_average_spend(&self, frequency: &[u32], monetary_value: &[f64]) -> Result<Vec<f64>> {
        if frequency.len() != monetary_value.len() {
            return Err(ClvError::InvalidInput("frequency and monetary value lengths differ".into()));
        }
        frequency.iter().zip(monetary_value).map(|(&x, &m)| self.conditional_expected_average_spend_one(x, m)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let c = GgCache::new(&[1, 2, 2, 5, 0], &[10.0, 20.0, 35.5, 12.0, 0.0]).unwrap();
        let th = [3.0, 2.5, 20.0];
        let (_, g) = c.eval(th[0], th[1], th[2]);
        for i in 0..3 {
            let h = 1e-6;
            let mut tp = th;
            tp[i] += h;
            let mut tm = th;
            tm[i] -= h;
            let fd = (c.eval(tp[0], tp[1], tp[2]).0 - c.eval(tm[0], tm[1], tm[2]).0) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()), "{i}: {fd} vs {}", g[i]);
        }
        // Equals the sum of the per-customer densities.
        let dens = |x: f64, m: f64, p: f64, q: f64, v: f64| {
            ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q) + q * v.ln() + (p * x - 1.0) * m.ln() + p * x * x.ln()
                - (p * x + q) * (v + x * m).ln()
        };
        let want: f64 = [(1.0, 10.0), (2.0, 20.0), (2.0, 35.5), (5.0, 12.0)].iter().map(|&(x, m)| dens(x, m, 3.0, 2.5, 20.0)).sum();
        assert!((c.eval(3.0, 2.5, 20.0).0 - want).abs() < 1e-10);
        assert!(GgCache::new(&[0, 0], &[0.0, 0.0]).is_err());
        assert!(GgCache::new(&[1], &[0.0]).is_err());
    }
}
