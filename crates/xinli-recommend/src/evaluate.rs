//! Offline evaluation on a time split: train on everything before the split, test on the
//! distinct items each customer bought on or after it, for customers who bought in both periods.
//! Metrics at k (binary relevance): hit rate, precision, recall, NDCG (ideal DCG over
//! min(|test|, k) hits; Järvelin & Kekäläinen 2002) and catalogue coverage.

use crate::interactions::{InteractionConfig, Interactions};
use crate::model::{Model, ModelConfig, Recommender, Scratch};
use foldhash::{HashMap, HashMapExt};
use xinli_core::{OrderStatus, Shop, Timestamp};

/// An item bought in the test period that the training data never saw: it counts in |test|
/// but can never be hit.
const UNSEEN: u32 = u32::MAX;

/// Each evaluated customer's test items (sorted, distinct).
pub struct TestSet {
    pub customers: Vec<(u32, Vec<u32>)>,
}

impl TestSet {
    /// Completed purchases on or after `data.as_of` (and before `until`, when given) by
    /// customers with purchases before it.
    pub fn build(shop: &Shop, data: &Interactions, until: Option<Timestamp>) -> TestSet {
        let mut bought: HashMap<u32, (Vec<u32>, Vec<&str>)> = HashMap::new();
        for line in &shop.orders {
            let Some(product) = &line.product_id else { continue };
            if line.status != OrderStatus::Completed || line.ordered_at < data.as_of || until.is_some_and(|t| line.ordered_at >= t) {
                continue;
            }
            let Some(u) = data.customer(&line.customer_id) else { continue };
            if data.orders.row(u).0.is_empty() {
                continue;
            }
            let (items, unseen) = bought.entry(u).or_default();
            match data.item(product) {
                Some(i) => items.push(i),
                None => unseen.push(product.as_str()),
            }
        }
        let mut customers: Vec<(u32, Vec<u32>)> = bought
            .into_iter()
            .map(|(u, (mut items, mut unseen))| {
                items.sort_unstable();
                items.dedup();
                unseen.sort_unstable();
                unseen.dedup();
                items.extend(std::iter::repeat(UNSEEN).take(unseen.len()));
                (u, items)
            })
            .collect();
        customers.sort_unstable_by_key(|(u, _)| *u);
        TestSet { customers }
    }
}

/// Ranking quality of one model over a test set.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Metrics {
    pub model: String,
    pub customers: usize,
    pub hit_rate: f64,
    pub precision: f64,
    pub recall: f64,
    pub ndcg: f64,
    /// Distinct recommended items / items with any interaction before the split.
    pub coverage: f64,
    pub train_seconds: f64,
}

/// Accumulates the metrics of ranked lists.
pub struct MetricsAccumulator {
    k: usize,
    customers: usize,
    hits: f64,
    precision: f64,
    recall: f64,
    ndcg: f64,
    recommended: Vec<bool>,
}

impl MetricsAccumulator {
    pub fn new(k: usize, items: usize) -> Self {
        MetricsAccumulator { k, customers: 0, hits: 0.0, precision: 0.0, recall: 0.0, ndcg: 0.0, recommended: vec![false; items] }
    }

    /// `ranked`: the list, best first; `truth`: sorted test items.
    pub fn add(&mut self, ranked: &[u32], truth: &[u32]) {
        let top = &ranked[..ranked.len().min(self.k)];
        let mut dcg = 0.0;
        let mut hits = 0usize;
        for (rank, &i) in top.iter().enumerate() {
            self.recommended[i as usize] = true;
            if truth.binary_search(&i).is_ok() {
                hits += 1;
                dcg += 1.0 / (rank as f64 + 2.0).log2();
            }
        }
        let ideal: f64 = (0..truth.len().min(self.k)).map(|r| 1.0 / (r as f64 + 2.0).log2()).sum();
        self.customers += 1;
        self.hits += f64::from(u8::from(hits > 0));
        self.precision += hits as f64 / self.k as f64;
        self.recall += hits as f64 / truth.len() as f64;
        self.ndcg += dcg / ideal;
    }

    pub fn finish(self, model: &str, active_items: usize, train_seconds: f64) -> Metrics {
        let n = self.customers.max(1) as f64;
        Metrics {
            model: model.to_string(),
            customers: self.customers,
            hit_rate: self.hits / n,
            precision: self.precision / n,
            recall: self.recall / n,
            ndcg: self.ndcg / n,
            coverage: self.recommended.iter().filter(|&&r| r).count() as f64 / active_items.max(1) as f64,
            train_seconds,
        }
    }
}

/// Metrics of `model` over `test`, with lists of length `k`.
pub fn evaluate_model(rec: &Recommender, model: Model, test: &TestSet, k: usize) -> Metrics {
    let mut scratch = Scratch::new(rec.data.catalog.len());
    let mut acc = MetricsAccumulator::new(k, rec.data.catalog.len());
    for (u, truth) in &test.customers {
        let ranked: Vec<u32> = rec.top(model, Some(*u), k, &mut scratch).into_iter().map(|(i, _)| i).collect();
        acc.add(&ranked, truth);
    }
    let train = rec.timings.iter().filter(|(m, _)| *m == model).fold(0.0, |sum, (_, d)| sum + d.as_secs_f64());
    let train = if model == Model::Blend { rec.training_time().as_secs_f64() } else { train };
    acc.finish(model.name(), rec.data.active_items(), train)
}

/// The split's data, trained models and test set in one place.
pub struct Split {
    pub data: Interactions,
    pub test: TestSet,
}

impl Split {
    pub fn new(shop: &Shop, split: Timestamp, config: &InteractionConfig) -> Split {
        let data = Interactions::build(shop, split, config);
        let test = TestSet::build(shop, &data, None);
        Split { data, test }
    }

    pub fn evaluate_all(&self, config: &ModelConfig, k: usize) -> Vec<Metrics> {
        let rec = Recommender::fit(&self.data, config);
        Model::ALL.iter().map(|&m| evaluate_model(&rec, m, &self.test, k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_a_known_list() {
        let mut acc = MetricsAccumulator::new(3, 10);
        acc.add(&[5, 1, 2], &[1, 7]); // one hit at rank 2
        acc.add(&[3, 4, 6], &[9]); // none
        let m = acc.finish("x", 10, 0.0);
        let ndcg_first = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((m.hit_rate - 0.5).abs() < 1e-12);
        assert!((m.precision - (1.0 / 3.0) / 2.0).abs() < 1e-12);
        assert!((m.recall - 0.25).abs() < 1e-12);
        assert!((m.ndcg - ndcg_first / 2.0).abs() < 1e-12);
        assert!((m.coverage - 0.6).abs() < 1e-12);
    }
}
