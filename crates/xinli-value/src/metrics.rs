//! Evaluation metrics for probabilistic predictions: AUC, MAE, log-loss, calibration bins.
//!
//! All functions accept empty input and never return NaN: a metric that is undefined for the
//! input (no positives, no negatives, no rows) is `None`.

use serde::Serialize;

/// Area under the ROC curve for `scores` (higher = more likely positive) against `labels`,
/// computed as the Mann–Whitney statistic with average ranks for tied scores (a tie between a
/// positive and a negative counts one half). O(n log n).
///
/// `None` when there are no positives or no negatives, or the lengths differ. NaN scores rank
/// below every number.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() {
        return None;
    }
    let n_pos = labels.iter().filter(|&&l| l).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let key = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
    let mut idx: Vec<u32> = (0..scores.len() as u32).collect();
    idx.sort_unstable_by(|&a, &b| key(scores[a as usize]).total_cmp(&key(scores[b as usize])));
    let mut rank_sum_pos = 0.0f64;
    let mut i = 0;
    while i < idx.len() {
        let v = key(scores[idx[i] as usize]);
        let mut j = i + 1;
        while j < idx.len() && key(scores[idx[j] as usize]) == v {
            j += 1;
        }
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        let pos_in_group = idx[i..j].iter().filter(|&&k| labels[k as usize]).count();
        rank_sum_pos += avg_rank * pos_in_group as f64;
        i = j;
    }
    let (p, q) = (n_pos as f64, n_neg as f64);
    let u = rank_sum_pos - p * (p + 1.0) / 2.0;
    Some((u / (p * q)).clamp(0.0, 1.0))
}

/// Mean absolute error; `None` for empty input or differing lengths.
pub fn mae(predicted: &[f64], actual: &[f64]) -> Option<f64> {
    if predicted.is_empty() || predicted.len() != actual.len() {
        return None;
    }
    let sum: f64 = predicted.iter().zip(actual).map(|(p, a)| (p - a).abs()).sum();
    let v = sum / predicted.len() as f64;
    v.is_finite().then_some(v)
}

/// Probabilities are clipped to `[EPS, 1 - EPS]` before taking logs.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Mean binary cross-entropy `-(y ln p + (1-y) ln(1-p))`, probabilities clipped to
/// `[1e-15, 1 - 1e-15]` (NaN read as 0.5); `None` for empty input or differing lengths.
pub fn log_loss(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let sum: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = if p.is_nan() { 0.5 } else { p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS) };
            if y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    Some(sum / probabilities.len() as f64)
}

/// One bin of a calibration (reliability) table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// The bin covers predicted probabilities in `[lower, upper)` (the last bin includes 1).
    pub lower: f64,
    pub upper: f64,
    /// Rows whose prediction falls in the bin.
    pub count: usize,
    /// Mean predicted probability in the bin (the bin's midpoint when empty).
    pub mean_predicted: f64,
    /// Share of positives in the bin (0 when empty).
    pub observed_rate: f64,
}

/// Calibration table with `n_bins` equal-width bins over [0, 1] (at least 1 bin). Predictions
/// are clamped into [0, 1]; NaN predictions are skipped. Empty bins are kept (count 0).
pub fn calibration_bins(probabilities: &[f64], labels: &[bool], n_bins: usize) -> Vec<CalibrationBin> {
    let n_bins = n_bins.max(1);
    let mut count = vec![0usize; n_bins];
    let mut sum_p = vec![0.0f64; n_bins];
    let mut pos = vec![0usize; n_bins];
    for (&p, &y) in probabilities.iter().zip(labels) {
        if p.is_nan() {
            continue;
        }
        let p = p.clamp(0.0, 1.0);
        let b = ((p * n_bins as f64) as usize).min(n_bins - 1);
        count[b] += 1;
        sum_p[b] += p;
        pos[b] += y as usize;
    }
    (0..n_bins)
        .map(|b| {
            let lower = b as f64 / n_bins as f64;
            let upper = (b + 1) as f64 / n_bins as f64;
            let c = count[b];
            CalibrationBin {
                lower,
                upper,
                count: c,
                mean_predicted: if c > 0 { sum_p[b] / c as f64 } else { (lower + upper) / 2.0 },
                observed_rate: if c > 0 { pos[b] as f64 / c as f64 } else { 0.0 },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_hand_computed() {
        // Perfect and reversed rankings.
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), Some(0.0));
        // Pairs (pos, neg): pos scores {0.8, 0.4}, neg {0.6, 0.2}:
        // 0.8>0.6 ✓, 0.8>0.2 ✓, 0.4<0.6 ✗, 0.4>0.2 ✓ → 3/4.
        assert_eq!(auc(&[0.8, 0.4, 0.6, 0.2], &[true, true, false, false]), Some(0.75));
        // Ties count one half: pos {0.5, 0.7}, neg {0.5, 0.1}:
        // (0.5,0.5) ½, (0.5,0.1) 1, (0.7,0.5) 1, (0.7,0.1) 1 → 3.5/4.
        assert_eq!(auc(&[0.5, 0.7, 0.5, 0.1], &[true, true, false, false]), Some(0.875));
        // All tied → 0.5.
        assert_eq!(auc(&[1.0; 5], &[true, false, true, false, false]), Some(0.5));
        // 3 pos × 2 neg with a three-way tie: pos {0.3, 0.3, 0.9}, neg {0.3, 0.1}:
        // 0.3 vs 0.3 ½ (×2), 0.3 vs 0.1 1 (×2), 0.9 beats both (2) → 1 + 2 + 2 = 5 of 6.
        let a = auc(&[0.3, 0.3, 0.9, 0.3, 0.1], &[true, true, true, false, false]).unwrap();
        assert!((a - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn auc_undefined_cases() {
        assert_eq!(auc(&[], &[]), None);
        assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(auc(&[0.1], &[true, false]), None);
        // NaN ranks lowest.
        assert_eq!(auc(&[f64::NAN, 0.2], &[false, true]), Some(1.0));
    }

    #[test]
    fn mae_and_log_loss() {
        assert_eq!(mae(&[1.0, 2.0], &[2.0, 4.0]), Some(1.5));
        assert_eq!(mae(&[], &[]), None);
        let ll = log_loss(&[0.5, 0.5], &[true, false]).unwrap();
        assert!((ll - std::f64::consts::LN_2).abs() < 1e-12);
        let ll = log_loss(&[1.0, 0.0], &[false, true]).unwrap();
        assert!(ll.is_finite() && ll > 30.0);
        assert_eq!(log_loss(&[], &[]), None);
    }

    #[test]
    fn calibration_bins_cover_unit_interval() {
        let bins = calibration_bins(&[0.05, 0.15, 0.95, 1.0, f64::NAN], &[false, true, true, true, true], 10);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 4);
        assert_eq!(bins[9].count, 2);
        assert_eq!(bins[9].observed_rate, 1.0);
        assert_eq!(bins[0].observed_rate, 0.0);
        assert!((bins[9].mean_predicted - 0.975).abs() < 1e-12);
        assert_eq!(calibration_bins(&[], &[], 0).len(), 1);
    }
}
