//! Choosing the blend's weights on the shop's own history: the last `validation_days` before
//! the training cut are held out from an inner training set, and the grid point with the best
//! HR@10 + NDCG@10 on them wins. The user's test period is never seen.

use crate::evaluate::{MetricsAccumulator, TestSet};
use crate::interactions::{InteractionConfig, Interactions};
use crate::model::{BlendWeights, ModelConfig, Recommender, Scratch};
use crate::csr::top_k;
use xinli_core::{Shop, Timestamp};

const GRID_KNN: [f32; 5] = [0.0, 0.1, 0.25, 0.5, 1.0];
const GRID_EASE: [f32; 5] = [0.0, 0.1, 0.25, 0.5, 1.0];
const GRID_POPULARITY: [f32; 3] = [0.0, 0.05, 0.2];

/// The chosen weights and what the inner validation measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Tuning {
    pub weights: BlendWeights,
    pub validation_from: String,
    pub validation_customers: usize,
    pub hit_rate: f64,
    pub ndcg: f64,
    /// Every grid point: weights, HR@10, NDCG@10.
    pub grid: Vec<(BlendWeights, f64, f64)>,
}

/// Tunes the blend on the `validation_days` before `cut`; None when that window has no
/// customer who also bought before it (the defaults are then kept).
pub fn tune_blend(shop: &Shop, cut: Timestamp, validation_days: i64, interactions: &InteractionConfig, config: &ModelConfig, k: usize) -> Option<Tuning> {
    let inner_cut = cut.add_days(-validation_days);
    let data = Interactions::build(shop, inner_cut, interactions);
    let test = TestSet::build(shop, &data, Some(cut));
    if test.customers.is_empty() {
        return None;
    }
    let rec = Recommender::fit(&data, config);
    let mut grid: Vec<BlendWeights> = Vec::new();
    for item_knn in GRID_KNN {
        for ease in GRID_EASE {
            for popularity in GRID_POPULARITY {
                grid.push(BlendWeights { reorder: 1.0, item_knn, ease, popularity });
            }
        }
    }
    let n = data.catalog.len();
    let mut accs: Vec<MetricsAccumulator> = grid.iter().map(|_| MetricsAccumulator::new(k, n)).collect();
    let mut scratch = Scratch::new(n);
    // Items outside these candidates score only their popularity share, below every popular one.
    let mut popular: Vec<(u32, f32)> = rec.popularity.iter().enumerate().map(|(i, &p)| (i as u32, p)).collect();
    top_k(&mut popular, k);
    let mut candidates: Vec<u32> = Vec::new();
    let mut ranked: Vec<(u32, f32)> = Vec::new();
    for (u, truth) in &test.customers {
        rec.blend_parts(*u, &mut scratch);
        let [reorder, knn, ease, pop] = &scratch.parts;
        candidates.clear();
        candidates.extend((0..n as u32).filter(|&i| reorder[i as usize] > 0.0 || knn[i as usize] > 0.0 || ease[i as usize] > 0.0));
        candidates.extend(popular.iter().map(|&(i, _)| i));
        candidates.sort_unstable();
        candidates.dedup();
        for (w, acc) in grid.iter().zip(&mut accs) {
            ranked.clear();
            ranked.extend(candidates.iter().map(|&i| {
                let i_ = i as usize;
                (i, w.reorder * reorder[i_] + w.item_knn * knn[i_] + w.ease * ease[i_] + w.popularity * pop[i_])
            }));
            top_k(&mut ranked, k);
            let items: Vec<u32> = ranked.iter().map(|&(i, _)| i).collect();
            acc.add(&items, truth);
        }
    }
    let active = data.active_items();
    let results: Vec<(BlendWeights, f64, f64)> = grid
        .into_iter()
        .zip(accs)
        .map(|(w, acc)| {
            let m = acc.finish("blend", active, 0.0);
            (w, m.hit_rate, m.ndcg)
        })
        .collect();
    let best = results.iter().max_by(|a, b| (a.1 + a.2).total_cmp(&(b.1 + b.2)))?;
    Some(Tuning {
        weights: best.0,
        validation_from: inner_cut.date().to_string(),
        validation_customers: test.customers.len(),
        hit_rate: best.1,
        ndcg: best.2,
        grid: results,
    })
}
