//! EASE, the "embarrassingly shallow autoencoder" (Steck 2019, "Embarrassingly Shallow
//! Autoencoders for Sparse Data", WWW): an item × item weight matrix B with zero diagonal that
//! minimises ‖X − XB‖² + λ‖B‖², in closed form (Steck eq. 8):
//!
//!   P = (XᵀX + λI)⁻¹,   B = I − P · diag(1 / diag(P))   i.e. B_ij = −P_ij / P_jj (i ≠ j), B_ii = 0.
//!
//! The inverse is dense and cubic in the number of items, so EASE is restricted to the items
//! with the most customers (`max_items`, and at least `min_support`): on Online Retail the top
//! 1,000 items hold most purchases and the fit takes under a second.

use crate::csr::{top_k, Csr};

#[derive(Clone, Debug)]
pub struct EaseConfig {
    /// λ, the L2 penalty (Steck: a few hundred on large data).
    pub lambda: f64,
    pub max_items: usize,
    pub min_support: u32,
}

impl Default for EaseConfig {
    fn default() -> Self {
        EaseConfig { lambda: 100.0, max_items: 1000, min_support: 3 }
    }
}

#[derive(Clone, Debug)]
pub struct Ease {
    /// The modelled items (indices into the shop's items), by position.
    pub items: Vec<u32>,
    /// Item → position in `items`, `u32::MAX` when not modelled.
    position: Vec<u32>,
    /// B, row-major over positions.
    b: Vec<f32>,
}

impl Ease {
    /// `interactions`: customers × items; only its pattern is used (X is binary).
    pub fn fit(interactions: &Csr, config: &EaseConfig) -> Ease {
        let support = interactions.column_counts();
        let mut items: Vec<u32> = (0..interactions.cols).filter(|&i| support[i as usize] >= config.min_support).collect();
        items.sort_by_key(|&i| (std::cmp::Reverse(support[i as usize]), i));
        items.truncate(config.max_items);
        items.sort_unstable();
        let mut position = vec![u32::MAX; interactions.cols as usize];
        for (p, &i) in items.iter().enumerate() {
            position[i as usize] = p as u32;
        }
        let n = items.len();
        // Gram matrix XᵀX (lower triangle) + λI.
        let mut g = vec![0f64; n * n];
        let mut row: Vec<usize> = Vec::new();
        for u in 0..interactions.rows() {
            row.clear();
            row.extend(interactions.row(u).0.iter().map(|&i| position[i as usize]).filter(|&p| p != u32::MAX).map(|p| p as usize));
            for (a, &pa) in row.iter().enumerate() {
                for &pb in &row[..=a] {
                    g[pa.max(pb) * n + pa.min(pb)] += 1.0;
                }
            }
        }
        for p in 0..n {
            g[p * n + p] += config.lambda;
        }
        let p = spd_inverse(g, n);
        let b = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                if i == j { 0.0 } else { (-p[k] / p[j * n + j]) as f32 }
            })
            .collect();
        Ease { items, position, b }
    }

    /// Adds x_u · B into `scores` (binary x_u over the modelled items).
    pub fn score(&self, user: (&[u32], &[f32]), scores: &mut [f32]) {
        let n = self.items.len();
        for &j in user.0 {
            let p = self.position[j as usize];
            if p == u32::MAX {
                continue;
            }
            let row = &self.b[p as usize * n..(p as usize + 1) * n];
            for (&i, &w) in self.items.iter().zip(row) {
                scores[i as usize] += w;
            }
        }
    }

    /// The `k` largest positive weights of each row of B, as an item × item matrix over all items.
    pub fn sparsify(&self, n_items: u32, k: usize) -> Csr {
        let n = self.items.len();
        let mut triplets = Vec::with_capacity(n * k);
        let mut row: Vec<(u32, f32)> = Vec::with_capacity(n);
        for (p, &j) in self.items.iter().enumerate() {
            row.clear();
            row.extend(self.items.iter().zip(&self.b[p * n..(p + 1) * n]).filter(|(_, &w)| w > 0.0).map(|(&i, &w)| (i, w)));
            top_k(&mut row, k);
            triplets.extend(row.iter().map(|&(i, w)| (j, i, w)));
        }
        Csr::from_triplets(n_items, n_items, triplets)
    }
}

/// The inverse of a symmetric positive definite matrix (row-major; only the lower triangle is
/// read) through its Cholesky factor A = LLᵀ: A⁻¹ = L⁻ᵀL⁻¹. Rows are contiguous, so every inner
/// loop is a dot product or an axpy over a row prefix.
fn spd_inverse(mut a: Vec<f64>, n: usize) -> Vec<f64> {
    // Cholesky–Banachiewicz, in place: L in the lower triangle.
    for i in 0..n {
        for j in 0..=i {
            let (head, tail) = a.split_at_mut(i * n);
            let li = &tail[..n];
            let lj = if j == i { li } else { &head[j * n..j * n + n] };
            let s = li[j] - dot(&li[..j], &lj[..j]);
            let value = if i == j { s.max(f64::MIN_POSITIVE).sqrt() } else { s / lj[j] };
            tail[j] = value;
        }
    }
    // M = L⁻¹ (lower triangular), row by row: M_i = (e_i − Σ_{k<i} L_ik M_k) / L_ii.
    let mut m = vec![0f64; n * n];
    for i in 0..n {
        let (done, rest) = m.split_at_mut(i * n);
        let mi = &mut rest[..n];
        mi[i] = 1.0;
        for k in 0..i {
            let l = a[i * n + k];
            if l != 0.0 {
                axpy(-l, &done[k * n..k * n + k + 1], &mut mi[..k + 1]);
            }
        }
        let d = a[i * n + i];
        for v in &mut mi[..=i] {
            *v /= d;
        }
    }
    // A⁻¹ = Mᵀ M: (A⁻¹)_ij = Σ_{k ≥ max(i,j)} M_ki M_kj, accumulated row k by row k.
    let mut inv = vec![0f64; n * n];
    for k in 0..n {
        let mk = &m[k * n..k * n + k + 1];
        for (i, &mki) in mk.iter().enumerate() {
            if mki != 0.0 {
                axpy(mki, &mk[..=i], &mut inv[i * n..i * n + i + 1]);
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            inv[j * n + i] = inv[i * n + j];
        }
    }
    inv
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators let the compiler vectorise without reordering a single sum.
    let mut acc = [0f64; 4];
    let chunks = a.len() / 4 * 4;
    for (x, y) in a[..chunks].chunks_exact(4).zip(b[..chunks].chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f64 = a[chunks..].iter().zip(&b[chunks..]).map(|(x, y)| x * y).sum();
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spd_inverse_inverts() {
        let a = vec![4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let inv = spd_inverse(a.clone(), 3);
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12, "({i},{j}) = {v}");
            }
        }
    }

    #[test]
    fn ease_links_items_bought_together_and_never_itself() {
        let x = Csr::from_triplets(4, 3, vec![(0, 0, 1.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 1.0), (2, 0, 1.0), (2, 1, 1.0), (3, 2, 1.0)]);
        let ease = Ease::fit(&x, &EaseConfig { lambda: 0.5, max_items: 10, min_support: 1 });
        let mut scores = vec![0.0; 3];
        ease.score((&[0], &[1.0]), &mut scores);
        assert!(scores[1] > 0.1 && scores[0] == 0.0 && scores[2].abs() < 1e-6, "{scores:?}");
        assert_eq!(ease.sparsify(3, 5).row(0).0, &[1]);
    }
}
