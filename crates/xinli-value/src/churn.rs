//! Churn: "will this customer buy again within H days?", learnt by back-testing on the shop's
//! own history.
//!
//! # Why
//! BTYD models (BG/NBD, Pareto/NBD) fitted on shops like UCI Online Retail often land on the
//! no-dropout boundary, so P(alive) ≈ 1 for everyone and ranks nobody. Instead we learn, from
//! earlier stretches of the same shop, how purchase histories at a date relate to buying in the
//! H days after it, and apply that to the analysis date.
//!
//! # Back-test windows
//! With `a` the analysis day, the cutoffs are `c_k = a − H − k·step` for `k = 0, 1, …`, while
//! `k < max_windows` and the shop has at least `min_history_days` of history before `c_k`
//! (counted from its first purchase). At each cutoff, every customer with a purchase on or
//! before `c_k` is one example: features from purchases on days `≤ c_k` only, label "bought
//! on some day in `(c_k, c_k + H]`". All labels end on or before `a`, so no data after the
//! analysis date is ever read. Window `k = 0` (the latest) is the **validation** window, the
//! others are stacked as the training set; with a single window it trains without
//! validation. Windows with fewer than `min_window_examples` customers are skipped. When the
//! stacked examples exceed `max_training_examples`, every window is thinned by the same
//! deterministic hash of (seed, window, customer).
//!
//! # Features
//! See [`BASE_FEATURES`]; counts, spends and durations are log-transformed (`ln(1 + x)`).
//! Callers may append extra columns per cutoff (e.g. BTYD P(alive) and expected purchases
//! fitted on the data up to that cutoff) through [`predict_churn_with`]: the closure is
//! called with each cutoff (end of that day) and with the analysis date, and returns one row
//! per customer index. Missing rows/values and non-finite values are imputed with the
//! training mean of the column.
//!
//! # Models
//! - L2-regularised logistic regression on standardised features, fitted by Newton/IRLS, one
//!   fit per `l2_grid` value;
//! - a gradient-boosted tree ensemble ([`BoostingConfig`]: depth-3 trees, shrinkage 0.2,
//!   32-bin histograms), early-stopped on validation log-loss;
//! - their blend (mean of the two probabilities).
//!
//! Each candidate is trained on the training windows and scored on the validation window; the
//! logistic model with the best λ is the incumbent, and the boosted model or the blend
//! replaces it only when its validation AUC is higher by at least
//! [`ChurnConfig::min_auc_gain`] (0.005): trees must help measurably. The logistic grid and
//! the trees are fitted on two threads (results do not depend on scheduling). The winner's hyper-parameters (λ, number of trees) are then
//! refitted on all windows, validation included, and applied at the analysis date:
//! `p_return = P(buy within H)`, `churn_risk = 1 − p_return`. Everything is deterministic.
//!
//! # Explaining
//! [`ChurnReport`] lists the windows, example counts, every candidate's validation AUC and
//! log-loss, the logistic coefficients (per standard deviation of each feature; positive =
//! more likely to buy again) and the chosen model's feature importances.

mod gbt;
mod logistic;

pub use gbt::BoostingConfig;

use crate::history::Histories;
use crate::metrics::{auc, log_loss};
use logistic::Logistic;
use serde::Serialize;
use xinli_core::{Timestamp, Transaction};

/// The built-in features, in column order. "Orders" are transactions; "purchase days" are
/// distinct days with a purchase; all durations are in days, measured at the cutoff `c`.
///
/// | feature | definition |
/// | --- | --- |
/// | `log_recency` | ln(1 + c − last purchase day) |
/// | `log_tenure` | ln(1 + c − first purchase day) |
/// | `log_orders` | ln(orders) |
/// | `log_purchase_days` | ln(purchase days) |
/// | `log_purchase_rate` | ln(30 · purchase days / (tenure + 30)) — smoothed purchases per month |
/// | `one_time_buyer` | 1 if a single purchase day, else 0 |
/// | `log_mean_gap` | ln(1 + mean gap between purchase days); one-time buyers: ln(1 + tenure) |
/// | `gap_cv` | std / mean of the gaps (≥ 3 purchase days, else 0; capped at 5) |
/// | `log_recency_over_gap` | ln(1 + recency / max(mean gap, 1)); one-time buyers: ln(1 + recency / max(tenure, 1)) |
/// | `log_orders_30d` | ln(1 + orders in (c − 30, c]) |
/// | `log_orders_90d` | ln(1 + orders in (c − 90, c]) |
/// | `log_orders_180d` | ln(1 + orders in (c − 180, c]) |
/// | `trend_90d` | ln((rate in last 90 d + ε)/(rate before + ε)), ε = 1/365, rates per day; 0 when tenure < 120 |
/// | `log_mean_order_value` | ln(1 + mean order value) |
/// | `log_total_spend` | ln(1 + total spend) |
/// | `log_spend_90d` | ln(1 + spend in (c − 90, c]) |
/// | `log_last_over_mean_value` | ln((1 + last order value) / (1 + mean order value)) |
/// | `log_orders_per_day` | ln(orders / purchase days) |
pub const BASE_FEATURES: [&str; 18] = [
    "log_recency",
    "log_tenure",
    "log_orders",
    "log_purchase_days",
    "log_purchase_rate",
    "one_time_buyer",
    "log_mean_gap",
    "gap_cv",
    "log_recency_over_gap",
    "log_orders_30d",
    "log_orders_90d",
    "log_orders_180d",
    "trend_90d",
    "log_mean_order_value",
    "log_total_spend",
    "log_spend_90d",
    "log_last_over_mean_value",
    "log_orders_per_day",
];

const NB: usize = BASE_FEATURES.len();

/// Which models to consider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelChoice {
    /// Logistic, boosted and blend; pick by validation AUC.
    Auto,
    Logistic,
    Boosted,
}

/// The model that produced the scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Logistic,
    Boosted,
    /// Mean of the logistic and boosted probabilities.
    Blend,
}

/// Churn-model settings; [`Default`] documents the defaults.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChurnConfig {
    /// H: "buys again within H days". Default 90.
    pub horizon_days: i64,
    /// Days between back-test cutoffs. Default 30.
    pub step_days: i64,
    /// At most this many windows (validation included). Default 12.
    pub max_windows: usize,
    /// A cutoff needs this many days of shop history before it. Default 60.
    pub min_history_days: i64,
    /// Windows with fewer customers are skipped. Default 30.
    pub min_window_examples: usize,
    /// Cap on examples over all windows (deterministic thinning beyond). Default 50 000 (ample for ~20 features; bounds training time on big shops).
    pub max_training_examples: usize,
    pub model: ModelChoice,
    /// Logistic L2 penalties tried. Default [1, 10, 100].
    pub l2_grid: Vec<f64>,
    pub boosting: BoostingConfig,
    /// The boosted model or the blend replaces the logistic model only when its validation
    /// AUC is higher by at least this much (parsimony: the AUC's standard error on a few
    /// thousand validation customers is ≈ 0.01). Default 0.005.
    pub min_auc_gain: f64,
    /// Seed of the thinning hash. Default 0x5EED.
    pub seed: u64,
}

impl Default for ChurnConfig {
    fn default() -> Self {
        ChurnConfig {
            horizon_days: 90,
            step_days: 30,
            max_windows: 12,
            min_history_days: 60,
            min_window_examples: 30,
            max_training_examples: 50_000,
            model: ModelChoice::Auto,
            l2_grid: vec![1.0, 10.0, 100.0],
            boosting: BoostingConfig::default(),
            min_auc_gain: 0.005,
            seed: 0x5EED,
        }
    }
}

/// Role of a back-test window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowRole {
    Train,
    Validation,
}

/// One back-test window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowInfo {
    /// The cutoff (end of day): features use purchases up to it.
    pub cutoff: Timestamp,
    pub role: WindowRole,
    /// Customers with a purchase on or before the cutoff.
    pub customers: usize,
    /// Examples kept (after thinning).
    pub examples: usize,
    /// Of which bought again within the horizon.
    pub positives: usize,
}

/// Validation result of one candidate model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub kind: ModelKind,
    /// e.g. `logistic(l2=1)`, `boosted(trees=57)`.
    pub description: String,
    pub validation_auc: Option<f64>,
    pub validation_log_loss: Option<f64>,
}

/// A named number attached to a feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureWeight {
    pub feature: String,
    pub value: f64,
}

/// What was trained, on what, and how well it validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChurnReport {
    pub analysis_date: Timestamp,
    pub horizon_days: i64,
    pub windows: Vec<WindowInfo>,
    pub training_examples: usize,
    pub validation_examples: usize,
    pub candidates: Vec<Candidate>,
    /// `None` when there was not enough history to train (no scores then).
    pub chosen: Option<ModelKind>,
    pub chosen_description: String,
    pub validation_auc: Option<f64>,
    pub validation_log_loss: Option<f64>,
    pub feature_names: Vec<String>,
    /// Final logistic model: change in log-odds of buying again per standard deviation of the
    /// feature (reported whatever model was chosen).
    pub coefficients: Vec<FeatureWeight>,
    pub intercept: f64,
    /// Chosen model's importances, summing to 1 (logistic: |coefficient| shares; boosted:
    /// split-gain shares; blend: their mean), most important first.
    pub importances: Vec<FeatureWeight>,
    /// Why no model was trained, when none was.
    pub note: Option<String>,
}

/// One customer's score at the analysis date.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CustomerChurn {
    pub customer: u32,
    /// P(buys again within the horizon).
    pub p_return: f64,
    /// `1 − p_return`.
    pub churn_risk: f64,
}

/// A trained churn model (imputation, standardisation and the chosen predictor).
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnModel {
    kind: ModelKind,
    horizon_days: i64,
    n_features: usize,
    /// Training mean of each column (imputes missing values; centres for the logistic).
    means: Vec<f64>,
    scales: Vec<f64>,
    logistic: Option<Logistic>,
    boosted: Option<gbt::Ensemble>,
}

/// Scores, report and model.
#[derive(Debug, Clone)]
pub struct ChurnOutcome {
    pub report: ChurnReport,
    /// Every customer with a purchase on or before the analysis date, by customer index
    /// (empty when no model could be trained).
    pub scores: Vec<CustomerChurn>,
    pub model: Option<ChurnModel>,
}

/// Examples of one cutoff: customers, row-major features, labels.
struct Frame {
    customers: Vec<u32>,
    x: Vec<f64>,
    y: Vec<bool>,
}

/// Built-in features of one customer from their purchases up to the cutoff (non-empty slices).
fn base_features(days: &[i64], amounts: &[f64], c: i64, out: &mut [f64]) {
    let n = days.len();
    let first = days[0];
    let last = days[n - 1];
    let recency = (c - last) as f64;
    let tenure = (c - first) as f64;
    let mut purchase_days = 1usize;
    let (mut gap_sum, mut gap_sq) = (0.0, 0.0);
    let (mut n30, mut n90, mut n180, mut spend90) = (0usize, 0usize, 0usize, 0.0);
    let mut total = 0.0;
    for i in 0..n {
        let d = days[i];
        let a = amounts[i];
        total += a;
        if i > 0 && d != days[i - 1] {
            purchase_days += 1;
            let g = (d - days[i - 1]) as f64;
            gap_sum += g;
            gap_sq += g * g;
        }
        let age = c - d;
        if age < 30 {
            n30 += 1;
        }
        if age < 90 {
            n90 += 1;
            spend90 += a;
        }
        if age < 180 {
            n180 += 1;
        }
    }
    let mean_value = (total / n as f64).max(0.0);
    let last_value = amounts[n - 1].max(0.0);
    let gaps = (purchase_days - 1) as f64;
    let one_time = purchase_days == 1;
    let mean_gap = if one_time { tenure } else { gap_sum / gaps };
    let cv = if purchase_days >= 3 && mean_gap > 0.0 {
        let var = (gap_sq / gaps - mean_gap * mean_gap).max(0.0);
        (var.sqrt() / mean_gap).min(5.0)
    } else {
        0.0
    };
    let ratio = if one_time { recency / tenure.max(1.0) } else { recency / mean_gap.max(1.0) };
    let trend = if tenure >= 120.0 {
        let eps = 1.0 / 365.0;
        let recent = n90 as f64 / 90.0;
        let before = (n - n90) as f64 / (tenure - 90.0).max(1.0);
        ((recent + eps) / (before + eps)).ln()
    } else {
        0.0
    };
    let pd = purchase_days as f64;
    out.copy_from_slice(&[
        recency.ln_1p(),
        tenure.ln_1p(),
        (n as f64).ln(),
        pd.ln(),
        (30.0 * pd / (tenure + 30.0)).ln(),
        one_time as u8 as f64,
        mean_gap.ln_1p(),
        cv,
        ratio.ln_1p(),
        (n30 as f64).ln_1p(),
        (n90 as f64).ln_1p(),
        (n180 as f64).ln_1p(),
        trend,
        mean_value.ln_1p(),
        total.max(0.0).ln_1p(),
        spend90.max(0.0).ln_1p(),
        ((1.0 + last_value) / (1.0 + mean_value)).ln(),
        (n as f64 / pd).ln(),
    ]);
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Examples at cutoff day `c`; `horizon` adds labels; `keep` thins customers.
fn frame(
    h: &Histories,
    c: i64,
    horizon: Option<i64>,
    extra: Option<&[Vec<f64>]>,
    n_extra: usize,
    keep: impl Fn(u32) -> bool,
) -> (Frame, usize) {
    let d = NB + n_extra;
    let mut f = Frame { customers: Vec::new(), x: Vec::new(), y: Vec::new() };
    let mut eligible = 0;
    let mut row = vec![0.0; NB];
    for cust in h.active() {
        let (days, amounts) = h.customer(cust);
        let upto = days.partition_point(|&d| d <= c);
        if upto == 0 {
            continue;
        }
        eligible += 1;
        if !keep(cust as u32) {
            continue;
        }
        base_features(&days[..upto], &amounts[..upto], c, &mut row);
        f.customers.push(cust as u32);
        f.x.extend_from_slice(&row);
        for j in 0..n_extra {
            let v = extra.and_then(|e| e.get(cust)).and_then(|r| r.get(j)).copied().unwrap_or(f64::NAN);
            f.x.push(v);
        }
        if let Some(hz) = horizon {
            f.y.push(upto < days.len() && days[upto] <= c + hz);
        }
    }
    debug_assert_eq!(f.x.len(), f.customers.len() * d);
    (f, eligible)
}

/// The built-in feature rows ([`BASE_FEATURES`] order) of every customer with a purchase on
/// or before `at` (inclusive, day level): `(customers, rows)`. For inspection and reports.
pub fn feature_matrix(transactions: &[Transaction], at: Timestamp) -> (Vec<u32>, Vec<Vec<f64>>) {
    let c = at.day_index();
    let h = Histories::build(transactions, c);
    let (f, _) = frame(&h, c, None, None, 0, |_| true);
    let rows = f.x.chunks_exact(NB).map(|r| r.to_vec()).collect();
    (f.customers, rows)
}

/// The back-test cutoffs (end of day), latest (validation) first, for these transactions.
pub fn backtest_cutoffs(transactions: &[Transaction], analysis_date: Timestamp, config: &ChurnConfig) -> Vec<Timestamp> {
    let a = analysis_date.day_index();
    let first = transactions.iter().map(|t| t.at.day_index()).filter(|&d| d <= a).min();
    cutoff_days(first, a, config).into_iter().map(day_end).collect()
}

fn day_end(day: i64) -> Timestamp {
    Timestamp::from_unix_seconds((day + 1) * 86_400 - 1)
}

fn cutoff_days(first: Option<i64>, a: i64, config: &ChurnConfig) -> Vec<i64> {
    let Some(first) = first else { return Vec::new() };
    let step = config.step_days.max(1);
    let hz = config.horizon_days.max(1);
    (0..config.max_windows as i64)
        .map(|k| a - hz - k * step)
        .take_while(|&c| c - first >= config.min_history_days.max(0))
        .collect()
}

/// Column means over finite values (0 when none) and standard deviations (1 when ~0).
fn moments(x: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut sum = vec![0.0; d];
    let mut cnt = vec![0usize; d];
    for row in x.chunks_exact(d) {
        for j in 0..d {
            if row[j].is_finite() {
                sum[j] += row[j];
                cnt[j] += 1;
            }
        }
    }
    let means: Vec<f64> = (0..d).map(|j| if cnt[j] > 0 { sum[j] / cnt[j] as f64 } else { 0.0 }).collect();
    let mut sq = vec![0.0; d];
    for row in x.chunks_exact(d) {
        for j in 0..d {
            let v = if row[j].is_finite() { row[j] } else { means[j] };
            sq[j] += (v - means[j]).powi(2);
        }
    }
    let n = (x.len() / d.max(1)).max(1) as f64;
    let scales = sq.iter().map(|s| {
        let sd = (s / n).sqrt();
        if sd > 1e-12 { sd } else { 1.0 }
    });
    (means, scales.collect())
}

fn impute(x: &mut [f64], d: usize, means: &[f64]) {
    for row in x.chunks_exact_mut(d) {
        for j in 0..d {
            if !row[j].is_finite() {
                row[j] = means[j];
            }
        }
    }
}

fn standardised(x: &[f64], d: usize, means: &[f64], scales: &[f64]) -> Vec<f64> {
    let mut z = x.to_vec();
    for row in z.chunks_exact_mut(d) {
        for j in 0..d {
            row[j] = (row[j] - means[j]) / scales[j];
        }
    }
    z
}

impl ChurnModel {
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// P(buy within the horizon) for one raw feature row (built-in then extra columns).
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut r: Vec<f64> = (0..self.n_features)
            .map(|j| row.get(j).copied().filter(|v| v.is_finite()).unwrap_or(self.means[j]))
            .collect();
        let pb = self.boosted.as_ref().map(|b| b.predict(&r));
        for j in 0..self.n_features {
            r[j] = (r[j] - self.means[j]) / self.scales[j];
        }
        let pl = self.logistic.as_ref().map(|l| l.predict(&r));
        let p = match (self.kind, pl, pb) {
            (ModelKind::Logistic, Some(p), _) | (ModelKind::Boosted, _, Some(p)) => p,
            (ModelKind::Blend, Some(a), Some(b)) => 0.5 * (a + b),
            (_, Some(p), _) | (_, None, Some(p)) => p,
            _ => 0.5,
        };
        if p.is_finite() { p.clamp(0.0, 1.0) } else { 0.5 }
    }

    /// Scores every customer with a purchase on or before `at` (inclusive, day level).
    /// `extra` rows (by customer index) must hold the same extra columns as in training.
    pub fn score(&self, transactions: &[Transaction], at: Timestamp, extra: Option<&[Vec<f64>]>) -> Vec<CustomerChurn> {
        let c = at.day_index();
        let h = Histories::build(transactions, c);
        self.score_histories(&h, c, extra)
    }

    fn score_histories(&self, h: &Histories, c: i64, extra: Option<&[Vec<f64>]>) -> Vec<CustomerChurn> {
        let n_extra = self.n_features - NB;
        let (f, _) = frame(h, c, None, extra, n_extra, |_| true);
        f.customers
            .iter()
            .zip(f.x.chunks_exact(self.n_features.max(1)))
            .map(|(&customer, row)| {
                let p = self.predict_row(row);
                CustomerChurn { customer, p_return: p, churn_risk: 1.0 - p }
            })
            .collect()
    }

    /// The horizon (days) the model predicts over.
    pub fn horizon_days(&self) -> i64 {
        self.horizon_days
    }
}

/// Trains the churn model by back-testing and scores customers at `analysis_date`, using the
/// built-in features only. See the [module docs](self).
pub fn predict_churn(transactions: &[Transaction], analysis_date: Timestamp, config: &ChurnConfig) -> ChurnOutcome {
    predict_churn_with(transactions, analysis_date, config, &[], |_| Vec::new())
}

/// As [`predict_churn`], with extra feature columns named `extra_names`: `extra(cutoff)` must
/// return, for every customer index, that customer's extra values computed from data up to
/// `cutoff` only (it is called once per back-test cutoff and once with the analysis date).
pub fn predict_churn_with<F>(
    transactions: &[Transaction],
    analysis_date: Timestamp,
    config: &ChurnConfig,
    extra_names: &[String],
    extra: F,
) -> ChurnOutcome
where
    F: Fn(Timestamp) -> Vec<Vec<f64>>,
{
    let a = analysis_date.day_index();
    let hz = config.horizon_days.max(1);
    let h = Histories::build(transactions, a);
    let n_extra = extra_names.len();
    let d = NB + n_extra;
    let feature_names: Vec<String> =
        BASE_FEATURES.iter().map(|s| s.to_string()).chain(extra_names.iter().cloned()).collect();
    let first = h.day.iter().copied().min();
    let cutoffs = cutoff_days(first, a, config);

    // Eligible customers per window first, to set the thinning rate.
    let counts: Vec<usize> = cutoffs
        .iter()
        .map(|&c| h.active().filter(|&cu| h.customer(cu).0[0] <= c).count())
        .collect();
    let total: usize = counts.iter().filter(|&&n| n >= config.min_window_examples).sum();
    let rate = if total > config.max_training_examples.max(1) {
        config.max_training_examples.max(1) as f64 / total as f64
    } else {
        1.0
    };
    let threshold = (rate * u64::MAX as f64) as u64;

    let mut windows = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    for (k, &c) in cutoffs.iter().enumerate() {
        if counts[k] < config.min_window_examples {
            continue;
        }
        let extra_rows = if n_extra > 0 { Some(extra(day_end(c))) } else { None };
        let seed = config.seed ^ mix(k as u64 + 1);
        let (f, eligible) = frame(&h, c, Some(hz), extra_rows.as_deref(), n_extra, |cu| {
            rate >= 1.0 || mix(seed ^ cu as u64) <= threshold
        });
        windows.push(WindowInfo {
            cutoff: day_end(c),
            role: WindowRole::Train,
            customers: eligible,
            examples: f.y.len(),
            positives: f.y.iter().filter(|&&y| y).count(),
        });
        frames.push(f);
    }
    let mut report = ChurnReport {
        analysis_date,
        horizon_days: hz,
        windows,
        training_examples: 0,
        validation_examples: 0,
        candidates: Vec::new(),
        chosen: None,
        chosen_description: String::new(),
        validation_auc: None,
        validation_log_loss: None,
        feature_names: feature_names.clone(),
        coefficients: Vec::new(),
        intercept: 0.0,
        importances: Vec::new(),
        note: None,
    };
    let all_y: usize = frames.iter().map(|f| f.y.len()).sum();
    let all_pos: usize = frames.iter().map(|f| f.y.iter().filter(|&&y| y).count()).sum();
    if all_pos == 0 || all_pos == all_y {
        report.note = Some(if frames.is_empty() {
            format!(
                "not enough history: no back-test window with {} days of history before a cutoff and {} days of horizon",
                config.min_history_days, hz
            )
        } else {
            "back-test windows hold only one class (everyone or no one bought again)".to_string()
        });
        return ChurnOutcome { report, scores: Vec::new(), model: None };
    }

    // Validation split: the latest window, when there are at least two and it has both classes.
    let has_validation = frames.len() >= 2 && {
        let v = &frames[0].y;
        v.iter().any(|&y| y) && !v.iter().all(|&y| y)
    } && frames[1..].iter().any(|f| f.y.iter().any(|&y| y)) && frames[1..].iter().any(|f| f.y.iter().any(|&y| !y));
    let stack = |fs: &[Frame]| -> (Vec<f64>, Vec<bool>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for f in fs {
            x.extend_from_slice(&f.x);
            y.extend_from_slice(&f.y);
        }
        (x, y)
    };

    let want_logistic = config.model != ModelChoice::Boosted;
    let want_boosted = config.model != ModelChoice::Logistic;
    let grid: Vec<f64> = if config.l2_grid.is_empty() { vec![1.0] } else { config.l2_grid.clone() };
    let mut chosen_l2 = grid[grid.len() / 2];
    let mut chosen_trees = config.boosting.max_trees.min(100);
    let mut chosen_kind = if want_logistic { ModelKind::Logistic } else { ModelKind::Boosted };

    if has_validation {
        report.windows[0].role = WindowRole::Validation;
        let (mut xt, yt) = stack(&frames[1..]);
        let (mut xv, yv) = (frames[0].x.clone(), frames[0].y.clone());
        report.training_examples = yt.len();
        report.validation_examples = yv.len();
        let (means, scales) = moments(&xt, d);
        impute(&mut xt, d, &means);
        impute(&mut xv, d, &means);
        // The logistic grid and the tree ensemble are independent: fit them on two threads.
        let run_logistic = || -> Vec<(f64, Vec<f64>)> {
            let zt = standardised(&xt, d, &means, &scales);
            let zv = standardised(&xv, d, &means, &scales);
            let mut start: Option<Logistic> = None;
            let mut out = Vec::new();
            for &l2 in &grid {
                let m = Logistic::fit(&zt, &yt, d, l2, start.as_ref());
                out.push((l2, zv.chunks_exact(d).map(|r| m.predict(r)).collect()));
                start = Some(m);
            }
            out
        };
        let run_boosted = || -> (usize, Vec<f64>) {
            let fit = gbt::fit(&xt, &yt, d, &config.boosting, Some((&xv, &yv)), None);
            (fit.best_rounds.max(1), xv.chunks_exact(d).map(|r| fit.ensemble.predict(r)).collect())
        };
        let (logistic_runs, boosted_run) = match (want_logistic, want_boosted) {
            (true, true) => std::thread::scope(|s| {
                let handle = s.spawn(run_boosted);
                let l = run_logistic();
                (l, Some(handle.join().expect("boosting thread")))
            }),
            (true, false) => (run_logistic(), None),
            _ => (Vec::new(), Some(run_boosted())),
        };
        let mut push = |kind: ModelKind, description: String, p: &[f64]| -> (f64, Option<f64>) {
            let va = auc(p, &yv);
            let vl = log_loss(p, &yv);
            report.candidates.push(Candidate { kind, description, validation_auc: va, validation_log_loss: vl });
            (va.unwrap_or(0.5), vl)
        };
        // (auc, log-loss, kind) of the best so far; a more complex model must win by min_auc_gain.
        let mut best: Option<(f64, Option<f64>, ModelKind)> = None;
        let mut best_logistic_p: Option<Vec<f64>> = None;
        let mut best_logistic_auc = f64::NEG_INFINITY;
        for (l2, p) in logistic_runs {
            let (va, vl) = push(ModelKind::Logistic, format!("logistic(l2={l2})"), &p);
            if va > best_logistic_auc + 1e-12 {
                best_logistic_auc = va;
                chosen_l2 = l2;
                best = Some((va, vl, ModelKind::Logistic));
                best_logistic_p = Some(p);
            }
        }
        let gain = config.min_auc_gain.max(0.0);
        if let Some((trees, p)) = boosted_run {
            chosen_trees = trees;
            let mut challengers = vec![(ModelKind::Boosted, format!("boosted(trees={trees})"), p.clone())];
            if let Some(pl) = &best_logistic_p {
                let blend: Vec<f64> = pl.iter().zip(&p).map(|(a, b)| 0.5 * (a + b)).collect();
                challengers.push((ModelKind::Blend, format!("blend(logistic(l2={chosen_l2}), boosted(trees={trees}))"), blend));
            }
            for (kind, description, p) in challengers {
                let (va, vl) = push(kind, description, &p);
                let bar = match best {
                    None => f64::NEG_INFINITY,
                    Some((b, _, ModelKind::Logistic)) => b + gain,
                    Some((b, _, _)) => b + 1e-12,
                };
                if va > bar {
                    best = Some((va, vl, kind));
                }
            }
        }
        if let Some((va, vl, kind)) = best {
            chosen_kind = kind;
            report.validation_auc = Some(va);
            report.validation_log_loss = vl;
        }
    } else {
        report.note = Some("a single usable back-test window: trained without validation".to_string());
    }

    // Final fit on every window.
    let (mut x, y) = stack(&frames);
    if !has_validation {
        report.training_examples = y.len();
    }
    let (means, scales) = moments(&x, d);
    impute(&mut x, d, &means);
    let need_logistic = want_logistic; // coefficients are always reported when allowed
    let need_boosted = matches!(chosen_kind, ModelKind::Boosted | ModelKind::Blend);
    let logistic = need_logistic.then(|| Logistic::fit(&standardised(&x, d, &means, &scales), &y, d, chosen_l2, None));
    let boosted = need_boosted.then(|| gbt::fit(&x, &y, d, &config.boosting, None, Some(chosen_trees)).ensemble);

    if let Some(l) = &logistic {
        report.coefficients = feature_names
            .iter()
            .zip(&l.weights)
            .map(|(f, w)| FeatureWeight { feature: f.clone(), value: *w })
            .collect();
        report.intercept = l.intercept;
    }
    let shares = |v: Vec<f64>| -> Vec<f64> {
        let s: f64 = v.iter().sum();
        v.iter().map(|x| if s > 0.0 { x / s } else { 0.0 }).collect()
    };
    let imp_l = logistic.as_ref().map(|l| shares(l.weights.iter().map(|w| w.abs()).collect()));
    let imp_b = boosted.as_ref().map(|b| shares(b.gain.clone()));
    let imp = match (chosen_kind, imp_l, imp_b) {
        (ModelKind::Blend, Some(a), Some(b)) => a.iter().zip(&b).map(|(x, y)| 0.5 * (x + y)).collect(),
        (ModelKind::Boosted, _, Some(b)) => b,
        (_, Some(a), _) => a,
        _ => vec![0.0; d],
    };
    let mut importances: Vec<FeatureWeight> =
        feature_names.iter().zip(imp).map(|(f, v)| FeatureWeight { feature: f.clone(), value: v }).collect();
    importances.sort_by(|a, b| b.value.total_cmp(&a.value));
    report.importances = importances;
    report.chosen = Some(chosen_kind);
    report.chosen_description = match chosen_kind {
        ModelKind::Logistic => format!("logistic(l2={chosen_l2})"),
        ModelKind::Boosted => format!("boosted(trees={chosen_trees})"),
        ModelKind::Blend => format!("blend(logistic(l2={chosen_l2}), boosted(trees={chosen_trees}))"),
    };
    let model = ChurnModel {
        kind: chosen_kind,
        horizon_days: hz,
        n_features: d,
        means,
        scales,
        logistic,
        boosted,
    };
    let extra_now = if n_extra > 0 { Some(extra(analysis_date)) } else { None };
    let scores = model.score_histories(&h, a, extra_now.as_deref());
    ChurnOutcome { report, scores, model: Some(model) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(c: u32, day: i64, amount: f64) -> Transaction {
        Transaction { customer: c, at: Timestamp::from_unix_seconds(day * 86_400 + 3600), amount }
    }

    #[test]
    fn features_by_hand() {
        let mut out = [0.0; NB];
        // Purchases on days 0, 10, 30 (two orders on day 30); cutoff day 40.
        base_features(&[0, 10, 30, 30], &[10.0, 20.0, 30.0, 40.0], 40, &mut out);
        let get = |name: &str| out[BASE_FEATURES.iter().position(|f| *f == name).unwrap()];
        assert!((get("log_recency") - 11f64.ln()).abs() < 1e-12);
        assert!((get("log_tenure") - 41f64.ln()).abs() < 1e-12);
        assert!((get("log_orders") - 4f64.ln()).abs() < 1e-12);
        assert!((get("log_purchase_days") - 3f64.ln()).abs() < 1e-12);
        assert_eq!(get("one_time_buyer"), 0.0);
        assert!((get("log_mean_gap") - 16f64.ln()).abs() < 1e-12); // gaps 10, 20
        assert!((get("gap_cv") - 5.0 / 15.0).abs() < 1e-12);
        assert!((get("log_recency_over_gap") - (1.0f64 + 10.0 / 15.0).ln()).abs() < 1e-12);
        assert!((get("log_orders_30d") - 3f64.ln()).abs() < 1e-12); // days 30, 30 (age 10) and 10 (age 30 excluded)
        assert!((get("log_last_over_mean_value") - (41.0f64 / 26.0).ln()).abs() < 1e-12);
        assert!(out.iter().all(|v| v.is_finite()));
        // A single purchase on the cutoff day.
        base_features(&[5], &[0.0], 5, &mut out);
        assert!(out.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn empty_and_short_histories_do_not_panic() {
        let at = Timestamp::from_unix_seconds(400 * 86_400);
        let out = predict_churn(&[], at, &ChurnConfig::default());
        assert!(out.scores.is_empty() && out.model.is_none() && out.report.note.is_some());
        let out = predict_churn(&[tx(0, 399, 1.0), tx(1, 398, 2.0)], at, &ChurnConfig::default());
        assert!(out.scores.is_empty());
    }

    /// Synthetic shop: "regular" customers buy every ~15 days for their whole life, then stop
    /// for good at a random day; the model must rank the still-active above the stopped.
    fn synthetic(n: u32) -> Vec<Transaction> {
        let mut t = Vec::new();
        for c in 0..n {
            let h = mix(c as u64);
            let start = (h % 200) as i64;
            let gap = 5 + (h >> 8) % 30;
            let stop = start + 60 + ((h >> 16) % 600) as i64;
            let mut d = start;
            let mut k = 0u64;
            while d < stop.min(700) {
                t.push(tx(c, d, 10.0 + ((h >> 24) % 50) as f64));
                k += 1;
                d += gap as i64 + (mix(h ^ k) % 7) as i64;
            }
        }
        t
    }

    #[test]
    fn learns_a_synthetic_shop_and_is_deterministic() {
        let t = synthetic(3000);
        let at = Timestamp::from_unix_seconds(500 * 86_400);
        let cfg = ChurnConfig::default();
        let out = predict_churn(&t, at, &cfg);
        let r = &out.report;
        assert!(r.windows.len() >= 3, "{:?}", r.windows);
        assert_eq!(r.windows[0].role, WindowRole::Validation);
        assert!(r.validation_auc.unwrap() > 0.85, "{r:?}");
        assert!(out.scores.iter().all(|s| s.p_return.is_finite() && (s.p_return + s.churn_risk - 1.0).abs() < 1e-12));
        // Holdout: customers active at day 500 who buy in (500, 590].
        let buyers: std::collections::HashSet<u32> =
            t.iter().filter(|x| (501..=590).contains(&x.at.day_index())).map(|x| x.customer).collect();
        let labels: Vec<bool> = out.scores.iter().map(|s| buyers.contains(&s.customer)).collect();
        let p: Vec<f64> = out.scores.iter().map(|s| s.p_return).collect();
        assert!(auc(&p, &labels).unwrap() > 0.85);
        let again = predict_churn(&t, at, &cfg);
        assert_eq!(again.scores, out.scores);
        // Transactions after the analysis date change nothing.
        let upto: Vec<Transaction> = t.iter().copied().filter(|x| x.at.day_index() <= 500).collect();
        assert_eq!(predict_churn(&upto, at, &cfg).scores, out.scores);
    }

    #[test]
    fn extra_columns_and_thinning() {
        let t = synthetic(2000);
        let at = Timestamp::from_unix_seconds(500 * 86_400);
        let cfg = ChurnConfig { max_training_examples: 3000, model: ModelChoice::Logistic, ..ChurnConfig::default() };
        let names = vec!["noise".to_string()];
        let out = predict_churn_with(&t, at, &cfg, &names, |c| {
            (0..2000u64).map(|i| vec![if i % 7 == 0 { f64::NAN } else { (mix(i ^ c.unix_seconds() as u64) % 100) as f64 }]).collect()
        });
        let r = &out.report;
        assert!(r.training_examples + r.validation_examples <= 3300, "{r:?}");
        assert_eq!(r.feature_names.len(), NB + 1);
        assert_eq!(r.coefficients.len(), NB + 1);
        assert_eq!(r.chosen, Some(ModelKind::Logistic));
        assert!(!out.scores.is_empty());
        assert_eq!(backtest_cutoffs(&t, at, &cfg).len(), r.windows.len());
    }
}
