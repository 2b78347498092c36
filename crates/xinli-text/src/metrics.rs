//! Classification metrics of the held-out evaluation.

use serde::Serialize;

/// Accuracy, macro-F1 (mean of the positive and negative classes' F1) and log-loss of binary
/// predictions at probability 0.5.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Binary {
    pub n: usize,
    pub positives: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub log_loss: f64,
}

impl Binary {
    /// `pairs`: (calibrated P(positive), true label).
    pub fn of(pairs: &[(f64, bool)]) -> Binary {
        let n = pairs.len();
        if n == 0 {
            return Binary::default();
        }
        let (mut tp, mut tn, mut fp, mut fneg) = (0usize, 0usize, 0usize, 0usize);
        let mut loss = 0.0;
        for &(p, y) in pairs {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            loss -= if y { p.ln() } else { (1.0 - p).ln() };
            match (p >= 0.5, y) {
                (true, true) => tp += 1,
                (false, false) => tn += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
            }
        }
        let f1 = |tp: usize, fp: usize, fneg: usize| if tp == 0 { 0.0 } else { 2.0 * tp as f64 / (2 * tp + fp + fneg) as f64 };
        Binary {
            n,
            positives: tp + fneg,
            accuracy: (tp + tn) as f64 / n as f64,
            macro_f1: (f1(tp, fp, fneg) + f1(tn, fneg, fp)) / 2.0,
            log_loss: loss / n as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        // tp 2, fn 1, tn 1, fp 0: accuracy 3/4; F1+ = 4/5, F1− = 2/3.
        let m = Binary::of(&[(0.9, true), (0.8, true), (0.2, true), (0.1, false)]);
        assert_eq!(m.n, 4);
        assert!((m.accuracy - 0.75).abs() < 1e-12);
        assert!((m.macro_f1 - (0.8 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
    }
}
