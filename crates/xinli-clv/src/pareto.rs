//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987, "Counting Your Customers: Who Are They and What
//! Will They Do Next?", *Management Science* 33(1), 1–24), with the likelihood and expressions as
//! derived in Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions".
//!
//! While alive purchases are Poisson(λ), λ ~ Gamma(r, α); lifetimes are Exponential(μ), μ ~ Gamma(s, β).

use crate::bgnbd::NbdParams;
use crate::error::{finite, ClvError, Result};
use crate::model::{check_horizon, gamma_poisson_median_wait, gamma_poisson_silence, one_minus_exp_over, TransactionModel};
use crate::optimize::{self, FitOptions, FitReport, NumericGradient};
use crate::special::{hyp2f1, integrate, ln_gamma, log_add_exp, log_sub_exp, softplus_sigmoid};
use crate::summary::{Patterns, Rft};
use std::time::Instant;

/// Pareto/NBD parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParetoNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
}

impl ParetoNbdParams {
    pub fn validate(&self) -> Result<()> {
        for (n, v) in [("r", self.r), ("alpha", self.alpha), ("s", self.s), ("beta", self.beta)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(ClvError::InvalidInput(format!("{n} must be finite and > 0, got {v}")));
            }
        }
        Ok(())
    }

    /// The two log-terms of the likelihood: (ln of the "alive at T" part, ln of the "died in (t_x, T]"
    /// part), both without the common factor Γ(r+x) α^r β^s / Γ(r). Fader & Hardie (2005) note:
    ///
    /// L = Γ(r+x) α^r β^s / Γ(r) · { 1/((α+T)^{r+x} (β+T)^s) + s/(r+s+x) · A₀ },
    ///
    /// with, for α ≥ β, A₀ = F(t_x) − F(T), F(t) = ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+t)) / (α+t)^{r+s+x},
    /// and for α < β the same with α ↔ β and second parameter r+x. The ₂F₁ are evaluated after Euler's
    /// transformation (A&S 15.3.3), which turns them into ₂F₁(1, ·; r+s+x+1; z) with bounded values:
    ///   α ≥ β: ln F(t) = −s ln(β+t) − (r+x) ln(α+t) + ln ₂F₁(1, r+x; r+s+x+1; (α−β)/(α+t))
    ///   α < β: ln F(t) = (1−r−x) ln(α+t) − (s+1) ln(β+t) + ln ₂F₁(1, s+1; r+s+x+1; (β−α)/(β+t)).
    fn log_terms(&self, c: Rft) -> (f64, f64) {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let x = c.x as f64;
        let rx = r + x;
        let rsx = rx + s;
        let alive = -rx * (alpha + c.t).ln() - s * (beta + c.t).ln();
        if c.t_x >= c.t {
            return (alive, f64::NEG_INFINITY);
        }
        let ln_f = |t: f64| -> f64 {
            if alpha >= beta {
                let z = (alpha - beta) / (alpha + t);
                -s * (beta + t).ln() - rx * (alpha + t).ln() + hyp2f1(1.0, rx, rsx + 1.0, z).ln()
            } else {
                let z = (beta - alpha) / (beta + t);
                (1.0 - rx) * (alpha + t).ln() - (s + 1.0) * (beta + t).ln() + hyp2f1(1.0, s + 1.0, rsx + 1.0, z).ln()
            }
        };
        let a0 = log_sub_exp(ln_f(c.t_x), ln_f(c.t));
        (alive, (s / rsx).ln() + a0)
    }

    fn ln_common(&self, x: f64) -> f64 {
        ln_gamma(self.r + x) - ln_gamma(self.r) + self.r * self.alpha.ln() + self.s * self.beta.ln()
    }

    /// Per-customer log-likelihood.
    pub fn log_likelihood_one(&self, c: Rft) -> f64 {
        let (l1, l2) = self.log_terms(c);
        self.ln_common(c.x as f64) + log_add_exp(l1, l2)
    }

    /// P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) (α+T)^{r+x} (β+T)^s A₀) (Fader & Hardie 2005 note;
    /// Schmittlein et al. 1987).
    pub fn p_alive(&self, c: Rft) -> f64 {
        let (l1, l2) = self.log_terms(c);
        softplus_sigmoid(l1 - l2).1
    }
}

/// Fitted (or parameterised) Pareto/NBD model.
#[derive(Clone, Debug, PartialEq)]
pub struct ParetoNbd {
    pub params: ParetoNbdParams,
    /// Set when the fit hit the no-dropout boundary (s → 0 or β → ∞): predictions use this NBD model.
    pub nbd_limit: Option<NbdParams>,
    pub report: FitReport,
}

fn total_ll(p: &Patterns, params: &ParetoNbdParams) -> f64 {
    // x-only term aggregated by x
    let mut ll = 0.0;
    let mut last_x = u32::MAX;
    let mut common = 0.0;
    for i in 0..p.len() {
        let x = p.x[i];
        if x != last_x {
            common = params.ln_common(x as f64);
            last_x = x;
        }
        let (l1, l2) = params.log_terms(Rft { x, t_x: p.t_x[i], t: p.t[i] });
        ll += p.weight[i] * (common + log_add_exp(l1, l2));
    }
    ll
}

impl ParetoNbd {
    pub fn with_params(params: ParetoNbdParams) -> Result<Self> {
        params.validate()?;
        Ok(ParetoNbd { params, nbd_limit: None, report: FitReport::fixed() })
    }

    pub fn fit(customers: &[Rft], opts: &FitOptions) -> Result<Self> {
        Self::fit_patterns(&Patterns::from_rft(customers)?, opts)
    }

    /// Maximum likelihood in log-parameters: BFGS with central-difference gradients (the ₂F₁ terms make
    /// analytic gradients unwieldy), grid-screened starts, Nelder–Mead fallback.
    pub fn fit_patterns(p: &Patterns, opts: &FitOptions) -> Result<Self> {
        let start = Instant::now();
        let (xbar, tbar, _) = p.means();
        if xbar == 0.0 {
            return Err(ClvError::NoRepeatCustomers("Pareto/NBD needs at least one repeat purchase".into()));
        }
        // Sort patterns by x so the x-only term is computed once per distinct x.
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by_key(|&i| p.x[i]);
        let sorted = Patterns {
            x: order.iter().map(|&i| p.x[i]).collect(),
            t_x: order.iter().map(|&i| p.t_x[i]).collect(),
            t: order.iter().map(|&i| p.t[i]).collect(),
            weight: order.iter().map(|&i| p.weight[i]).collect(),
            times: Vec::new(),
            tx_idx: Vec::new(),
            t_idx: Vec::new(),
            n_customers: p.n_customers,
        };
        let n = p.n_customers;
        let pen = opts.penalizer;
        let f = |th: &[f64]| -> f64 {
            let q: Vec<f64> = th.iter().map(|v| v.exp()).collect();
            let params = ParetoNbdParams { r: q[0], alpha: q[1], s: q[2], beta: q[3] };
            let v = -total_ll(&sorted, &params) / n + pen * q.iter().map(|v| v * v).sum::<f64>();
            if v.is_finite() {
                v
            } else {
                f64::INFINITY
            }
        };
        let mut obj = NumericGradient { f, dim: 4, step: 1e-6 };
        let rate = (xbar / tbar.max(1e-9)).max(1e-6);
        let mut starts = Vec::new();
        for r in [0.5, 1.0] {
            for scale in [1.0, 0.5] {
                for (s, bscale) in [(0.5, 1.0), (1.0, 0.3), (2.0, 2.0)] {
                    let th = [r, r / rate * scale, s, s * tbar.max(1e-6) * bscale];
                    starts.push(th.iter().map(|v: &f64| v.ln()).collect());
                }
            }
        }
        if let Some(init) = &opts.initial {
            if init.len() == 4 && init.iter().all(|v| *v > 0.0 && v.is_finite()) {
                starts.insert(0, init.iter().map(|v| v.ln()).collect());
            }
        }
        // Numerical gradients are accurate to ~1e-9: do not ask for more.
        let gtol = opts.gtol.max(1e-7);
        let res = optimize::minimize(&mut obj, &starts, opts.starts.max(1), opts.max_iter, gtol)
            .ok_or_else(|| ClvError::FitFailed("Pareto/NBD: the likelihood is not finite at any starting point".into()))?;
        let q: Vec<f64> = res.theta.iter().map(|v| v.exp()).collect();
        let params = ParetoNbdParams { r: q[0], alpha: q[1], s: q[2], beta: q[3] };
        let ll = total_ll(&sorted, &params);
        let mut report = FitReport {
            converged: res.converged,
            iterations: res.iterations,
            function_evals: res.evals,
            grad_norm: res.grad_norm,
            log_likelihood: ll,
            aic: 8.0 - 2.0 * ll,
            n_customers: n,
            n_patterns: p.len(),
            penalizer: pen,
            boundary: None,
            std_errors: None,
            method: res.method.clone(),
            starts_tried: res.starts_tried,
            seconds: 0.0,
        };
        // Boundary: no dropout over the observed span (E[μ]·max T tiny, s → 0, or β at the box edge).
        let mean_mu = params.s / params.beta;
        let at_edge = res.theta.iter().any(|t| t.abs() > optimize::LOG_BOUND - 1.0);
        let mut nbd_limit = None;
        if mean_mu * p.max_t() < 1e-4 || params.s < 1e-4 || at_edge {
            let nbd = crate::bgnbd::BgNbd::fit_patterns(p, &FitOptions { std_errors: false, ..opts.clone() });
            // The BG/NBD fit on the same data also hits its boundary and carries the NBD refit.
            let limit = match nbd {
                Ok(m) => m.nbd_limit.or_else(|| fit_nbd_only(p, opts)),
                Err(_) => fit_nbd_only(p, opts),
            };
            if let Some(l) = limit {
                let nll: f64 = (0..p.len())
                    .map(|i| p.weight[i] * l.log_likelihood_one(Rft { x: p.x[i], t_x: p.t_x[i], t: p.t[i] }))
                    .sum();
                report.boundary = Some(format!(
                    "dropout not identified (s = {:.3e}, β = {:.3e}, E[μ] = {:.2e}): the optimum is at the no-dropout \
                     boundary (s → 0 or β → ∞); predictions use the nested NBD model r = {:.6}, α = {:.6} \
                     (log-likelihood {:.4} vs {:.4})",
                    params.s, params.beta, mean_mu, l.r, l.alpha, nll, ll
                ));
                report.log_likelihood = ll.max(nll);
                report.aic = 8.0 - 2.0 * report.log_likelihood;
                nbd_limit = Some(l);
            }
        } else if opts.std_errors {
            let mut obj0 = NumericGradient {
                f: |th: &[f64]| {
                    let q: Vec<f64> = th.iter().map(|v| v.exp()).collect();
                    -total_ll(&sorted, &ParetoNbdParams { r: q[0], alpha: q[1], s: q[2], beta: q[3] }) / n
                },
                dim: 4,
                step: 1e-5,
            };
            report.std_errors = optimize::std_errors(&mut obj0, &res.theta, n);
        }
        report.seconds = optimize::elapsed(start);
        Ok(ParetoNbd { params, nbd_limit, report })
    }
}

/// NBD-only fit via the BG/NBD machinery (used when Pareto/NBD is on its boundary but BG/NBD is not).
fn fit_nbd_only(p: &Patterns, opts: &FitOptions) -> Option<NbdParams> {
    crate::bgnbd::fit_nbd(p, opts).ok()
}

impl TransactionModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "Pareto/NBD"
    }
    fn params(&self) -> Vec<(&'static str, f64)> {
        let p = &self.params;
        vec![("r", p.r), ("alpha", p.alpha), ("s", p.s), ("beta", p.beta)]
    }
    fn report(&self) -> &FitReport {
        &self.report
    }
    fn log_likelihood_one(&self, c: Rft) -> Result<f64> {
        c.validate()?;
        let v = match self.nbd_limit {
            Some(nb) => nb.log_likelihood_one(c),
            None => self.params.log_likelihood_one(c),
        };
        finite(v, "log-likelihood")
    }
    fn p_alive_one(&self, c: Rft) -> Result<f64> {
        c.validate()?;
        if self.nbd_limit.is_some() {
            return Ok(1.0);
        }
        finite(self.params.p_alive(c), "P(alive)")
    }
    /// E[Y(t) | x, t_x, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^{s−1}] · P(alive)
    /// (Schmittlein et al. 1987; Fader & Hardie 2005 note), written with
    /// (1 − e^{−(s−1)L})/(s−1), L = ln(1 + t/(β+T)), which is smooth through s = 1.
    fn conditional_expected_purchases_one(&self, c: Rft, t: f64) -> Result<f64> {
        c.validate()?;
        check_horizon(t)?;
        if let Some(nb) = self.nbd_limit {
            return finite(nb.conditional_expected_purchases(c, t), "conditional expected purchases");
        }
        let p = &self.params;
        let rx = p.r + c.x as f64;
        let l = (t / (p.beta + c.t)).ln_1p();
        let v = rx / (p.alpha + c.t) * (p.beta + c.t) * one_minus_exp_over(p.s - 1.0, l) * p.p_alive(c);
        finite(v.max(0.0), "conditional expected purchases")
    }
    /// E[X(t)] = r β / (α (s−1)) · [1 − (β/(β+t))^{s−1}] (Schmittlein et al. 1987).
    fn expected_purchases(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        if let Some(nb) = self.nbd_limit {
            return finite(nb.expected_purchases(t), "expected purchases");
        }
        let p = &self.params;
        let v = p.r / p.alpha * p.beta * one_minus_exp_over(p.s - 1.0, (t / p.beta).ln_1p());
        finite(v.max(0.0), "expected purchases")
    }
    /// P(no purchase in (T, T+h] | x, t_x, T) = 1 − P(alive) + P(alive) · Q(h), where, given alive at T,
    /// λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T) independently (the posterior of the individual likelihood
    /// λˣ e^{−(λ+μ)T}), and with the remaining lifetime τ ~ Exp(μ):
    /// Q(h) = E[e^{−(λ+μ)h}] + ∫₀ʰ E[μ e^{−μτ}] E[e^{−λτ}] dτ
    ///      = A(h)^{r+x} B(h)^s + ∫₀ʰ s/(β+T+τ) · B(τ)^s A(τ)^{r+x} dτ,
    /// A(τ) = (α+T)/(α+T+τ), B(τ) = (β+T)/(β+T+τ) (derived here). The integral is computed by
    /// 32-point Gauss–Legendre on 4 panels after the substitution v = ln(1 + τ/(β+T)), which turns it into
    /// ∫₀^{ln(1+h/(β+T))} s e^{−s v} A(τ(v))^{r+x} dv, a smooth bounded integrand.
    fn prob_no_purchase_within_one(&self, c: Rft, h: f64) -> Result<f64> {
        c.validate()?;
        check_horizon(h)?;
        let rx0 = c.x as f64;
        if let Some(nb) = self.nbd_limit {
            return finite(gamma_poisson_silence(nb.r + rx0, nb.alpha + c.t, h), "P(no purchase)");
        }
        let p = &self.params;
        let rx = p.r + rx0;
        let (at, bt) = (p.alpha + c.t, p.beta + c.t);
        let tail = gamma_poisson_silence(rx, at, h) * gamma_poisson_silence(p.s, bt, h);
        let vmax = (h / bt).ln_1p();
        let died_first = if vmax > 0.0 {
            integrate(
                |v| {
                    let tau = bt * v.exp_m1();
                    p.s * (-p.s * v).exp() * gamma_poisson_silence(rx, at, tau)
                },
                0.0,
                vmax,
                4,
            )
        } else {
            0.0
        };
        let q = (tail + died_first).clamp(0.0, 1.0);
        let pa = p.p_alive(c);
        finite((1.0 - pa * (1.0 - q)).clamp(0.0, 1.0), "P(no purchase)")
    }
    /// Median wait to the next purchase given the customer is alive and stays alive:
    /// (α+T)(2^{1/(r+x)} − 1) for the posterior λ ~ Gamma(r+x, α+T).
    fn expected_next_purchase_wait_one(&self, c: Rft) -> Result<f64> {
        c.validate()?;
        let (r, alpha) = match self.nbd_limit {
            Some(nb) => (nb.r, nb.alpha),
            None => (self.params.r, self.params.alpha),
        };
        finite(gamma_poisson_median_wait(r + c.x as f64, alpha + c.t), "next purchase wait")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn likelihood_branches_agree_across_alpha_equals_beta() {
        let c = Rft::new(3, 12.0, 30.0);
        let at = |alpha: f64| ParetoNbdParams { r: 0.55, alpha, s: 0.6, beta: 11.0 }.log_likelihood_one(c);
        let (lo, mid, hi) = (at(11.0 - 1e-7), at(11.0), at(11.0 + 1e-7));
        assert!((lo - mid).abs() < 1e-6 && (hi - mid).abs() < 1e-6, "{lo} {mid} {hi}");
    }

    #[test]
    fn no_purchase_probability_is_consistent() {
        let m = ParetoNbd::with_params(ParetoNbdParams { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 }).unwrap();
        let c = Rft::new(2, 30.43, 38.86);
        let p0 = m.prob_no_purchase_within_one(c, 0.0).unwrap();
        assert!((p0 - 1.0).abs() < 1e-12);
        let mut last = 1.0;
        for h in [1.0, 5.0, 20.0, 100.0, 1000.0] {
            let v = m.prob_no_purchase_within_one(c, h).unwrap();
            assert!(v <= last + 1e-12 && v > 0.0, "h={h}: {v}");
            last = v;
        }
        // Huge h: only customers who died before buying again stay silent; bounded below by 1 − P(alive).
        let pa = m.p_alive_one(c).unwrap();
        assert!(last >= 1.0 - pa - 1e-9);
        // Monte-Carlo-free check of Q(h) for x=0 customers against a fine trapezoid rule.
        let p = m.params;
        let (at, bt, rx) = (p.alpha + 10.0, p.beta + 10.0, p.r);
        let h: f64 = 25.0;
        let n = 200_000;
        let mut trap = 0.0;
        for i in 0..=n {
            let tau = h * i as f64 / n as f64;
            let f = p.s / (bt + tau) * (bt / (bt + tau)).powf(p.s) * (at / (at + tau)).powf(rx);
            trap += if i == 0 || i == n { 0.5 * f } else { f };
        }
        trap *= h / n as f64;
        let q = (at / (at + h)).powf(rx) * (bt / (bt + h)).powf(p.s) + trap;
        let c0 = Rft::new(0, 0.0, 10.0);
        let pa0 = m.p_alive_one(c0).unwrap();
        let want = 1.0 - pa0 * (1.0 - q);
        let got = m.prob_no_purchase_within_one(c0, h).unwrap();
        assert!((got - want).abs() < 1e-8, "{got} vs {want}");
    }
}
