//! The optimiser: BFGS in log-parameter space with an Armijo backtracking line search (cubic /
//! quadratic interpolation), several starting points screened by objective value, a Nelder–Mead
//! fallback, and an honest convergence report. Standard errors from the observed information
//! (finite differences of the gradient at the optimum, delta method to the natural scale).

use std::time::Instant;

/// How to fit.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// L2 penalty added to the mean negative log-likelihood: `penalizer × Σ params²`
    /// (lifetimes' `penalizer_coef`). 0 = plain maximum likelihood.
    pub penalizer: f64,
    /// BFGS iteration limit per start.
    pub max_iter: usize,
    /// Convergence: max |∂f/∂ln θ| of the mean negative log-likelihood below this.
    pub gtol: f64,
    /// How many of the best-screened starts to run to convergence (more = more robust, slower).
    pub starts: usize,
    /// Extra user starting points (natural parameters), screened with the built-in ones.
    pub initial: Option<Vec<f64>>,
    /// Compute standard errors (costs 2 × dim extra gradient evaluations).
    pub std_errors: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { penalizer: 0.0, max_iter: 500, gtol: 1e-9, starts: 1, initial: None, std_errors: true }
    }
}

/// What the fitter did, and how sure it is.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// The gradient criterion was met (or the optimum is on a reported boundary and the model fell back).
    pub converged: bool,
    pub iterations: usize,
    pub function_evals: usize,
    /// Max |gradient| of the mean objective w.r.t. log-parameters at the end.
    pub grad_norm: f64,
    /// Total log-likelihood (without the penalty) at the returned parameters.
    pub log_likelihood: f64,
    /// Akaike information criterion 2k − 2 LL.
    pub aic: f64,
    pub n_customers: f64,
    pub n_patterns: usize,
    pub penalizer: f64,
    /// Set when the optimum is at the edge of the parameter space (and what the model did about it).
    pub boundary: Option<String>,
    /// Asymptotic standard errors of the parameters (same order as `params()`), when the observed
    /// information is positive definite.
    pub std_errors: Option<Vec<f64>>,
    /// Which method produced the result (e.g. "bfgs", "bfgs+nelder-mead", "fixed").
    pub method: String,
    pub starts_tried: usize,
    pub seconds: f64,
}

impl FitReport {
    /// Report for a model whose parameters were given, not fitted.
    pub fn fixed() -> Self {
        FitReport {
            converged: true,
            iterations: 0,
            function_evals: 0,
            grad_norm: 0.0,
            log_likelihood: f64::NAN,
            aic: f64::NAN,
            n_customers: 0.0,
            n_patterns: 0,
            penalizer: 0.0,
            boundary: None,
            std_errors: None,
            method: "fixed".into(),
            starts_tried: 0,
            seconds: 0.0,
        }
    }
}

/// An objective in log-parameter space: returns f(θ) and writes ∇f(θ). Must return +∞ (not NaN)
/// where undefined.
pub(crate) trait Objective {
    fn dim(&self) -> usize;
    fn eval(&mut self, theta: &[f64], grad: &mut [f64]) -> f64;
    fn value(&mut self, theta: &[f64]) -> f64 {
        let mut g = vec![0.0; self.dim()];
        self.eval(theta, &mut g)
    }
    /// Called by BFGS after every accepted step: `true` ends the run as converged (e.g. the iterate is
    /// on a boundary the caller detects and handles itself, where the optimiser would only drift along a
    /// flat direction).
    fn stop_early(&mut self, _theta: &[f64], _f: f64) -> bool {
        false
    }
}

/// Turns a value-only function into an objective with central-difference gradients.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct NumericGradient<F: FnMut(&[f64]) -> f64> {
    pub f: F,
    pub dim: usize,
    pub step: f64,
}

impl<F: FnMut(&[f64]) -> f64> Objective for NumericGradient<F> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval(&mut self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let f0 = (self.f)(theta);
        if !f0.is_finite() {
            grad.iter_mut().for_each(|g| *g = 0.0);
            return f64::INFINITY;
        }
        let mut x = theta.to_vec();
        for i in 0..self.dim {
            let h = self.step * (1.0 + theta[i].abs());
            x[i] = theta[i] + h;
            let fp = (self.f)(&x);
            x[i] = theta[i] - h;
            let fm = (self.f)(&x);
            x[i] = theta[i];
            grad[i] = if fp.is_finite() && fm.is_finite() {
                (fp - fm) / (2.0 * h)
            } else if fp.is_finite() {
                (fp - f0) / h
            } else if fm.is_finite() {
                (f0 - fm) / h
            } else {
                0.0
            };
        }
        f0
    }
    fn value(&mut self, theta: &[f64]) -> f64 {
        (self.f)(theta)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct OptResult {
    pub theta: Vec<f64>,
    pub f: f64,
    pub grad_norm: f64,
    pub iterations: usize,
    pub evals: usize,
    pub converged: bool,
    pub method: String,
    pub starts_tried: usize,
    /// Final inverse-Hessian approximation (row-major), to warm-start a related problem.
    pub hinv: Vec<f64>,
}

fn inf_norm(g: &[f64]) -> f64 {
    g.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Box in log space: parameters outside e^±LOG_BOUND are treated as undefined (+∞).
pub(crate) const LOG_BOUND: f64 = 18.0;

fn in_box(theta: &[f64]) -> bool {
    theta.iter().all(|t| t.is_finite() && t.abs() <= LOG_BOUND)
}

fn eval_boxed(obj: &mut dyn Objective, theta: &[f64], g: &mut [f64], evals: &mut usize) -> f64 {
    *evals += 1;
    if !in_box(theta) {
        return f64::INFINITY;
    }
    let f = obj.eval(theta, g);
    if f.is_finite() && g.iter().all(|v| v.is_finite()) {
        f
    } else {
        f64::INFINITY
    }
}

/// BFGS with Armijo backtracking. Inverse-Hessian update skipped when the curvature condition fails.
pub(crate) fn bfgs(obj: &mut dyn Objective, x0: &[f64], max_iter: usize, gtol: f64) -> OptResult {
    bfgs_warm(obj, x0, None, max_iter, gtol)
}

/// BFGS from `x0`, optionally with an initial inverse Hessian (e.g. from a fit on a subsample).
pub(crate) fn bfgs_warm(obj: &mut dyn Objective, x0: &[f64], h0: Option<&[f64]>, max_iter: usize, gtol: f64) -> OptResult {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut evals = 0;
    let mut f = eval_boxed(obj, &x, &mut g, &mut evals);
    let result = |x: Vec<f64>, f: f64, g: &[f64], it: usize, evals: usize, ok: bool, h: &[f64]| OptResult {
        hinv: h.to_vec(),
        theta: x,
        f,
        grad_norm: inf_norm(g),
        iterations: it,
        evals,
        converged: ok,
        method: "bfgs".into(),
        starts_tried: 1,
    };
    let mut h = vec![0.0; n * n]; // inverse Hessian approximation
    for i in 0..n {
        h[i * n + i] = 1.0;
    }
    if !f.is_finite() {
        return result(x, f, &g, 0, evals, false, &h);
    }
    let mut first = true;
    if let Some(h0) = h0 {
        if h0.len() == n * n && h0.iter().all(|v| v.is_finite()) {
            h.copy_from_slice(h0);
            first = false;
        }
    }
    let mut stalls = 0;
    let mut just_reset = false;
    let mut last_scale = 1.0;
    let mut xn = vec![0.0; n];
    let mut gn = vec![0.0; n];
    let mut d = vec![0.0; n];
    for it in 0..max_iter {
        let gnorm = inf_norm(&g);
        if gnorm < gtol {
            return result(x, f, &g, it, evals, true, &h);
        }
        for i in 0..n {
            d[i] = -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>();
        }
        let mut slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        if !(slope < 0.0) {
            // Not a descent direction: reset to steepest descent.
            h.iter_mut().for_each(|v| *v = 0.0);
            for i in 0..n {
                h[i * n + i] = 1.0;
                d[i] = -g[i];
            }
            slope = -g.iter().map(|v| v * v).sum::<f64>();
        }
        // First step: scale so the step moves θ by at most 1 (log-space).
        let mut step = if first { (1.0 / inf_norm(&d)).min(1.0) } else { 1.0 };
        let dmax = inf_norm(&d);
        if step * dmax > 5.0 {
            step = 5.0 / dmax;
        }
        let mut accepted = false;
        let mut fnew = f64::INFINITY;
        for _ in 0..60 {
            for i in 0..n {
                xn[i] = x[i] + step * d[i];
            }
            fnew = eval_boxed(obj, &xn, &mut gn, &mut evals);
            if fnew.is_finite() && fnew <= f + 1e-4 * step * slope {
                accepted = true;
                break;
            }
            // Below the rounding level of f: no further decrease is measurable.
            if (step * slope).abs() < 1e-15 * f.abs().max(1e-300) {
                if fnew.is_finite() && fnew <= f {
                    accepted = true;
                }
                break;
            }
            // Quadratic interpolation of the step, safeguarded to [0.1, 0.5] of the current one.
            let next = if fnew.is_finite() {
                let q = -slope * step * step / (2.0 * (fnew - f - slope * step));
                q.clamp(0.1 * step, 0.5 * step)
            } else {
                0.25 * step
            };
            step = next;
        }
        if std::env::var_os("XINLI_CLV_TRACE").is_some() {
            eprintln!("it {it} f {f:.15} |g| {gnorm:.3e} step {step:.3e} accepted {accepted} evals {evals} x {x:?}");
        }
        if !accepted && !just_reset {
            // The quasi-Newton direction failed: restart from a scaled identity once before giving up.
            h.iter_mut().for_each(|v| *v = 0.0);
            for i in 0..n {
                h[i * n + i] = last_scale;
            }
            just_reset = true;
            continue;
        }
        if !accepted {
            // No decrease possible along d: we are at the optimum up to rounding, or stuck.
            let ok = gnorm < gtol * 1e3;
            return result(x, f, &g, it, evals, ok, &h);
        }
        let s: Vec<f64> = (0..n).map(|i| xn[i] - x[i]).collect();
        let y: Vec<f64> = (0..n).map(|i| gn[i] - g[i]).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        just_reset = false;
        if sy > 0.0 {
            let yy: f64 = y.iter().map(|v| v * v).sum();
            if yy > 0.0 {
                last_scale = sy / yy;
            }
        }
        if first && sy > 0.0 {
            let yy: f64 = y.iter().map(|v| v * v).sum();
            let scale = sy / yy;
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] = if i == j { scale } else { 0.0 };
                }
            }
        }
        first = false;
        if sy > 1e-300 {
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n).map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum()).collect();
            let yhy: f64 = y.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
        let df = f - fnew;
        x.copy_from_slice(&xn);
        g.copy_from_slice(&gn);
        f = fnew;
        if obj.stop_early(&x, f) {
            let mut r = result(x, f, &g, it + 1, evals, true, &h);
            r.method = "bfgs (stopped on the boundary)".into();
            return r;
        }
        if df <= 1e-16 * f.abs().max(1.0) {
            stalls += 1;
            if stalls >= 4 {
                let ok = inf_norm(&g) < gtol * 1e3;
                return result(x, f, &g, it + 1, evals, ok, &h);
            }
        } else {
            stalls = 0;
        }
    }
    let ok = inf_norm(&g) < gtol;
    result(x, f, &g, max_iter, evals, ok, &h)
}

/// Nelder–Mead simplex (standard coefficients 1, 2, ½, ½).
pub(crate) fn nelder_mead(obj: &mut dyn Objective, x0: &[f64], max_evals: usize) -> (Vec<f64>, f64, usize) {
    let n = x0.len();
    let mut evals = 0;
    let mut fval = |x: &[f64], evals: &mut usize| -> f64 {
        *evals += 1;
        if !in_box(x) {
            return f64::INFINITY;
        }
        let v = obj.value(x);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut simplex: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += 0.5;
        simplex.push(p);
    }
    let mut values: Vec<f64> = simplex.iter().map(|p| fval(p, &mut evals)).collect();
    while evals < max_evals {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();
        if (values[n] - values[0]).abs() <= 1e-13 * values[0].abs().max(1e-10) {
            break;
        }
        let centroid: Vec<f64> = (0..n).map(|j| simplex[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64).collect();
        let along = |t: f64| -> Vec<f64> { (0..n).map(|j| centroid[j] + t * (simplex[n][j] - centroid[j])).collect() };
        let xr = along(-1.0);
        let fr = fval(&xr, &mut evals);
        if fr < values[0] {
            let xe = along(-2.0);
            let fe = fval(&xe, &mut evals);
            if fe < fr {
                simplex[n] = xe;
                values[n] = fe;
            } else {
                simplex[n] = xr;
                values[n] = fr;
            }
        } else if fr < values[n - 1] {
            simplex[n] = xr;
            values[n] = fr;
        } else {
            let (xc, fc) = if fr < values[n] {
                let xc = along(-0.5);
                let fc = fval(&xc, &mut evals);
                (xc, fc)
            } else {
                let xc = along(0.5);
                let fc = fval(&xc, &mut evals);
                (xc, fc)
            };
            if fc < values[n].min(fr) {
                simplex[n] = xc;
                values[n] = fc;
            } else {
                for i in 1..=n {
                    for j in 0..n {
                        simplex[i][j] = simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]);
                    }
                    values[i] = fval(&simplex[i].clone(), &mut evals);
                }
            }
        }
    }
    let best = (0..=n).min_by(|&a, &b| values[a].total_cmp(&values[b])).unwrap_or(0);
    (simplex[best].clone(), values[best], evals)
}

/// Screens `starts` by objective value, runs BFGS from the best `runs` of them (more if a run fails),
/// with a Nelder–Mead restart when BFGS does not converge. Returns the best result.
pub(crate) fn minimize(obj: &mut dyn Objective, starts: &[Vec<f64>], runs: usize, max_iter: usize, gtol: f64) -> Option<OptResult> {
    let mut screened: Vec<(f64, &Vec<f64>)> = starts
        .iter()
        .map(|s| {
            let v = if in_box(s) { obj.value(s) } else { f64::INFINITY };
            (if v.is_finite() { v } else { f64::INFINITY }, s)
        })
        .collect();
    screened.sort_by(|a, b| a.0.total_cmp(&b.0));
    let screen_evals = screened.len();
    let mut best: Option<OptResult> = None;
    let mut tried = 0;
    let mut total_evals = screen_evals;
    for (i, (v, start)) in screened.iter().enumerate() {
        if !v.is_finite() {
            break;
        }
        let good_enough = best.as_ref().is_some_and(|b| b.converged);
        if i >= runs && good_enough {
            break;
        }
        if i >= runs.max(4) {
            break;
        }
        tried += 1;
        let mut r = bfgs(obj, start, max_iter, gtol);
        total_evals += r.evals;
        if !r.converged {
            let (x, _, e) = nelder_mead(obj, &r.theta, 3000);
            total_evals += e;
            let r2 = bfgs(obj, &x, max_iter, gtol);
            total_evals += r2.evals;
            if r2.f <= r.f || r2.converged {
                r = OptResult { iterations: r.iterations + r2.iterations, method: "bfgs+nelder-mead".into(), ..r2 };
            }
        }
        let better = match &best {
            None => true,
            Some(b) => r.f < b.f - 1e-12 * b.f.abs() || (r.converged && !b.converged && r.f <= b.f + 1e-9 * b.f.abs()),
        };
        if better {
            best = Some(r);
        }
    }
    best.map(|mut b| {
        b.evals = total_evals;
        b.starts_tried = tried;
        b
    })
}

/// For an input of `n` patterns (or groups): above 80,000, the step k of the Horvitz–Thompson
/// subsample (every k-th, weight × k; about 40,000 left) the fit is warm-started from; else None.
pub(crate) fn warm_start_step(n: usize) -> Option<usize> {
    (n > 80_000).then(|| n / 40_000)
}

/// The optimum on a subsample that the fit on all data starts from.
pub(crate) struct WarmStart {
    pub fit: OptResult,
    /// The subsample's size and what it counts ("pattern", "group"), for the method report.
    pub size: usize,
    pub unit: &'static str,
}

/// The fit on a subsample: [`minimize`] with the gradient tolerance no tighter than 1e-7; None unless
/// its optimum is finite.
pub(crate) fn minimize_subsample(obj: &mut dyn Objective, starts: &[Vec<f64>], opts: &FitOptions) -> Option<OptResult> {
    minimize(obj, starts, opts.starts.max(1), opts.max_iter, opts.gtol.max(1e-7)).filter(|r| r.f.is_finite())
}

/// The fit on all data. With a warm start: BFGS from the subsample optimum with its inverse-Hessian
/// approximation; if that does not converge, [`minimize`] from where it ended and from `starts`.
/// Without one: [`minimize`] from `starts`.
pub(crate) fn minimize_warm(obj: &mut dyn Objective, starts: &[Vec<f64>], warm: Option<WarmStart>, opts: &FitOptions) -> Option<OptResult> {
    let runs = opts.starts.max(1);
    let Some(w) = warm else {
        return minimize(obj, starts, runs, opts.max_iter, opts.gtol);
    };
    let r = bfgs_warm(obj, &w.fit.theta, Some(&w.fit.hinv), opts.max_iter, opts.gtol);
    if r.converged {
        return Some(OptResult {
            method: format!("{} (warm start from a {}-{} subsample: {} iterations)", r.method, w.size, w.unit, w.fit.iterations),
            ..r
        });
    }
    let mut all = vec![r.theta];
    all.extend(starts.iter().cloned());
    minimize(obj, &all, runs, opts.max_iter, opts.gtol)
}

/// Standard errors of the natural parameters θ = exp(φ) from the Hessian of the *total* negative
/// log-likelihood in φ, by central differences of the analytic/numeric gradient. `mean_obj` is the
/// mean objective (no penalty); `n` the number of customers.
pub(crate) fn std_errors(obj: &mut dyn Objective, phi: &[f64], n: f64) -> Option<Vec<f64>> {
    let d = phi.len();
    let mut hess = vec![0.0; d * d];
    let mut gp = vec![0.0; d];
    let mut gm = vec![0.0; d];
    let mut x = phi.to_vec();
    for j in 0..d {
        let h = 1e-4;
        x[j] = phi[j] + h;
        let fp = obj.eval(&x, &mut gp);
        x[j] = phi[j] - h;
        let fm = obj.eval(&x, &mut gm);
        x[j] = phi[j];
        if !(fp.is_finite() && fm.is_finite()) {
            return None;
        }
        for i in 0..d {
            hess[i * d + j] = n * (gp[i] - gm[i]) / (2.0 * h);
        }
    }
    // Symmetrise and invert with Cholesky.
    for i in 0..d {
        for j in 0..i {
            let v = 0.5 * (hess[i * d + j] + hess[j * d + i]);
            hess[i * d + j] = v;
            hess[j * d + i] = v;
        }
    }
    let inv = invert_spd(&hess, d)?;
    Some((0..d).map(|i| phi[i].exp() * inv[i * d + i].sqrt()).collect())
}

fn invert_spd(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if !(s > 0.0) {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    // inverse = L^-T L^-1
    let mut linv = vec![0.0; n * n];
    for i in 0..n {
        linv[i * n + i] = 1.0 / l[i * n + i];
        for j in 0..i {
            let mut s = 0.0;
            for k in j..i {
                s -= l[i * n + k] * linv[k * n + j];
            }
            linv[i * n + j] = s / l[i * n + i];
        }
    }
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            inv[i * n + j] = (0..n).map(|k| linv[k * n + i] * linv[k * n + j]).sum();
        }
    }
    inv.iter().all(|v| v.is_finite()).then_some(inv)
}

/// Stopwatch helper.
pub(crate) fn elapsed(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rosen;
    impl Objective for Rosen {
        fn dim(&self) -> usize {
            2
        }
        fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        }
    }

    #[test]
    fn bfgs_and_nelder_mead_solve_rosenbrock() {
        let r = bfgs(&mut Rosen, &[-1.2, 1.0], 500, 1e-10);
        assert!(r.converged, "{r:?}");
        assert!((r.theta[0] - 1.0).abs() < 1e-6 && (r.theta[1] - 1.0).abs() < 1e-6);
        let (x, _, _) = nelder_mead(&mut Rosen, &[-1.2, 1.0], 5000);
        assert!((x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3, "{x:?}");
        let mut num = NumericGradient { f: |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2), dim: 2, step: 1e-6 };
        let r = minimize(&mut num, &[vec![-1.2, 1.0], vec![3.0, 3.0]], 1, 500, 1e-7).unwrap();
        assert!((r.theta[0] - 1.0).abs() < 1e-5, "{r:?}");
    }
}
