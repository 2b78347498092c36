//! Compressed sparse rows with compact `u32` column ids: the customer × item interactions and
//! the item × item neighbour lists.

/// A sparse matrix in CSR form. Row `r` holds columns `indices[indptr[r]..indptr[r + 1]]`
/// (sorted, distinct) with their `values`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Csr {
    pub cols: u32,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl Csr {
    /// Builds from (row, col, value) triplets; duplicates are summed.
    pub fn from_triplets(rows: u32, cols: u32, mut triplets: Vec<(u32, u32, f32)>) -> Csr {
        triplets.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut indptr = vec![0usize; rows as usize + 1];
        let mut indices: Vec<u32> = Vec::with_capacity(triplets.len());
        let mut values: Vec<f32> = Vec::with_capacity(triplets.len());
        let mut last: Option<(u32, u32)> = None;
        for (r, c, v) in triplets {
            if last == Some((r, c)) {
                *values.last_mut().expect("a previous entry") += v;
                continue;
            }
            last = Some((r, c));
            indices.push(c);
            values.push(v);
            indptr[r as usize + 1] += 1;
        }
        for r in 0..rows as usize {
            indptr[r + 1] += indptr[r];
        }
        Csr { cols, indptr, indices, values }
    }

    pub fn rows(&self) -> u32 {
        (self.indptr.len() - 1) as u32
    }

    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    pub fn row(&self, r: u32) -> (&[u32], &[f32]) {
        let span = self.indptr[r as usize]..self.indptr[r as usize + 1];
        (&self.indices[span.clone()], &self.values[span])
    }

    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.cols as usize + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for c in 0..self.cols as usize {
            counts[c + 1] += counts[c];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        for r in 0..self.rows() {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let slot = next[c as usize];
                indices[slot] = r;
                values[slot] = v;
                next[c as usize] += 1;
            }
        }
        Csr { cols: self.rows(), indptr, indices, values }
    }

    /// The same pattern with every value replaced by `f(row, col, value)`.
    pub fn map(&self, f: impl Fn(u32, u32, f32) -> f32) -> Csr {
        let mut out = self.clone();
        for r in 0..self.rows() {
            for k in self.indptr[r as usize]..self.indptr[r as usize + 1] {
                out.values[k] = f(r, self.indices[k], self.values[k]);
            }
        }
        out
    }

    /// Number of stored entries per column.
    pub fn column_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.cols as usize];
        for &c in &self.indices {
            counts[c as usize] += 1;
        }
        counts
    }
}

/// The `k` largest (index, score) pairs of `candidates`, best first; ties by index.
pub fn top_k(candidates: &mut Vec<(u32, f32)>, k: usize) {
    let better = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if candidates.len() > k && k > 0 {
        candidates.select_nth_unstable_by(k - 1, better);
        candidates.truncate(k);
    }
    candidates.truncate(k);
    candidates.sort_unstable_by(better);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_sum_duplicates_and_transpose_round_trips() {
        let m = Csr::from_triplets(3, 4, vec![(2, 1, 1.0), (0, 3, 2.0), (0, 3, 0.5), (1, 0, 4.0)]);
        assert_eq!(m.indptr, vec![0, 1, 2, 3]);
        assert_eq!(m.row(0), (&[3u32][..], &[2.5f32][..]));
        let t = m.transpose();
        assert_eq!(t.rows(), 4);
        assert_eq!(t.row(3), (&[0u32][..], &[2.5f32][..]));
        assert_eq!(t.transpose(), m);
    }

    #[test]
    fn top_k_keeps_the_largest_in_order() {
        let mut v = vec![(0, 1.0), (1, 5.0), (2, 3.0), (3, 5.0)];
        top_k(&mut v, 3);
        assert_eq!(v, vec![(1, 5.0), (3, 5.0), (2, 3.0)]);
    }
}
