//! Limited-memory BFGS (Nocedal 1980; Liu & Nocedal 1989, two-loop recursion of Nocedal & Wright,
//! Numerical Optimization, 2nd ed., Algorithm 7.4) with a backtracking Armijo line search.
//! Deterministic: no randomness, fixed iteration order.

/// Outcome of a minimisation.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Outcome {
    pub iterations: usize,
    pub value: f64,
    pub gradient_norm: f64,
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimises `f` (which returns the value and writes the gradient) from `x`, in place.
pub fn minimise(mut f: impl FnMut(&[f64], &mut [f64]) -> f64, x: &mut [f64], memory: usize, max_iter: usize, tolerance: f64) -> Outcome {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut value = f(x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho: Vec<f64> = Vec::new();
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut alpha = vec![0.0; memory];
    let norm = |g: &[f64]| g.iter().fold(0f64, |m, v| m.max(v.abs()));
    for it in 0..max_iter {
        if norm(&g) < tolerance {
            return Outcome { iterations: it, value, gradient_norm: norm(&g), converged: true };
        }
        // Two-loop recursion: d = −H g.
        d.copy_from_slice(&g);
        for k in (0..s_hist.len()).rev() {
            alpha[k] = rho[k] * dot(&s_hist[k], &d);
            d.iter_mut().zip(&y_hist[k]).for_each(|(di, yi)| *di -= alpha[k] * yi);
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => 1.0 / norm(&g).max(1e-12),
        };
        d.iter_mut().for_each(|v| *v *= gamma);
        for k in 0..s_hist.len() {
            let beta = rho[k] * dot(&y_hist[k], &d);
            d.iter_mut().zip(&s_hist[k]).for_each(|(di, si)| *di += (alpha[k] - beta) * si);
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            continue;
        }
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            x_new.iter_mut().zip(x.iter()).zip(&d).for_each(|((xn, xi), di)| *xn = xi + step * di);
            let v = f(&x_new, &mut g_new);
            if v <= value + 1e-4 * step * slope {
                accepted = Some(v);
                break;
            }
            step *= 0.5;
        }
        let Some(v) = accepted else {
            return Outcome { iterations: it, value, gradient_norm: norm(&g), converged: false };
        };
        let s: Vec<f64> = x_new.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        let decrease = value - v;
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        value = v;
        if sy > 1e-12 {
            if s_hist.len() == memory {
                s_hist.remove(0);
                y_hist.remove(0);
                rho.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
            rho.push(1.0 / sy);
        }
        if decrease <= 1e-10 * value.abs().max(1e-12) {
            return Outcome { iterations: it + 1, value, gradient_norm: norm(&g), converged: true };
        }
    }
    Outcome { iterations: max_iter, value, gradient_norm: norm(&g), converged: norm(&g) < tolerance }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        let mut x = [-1.2, 1.0];
        let out = minimise(
            |x, g| {
                let (a, b) = (x[0], x[1]);
                g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
                g[1] = 200.0 * (b - a * a);
                (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
            },
            &mut x,
            8,
            500,
            1e-8,
        );
        assert!(out.converged, "{out:?}");
        assert!((x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4, "{x:?}");
    }
}
