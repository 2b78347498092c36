//! L2-regularised logistic regression fitted by Newton's method (IRLS).
//!
//! Minimises `−Σ [yᵢ ln pᵢ + (1−yᵢ) ln(1−pᵢ)] + ½·λ·‖w‖²` with `pᵢ = σ(b + w·xᵢ)`; the
//! intercept `b` is not penalised. Features are expected standardised. Each Newton step solves
//! the (d+1)×(d+1) system by Cholesky; iterations stop when the largest step is below 1e-6
//! or after 50 steps. Deterministic.

/// Fitted weights (`w`) and intercept.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Logistic {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Logistic {
    /// Probability for one standardised row.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let z: f64 = self.intercept + self.weights.iter().zip(row).map(|(w, x)| w * x).sum::<f64>();
        sigmoid(z)
    }

    /// Fits on row-major `x` (n × d) and labels `y`, starting from `start` when given.
    pub fn fit(x: &[f64], y: &[bool], d: usize, lambda: f64, start: Option<&Logistic>) -> Logistic {
        let n = y.len();
        let k = d + 1; // weights then intercept
        let mut beta = vec![0.0; k];
        if let Some(s) = start {
            beta[..d].copy_from_slice(&s.weights);
            beta[d] = s.intercept;
        } else {
            let pos = y.iter().filter(|&&v| v).count() as f64;
            let rate = ((pos + 0.5) / (n as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
            beta[d] = (rate / (1.0 - rate)).ln();
        }
        let lambda = lambda.max(0.0);
        let mut hess = vec![0.0; k * k];
        let mut grad = vec![0.0; k];
        let mut xi = vec![0.0; k];
        for _ in 0..50 {
            hess.iter_mut().for_each(|v| *v = 0.0);
            grad.iter_mut().for_each(|v| *v = 0.0);
            for i in 0..n {
                xi[..d].copy_from_slice(&x[i * d..(i + 1) * d]);
                xi[d] = 1.0;
                let z: f64 = beta.iter().zip(&xi).map(|(b, v)| b * v).sum();
                let p = sigmoid(z);
                let r = p - y[i] as u8 as f64;
                let w = (p * (1.0 - p)).max(1e-12);
                for a in 0..k {
                    grad[a] += r * xi[a];
                    let wa = w * xi[a];
                    for (h, v) in hess[a * k..a * k + a + 1].iter_mut().zip(&xi[..=a]) {
                        *h += wa * v;
                    }
                }
            }
            for a in 0..k {
                for b in 0..a {
                    hess[b * k + a] = hess[a * k + b];
                }
            }
            for a in 0..d {
                grad[a] += lambda * beta[a];
                hess[a * k + a] += lambda;
            }
            hess[d * k + d] += 1e-9;
            let Some(step) = cholesky_solve(&mut hess, &grad, k) else { break };
            let mut largest = 0.0f64;
            for a in 0..k {
                // Damp huge steps (separable data without penalty).
                let s = step[a].clamp(-10.0, 10.0);
                beta[a] -= s;
                largest = largest.max(s.abs());
            }
            if largest < 1e-6 || !beta.iter().all(|b| b.is_finite()) {
                break;
            }
        }
        if !beta.iter().all(|b| b.is_finite()) {
            beta = vec![0.0; k];
        }
        Logistic { weights: beta[..d].to_vec(), intercept: beta[d] }
    }
}

/// Solves `A x = b` for symmetric positive definite `A` (k × k, overwritten by its factor).
fn cholesky_solve(a: &mut [f64], b: &[f64], k: usize) -> Option<Vec<f64>> {
    for j in 0..k {
        let mut s = a[j * k + j];
        for p in 0..j {
            s -= a[j * k + p] * a[j * k + p];
        }
        if !(s > 0.0) {
            return None;
        }
        let l = s.sqrt();
        a[j * k + j] = l;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = s / l;
        }
    }
    let mut z = b.to_vec();
    for i in 0..k {
        for p in 0..i {
            z[i] -= a[i * k + p] * z[p];
        }
        z[i] /= a[i * k + i];
    }
    for i in (0..k).rev() {
        for p in i + 1..k {
            z[i] -= a[p * k + i] * z[p];
        }
        z[i] /= a[i * k + i];
    }
    Some(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_model() {
        // Deterministic pseudo-random design; true model p = σ(0.5 + 2 x0 − x1).
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let n = 20_000;
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = next() * 2.0 - 1.0;
            let b = next() * 2.0 - 1.0;
            x.push(a);
            x.push(b);
            y.push(next() < sigmoid(0.5 + 2.0 * a - b));
        }
        let m = Logistic::fit(&x, &y, 2, 1e-6, None);
        assert!((m.intercept - 0.5).abs() < 0.1, "{m:?}");
        assert!((m.weights[0] - 2.0).abs() < 0.15, "{m:?}");
        assert!((m.weights[1] + 1.0).abs() < 0.15, "{m:?}");
        // Strong penalty shrinks the weights.
        let s = Logistic::fit(&x, &y, 2, 1e6, None);
        assert!(s.weights[0].abs() < 0.1);
    }

    #[test]
    fn separable_and_degenerate_data_stay_finite() {
        let x = vec![-1.0, 1.0, -2.0, 2.0];
        let y = vec![false, true, false, true];
        let m = Logistic::fit(&x, &y, 1, 0.0, None);
        assert!(m.weights[0].is_finite() && m.weights[0] > 0.0);
        let m = Logistic::fit(&[0.0, 0.0], &[true, true], 1, 1.0, None);
        assert!(m.intercept.is_finite());
        let m = Logistic::fit(&[], &[], 3, 1.0, None);
        assert!(m.predict(&[0.0; 3]).is_finite());
    }
}
