//! The trained models and the blend: one [`Recommender`] holds popularity, trending, the
//! customer's own reorders, item-kNN (cosine and BM25) and EASE, and scores one customer with
//! any of them.

use crate::csr::{top_k, Csr};
use crate::ease::{Ease, EaseConfig};
use crate::interactions::Interactions;
use crate::knn::{ItemKnn, Similarity};
use std::time::{Duration, Instant};

/// Which scores rank the items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// Items bought by the most customers.
    Popularity,
    /// Items bought by the most customers in the recent window.
    Trending,
    /// The customer's own purchases, recent ones first (time-decayed order counts).
    Reorder,
    CosineItemKnn,
    Bm25ItemKnn,
    Ease,
    /// Weighted sum of reorder, BM25 item-kNN, EASE and popularity, each scaled to the customer's maximum.
    Blend,
}

impl Model {
    pub const ALL: [Model; 7] =
        [Model::Popularity, Model::Trending, Model::Reorder, Model::CosineItemKnn, Model::Bm25ItemKnn, Model::Ease, Model::Blend];

    pub fn name(self) -> &'static str {
        match self {
            Model::Popularity => "popularity",
            Model::Trending => "trending",
            Model::Reorder => "reorder",
            Model::CosineItemKnn => "cosine_item_knn",
            Model::Bm25ItemKnn => "bm25_item_knn",
            Model::Ease => "ease",
            Model::Blend => "blend",
        }
    }
}

/// Settings of every model.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// Neighbours kept per item by item-kNN.
    pub neighbours: usize,
    pub ease: EaseConfig,
    pub weights: BlendWeights,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig { neighbours: 50, ease: EaseConfig::default(), weights: BlendWeights::default() }
    }
}

/// Weights of the blend's parts (each part is first divided by its maximum for the customer).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BlendWeights {
    pub reorder: f32,
    pub item_knn: f32,
    pub ease: f32,
    pub popularity: f32,
}

impl Default for BlendWeights {
    fn default() -> Self {
        BlendWeights { reorder: 1.0, item_knn: 0.5, ease: 0.5, popularity: 0.05 }
    }
}

/// Trained models over one [`Interactions`].
pub struct Recommender<'a> {
    pub data: &'a Interactions,
    pub popularity: Vec<f32>,
    pub trending: Vec<f32>,
    pub cosine: ItemKnn,
    pub bm25: ItemKnn,
    pub ease: Ease,
    pub weights: BlendWeights,
    /// Training time of each model.
    pub timings: Vec<(Model, Duration)>,
}

/// Dense per-item buffers reused across customers.
pub struct Scratch {
    pub parts: [Vec<f32>; 4],
    pub scores: Vec<f32>,
}

impl Scratch {
    pub fn new(items: usize) -> Scratch {
        Scratch { parts: std::array::from_fn(|_| vec![0.0; items]), scores: vec![0.0; items] }
    }
}

impl<'a> Recommender<'a> {
    pub fn fit(data: &'a Interactions, config: &ModelConfig) -> Recommender<'a> {
        let mut timings = Vec::new();
        let mut timed = |model: Model, started: Instant| timings.push((model, started.elapsed()));
        let started = Instant::now();
        let popularity: Vec<f32> = data.orders.column_counts().iter().map(|&c| c as f32).collect();
        timed(Model::Popularity, started);
        let started = Instant::now();
        // Recent buyers first; all-time popularity breaks ties (and fills a quiet window).
        let max_pop = popularity.iter().copied().fold(1.0, f32::max);
        let trending = data.catalog.recent_buyers.iter().zip(&popularity).map(|(&r, &p)| r as f32 + 0.5 * p / max_pop).collect();
        timed(Model::Trending, started);
        let started = Instant::now();
        let cosine = ItemKnn::fit(&data.orders, Similarity::Cosine, config.neighbours);
        timed(Model::CosineItemKnn, started);
        let started = Instant::now();
        let bm25 = ItemKnn::fit(&data.orders, Similarity::BM25, config.neighbours);
        timed(Model::Bm25ItemKnn, started);
        let started = Instant::now();
        let ease = Ease::fit(&data.orders, &config.ease);
        timed(Model::Ease, started);
        Recommender { data, popularity, trending, cosine, bm25, ease, weights: config.weights, timings }
    }

    /// Total training time.
    pub fn training_time(&self) -> Duration {
        self.timings.iter().map(|(_, d)| *d).sum()
    }

    /// Fills `scratch.scores` with `model`'s scores for `customer` (None: a customer with no
    /// history, who gets the trending list whatever the model).
    pub fn score(&self, model: Model, customer: Option<u32>, scratch: &mut Scratch) {
        let scores = &mut scratch.scores;
        scores.fill(0.0);
        let history = customer.map(|u| self.data.orders.row(u)).filter(|(items, _)| !items.is_empty());
        let Some(history) = history else {
            scores.copy_from_slice(&self.trending);
            return;
        };
        let u = customer.expect("history implies a customer");
        match model {
            Model::Popularity => scores.copy_from_slice(&self.popularity),
            Model::Trending => scores.copy_from_slice(&self.trending),
            Model::Reorder => add_row(self.data.decayed.row(u), &self.data.orders, u, scores),
            Model::CosineItemKnn => self.cosine.score(history, scores),
            Model::Bm25ItemKnn => self.bm25.score(history, scores),
            Model::Ease => self.ease.score(history, scores),
            Model::Blend => {
                self.blend_parts(u, scratch);
                let w = self.weights;
                blend_into(&scratch.parts, [w.reorder, w.item_knn, w.ease, w.popularity], &mut scratch.scores);
            }
        }
    }

    /// Fills `scratch.parts` with the blend's parts for customer `u` (reorder, BM25 item-kNN,
    /// EASE, popularity), each divided by its maximum over the items.
    pub fn blend_parts(&self, u: u32, scratch: &mut Scratch) {
        let history = self.data.orders.row(u);
        let [reorder, knn, ease, popularity] = &mut scratch.parts;
        for part in [&mut *reorder, &mut *knn, &mut *ease] {
            part.fill(0.0);
        }
        add_row(self.data.decayed.row(u), &self.data.orders, u, reorder);
        self.bm25.score(history, knn);
        self.ease.score(history, ease);
        popularity.copy_from_slice(&self.popularity);
        for part in &mut scratch.parts {
            let max = part.iter().copied().fold(0.0, f32::max);
            if max > 0.0 {
                part.iter_mut().for_each(|v| *v /= max);
            }
        }
    }

    /// "Similar items" for a product page: the item's cosine neighbours (customers who bought
    /// one bought the other), itself excluded, best first.
    pub fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        let (items, sims) = self.cosine.neighbours.row(item);
        let mut similar: Vec<(u32, f32)> = items.iter().zip(sims).filter(|(&i, _)| i != item).map(|(&i, &s)| (i, s)).collect();
        top_k(&mut similar, n);
        similar
    }

    /// "Frequently bought together" for a basket: BM25 item-kNN and EASE scores of the basket
    /// (each scaled to its maximum), the basket's own items excluded.
    pub fn bought_together(&self, basket: &[u32], n: usize, scratch: &mut Scratch) -> Vec<(u32, f32)> {
        let mut basket: Vec<u32> = basket.to_vec();
        basket.sort_unstable();
        basket.dedup();
        let ones = vec![1.0f32; basket.len()];
        let [knn, ease, ..] = &mut scratch.parts;
        knn.fill(0.0);
        ease.fill(0.0);
        self.bm25.score((&basket, &ones), knn);
        self.ease.score((&basket, &ones), ease);
        let (max_knn, max_ease) = (knn.iter().copied().fold(0.0, f32::max), ease.iter().copied().fold(0.0, f32::max));
        let scaled = |v: f32, max: f32| if max > 0.0 { v / max } else { 0.0 };
        let mut ranked: Vec<(u32, f32)> = (0..knn.len())
            .map(|i| (i as u32, scaled(knn[i], max_knn) + scaled(ease[i], max_ease)))
            .filter(|&(i, s)| s > 0.0 && basket.binary_search(&i).is_err())
            .collect();
        top_k(&mut ranked, n);
        ranked
    }

    /// The `n` best items for `customer` under `model` (positive scores first, then trending
    /// items to fill the list), best first.
    pub fn top(&self, model: Model, customer: Option<u32>, n: usize, scratch: &mut Scratch) -> Vec<(u32, f32)> {
        self.score(model, customer, scratch);
        let mut ranked: Vec<(u32, f32)> =
            scratch.scores.iter().enumerate().filter(|(_, &s)| s > 0.0).map(|(i, &s)| (i as u32, s)).collect();
        top_k(&mut ranked, n);
        if ranked.len() < n {
            let mut fill: Vec<(u32, f32)> = self.trending.iter().enumerate().map(|(i, &s)| (i as u32, s)).collect();
            top_k(&mut fill, n + ranked.len());
            for (i, _) in fill {
                if ranked.len() == n {
                    break;
                }
                if !ranked.iter().any(|&(j, _)| j == i) {
                    ranked.push((i, 0.0));
                }
            }
        }
        ranked
    }
}

/// scores = Σ weight × part.
fn blend_into(parts: &[Vec<f32>; 4], weights: [f32; 4], scores: &mut [f32]) {
    scores.fill(0.0);
    for (part, weight) in parts.iter().zip(weights) {
        if weight > 0.0 {
            for (s, v) in scores.iter_mut().zip(part) {
                *s += weight * v;
            }
        }
    }
}

/// Adds a customer's decayed row, restricted to items they bought (views alone are not reorders).
fn add_row(decayed: (&[u32], &[f32]), orders: &Csr, u: u32, scores: &mut [f32]) {
    let bought = orders.row(u).0;
    for (&i, &v) in decayed.0.iter().zip(decayed.1) {
        if bought.binary_search(&i).is_ok() {
            scores[i as usize] += v;
        }
    }
}
