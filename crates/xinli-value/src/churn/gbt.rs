//! A small gradient-boosted tree ensemble for binary log-loss (histogram splits, Newton leaves).
//!
//! - Features are cut into at most `bins` quantile bins learnt from the training rows (cut
//!   points are distinct training-value quantiles); a split is `x ≤ cut`.
//! - Each round fits one tree of depth ≤ `depth` to the gradient `p − y` and Hessian
//!   `p(1 − p)` of the log-loss: the split maximising
//!   `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)` with at least `min_leaf` rows per side; leaves
//!   take the Newton value `−G/(H+λ)`, shrunk by `learning_rate`. Histograms of the larger
//!   child are the parent's minus the smaller child's.
//! - The starting margin is the log-odds of the training positive rate.
//! - Feature importance is the total split gain per feature.
//!
//! - Each tree is grown on a `subsample` share of the rows, drawn by a fixed hash of
//!   (seed, round, row): no random state, results depend only on the data and parameters.

use super::logistic::sigmoid;
use super::mix;

/// Tree-ensemble hyper-parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BoostingConfig {
    /// Upper bound on boosting rounds (early stopping picks fewer).
    pub max_trees: usize,
    pub depth: usize,
    pub learning_rate: f64,
    pub min_leaf: usize,
    /// L2 penalty λ on leaf values.
    pub l2_leaf: f64,
    /// Histogram bins per feature (2..=256).
    pub bins: usize,
    /// Stop when validation log-loss has not improved for this many rounds.
    pub patience: usize,
    /// Share of rows each tree is grown on (stochastic boosting; rows drawn by a fixed hash
    /// of (seed, round, row), so runs are reproducible). 1 = all rows.
    pub subsample: f64,
    pub seed: u64,
}

impl Default for BoostingConfig {
    fn default() -> Self {
        BoostingConfig {
            max_trees: 200,
            depth: 3,
            learning_rate: 0.2,
            min_leaf: 20,
            l2_leaf: 1.0,
            bins: 32,
            patience: 15,
            subsample: 0.5,
            seed: 0xB00_57ED,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Split { feature: usize, cut: f64, left: usize, right: usize },
    Leaf(f64),
}

/// A tree laid out as a complete binary tree of its depth (leaves above the bottom are
/// pushed down with always-left splits), for branch-free prediction.
#[derive(Debug, Clone, PartialEq)]
struct Flat {
    feature: Vec<u32>,
    cut: Vec<f64>,
    leaf: Vec<f64>,
}

impl Flat {
    fn new(tree: &[Node], depth: usize) -> Flat {
        let internal = (1usize << depth) - 1;
        let mut f = Flat { feature: vec![0; internal], cut: vec![f64::INFINITY; internal], leaf: vec![0.0; internal + 1] };
        f.fill(tree, 0, 0, 0, depth);
        f
    }

    fn fill(&mut self, tree: &[Node], node: usize, pos: usize, level: usize, depth: usize) {
        if level == depth {
            let mut i = node;
            // Only reached through always-left padding or a true leaf at full depth.
            while let Node::Split { left, .. } = tree[i] {
                i = left;
            }
            if let Node::Leaf(v) = tree[i] {
                self.leaf[pos - ((1usize << depth) - 1)] = v;
            }
            return;
        }
        match tree[node] {
            Node::Split { feature, cut, left, right } => {
                self.feature[pos] = feature as u32;
                self.cut[pos] = cut;
                self.fill(tree, left, 2 * pos + 1, level + 1, depth);
                self.fill(tree, right, 2 * pos + 2, level + 1, depth);
            }
            Node::Leaf(_) => {
                // cut = +∞: every finite value goes left; both sides carry the leaf anyway.
                self.fill(tree, node, 2 * pos + 1, level + 1, depth);
                self.fill(tree, node, 2 * pos + 2, level + 1, depth);
            }
        }
    }

    fn value(&self, row: &[f64]) -> f64 {
        let mut i = 0;
        while i < self.feature.len() {
            i = 2 * i + 1 + (row[self.feature[i] as usize] > self.cut[i]) as usize;
        }
        self.leaf[i - self.feature.len()]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ensemble {
    base: f64,
    trees: Vec<Vec<Node>>,
    flat: Vec<Flat>,
    /// Total split gain per feature.
    pub gain: Vec<f64>,
}

impl Ensemble {
    fn tree_value(tree: &[Node], row: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match tree[i] {
                Node::Leaf(v) => return v,
                Node::Split { feature, cut, left, right } => {
                    i = if row[feature] <= cut { left } else { right };
                }
            }
        }
    }

    pub fn margin(&self, row: &[f64]) -> f64 {
        if self.flat.len() == self.trees.len() {
            self.base + self.flat.iter().map(|t| t.value(row)).sum::<f64>()
        } else {
            self.base + self.trees.iter().map(|t| Self::tree_value(t, row)).sum::<f64>()
        }
    }

    pub fn predict(&self, row: &[f64]) -> f64 {
        sigmoid(self.margin(row))
    }
}

/// Quantile cut points per feature from row-major `x` (n × d).
fn cut_points(x: &[f64], n: usize, d: usize, bins: usize) -> Vec<Vec<f64>> {
    let bins = bins.clamp(2, 256);
    // Quantiles from at most ~50k rows (evenly strided): plenty for 32–256 bins.
    let stride = (n / 50_000).max(1);
    (0..d)
        .map(|f| {
            let mut col: Vec<f64> = (0..n).step_by(stride).map(|i| x[i * d + f]).collect();
            col.sort_unstable_by(f64::total_cmp);
            let mut cuts: Vec<f64> = Vec::new();
            if col.is_empty() {
                return cuts;
            }
            for b in 1..bins {
                let v = col[(b * col.len() / bins).min(col.len() - 1)];
                // The cut sits between v and the next larger value, so x ≤ cut splits ties whole.
                if cuts.last().map_or(true, |&c| v > c) && v < col[col.len() - 1] {
                    cuts.push(v);
                }
            }
            cuts
        })
        .collect()
}

fn binned(x: &[f64], n: usize, d: usize, cuts: &[Vec<f64>]) -> Vec<u8> {
    // Row-major: bins[i * d + f] (row-wise histograms touch d different bins per row, which
    // avoids the store-to-load chains of column-wise accumulation into few bins).
    let mut out = vec![0u8; n * d];
    for i in 0..n {
        for f in 0..d {
            out[i * d + f] = cuts[f].partition_point(|&c| c < x[i * d + f]) as u8;
        }
    }
    out
}

struct Builder<'a> {
    bins: &'a [u8],
    d: usize,
    n_bins: usize,
    cuts: &'a [Vec<f64>],
    grad: &'a [f64],
    hess: &'a [f64],
    cfg: &'a BoostingConfig,
    gain: &'a mut [f64],
}

/// Histogram layout: `[f * n_bins + b] = (Σg, Σh, count)`.
type Hist = Vec<(f64, f64, u32)>;

impl Builder<'_> {
    fn histogram(&self, rows: &[u32]) -> Hist {
        let (d, nb) = (self.d, self.n_bins);
        let mut h = vec![(0.0, 0.0, 0u32); d * nb];
        for &r in rows {
            let r = r as usize;
            let (g, hs) = (self.grad[r], self.hess[r]);
            let row = &self.bins[r * d..(r + 1) * d];
            for (f, &b) in row.iter().enumerate() {
                let e = &mut h[f * nb + b as usize];
                e.0 += g;
                e.1 += hs;
                e.2 += 1;
            }
        }
        h
    }

    fn build(&mut self, rows: &mut [u32], hist: Hist, depth: usize, nodes: &mut Vec<Node>) -> usize {
        let lambda = self.cfg.l2_leaf.max(1e-9);
        let (g, h) = {
            let hf = &hist[..self.n_bins];
            hf.iter().fold((0.0, 0.0), |acc, e| (acc.0 + e.0, acc.1 + e.1))
        };
        let id = nodes.len();
        nodes.push(Node::Leaf(-g / (h + lambda) * self.cfg.learning_rate));
        let min_leaf = self.cfg.min_leaf.max(1) as u32;
        if depth >= self.cfg.depth || (rows.len() as u32) < 2 * min_leaf {
            return id;
        }
        let parent_score = g * g / (h + lambda);
        let mut best: Option<(f64, usize, usize)> = None; // gain, feature, bin
        for f in 0..self.d {
            let hf = &hist[f * self.n_bins..(f + 1) * self.n_bins];
            let (mut gl, mut hl, mut cl) = (0.0, 0.0, 0u32);
            for b in 0..self.cuts[f].len() {
                gl += hf[b].0;
                hl += hf[b].1;
                cl += hf[b].2;
                let cr = rows.len() as u32 - cl;
                if cl < min_leaf {
                    continue;
                }
                if cr < min_leaf {
                    break;
                }
                let (gr, hr) = (g - gl, h - hl);
                let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent_score;
                if gain > 1e-9 && best.map_or(true, |(bg, _, _)| gain > bg) {
                    best = Some((gain, f, b));
                }
            }
        }
        let Some((gain, feature, bin)) = best else { return id };
        self.gain[feature] += gain;
        // In-place partition: left rows (bin ≤ split) first.
        let mut split = 0;
        for i in 0..rows.len() {
            if self.bins[rows[i] as usize * self.d + feature] as usize <= bin {
                rows.swap(i, split);
                split += 1;
            }
        }
        let (left_rows, right_rows) = rows.split_at_mut(split);
        let (small_hist, small_is_left) = if left_rows.len() <= right_rows.len() {
            (self.histogram(left_rows), true)
        } else {
            (self.histogram(right_rows), false)
        };
        let mut large_hist = hist;
        for (l, s) in large_hist.iter_mut().zip(&small_hist) {
            l.0 -= s.0;
            l.1 -= s.1;
            l.2 -= s.2;
        }
        let (lh, rh) = if small_is_left { (small_hist, large_hist) } else { (large_hist, small_hist) };
        let left = self.build(left_rows, lh, depth + 1, nodes);
        let right = self.build(right_rows, rh, depth + 1, nodes);
        nodes[id] = Node::Split { feature, cut: self.cuts[feature][bin], left, right };
        id
    }
}

/// Result of a fit: the ensemble and, with validation data, the per-round validation
/// log-loss of the kept rounds' best prefix.
pub(crate) struct Fit {
    pub ensemble: Ensemble,
    pub best_rounds: usize,
}

/// Fits on row-major `x` (n × d). With `valid = Some((xv, yv))`, stops early on validation
/// log-loss and keeps the best prefix; otherwise runs exactly `rounds` (or `max_trees`) rounds.
pub(crate) fn fit(
    x: &[f64],
    y: &[bool],
    d: usize,
    cfg: &BoostingConfig,
    valid: Option<(&[f64], &[bool])>,
    rounds: Option<usize>,
) -> Fit {
    let n = y.len();
    let n_bins = cfg.bins.clamp(2, 256);
    let cuts = cut_points(x, n, d, n_bins);
    let bins = binned(x, n, d, &cuts);
    let pos = y.iter().filter(|&&v| v).count() as f64;
    let rate = ((pos + 0.5) / (n as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
    let base = (rate / (1.0 - rate)).ln();
    let mut ensemble = Ensemble { base, trees: Vec::new(), flat: Vec::new(), gain: vec![0.0; d] };
    let mut margin = vec![base; n];
    let mut grad = vec![0.0; n];
    let mut hess = vec![0.0; n];
    let max_rounds = rounds.unwrap_or(cfg.max_trees);
    let mut valid_margin: Vec<f64> = valid.map(|(_, yv)| vec![base; yv.len()]).unwrap_or_default();
    let mut best = (f64::INFINITY, 0usize);
    let mut gains_at_best = ensemble.gain.clone();
    let mut rows: Vec<u32> = Vec::with_capacity(n);
    for round in 0..max_rounds {
        if n == 0 {
            break;
        }
        rows.clear();
        if cfg.subsample >= 1.0 || n < 4 * cfg.min_leaf.max(1) {
            rows.extend(0..n as u32);
        } else {
            let threshold = (cfg.subsample.max(0.0) * u64::MAX as f64) as u64;
            let seed = mix(cfg.seed ^ mix(round as u64));
            rows.extend((0..n as u32).filter(|&i| mix(seed ^ i as u64) <= threshold));
        }
        for &i in &rows {
            let i = i as usize;
            let p = sigmoid(margin[i]);
            grad[i] = p - y[i] as u8 as f64;
            hess[i] = (p * (1.0 - p)).max(1e-12);
        }
        let mut nodes = Vec::new();
        let mut builder = Builder {
            bins: &bins,
            d,
            n_bins,
            cuts: &cuts,
            grad: &grad,
            hess: &hess,
            cfg,
            gain: &mut ensemble.gain,
        };
        let hist = builder.histogram(&rows);
        builder.build(&mut rows, hist, 0, &mut nodes);
        for i in 0..n {
            margin[i] += Ensemble::tree_value(&nodes, &x[i * d..(i + 1) * d]);
        }
        if let Some((xv, yv)) = valid {
            let mut loss = 0.0;
            for (i, m) in valid_margin.iter_mut().enumerate() {
                *m += Ensemble::tree_value(&nodes, &xv[i * d..(i + 1) * d]);
                let p = sigmoid(*m).clamp(1e-15, 1.0 - 1e-15);
                loss -= if yv[i] { p.ln() } else { (1.0 - p).ln() };
            }
            ensemble.trees.push(nodes);
            if loss < best.0 {
                best = (loss, round + 1);
                gains_at_best.clone_from(&ensemble.gain);
            } else if round + 1 - best.1 >= cfg.patience.max(1) {
                break;
            }
        } else {
            ensemble.trees.push(nodes);
        }
    }
    if valid.is_some() {
        ensemble.trees.truncate(best.1);
        ensemble.gain = gains_at_best;
    }
    if cfg.depth <= 12 {
        ensemble.flat = ensemble.trees.iter().map(|t| Flat::new(t, cfg.depth)).collect();
    }
    let best_rounds = ensemble.trees.len();
    Fit { ensemble, best_rounds }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_an_interaction_a_linear_model_cannot() {
        // y = xor(x0 > 8, x1 > -4), deterministic grid (off-centre, so greedy splits gain).
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..40 {
            for j in 0..40 {
                let a = i as f64 - 19.5;
                let b = j as f64 - 19.5;
                x.push(a);
                x.push(b);
                y.push((a > 8.0) != (b > -4.0));
            }
        }
        let cfg = BoostingConfig { max_trees: 50, min_leaf: 5, subsample: 1.0, ..BoostingConfig::default() };
        let fit = fit(&x, &y, 2, &cfg, None, None);
        assert_eq!(fit.ensemble.trees.len(), 50);
        let correct = (0..y.len()).filter(|&i| (fit.ensemble.predict(&x[2 * i..2 * i + 2]) > 0.5) == y[i]).count();
        assert!(correct as f64 / y.len() as f64 > 0.95, "{correct}");
        assert!(fit.ensemble.gain.iter().all(|g| *g > 0.0));
        // The flat layout predicts exactly what the node trees do.
        for i in 0..y.len() {
            let row = &x[2 * i..2 * i + 2];
            let slow = fit.ensemble.base + fit.ensemble.trees.iter().map(|t| Ensemble::tree_value(t, row)).sum::<f64>();
            assert_eq!(fit.ensemble.margin(row), slow);
        }
    }

    #[test]
    fn degenerate_inputs() {
        let cfg = BoostingConfig::default();
        let f = fit(&[], &[], 2, &cfg, None, Some(5));
        assert!(f.ensemble.predict(&[0.0, 0.0]).is_finite());
        // Constant feature, one class.
        let f = fit(&[1.0; 10], &[true; 10], 1, &cfg, Some((&[1.0; 3], &[true; 3])), None);
        assert!(f.ensemble.predict(&[1.0]) > 0.5);
    }
}
