//! Small dense least squares: normal equations solved by an incremental Cholesky factorisation
//! that drops columns (nearly) collinear with the columns before them, and sandwich covariances
//! (HC1, or CR1 clustered).

#![allow(clippy::needless_range_loop, clippy::excessive_precision, clippy::needless_late_init)]

/// A fitted linear regression.
#[derive(Clone, Debug)]
pub(crate) struct Fit {
    /// Coefficients in column order; a dropped (collinear) column has coefficient 0.
    pub beta: Vec<f64>,
    /// Which columns were kept.
    pub kept: Vec<bool>,
    /// Robust covariance of the kept coefficients, full `k × k` (zero rows for dropped columns).
    pub cov: Vec<Vec<f64>>,
    pub residuals: Vec<f64>,
    /// Number of kept columns.
    pub rank: usize,
}

/// Relative pivot below which a column counts as collinear with the earlier ones.
const PIVOT_TOL: f64 = 1e-9;

/// Least squares of `y` on the columns `x` (column-major, each of length `n`). Columns are kept
/// in order while they add information: put the coefficient of interest first.
///
/// `cluster`: `None` for HC1 (`n/(n−p)` times the White sandwich, `p` = kept columns +
/// `absorbed`), or a cluster index per row for CR1 (`G/(G−1)·(n−1)/(n−p)`, Stata's
/// convention; `absorbed` fixed effects nested in the clusters are not counted in `p`).
pub(crate) fn ols(y: &[f64], x: &[Vec<f64>], absorbed: usize, cluster: Option<&[u32]>) -> Option<Fit> {
    let n = y.len();
    let k = x.len();
    if x.iter().any(|c| c.len() != n) {
        return None;
    }
    // Gram matrix and X'y.
    let mut gram = vec![vec![0.0; k]; k];
    for a in 0..k {
        for b in a..k {
            let s: f64 = x[a].iter().zip(&x[b]).map(|(u, v)| u * v).sum();
            gram[a][b] = s;
            gram[b][a] = s;
        }
    }
    let xty: Vec<f64> = x.iter().map(|c| c.iter().zip(y).map(|(u, v)| u * v).sum()).collect();

    let (l, kept_idx) = pivoted_cholesky(&gram);
    let p = kept_idx.len();
    if p == 0 {
        return None;
    }
    // Inverse of the reduced Gram matrix: solve L L' Z = I column by column.
    let solve = |rhs: &[f64]| -> Vec<f64> {
        let mut z = vec![0.0; p];
        for i in 0..p {
            let mut s = rhs[i];
            for t in 0..i {
                s -= l[i][t] * z[t];
            }
            z[i] = s / l[i][i];
        }
        for i in (0..p).rev() {
            let mut s = z[i];
            for t in i + 1..p {
                s -= l[t][i] * z[t];
            }
            z[i] = s / l[i][i];
        }
        z
    };
    let reduced_xty: Vec<f64> = kept_idx.iter().map(|&j| xty[j]).collect();
    let b = solve(&reduced_xty);
    let mut inv = vec![vec![0.0; p]; p];
    for c in 0..p {
        let mut e = vec![0.0; p];
        e[c] = 1.0;
        let z = solve(&e);
        for r in 0..p {
            inv[r][c] = z[r];
        }
    }
    let mut beta = vec![0.0; k];
    for (i, &j) in kept_idx.iter().enumerate() {
        beta[j] = b[i];
    }
    let residuals: Vec<f64> = (0..n)
        .map(|r| y[r] - kept_idx.iter().enumerate().map(|(i, &j)| b[i] * x[j][r]).sum::<f64>())
        .collect();

    // Meat of the sandwich.
    let mut meat = vec![vec![0.0; p]; p];
    let scale;
    match cluster {
        None => {
            for r in 0..n {
                let e2 = residuals[r] * residuals[r];
                for a in 0..p {
                    let xa = x[kept_idx[a]][r] * e2;
                    for bb in a..p {
                        meat[a][bb] += xa * x[kept_idx[bb]][r];
                    }
                }
            }
            let dof = n as f64 - (p + absorbed) as f64;
            if dof <= 0.0 {
                return None;
            }
            scale = n as f64 / dof;
        }
        Some(groups) => {
            let g_count = groups.iter().copied().max().map_or(0, |m| m as usize + 1);
            let mut score = vec![vec![0.0; p]; g_count];
            for r in 0..n {
                let g = groups[r] as usize;
                for a in 0..p {
                    score[g][a] += x[kept_idx[a]][r] * residuals[r];
                }
            }
            let mut used = 0usize;
            for s in &score {
                if s.iter().any(|v| *v != 0.0) {
                    used += 1;
                }
                for a in 0..p {
                    for bb in a..p {
                        meat[a][bb] += s[a] * s[bb];
                    }
                }
            }
            let g = used.max(1) as f64;
            let dof = n as f64 - p as f64;
            if g < 2.0 || dof <= 0.0 {
                return None;
            }
            scale = g / (g - 1.0) * (n as f64 - 1.0) / dof;
        }
    }
    for a in 0..p {
        for bb in 0..a {
            meat[a][bb] = meat[bb][a];
        }
    }
    // inv · meat · inv
    let mut tmp = vec![vec![0.0; p]; p];
    for a in 0..p {
        for c in 0..p {
            tmp[a][c] = (0..p).map(|t| inv[a][t] * meat[t][c]).sum();
        }
    }
    let mut cov = vec![vec![0.0; k]; k];
    for a in 0..p {
        for c in 0..p {
            let v: f64 = (0..p).map(|t| tmp[a][t] * inv[t][c]).sum();
            cov[kept_idx[a]][kept_idx[c]] = v * scale;
        }
    }
    let mut kept = vec![false; k];
    for &j in &kept_idx {
        kept[j] = true;
    }
    Some(Fit { beta, kept, cov, residuals, rank: p })
}

/// Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.383577518672690e2,
        -3.066479806614716e1, 2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
        4.374664141464968, 2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let p_low = 0.02425;
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// Student-t quantile by the Cornish–Fisher expansion around the normal quantile (accurate to
/// about 1e-3 for ν ≥ 5 at the usual levels; ν below 3 is treated as 3).
pub(crate) fn t_quantile(p: f64, df: f64) -> f64 {
    let z = normal_quantile(p);
    let v = df.max(3.0);
    let z3 = z * z * z;
    let z5 = z3 * z * z;
    let z7 = z5 * z * z;
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
        + (79.0 * z7 * z * z + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92160.0 * v.powi(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_tables() {
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-5);
        assert!((t_quantile(0.975, 10.0) - 2.228139).abs() < 2e-3);
        assert!((t_quantile(0.975, 30.0) - 2.042272).abs() < 1e-4);
    }

    #[test]
    fn ols_recovers_a_line_and_drops_a_duplicate_column() {
        let xs: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let y: Vec<f64> = xs.iter().enumerate().map(|(i, x)| 1.0 + 2.0 * x + if i % 2 == 0 { 0.1 } else { -0.1 }).collect();
        let ones = vec![1.0; 20];
        let fit = ols(&y, &[xs.clone(), ones, xs.iter().map(|v| 3.0 * v).collect()], 0, None).unwrap();
        assert_eq!(fit.rank, 2);
        assert!(!fit.kept[2]);
        assert!((fit.beta[0] - 2.0).abs() < 0.01);
        assert!((fit.beta[1] - 1.0).abs() < 0.1);
        assert!(fit.cov[0][0] > 0.0);
    }
}

/// Incremental Cholesky of a symmetric positive semi-definite matrix that skips every column
/// (nearly) collinear with the earlier kept ones. Returns the rows of the lower-triangular factor
/// over the kept columns (row i has i + 1 entries) and the kept column indices, in order.
fn pivoted_cholesky(a: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<usize>) {
    let mut kept_idx: Vec<usize> = Vec::new();
    let mut l: Vec<Vec<f64>> = Vec::new();
    for j in 0..a.len() {
        let diag = a[j][j];
        if diag <= 0.0 || !diag.is_finite() {
            continue;
        }
        let m = kept_idx.len();
        let mut row = vec![0.0; m + 1];
        for i in 0..m {
            let mut s = a[kept_idx[i]][j];
            for t in 0..i {
                s -= l[i][t] * row[t];
            }
            row[i] = s / l[i][i];
        }
        let d = diag - row[..m].iter().map(|v| v * v).sum::<f64>();
        if d <= PIVOT_TOL * diag {
            continue;
        }
        row[m] = d.sqrt();
        l.push(row);
        kept_idx.push(j);
    }
    (l, kept_idx)
}

/// Inverse of a symmetric positive semi-definite matrix over the columns that are not
/// (nearly) collinear with earlier ones (incremental Cholesky, as in [`ols`]). Returns the full
/// `k × k` inverse with zero rows/columns for dropped columns, and which columns were kept.
pub(crate) fn spd_inverse(a: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<bool>) {
    let k = a.len();
    let (l, kept_idx) = pivoted_cholesky(a);
    let p = kept_idx.len();
    let mut full = vec![vec![0.0; k]; k];
    for c in 0..p {
        let mut z = vec![0.0; p];
        for i in 0..p {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for t in 0..i {
                s -= l[i][t] * z[t];
            }
            z[i] = s / l[i][i];
        }
        for i in (0..p).rev() {
            let mut s = z[i];
            for t in i + 1..p {
                s -= l[t][i] * z[t];
            }
            z[i] = s / l[i][i];
        }
        for r in 0..p {
            full[kept_idx[r]][kept_idx[c]] = z[r];
        }
    }
    let mut kept = vec![false; k];
    for &j in &kept_idx {
        kept[j] = true;
    }
    (full, kept)
}

/// A Poisson pseudo-maximum-likelihood fit with group fixed effects concentrated out.
#[derive(Clone, Debug)]
pub(crate) struct PoissonFit {
    pub beta: Vec<f64>,
    pub kept: Vec<bool>,
    /// Robust covariance (clustered by group, CR1-style `G/(G−1)` scaling; or HC with `n/(n−p)`
    /// when there is one group).
    pub cov: Vec<Vec<f64>>,
    /// Fitted means, row order.
    pub mu: Vec<f64>,
    pub converged: bool,
}

/// PPML of counts `y ≥ 0` on columns `x` with one fixed effect per group (`groups[r]` in
/// `0..g`, every group with a positive total). Newton on the concentrated likelihood: for given
/// `β`, `α_g = ln(Σ y / Σ exp(xβ))` exactly. With one group this is an ordinary Poisson
/// regression with an intercept. Errors are clustered by group when there are several groups,
/// heteroskedasticity-robust otherwise.
pub(crate) fn ppml(y: &[f64], x: &[Vec<f64>], groups: &[u32]) -> Option<PoissonFit> {
    let n = y.len();
    let k = x.len();
    let g_count = groups.iter().copied().max()? as usize + 1;
    let mut beta = vec![0.0; k];
    let mut mu = vec![0.0; n];
    let mut converged = false;
    let mut last_ll = f64::NEG_INFINITY;
    let mut hess_inv = vec![vec![0.0; k]; k];
    let mut kept = vec![false; k];
    let mut centered: Vec<Vec<f64>> = vec![vec![0.0; n]; k];
    for _iter in 0..100 {
        // Linear index and concentrated α.
        let eta: Vec<f64> = (0..n).map(|r| (0..k).map(|j| beta[j] * x[j][r]).sum()).collect();
        let mut sum_y = vec![0.0; g_count];
        let mut sum_e = vec![0.0; g_count];
        let shift = eta.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        for r in 0..n {
            sum_y[groups[r] as usize] += y[r];
            sum_e[groups[r] as usize] += (eta[r] - shift).exp();
        }
        for r in 0..n {
            let g = groups[r] as usize;
            mu[r] = sum_y[g] * (eta[r] - shift).exp() / sum_e[g];
        }
        let ll: f64 = (0..n).map(|r| if y[r] > 0.0 { y[r] * mu[r].ln() - mu[r] } else { -mu[r] }).sum();
        // μ-weighted within-group centring.
        let mut wmean = vec![vec![0.0; k]; g_count];
        let mut wsum = vec![0.0; g_count];
        for r in 0..n {
            let g = groups[r] as usize;
            wsum[g] += mu[r];
            for j in 0..k {
                wmean[g][j] += mu[r] * x[j][r];
            }
        }
        for r in 0..n {
            let g = groups[r] as usize;
            for j in 0..k {
                centered[j][r] = x[j][r] - wmean[g][j] / wsum[g];
            }
        }
        let mut hess = vec![vec![0.0; k]; k];
        let mut grad = vec![0.0; k];
        for r in 0..n {
            let e = y[r] - mu[r];
            for a in 0..k {
                grad[a] += e * centered[a][r];
                for b in a..k {
                    hess[a][b] += mu[r] * centered[a][r] * centered[b][r];
                }
            }
        }
        for a in 0..k {
            for b in 0..a {
                hess[a][b] = hess[b][a];
            }
        }
        let (inv, kp) = spd_inverse(&hess);
        hess_inv = inv;
        kept = kp;
        let step: Vec<f64> = (0..k).map(|a| (0..k).map(|b| hess_inv[a][b] * grad[b]).sum()).collect();
        let decrement: f64 = step.iter().zip(&grad).map(|(s, g)| s * g).sum();
        if !decrement.is_finite() {
            return None;
        }
        if decrement.abs() < 1e-10 * (1.0 + ll.abs()) && (ll - last_ll).abs() < 1e-9 * (1.0 + ll.abs()) {
            converged = true;
            break;
        }
        last_ll = ll;
        // Damped step: halve while the likelihood falls (rarely needed).
        let mut t = 1.0;
        let try_ll = |b: &[f64]| -> f64 {
            let eta: Vec<f64> = (0..n).map(|r| (0..k).map(|j| b[j] * x[j][r]).sum()).collect();
            let shift = eta.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let mut sy = vec![0.0; g_count];
            let mut se = vec![0.0; g_count];
            for r in 0..n {
                sy[groups[r] as usize] += y[r];
                se[groups[r] as usize] += (eta[r] - shift).exp();
            }
            (0..n)
                .map(|r| {
                    let g = groups[r] as usize;
                    let m = sy[g] * (eta[r] - shift).exp() / se[g];
                    if y[r] > 0.0 { y[r] * m.ln() - m } else { -m }
                })
                .sum()
        };
        loop {
            let cand: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            let cll = try_ll(&cand);
            if cll.is_finite() && cll >= ll - 1e-12 * (1.0 + ll.abs()) || t < 1e-6 {
                beta = cand;
                break;
            }
            t /= 2.0;
        }
    }
    // Sandwich.
    let p = kept.iter().filter(|k| **k).count();
    let mut meat = vec![vec![0.0; k]; k];
    let scale;
    if g_count > 1 {
        let mut score = vec![vec![0.0; k]; g_count];
        for r in 0..n {
            let e = y[r] - mu[r];
            for a in 0..k {
                score[groups[r] as usize][a] += e * centered[a][r];
            }
        }
        for s in &score {
            for a in 0..k {
                for b in 0..k {
                    meat[a][b] += s[a] * s[b];
                }
            }
        }
        let g = g_count as f64;
        scale = g / (g - 1.0);
    } else {
        for r in 0..n {
            let e2 = (y[r] - mu[r]).powi(2);
            for a in 0..k {
                for b in 0..k {
                    meat[a][b] += e2 * centered[a][r] * centered[b][r];
                }
            }
        }
        let dof = n as f64 - (p + 1) as f64;
        if dof <= 0.0 {
            return None;
        }
        scale = n as f64 / dof;
    }
    let tmp: Vec<Vec<f64>> =
        (0..k).map(|a| (0..k).map(|c| (0..k).map(|t| hess_inv[a][t] * meat[t][c]).sum()).collect()).collect();
    let cov: Vec<Vec<f64>> =
        (0..k).map(|a| (0..k).map(|c| scale * (0..k).map(|t| tmp[a][t] * hess_inv[t][c]).sum::<f64>()).collect()).collect();
    Some(PoissonFit { beta, kept, cov, mu, converged })
}
