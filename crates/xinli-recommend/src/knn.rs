//! Item-item neighbourhoods: co-occurrence weighted by cosine or BM25, the top K neighbours of
//! every item kept (Sarwar et al. 2001, "Item-based collaborative filtering recommendation
//! algorithms", WWW; BM25 weighting as in Robertson & Zaragoza 2009 and the `implicit` package).

use crate::csr::{top_k, Csr};

/// How co-occurrences are weighted before the item × item dot products.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Similarity {
    /// Each item's customer vector scaled to unit length: s(i, j) = cos(x_i, x_j).
    Cosine,
    /// BM25 on the item × customer matrix: a customer who buys few items says more about each
    /// (idf = ln N_items − ln(1 + items bought)), an item's long row is damped by `b`, repeated
    /// purchases saturate with `k1`: w = x (k1 + 1) / (k1 ((1 − b) + b · len_i / avg len) + x) · idf.
    Bm25 { k1: f32, b: f32 },
}

impl Similarity {
    pub const BM25: Similarity = Similarity::Bm25 { k1: 1.2, b: 0.75 };
}

/// The top-K neighbours of every item, as an item × item sparse matrix (self included: a
/// customer's own items are candidates too, these shops reorder).
#[derive(Clone, Debug)]
pub struct ItemKnn {
    pub neighbours: Csr,
}

impl ItemKnn {
    /// `interactions`: customers × items.
    pub fn fit(interactions: &Csr, similarity: Similarity, k: usize) -> ItemKnn {
        let item_users = weighted_item_users(interactions, similarity);
        let user_items = item_users.transpose();
        let n = item_users.rows();
        let mut acc = vec![0f32; n as usize];
        let mut touched: Vec<u32> = Vec::new();
        let mut triplets: Vec<(u32, u32, f32)> = Vec::with_capacity(n as usize * k);
        let mut row: Vec<(u32, f32)> = Vec::new();
        for i in 0..n {
            let (users, weights) = item_users.row(i);
            for (&u, &a) in users.iter().zip(weights) {
                let (items, values) = user_items.row(u);
                for (&j, &b) in items.iter().zip(values) {
                    if acc[j as usize] == 0.0 {
                        touched.push(j);
                    }
                    acc[j as usize] += a * b;
                }
            }
            row.clear();
            for &j in &touched {
                row.push((j, acc[j as usize]));
                acc[j as usize] = 0.0;
            }
            touched.clear();
            top_k(&mut row, k);
            triplets.extend(row.iter().filter(|&&(_, s)| s > 0.0).map(|&(j, s)| (i, j, s)));
        }
        ItemKnn { neighbours: Csr::from_triplets(n, n, triplets) }
    }

    /// Adds Σ_j x_uj · s(j, i) into `scores`.
    pub fn score(&self, user: (&[u32], &[f32]), scores: &mut [f32]) {
        accumulate(&self.neighbours, user, scores);
    }
}

/// scores += user · m, for a sparse user row and a sparse item × item matrix.
pub fn accumulate(m: &Csr, user: (&[u32], &[f32]), scores: &mut [f32]) {
    for (&j, &x) in user.0.iter().zip(user.1) {
        let (items, sims) = m.row(j);
        for (&i, &s) in items.iter().zip(sims) {
            scores[i as usize] += x * s;
        }
    }
}

fn weighted_item_users(interactions: &Csr, similarity: Similarity) -> Csr {
    let item_users = interactions.transpose();
    match similarity {
        Similarity::Cosine => {
            let norms: Vec<f32> = (0..item_users.rows())
                .map(|i| item_users.row(i).1.iter().map(|v| v * v).sum::<f32>().sqrt())
                .collect();
            item_users.map(|i, _, v| if norms[i as usize] > 0.0 { v / norms[i as usize] } else { 0.0 })
        }
        Similarity::Bm25 { k1, b } => {
            let n_items = item_users.rows() as f32;
            let idf: Vec<f32> = interactions
                .indptr
                .windows(2)
                .map(|w| n_items.ln() - ((w[1] - w[0]) as f32).ln_1p())
                .collect();
            let lengths: Vec<f32> = (0..item_users.rows()).map(|i| item_users.row(i).1.iter().sum()).collect();
            let average = lengths.iter().sum::<f32>() / n_items.max(1.0);
            item_users.map(|i, u, x| {
                let norm = (1.0 - b) + b * lengths[i as usize] / average;
                x * (k1 + 1.0) / (k1 * norm + x) * idf[u as usize]
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_bought_together_are_neighbours() {
        // Customers 0–2 buy items 0 and 1 together; customer 3 buys item 2 with items 3–5.
        // (BM25's idf is ln N_items − ln(1 + items bought): it needs more items than a customer buys.)
        let x = Csr::from_triplets(
            4,
            6,
            vec![(0, 0, 1.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 2.0), (2, 0, 1.0), (2, 1, 1.0), (3, 2, 1.0), (3, 3, 1.0), (3, 4, 1.0), (3, 5, 1.0)],
        );
        for sim in [Similarity::Cosine, Similarity::BM25] {
            let knn = ItemKnn::fit(&x, sim, 2);
            let (items, _) = knn.neighbours.row(0);
            assert!(items.contains(&1) && !items.contains(&2), "{sim:?}: {items:?}");
            let mut scores = vec![0.0; 6];
            knn.score((&[0], &[1.0]), &mut scores);
            assert!(scores[1] > 0.0 && scores[2] == 0.0);
        }
    }
}
