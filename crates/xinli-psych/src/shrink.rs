//! Empirical-Bayes shrinkage with priors estimated from the shop by the method of moments.
//!
//! Three observation models, one per kind of signal:
//! - **shares** (k successes in n trials): beta-binomial. The prior mean is the pooled share
//!   Σk/Σn; the intra-customer correlation ρ = 1/(κ+1) comes from
//!   E[Σ nᵢ(pᵢ−p)²] = p(1−p)·Σ(1 + (nᵢ−1)ρ), so a prior of strength κ = α+β. The posterior mean
//!   is (k + κp)/(n + κ) and the credibility (share of the estimate that is the customer's own
//!   data) n/(n+κ) — Bühlmann's credibility, equal to 1 − posterior var/prior var to first order.
//! - **rates** (x events over exposure E, e.g. sessions): gamma-Poisson. The prior mean is
//!   Σx/ΣE and the between-customer variance σ² from E[Σ Eᵢ(rᵢ−λ)²] = C·λ + σ²·ΣEᵢ; the prior is
//!   Gamma(shape λ²/σ², rate b = λ/σ²), the posterior mean (a + x)/(b + E), credibility E/(E+b).
//! - **category spread** (counts over categories): Dirichlet-multinomial with base measure the
//!   shop's category mix p and concentration α from the same-category pair probability
//!   S = E\[Σθ²\] = (αΣp² + 1)/(α + 1). The signal is the posterior expected Shannon entropy
//!   E[H(θ) | counts] = ψ(A+1) − Σ (aₖ/A) ψ(aₖ+1), aₖ = cₖ + αpₖ, A = n + α — unlike the plug-in
//!   entropy of a few purchases, it is not biased low for customers with little data.

/// A beta prior for shares, as mean and strength κ = α + β.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BetaPrior {
    pub mean: f64,
    pub strength: f64,
}

/// Strength bounds: a prior is never worth less than a fraction of one observation nor more
/// than 10,000 (a shop where every customer behaves alike).
const MIN_STRENGTH: f64 = 0.05;
const MAX_STRENGTH: f64 = 1e4;

impl BetaPrior {
    /// Fits the prior to (successes, trials) pairs; pairs with no trial are ignored.
    pub fn fit(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Option<BetaPrior> {
        let (mut k_sum, mut n_sum, mut count) = (0.0, 0.0, 0.0);
        for (k, n) in pairs.clone().filter(|(_, n)| *n > 0.0) {
            k_sum += k;
            n_sum += n;
            count += 1.0;
        }
        if n_sum <= 0.0 {
            return None;
        }
        let p = (k_sum / n_sum).clamp(1e-6, 1.0 - 1e-6);
        let (mut s, mut extra) = (0.0, 0.0);
        for (k, n) in pairs.filter(|(_, n)| *n > 0.0) {
            let d = k / n - p;
            s += n * d * d;
            extra += n - 1.0;
        }
        let rho = if extra > 0.0 { (s / (p * (1.0 - p)) - count) / extra } else { 0.5 };
        let rho = rho.clamp(1.0 / (MAX_STRENGTH + 1.0), 1.0 / (MIN_STRENGTH + 1.0));
        Some(BetaPrior { mean: p, strength: 1.0 / rho - 1.0 })
    }
    pub fn posterior_mean(&self, k: f64, n: f64) -> f64 {
        (k + self.strength * self.mean) / (n + self.strength)
    }
    pub fn credibility(&self, n: f64) -> f64 {
        n / (n + self.strength)
    }
}

/// A gamma prior for rates: shape `a`, rate `b` (mean a/b).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GammaPrior {
    pub shape: f64,
    pub rate: f64,
}

impl GammaPrior {
    /// Fits the prior to (count, exposure) pairs; pairs with no exposure are ignored.
    pub fn fit(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Option<GammaPrior> {
        let (mut x_sum, mut e_sum, mut count) = (0.0, 0.0, 0.0);
        for (x, e) in pairs.clone().filter(|(_, e)| *e > 0.0) {
            x_sum += x;
            e_sum += e;
            count += 1.0;
        }
        if e_sum <= 0.0 || x_sum <= 0.0 {
            return None;
        }
        let lambda = x_sum / e_sum;
        let mut s = 0.0;
        for (x, e) in pairs.filter(|(_, e)| *e > 0.0) {
            let d = x / e - lambda;
            s += e * d * d;
        }
        let var = ((s - count * lambda) / e_sum).max(lambda * lambda / MAX_STRENGTH);
        // Prior "worth" b exposure units: b = λ/σ², bounded like the beta strength.
        let rate = (lambda / var).clamp(MIN_STRENGTH, MAX_STRENGTH);
        Some(GammaPrior { shape: lambda * rate, rate })
    }
    pub fn mean(&self) -> f64 {
        self.shape / self.rate
    }
    pub fn posterior_mean(&self, x: f64, exposure: f64) -> f64 {
        (self.shape + x) / (self.rate + exposure)
    }
    pub fn credibility(&self, exposure: f64) -> f64 {
        exposure / (exposure + self.rate)
    }
}

/// A Dirichlet prior over categories: base measure `mix` (the shop's category shares) and
/// concentration `alpha`.
#[derive(Clone, Debug, PartialEq)]
pub struct DirichletPrior {
    pub mix: Vec<f64>,
    pub alpha: f64,
    /// Σₖ αpₖ ψ(αpₖ + 1): the prior's part of the entropy sum, precomputed so a customer's
    /// posterior entropy costs O(categories they touched).
    prior_term: f64,
}

impl DirichletPrior {
    /// `customers` yields each customer's category counts as (category, count) pairs.
    pub fn fit<'a>(n_categories: usize, customers: impl Iterator<Item = &'a [(u32, u32)]> + Clone) -> Option<DirichletPrior> {
        let mut totals = vec![0.0f64; n_categories];
        let mut s_sum = 0.0;
        let mut s_count = 0.0;
        for counts in customers {
            let n: f64 = counts.iter().map(|c| c.1 as f64).sum();
            for &(k, c) in counts {
                totals[k as usize] += c as f64;
            }
            if n >= 2.0 {
                let same: f64 = counts.iter().map(|&(_, c)| c as f64 * (c as f64 - 1.0)).sum();
                s_sum += same / (n * (n - 1.0));
                s_count += 1.0;
            }
        }
        let total: f64 = totals.iter().sum();
        if total <= 0.0 || n_categories < 2 {
            return None;
        }
        let mix: Vec<f64> = totals.iter().map(|t| t / total).collect();
        let q: f64 = mix.iter().map(|p| p * p).sum();
        let alpha = if s_count > 0.0 {
            let s = s_sum / s_count;
            if s > q + 1e-12 { ((1.0 - s) / (s - q)).clamp(MIN_STRENGTH, MAX_STRENGTH) } else { MAX_STRENGTH }
        } else {
            1.0
        };
        let prior_term = mix.iter().map(|p| alpha * p * digamma(alpha * p + 1.0)).sum();
        Some(DirichletPrior { mix, alpha, prior_term })
    }

    /// Posterior expected Shannon entropy (nats) given a customer's counts.
    pub fn posterior_entropy(&self, counts: &[(u32, u32)]) -> f64 {
        let n: f64 = counts.iter().map(|c| c.1 as f64).sum();
        let big_a = n + self.alpha;
        let mut sum = self.prior_term;
        for &(k, c) in counts {
            let a0 = self.alpha * self.mix[k as usize];
            let a = a0 + c as f64;
            sum += a * digamma(a + 1.0) - a0 * digamma(a0 + 1.0);
        }
        digamma(big_a + 1.0) - sum / big_a
    }

    pub fn credibility(&self, n: f64) -> f64 {
        n / (n + self.alpha)
    }
}

/// Plug-in Shannon entropy (nats) of counts, for the evidence text.
pub fn plug_in_entropy(counts: &[(u32, u32)]) -> f64 {
    let n: f64 = counts.iter().map(|c| c.1 as f64).sum();
    if n <= 0.0 {
        return 0.0;
    }
    let h = -counts
        .iter()
        .filter(|c| c.1 > 0)
        .map(|&(_, c)| {
            let p = c as f64 / n;
            p * p.ln()
        })
        .sum::<f64>();
    h.max(0.0)
}

/// ψ(x) for x > 0: recurrence up to 6, then the asymptotic series.
pub fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 6.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    result + x.ln() - 0.5 * inv
        - inv2 * (1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 / 132.0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_matches_known_values() {
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-10);
        assert!((digamma(0.5) + 1.963_510_026_021_423).abs() < 1e-10);
        assert!((digamma(10.0) - 2.251_752_589_066_721).abs() < 1e-10);
    }

    #[test]
    fn beta_prior_recovers_a_known_strength() {
        // Customers' shares drawn from Beta(2, 6) (κ = 8, mean 0.25), 20 trials each: use the
        // exact expected frequencies of a grid instead of random draws.
        let mut pairs = Vec::new();
        let grid = 200;
        for i in 0..grid {
            // quantiles of Beta(2,6) by inverse CDF via bisection
            let q = (i as f64 + 0.5) / grid as f64;
            let cdf = |p: f64| {
                // regularized incomplete beta for a=2,b=6 in closed form
                let mut s = 0.0;
                for j in 2..=7 {
                    s += binom(7, j) * p.powi(j as i32) * (1.0 - p).powi(7 - j as i32);
                }
                s
            };
            let (mut lo, mut hi) = (0.0, 1.0);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if cdf(mid) < q { lo = mid } else { hi = mid }
            }
            let p = 0.5 * (lo + hi);
            // expected binomial outcomes of 20 trials
            for k in 0..=20 {
                let w = binom(20, k) * p.powi(k as i32) * (1.0 - p).powi(20 - k as i32);
                pairs.push((k as f64, 20.0, w));
            }
        }
        // weighted version through replication of weights ≈ use weights directly
        let (mut ks, mut ns) = (Vec::new(), Vec::new());
        for (k, n, w) in &pairs {
            let copies = (w * 50.0).round() as usize;
            for _ in 0..copies {
                ks.push(*k);
                ns.push(*n);
            }
        }
        let prior = BetaPrior::fit(ks.iter().copied().zip(ns.iter().copied())).unwrap();
        assert!((prior.mean - 0.25).abs() < 0.01, "{prior:?}");
        assert!((prior.strength - 8.0).abs() < 1.5, "{prior:?}");
    }

    fn binom(n: u32, k: u32) -> f64 {
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn gamma_prior_is_flat_when_customers_do_not_differ() {
        // Everyone has rate 2 exactly (Poisson noise only): the prior should be very strong.
        let pairs: Vec<(f64, f64)> = (0..1000).map(|i| ((i % 5) as f64, 1.0)).collect();
        let prior = GammaPrior::fit(pairs.iter().copied()).unwrap();
        assert!((prior.mean() - 2.0).abs() < 1e-9);
        assert!(prior.rate > 10.0, "{prior:?}");
    }

    #[test]
    fn posterior_entropy_shrinks_to_the_prior_expectation_without_data() {
        let counts: Vec<Vec<(u32, u32)>> = vec![vec![(0, 3), (1, 1)], vec![(2, 4)], vec![(0, 1), (1, 1), (2, 1), (3, 1)]];
        let prior = DirichletPrior::fit(4, counts.iter().map(|c| c.as_slice())).unwrap();
        let none = prior.posterior_entropy(&[]);
        let focused = prior.posterior_entropy(&[(2, 40)]);
        let spread = prior.posterior_entropy(&[(0, 10), (1, 10), (2, 10), (3, 10)]);
        assert!(focused < none && none < spread, "{focused} {none} {spread}");
        assert!(spread < 4f64.ln() + 1e-9);
    }
}
