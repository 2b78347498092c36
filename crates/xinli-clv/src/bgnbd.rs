//! BG/NBD (Fader, Hardie & Lee 2005, "“Counting Your Customers” the Easy Way: An Alternative to the
//! Pareto/NBD Model", *Marketing Science* 24(2), 275–284), the shared machinery of its MBG/NBD variant,
//! and the no-dropout NBD limit both fall back to on a boundary.
//!
//! Notation: purchases while alive are Poisson(λ), λ ~ Gamma(r, α); after each repeat purchase the
//! customer drops out with probability p ~ Beta(a, b). (MBG/NBD: also right after the first purchase.)

use crate::error::{finite, require_positive, ClvError, Result};
use crate::model::{check_horizon, gamma_poisson_median_wait, gamma_poisson_silence, TransactionModel};
use crate::optimize::{self, FitOptions, FitReport, Objective, WarmStart};
use crate::special::{avoid_point, digamma, hyp2f1, ln_beta, ln_gamma, softplus_sigmoid};
use crate::summary::{Patterns, Rft};
use std::time::Instant;

/// BG/NBD parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BgNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbdParams {
    pub fn validate(&self) -> Result<()> {
        require_positive(&[("r", self.r), ("alpha", self.alpha), ("a", self.a), ("b", self.b)])
    }
}

/// Which member of the family: k = 0 BG/NBD (dropout only after repeat purchases), k = 1 MBG/NBD
/// (dropout also possible right after the first purchase, Batislam, Denizel & Filiztekin 2007).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    Bg,
    Mbg,
}

impl Variant {
    pub(crate) fn k(self) -> f64 {
        match self {
            Variant::Bg => 0.0,
            Variant::Mbg => 1.0,
        }
    }
    /// Does a customer with x repeat purchases carry the "dropped out after the last purchase" term?
    fn has_drop_term(self, x: u32) -> bool {
        match self {
            Variant::Bg => x > 0,
            Variant::Mbg => true,
        }
    }
}

/// The no-dropout limit (NBD: λ ~ Gamma(r, α), nobody leaves), the nested model BG/NBD and MBG/NBD
/// reduce to as a → 0 or b → ∞ (and Pareto/NBD as s → 0 or β → ∞).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NbdParams {
    pub r: f64,
    pub alpha: f64,
}

impl NbdParams {
    /// ln L = ln Γ(r+x) − ln Γ(r) + r ln α − (r+x) ln(α+T)  (FHL 2005 eq. (6) with p ≡ 0).
    pub fn log_likelihood_one(&self, c: Rft) -> f64 {
        let rx = self.r + c.x as f64;
        ln_gamma(rx) - ln_gamma(self.r) + self.r * self.alpha.ln() - rx * (self.alpha + c.t).ln()
    }
    pub fn conditional_expected_purchases(&self, c: Rft, t: f64) -> f64 {
        (self.r + c.x as f64) * t / (self.alpha + c.t)
    }
    pub fn expected_purchases(&self, t: f64) -> f64 {
        self.r * t / self.alpha
    }
}

/// Cached aggregates of the patterns for fast likelihood evaluation of the BG/NBD family.
/// ln L summed over customers splits into terms that depend on x only (aggregated by distinct x),
/// terms that depend on T only (aggregated by distinct T) and, per pattern, one soft-plus:
///
/// ln Lᵢ = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x+k) − ln B(a, b) − (r+x) ln(α+T)
///        + 𝟙[drop term] · ln(1 + a/(b+x+k−1) · ((α+T)/(α+t_x))^{r+x})
///
/// which is FHL 2005 eq. (6) (k = 0; the second term's ratio B(a+1,b+x−1)/B(a,b+x) = a/(b+x−1)) and the
/// MBG/NBD likelihood of Batislam et al. 2007 (k = 1; B(a+1,b+x)/B(a,b+x+1) = a/(b+x)).
pub(crate) struct FamilyCache {
    variant: Variant,
    xs: Vec<f64>,
    wx: Vec<f64>,
    t_w: Vec<f64>,
    t_wx: Vec<f64>,
    times: Vec<f64>,
    rep: Vec<(u32, u32, u32, f64)>,
    n: f64,
    n_patterns: usize,
    // scratch
    lt: Vec<f64>,
    it: Vec<f64>,
    sgrp: Vec<f64>,
}

impl FamilyCache {
    pub(crate) fn new(p: &Patterns, variant: Variant) -> Self {
        let mut xmap = crate::summary::FastMap::<u32, u32>::default();
        let mut xs = Vec::new();
        let mut wx = Vec::new();
        let mut t_w = vec![0.0; p.times.len()];
        let mut t_wx = vec![0.0; p.times.len()];
        let mut rep = Vec::new();
        for i in 0..p.len() {
            let next = xs.len() as u32;
            let g = *xmap.entry(p.x[i]).or_insert(next);
            if g == next {
                xs.push(p.x[i] as f64);
                wx.push(0.0);
            }
            let w = p.weight[i];
            wx[g as usize] += w;
            t_w[p.t_idx[i] as usize] += w;
            t_wx[p.t_idx[i] as usize] += w * p.x[i] as f64;
            if variant.has_drop_term(p.x[i]) {
                rep.push((g, p.tx_idx[i], p.t_idx[i], w));
            }
        }
        let nt = p.times.len();
        let ng = xs.len();
        FamilyCache {
            variant,
            xs,
            wx,
            t_w,
            t_wx,
            times: p.times.clone(),
            rep,
            n: p.n_customers,
            n_patterns: p.len(),
            lt: vec![0.0; nt],
            it: vec![0.0; nt],
            sgrp: vec![0.0; ng],
        }
    }

    /// Total log-likelihood and its gradient in (r, α, a, b). With `dropout = false` the NBD limit
    /// (only r, α; the a, b gradient entries are 0).
    pub(crate) fn eval(&mut self, r: f64, alpha: f64, a: f64, b: f64, dropout: bool) -> (f64, [f64; 4]) {
        let k = self.variant.k();
        for (i, &t) in self.times.iter().enumerate() {
            self.lt[i] = (alpha + t).ln();
            self.it[i] = 1.0 / (alpha + t);
        }
        let (ln_alpha, lg_r, psi_r) = (alpha.ln(), ln_gamma(r), digamma(r));
        let (lg_b, lg_ab, psi_b, psi_ab) = if dropout {
            (ln_gamma(b), ln_gamma(a + b), digamma(b), digamma(a + b))
        } else {
            (0.0, 0.0, 0.0, 0.0)
        };
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        for (j, (&x, &w)) in self.xs.iter().zip(&self.wx).enumerate() {
            ll += w * (ln_gamma(r + x) - lg_r + r * ln_alpha);
            g[0] += w * (digamma(r + x) - psi_r + ln_alpha);
            g[1] += w * r / alpha;
            if dropout {
                ll += w * (ln_gamma(b + x + k) - ln_gamma(a + b + x + k) - lg_b + lg_ab);
                let psi_abx = digamma(a + b + x + k);
                g[2] += w * (psi_ab - psi_abx);
                g[3] += w * (digamma(b + x + k) - psi_abx - psi_b + psi_ab);
            }
            self.sgrp[j] = 0.0;
        }
        for i in 0..self.times.len() {
            let tw = self.t_w[i];
            if tw == 0.0 {
                continue;
            }
            let coef = r * tw + self.t_wx[i];
            ll -= coef * self.lt[i];
            g[0] -= tw * self.lt[i];
            g[1] -= coef * self.it[i];
        }
        if dropout {
            // ln(a/(b+x+k−1)) per x group
            let ln_a = a.ln();
            let lc: Vec<f64> = self.xs.iter().map(|&x| ln_a - (b + x + k - 1.0).ln()).collect();
            let (mut sp_sum, mut gr, mut galpha) = (0.0, 0.0, 0.0);
            // Σ w ln(1 + eᵘ): for unit weights the factors (1 + eᵘ) ≤ e³⁰ are multiplied in blocks of 16
            // (≤ 1e209, no overflow) and one logarithm taken per block.
            let (mut prod, mut cnt) = (1.0f64, 0u32);
            for &(gi, txi, ti, w) in &self.rep {
                let gi = gi as usize;
                let rx = r + self.xs[gi];
                let d = self.lt[ti as usize] - self.lt[txi as usize];
                let u = lc[gi] + rx * d;
                let s = if u < 30.0 {
                    let e = u.exp();
                    let one_e = 1.0 + e;
                    if w == 1.0 {
                        prod *= one_e;
                        cnt += 1;
                        if cnt == 16 {
                            sp_sum += prod.ln();
                            prod = 1.0;
                            cnt = 0;
                        }
                    } else {
                        sp_sum += w * e.ln_1p();
                    }
                    e / one_e
                } else {
                    let (sp, s) = softplus_sigmoid(u);
                    sp_sum += w * sp;
                    s
                };
                let ws = w * s;
                gr += ws * d;
                galpha += ws * rx * (self.it[ti as usize] - self.it[txi as usize]);
                self.sgrp[gi] += ws;
            }
            sp_sum += prod.ln();
            ll += sp_sum;
            g[0] += gr;
            g[1] += galpha;
            for (j, &x) in self.xs.iter().enumerate() {
                g[2] += self.sgrp[j] / a;
                g[3] -= self.sgrp[j] / (b + x + k - 1.0);
            }
        }
        (ll, g)
    }
}

/// Mean negative log-likelihood + penalty, in log-parameters.
struct FamilyObjective<'a> {
    cache: &'a mut FamilyCache,
    penalizer: f64,
    dropout: bool,
}

impl Objective for FamilyObjective<'_> {
    fn dim(&self) -> usize {
        if self.dropout {
            4
        } else {
            2
        }
    }
    fn eval(&mut self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let p: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        let (a, b) = if self.dropout { (p[2], p[3]) } else { (1.0, 1.0) };
        let (ll, g) = self.cache.eval(p[0], p[1], a, b, self.dropout);
        let n = self.cache.n;
        let pen: f64 = p.iter().map(|v| v * v).sum::<f64>() * self.penalizer;
        for i in 0..theta.len() {
            grad[i] = (-g[i] / n + 2.0 * self.penalizer * p[i]) * p[i];
        }
        let f = -ll / n + pen;
        if f.is_finite() {
            f
        } else {
            f64::INFINITY
        }
    }
}

/// Starting points: a small grid around moment-based guesses (λ̄ ≈ x̄ / T̄ ⇒ α ≈ r T̄ / x̄).
fn family_starts(p: &Patterns, dropout: bool) -> Vec<Vec<f64>> {
    let (xbar, tbar, _) = p.means();
    let rate = (xbar / tbar.max(1e-9)).max(1e-6);
    let mut out = Vec::new();
    for r in [0.25, 1.0] {
        for scale in [1.0, 0.4] {
            let alpha = r / rate * scale;
            if dropout {
                for (a, b) in [(0.8, 2.5), (1.5, 6.0), (0.3, 0.8)] {
                    out.push(vec![r, alpha, a, b].iter().map(|v: &f64| v.ln()).collect());
                }
            } else {
                out.push(vec![r.ln(), alpha.ln()]);
            }
        }
    }
    out
}

/// Result of fitting one member of the family, with boundary detection and the NBD fallback.
pub(crate) struct FamilyFit {
    pub params: BgNbdParams,
    pub limit: Option<NbdParams>,
    pub report: FitReport,
}

pub(crate) fn fit_family(p: &Patterns, variant: Variant, opts: &FitOptions, name: &str) -> Result<FamilyFit> {
    let start = Instant::now();
    if !(opts.penalizer >= 0.0 && opts.penalizer.is_finite()) {
        return Err(ClvError::InvalidInput("penalizer must be finite and ≥ 0".into()));
    }
    let (xbar, _, _) = p.means();
    if xbar == 0.0 {
        return Err(ClvError::NoRepeatCustomers(format!("{name} needs at least one repeat purchase to estimate purchase rates")));
    }
    let mut cache = FamilyCache::new(p, variant);
    let mut starts = family_starts(p, true);
    if let Some(init) = &opts.initial {
        if init.len() == 4 && init.iter().all(|v| *v > 0.0 && v.is_finite()) {
            starts.insert(0, init.iter().map(|v| v.ln()).collect());
        }
    }
    // Large inputs: screen starts and run BFGS on a Horvitz–Thompson subsample (~40k patterns), then polish
    // on all patterns from that optimum with its inverse-Hessian approximation.
    let warm = optimize::warm_start_step(p.len()).and_then(|k| {
        let sub = p.thinned(k);
        let mut sub_cache = FamilyCache::new(&sub, variant);
        let mut obj = FamilyObjective { cache: &mut sub_cache, penalizer: opts.penalizer, dropout: true };
        optimize::minimize_subsample(&mut obj, &starts, opts).map(|fit| WarmStart { fit, size: p.len() / k, unit: "pattern" })
    });
    let res = {
        let mut obj = FamilyObjective { cache: &mut cache, penalizer: opts.penalizer, dropout: true };
        optimize::minimize_warm(&mut obj, &starts, warm, opts)
    }
    .ok_or_else(|| ClvError::FitFailed(format!("{name}: the likelihood is not finite at any starting point")))?;
    let th: Vec<f64> = res.theta.iter().map(|v| v.exp()).collect();
    let params = BgNbdParams { r: th[0], alpha: th[1], a: th[2], b: th[3] };
    let (ll, _) = cache.eval(params.r, params.alpha, params.a, params.b, true);
    let mut report = FitReport {
        converged: res.converged,
        iterations: res.iterations,
        function_evals: res.evals,
        grad_norm: res.grad_norm,
        log_likelihood: ll,
        aic: 8.0 - 2.0 * ll,
        n_customers: p.n_customers,
        n_patterns: cache.n_patterns,
        penalizer: opts.penalizer,
        boundary: None,
        std_errors: None,
        method: res.method.clone(),
        starts_tried: res.starts_tried,
        seconds: 0.0,
    };
    // Boundary: mean dropout probability E[p] = a/(a+b) ~ 0, or b → ∞, or a parameter at the box edge.
    let mean_p = params.a / (params.a + params.b);
    let at_edge = res.theta.iter().any(|t| t.abs() > optimize::LOG_BOUND - 1.0);
    let mut limit = None;
    if mean_p < 1e-4 || params.b > 1e5 || params.a < 1e-5 || at_edge {
        // Refit the nested NBD (no dropout) model; predictions use it.
        let nbd_starts = family_starts(p, false);
        let mut obj = FamilyObjective { cache: &mut cache, penalizer: opts.penalizer, dropout: false };
        if let Some(nb) = optimize::minimize(&mut obj, &nbd_starts, 1, opts.max_iter, opts.gtol) {
            let nbd = NbdParams { r: nb.theta[0].exp(), alpha: nb.theta[1].exp() };
            let (nll, _) = cache.eval(nbd.r, nbd.alpha, 1.0, 1.0, false);
            report.boundary = Some(format!(
                "dropout not identified (a = {:.3e}, b = {:.3e}, E[p] = {:.2e}): the optimum is at the no-dropout \
                 boundary (a → 0 or b → ∞), P(alive) ≈ 1 for everyone; predictions use the nested NBD model \
                 r = {:.6}, α = {:.6} (log-likelihood {:.4} vs {:.4})",
                params.a, params.b, mean_p, nbd.r, nbd.alpha, nll, ll
            ));
            report.converged = nb.converged;
            report.grad_norm = nb.grad_norm;
            report.log_likelihood = ll.max(nll);
            report.aic = 8.0 - 2.0 * report.log_likelihood;
            if opts.std_errors {
                let mut obj = FamilyObjective { cache: &mut cache, penalizer: 0.0, dropout: false };
                report.std_errors = optimize::std_errors(&mut obj, &nb.theta, p.n_customers);
            }
            limit = Some(nbd);
        } else {
            report.boundary = Some("dropout not identified and the NBD refit failed".into());
        }
    } else if opts.std_errors {
        let mut obj = FamilyObjective { cache: &mut cache, penalizer: 0.0, dropout: true };
        report.std_errors = optimize::std_errors(&mut obj, &res.theta, p.n_customers);
    }
    report.seconds = optimize::elapsed(start);
    Ok(FamilyFit { params, limit, report })
}

/// Fits only the NBD (no-dropout) model.
pub(crate) fn fit_nbd(p: &Patterns, opts: &FitOptions) -> Result<NbdParams> {
    let mut cache = FamilyCache::new(p, Variant::Bg);
    let starts = family_starts(p, false);
    let mut obj = FamilyObjective { cache: &mut cache, penalizer: opts.penalizer, dropout: false };
    let nb = optimize::minimize(&mut obj, &starts, 1, opts.max_iter, opts.gtol)
        .ok_or_else(|| ClvError::FitFailed("NBD: likelihood not finite".into()))?;
    Ok(NbdParams { r: nb.theta[0].exp(), alpha: nb.theta[1].exp() })
}

// ---------------------------------------------------------------------------------------------
// Predictions shared by BG/NBD (k = 0) and MBG/NBD (k = 1).

/// u = ln(a/(b+x+k−1)) + (r+x) ln((α+T)/(α+t_x)); P(alive) = 1/(1+eᵘ).
fn drop_logit(p: &BgNbdParams, v: Variant, c: Rft) -> Option<f64> {
    if !v.has_drop_term(c.x) {
        return None;
    }
    let x = c.x as f64;
    let k = v.k();
    Some(p.a.ln() - (p.b + x + k - 1.0).ln() + (p.r + x) * ((p.alpha + c.t).ln() - (p.alpha + c.t_x).ln()))
}

/// P(alive | x, t_x, T) = 1 / (1 + 𝟙 · a/(b+x+k−1) · ((α+T)/(α+t_x))^{r+x}).
/// BG/NBD: Fader, Hardie & Lee (2008) note "Computing P(alive) Using the BG/NBD Model", eq. (12) of the
/// technical appendix as lifetimes' `conditional_probability_alive`; MBG/NBD: Batislam et al. 2007.
pub(crate) fn family_p_alive(p: &BgNbdParams, v: Variant, c: Rft) -> f64 {
    match drop_logit(p, v, c) {
        None => 1.0,
        Some(u) => softplus_sigmoid(-u).1,
    }
}

/// [1 − (1−z)^{a−1} ₂F₁(A, a−1; C; z)] / (a − 1) with the removable singularity at a = 1 handled by
/// interpolation. This is the bracket of FHL 2005 eq. (7) / (10) after Euler's transformation
/// ₂F₁(α,β;γ;z) = (1−z)^{γ−α−β} ₂F₁(γ−α, γ−β; γ; z) (A&S 15.3.3), which keeps the series parameters
/// moderate for large x. `a_plus` = A − a, `c_plus` = C − a (both independent of a).
fn bracket_over_am1(a: f64, a_plus: f64, c_plus: f64, z: f64) -> f64 {
    let f = |aa: f64| {
        let h = hyp2f1(aa + a_plus, aa - 1.0, aa + c_plus, z);
        let v = 1.0 - ((aa - 1.0) * (-z).ln_1p()).exp() * h;
        v / (aa - 1.0)
    };
    avoid_point(a, 1.0, 1e-4, f)
}

/// E[X(t)]: BG/NBD FHL 2005 eq. (7): (a+b−1)/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))];
/// MBG/NBD (Batislam et al. 2007): b/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))].
pub(crate) fn family_expected_purchases(p: &BgNbdParams, v: Variant, t: f64) -> f64 {
    if t == 0.0 {
        return 0.0;
    }
    let z = t / (p.alpha + t);
    let k = v.k();
    let coef = match v {
        Variant::Bg => p.a + p.b - 1.0,
        Variant::Mbg => p.b,
    };
    // A = a + b + k − 1 − r, C = a + b + k − 1
    coef * bracket_over_am1(p.a, p.b + k - 1.0 - p.r, p.b + k - 1.0, z)
}

/// E[Y(t) | x, t_x, T]: BG/NBD FHL 2005 eq. (10):
/// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive);
/// MBG/NBD: (a+b+x)/(a−1) · [1 − (…)^{r+x} ₂F₁(r+x, b+x+1; a+b+x; …)] · P(alive).
pub(crate) fn family_conditional(p: &BgNbdParams, v: Variant, c: Rft, t: f64) -> f64 {
    if t == 0.0 {
        return 0.0;
    }
    let x = c.x as f64;
    let k = v.k();
    let z = t / (p.alpha + c.t + t);
    let coef = p.a + p.b + x + k - 1.0;
    coef * bracket_over_am1(p.a, p.b + k - 1.0 - p.r, p.b + x + k - 1.0, z) * family_p_alive(p, v, c)
}

/// Negative-binomial pmf of the purchase count in t for λ ~ Gamma(r, α):
/// Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n, in logs.
fn ln_nbd_pmf(r: f64, alpha: f64, t: f64, n: u32) -> f64 {
    let nf = n as f64;
    let lq = (t / (alpha + t)).ln();
    ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0) - r * (t / alpha).ln_1p() + if n > 0 { nf * lq } else { 0.0 }
}

/// P(N ≥ n) of that negative binomial, summed on the side that avoids cancellation.
fn nbd_tail(r: f64, alpha: f64, t: f64, n: u32) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let q = t / (alpha + t);
    let mut below = 0.0;
    let mut pmf = ln_nbd_pmf(r, alpha, t, 0).exp();
    for j in 0..n {
        below += pmf;
        pmf *= (r + j as f64) / (j as f64 + 1.0) * q;
    }
    if below < 0.5 {
        return (1.0 - below).max(0.0);
    }
    // Sum the upper tail directly: pmf now holds P(N = n).
    let mut tail = 0.0;
    let mut term = ln_nbd_pmf(r, alpha, t, n).exp();
    let mut j = n as f64;
    for _ in 0..10_000_000 {
        tail += term;
        term *= (r + j) / (j + 1.0) * q;
        j += 1.0;
        if term == 0.0 || (term < 1e-17 * tail && (r + j) / (j + 1.0) * q < 1.0) {
            break;
        }
    }
    tail.min(1.0)
}

/// P(X(t) = n): BG/NBD FHL 2005 eq. (8); MBG/NBD analogue (dropout possible at time 0):
/// B(a, b+n+k)/B(a,b) · NB(n) + 𝟙 · B(a+1, b+n+k−1)/B(a,b) · P(NB ≥ n).
pub(crate) fn family_prob_purchases(p: &BgNbdParams, v: Variant, t: f64, n: u32) -> f64 {
    let k = v.k();
    let nf = n as f64;
    let lb = ln_beta(p.a, p.b);
    let first = (ln_beta(p.a, p.b + nf + k) - lb + ln_nbd_pmf(p.r, p.alpha, t, n)).exp();
    if !v.has_drop_term(n) {
        return first;
    }
    let second = (ln_beta(p.a + 1.0, p.b + nf + k - 1.0) - lb).exp() * nbd_tail(p.r, p.alpha, t, n);
    first + second
}

/// P(no purchase in (T, T+h]) = 1 − P(alive) + P(alive) · ((α+T)/(α+T+h))^{r+x}: an alive customer's
/// rate has posterior Gamma(r+x, α+T) (FHL 2005 eq. (3) given alive) and dropout only follows a
/// purchase, so silence over h while alive is the gamma–Poisson zero count.
pub(crate) fn family_no_purchase(p: &BgNbdParams, v: Variant, c: Rft, h: f64) -> f64 {
    let pa = family_p_alive(p, v, c);
    let silent = gamma_poisson_silence(p.r + c.x as f64, p.alpha + c.t, h);
    1.0 - pa * (1.0 - silent)
}

macro_rules! family_model {
    ($(#[$doc:meta])* $ty:ident, $variant:expr, $label:literal, $pnames:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $ty {
            pub params: BgNbdParams,
            /// Set when the fit hit the no-dropout boundary: predictions use this nested NBD model.
            pub nbd_limit: Option<NbdParams>,
            pub report: FitReport,
        }

        impl $ty {
            /// A model with given parameters (no fit).
            pub fn with_params(params: BgNbdParams) -> Result<Self> {
                params.validate()?;
                Ok($ty { params, nbd_limit: None, report: FitReport::fixed() })
            }
            /// Maximum-likelihood fit on customers' (x, t_x, T).
            pub fn fit(customers: &[Rft], opts: &FitOptions) -> Result<Self> {
                Self::fit_patterns(&Patterns::from_rft(customers)?, opts)
            }
            /// Fit on pre-grouped patterns.
            pub fn fit_patterns(p: &Patterns, opts: &FitOptions) -> Result<Self> {
                let f = fit_family(p, $variant, opts, $label)?;
                Ok($ty { params: f.params, nbd_limit: f.limit, report: f.report })
            }
            /// P(X(t) = n) for a newly acquired customer.
            pub fn prob_purchases(&self, t: f64, n: u32) -> Result<f64> {
                check_horizon(t)?;
                let v = match self.nbd_limit {
                    Some(nb) => ln_nbd_pmf(nb.r, nb.alpha, t, n).exp(),
                    None => family_prob_purchases(&self.params, $variant, t, n),
                };
                finite(v, "P(X(t) = n)")
            }
        }

        impl TransactionModel for $ty {
            fn name(&self) -> &'static str {
                $label
            }
            fn params(&self) -> Vec<(&'static str, f64)> {
                let p = &self.params;
                let n: [&'static str; 4] = $pnames;
                vec![(n[0], p.r), (n[1], p.alpha), (n[2], p.a), (n[3], p.b)]
            }
            fn report(&self) -> &FitReport {
                &self.report
            }
            fn log_likelihood_one(&self, c: Rft) -> Result<f64> {
                c.validate()?;
                let v = match self.nbd_limit {
                    Some(nb) => nb.log_likelihood_one(c),
                    None => {
                        let p = &self.params;
                        let x = c.x as f64;
                        let k = $variant.k();
                        let base = ln_gamma(p.r + x) - ln_gamma(p.r) + p.r * p.alpha.ln()
                            + ln_beta(p.a, p.b + x + k) - ln_beta(p.a, p.b)
                            - (p.r + x) * (p.alpha + c.t).ln();
                        base + drop_logit(p, $variant, c).map_or(0.0, crate::special::softplus)
                    }
                };
                finite(v, "log-likelihood")
            }
            fn p_alive_one(&self, c: Rft) -> Result<f64> {
                c.validate()?;
                if self.nbd_limit.is_some() {
                    return Ok(1.0);
                }
                finite(family_p_alive(&self.params, $variant, c), "P(alive)")
            }
            fn conditional_expected_purchases_one(&self, c: Rft, t: f64) -> Result<f64> {
                c.validate()?;
                check_horizon(t)?;
                let v = match self.nbd_limit {
                    Some(nb) => nb.conditional_expected_purchases(c, t),
                    None => family_conditional(&self.params, $variant, c, t),
                };
                finite(v.max(0.0), "conditional expected purchases")
            }
            fn expected_purchases(&self, t: f64) -> Result<f64> {
                check_horizon(t)?;
                let v = match self.nbd_limit {
                    Some(nb) => nb.expected_purchases(t),
                    None => family_expected_purchases(&self.params, $variant, t),
                };
                finite(v.max(0.0), "expected purchases")
            }
            fn prob_no_purchase_within_one(&self, c: Rft, h: f64) -> Result<f64> {
                c.validate()?;
                check_horizon(h)?;
                let v = match self.nbd_limit {
                    Some(nb) => gamma_poisson_silence(nb.r + c.x as f64, nb.alpha + c.t, h),
                    None => family_no_purchase(&self.params, $variant, c, h),
                };
                finite(v.clamp(0.0, 1.0), "P(no purchase)")
            }
            fn expected_next_purchase_wait_one(&self, c: Rft) -> Result<f64> {
                c.validate()?;
                let (r, alpha) = match self.nbd_limit {
                    Some(nb) => (nb.r, nb.alpha),
                    None => (self.params.r, self.params.alpha),
                };
                finite(gamma_poisson_median_wait(r + c.x as f64, alpha + c.t), "next purchase wait")
            }
        }
    };
}

family_model!(
    /// The BG/NBD model (Fader, Hardie & Lee 2005, *Marketing Science* 24(2)).
    BgNbd,
    Variant::Bg,
    "BG/NBD",
    ["r", "alpha", "a", "b"]
);

family_model!(
    /// The MBG/NBD model (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of
    /// models for customer base analysis", *International Journal of Research in Marketing* 24(3),
    /// 201–209): like BG/NBD, but a customer may also drop out right after the first purchase, so
    /// customers with no repeat purchase are not assumed alive.
    MbgNbd,
    Variant::Mbg,
    "MBG/NBD",
    ["r", "alpha", "a", "b"]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let rft = vec![
            Rft::new(0, 0.0, 30.0),
            Rft::new(2, 10.0, 30.0),
            Rft::new(5, 28.0, 35.0),
            Rft::new(1, 3.0, 12.0),
            Rft::new(0, 0.0, 12.0),
        ];
        let p = Patterns::from_rft(&rft).unwrap();
        for v in [Variant::Bg, Variant::Mbg] {
            let mut c = FamilyCache::new(&p, v);
            let th = [0.4, 3.0, 0.9, 2.2];
            let (_, g) = c.eval(th[0], th[1], th[2], th[3], true);
            for i in 0..4 {
                let h = 1e-6;
                let mut tp = th;
                tp[i] += h;
                let mut tm = th;
                tm[i] -= h;
                let fd = (c.eval(tp[0], tp[1], tp[2], tp[3], true).0 - c.eval(tm[0], tm[1], tm[2], tm[3], true).0) / (2.0 * h);
                assert!((fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()), "{v:?} param {i}: {fd} vs {}", g[i]);
            }
            // Cached total equals the sum of per-customer likelihoods.
            let (ll, _) = c.eval(th[0], th[1], th[2], th[3], true);
            let params = BgNbdParams { r: th[0], alpha: th[1], a: th[2], b: th[3] };
            let m: Box<dyn TransactionModel> = match v {
                Variant::Bg => Box::new(BgNbd::with_params(params).unwrap()),
                Variant::Mbg => Box::new(MbgNbd::with_params(params).unwrap()),
            };
            assert!((m.log_likelihood(&rft).unwrap() - ll).abs() < 1e-10);
        }
    }

    #[test]
    fn a_equal_one_is_not_a_singularity() {
        let mk = |a: f64| BgNbd::with_params(BgNbdParams { r: 0.3, alpha: 4.0, a, b: 2.0 }).unwrap();
        let c = Rft::new(3, 20.0, 30.0);
        let at = mk(1.0).conditional_expected_purchases_one(c, 10.0).unwrap();
        let near = mk(1.0 + 1e-3).conditional_expected_purchases_one(c, 10.0).unwrap();
        assert!((at - near).abs() < 1e-3 * near, "{at} vs {near}");
        let u1 = mk(1.0).expected_purchases(52.0).unwrap();
        let u2 = mk(0.999).expected_purchases(52.0).unwrap();
        assert!((u1 - u2).abs() < 1e-3 * u1, "{u1} vs {u2}");
    }

    #[test]
    fn probabilities_sum_to_one() {
        let p = BgNbdParams { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let bg = BgNbd::with_params(p).unwrap();
        let mbg = MbgNbd::with_params(p).unwrap();
        for t in [1.0, 39.0, 200.0] {
            let s: f64 = (0..5000).map(|n| bg.prob_purchases(t, n).unwrap()).sum();
            assert!((s - 1.0).abs() < 1e-9, "BG t={t}: {s}");
            let s: f64 = (0..5000).map(|n| mbg.prob_purchases(t, n).unwrap()).sum();
            assert!((s - 1.0).abs() < 1e-9, "MBG t={t}: {s}");
            // Mean of the distribution equals E[X(t)].
            let mean: f64 = (0..5000).map(|n| n as f64 * bg.prob_purchases(t, n).unwrap()).sum();
            assert!((mean - bg.expected_purchases(t).unwrap()).abs() < 1e-6, "t={t}");
            let mean: f64 = (0..5000).map(|n| n as f64 * mbg.prob_purchases(t, n).unwrap()).sum();
            assert!((mean - mbg.expected_purchases(t).unwrap()).abs() < 1e-6, "MBG t={t}");
        }
    }
}
