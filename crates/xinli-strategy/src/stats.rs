//! Interval estimates for proportions, their difference and the odds ratio (95 % by default).

use serde::Serialize;

/// The standard normal quantile for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// An estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// True when the interval excludes `value` (e.g. 0 for a difference, 1 for a ratio).
    pub fn excludes(&self, value: f64) -> bool {
        self.low > value || self.high < value
    }
}

/// Wilson score interval for the proportion `k / n` (Wilson 1927; Newcombe 1998a, method 3).
/// `n = 0` gives the uninformative [0, 1] around 0.
pub fn wilson(k: u64, n: u64, z: f64) -> Interval {
    if n == 0 {
        return Interval { estimate: 0.0, low: 0.0, high: 1.0 };
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Interval { estimate: p, low: (centre - half).max(0.0), high: (centre + half).min(1.0) }
}

/// The difference of two independent proportions `k1/n1 − k2/n2` with Newcombe's hybrid score
/// interval built from the two Wilson intervals (Newcombe 1998b, "Interval estimation for the
/// difference between independent proportions", Statistics in Medicine 17:873–890, method 10):
/// `L = d − √((p1−l1)² + (u2−p2)²)`, `U = d + √((u1−p1)² + (p2−l2)²)`.
pub fn newcombe_difference(k1: u64, n1: u64, k2: u64, n2: u64, z: f64) -> Interval {
    let a = wilson(k1, n1, z);
    let b = wilson(k2, n2, z);
    let d = a.estimate - b.estimate;
    Interval {
        estimate: d,
        low: d - ((a.estimate - a.low).powi(2) + (b.high - b.estimate).powi(2)).sqrt(),
        high: d + ((a.high - a.estimate).powi(2) + (b.estimate - b.low).powi(2)).sqrt(),
    }
}

/// The log odds ratio of a 2×2 table (`a` events and `b` non-events among the exposed, `c` and
/// `d` among the others) with Woolf's Wald interval, SE = √(1/a + 1/b + 1/c + 1/d) (Woolf 1955).
/// With a zero cell, 0.5 is added to every cell (Haldane 1956; Anscombe 1956) so the estimate
/// stays finite.
pub fn log_odds_ratio(a: u64, b: u64, c: u64, d: u64, z: f64) -> Interval {
    let correction = if a == 0 || b == 0 || c == 0 || d == 0 { 0.5 } else { 0.0 };
    let [a, b, c, d] = [a, b, c, d].map(|x| x as f64 + correction);
    let estimate = (a * d / (b * c)).ln();
    let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    Interval { estimate, low: estimate - z * se, high: estimate + z * se }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, want: f64, tol: f64) {
        assert!((x - want).abs() <= tol, "{x} vs {want}");
    }

    #[test]
    fn wilson_matches_newcombe_1998a() {
        // Newcombe (1998a), Statistics in Medicine 17:857–872, Table I, method 3:
        // 81/263 → 0.2553 to 0.3662; 15/148 → 0.0624 to 0.1605; 0/20 → 0 to 0.1611.
        let w = wilson(81, 263, Z95);
        close(w.low, 0.2553, 5e-5);
        close(w.high, 0.3662, 5e-5);
        let w = wilson(15, 148, Z95);
        close(w.low, 0.0624, 5e-5);
        close(w.high, 0.1605, 5e-5);
        let w = wilson(0, 20, Z95);
        close(w.low, 0.0, 1e-12);
        close(w.high, 0.1611, 5e-5);
    }

    #[test]
    fn newcombe_hybrid_matches_newcombe_1998b() {
        // Newcombe (1998b), Table II, method 10: 56/70 − 48/80 → +0.0524 to +0.3339;
        // 9/10 − 3/10 → +0.1705 to +0.8090; 5/56 − 0/29 → −0.0381 to +0.1926.
        let d = newcombe_difference(56, 70, 48, 80, Z95);
        close(d.estimate, 0.2, 1e-12);
        close(d.low, 0.0524, 5e-5);
        close(d.high, 0.3339, 5e-5);
        let d = newcombe_difference(9, 10, 3, 10, Z95);
        close(d.low, 0.1705, 5e-5);
        close(d.high, 0.8090, 5e-5);
        let d = newcombe_difference(5, 56, 0, 29, Z95);
        close(d.low, -0.0381, 5e-5);
        close(d.high, 0.1926, 5e-5);
        // Empty groups give the widest interval, never NaN.
        let d = newcombe_difference(0, 0, 3, 10, Z95);
        assert!(d.low.is_finite() && d.high.is_finite() && d.low < d.high);
    }

    #[test]
    fn woolf_interval_by_hand() {
        // 56 of 70 vs 48 of 80: OR = (56·32)/(14·48) = 2.6667, SE = √(1/56+1/14+1/48+1/32) = 0.37599,
        // 95 % CI exp(0.98083 ± 1.95996·0.37599) = 1.2762 to 5.5720.
        let l = log_odds_ratio(56, 14, 48, 32, Z95);
        close(l.estimate.exp(), 2.666_667, 1e-5);
        close(l.low.exp(), 1.2762, 5e-4);
        close(l.high.exp(), 5.5720, 5e-4);
        assert!(l.excludes(0.0));
        // A zero cell gets the Haldane–Anscombe correction: (0.5·10.5)/(5.5·5.5).
        let z = log_odds_ratio(0, 5, 5, 10, Z95);
        close(z.estimate, (0.5f64 * 10.5 / (5.5 * 5.5)).ln(), 1e-12);
    }
}
