//! Distribution summaries without sorting: a report on a million customers needs a handful of
//! exact quantiles, a few exact top-k sums and a Lorenz curve. Log-spaced bins give all of them in
//! two or three linear passes, without copying the data.

/// log₁₀ of a positive, normal float to about 1e-6, from its bits and a short series (several
/// times faster than `f64::log10`; used only to guess a bin that is then checked exactly).
#[inline]
pub(crate) fn fast_log10(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2·atanh(z), z = (m − 1)/(m + 1), |z| ≤ 0.172.
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let ln_m = 2.0 * z * (1.0 + z2 * (1.0 / 3.0 + z2 * (0.2 + z2 * (1.0 / 7.0))));
    (e as f64 * std::f64::consts::LN_2 + ln_m) * std::f64::consts::LOG10_E
}

/// Equal-width bins in log₁₀ space over `[lo, hi]` (both > 0), with exact edges: a value's bin is
/// guessed with [`fast_log10`] and checked against the edges, so it is always consistent.
#[derive(Clone, Debug)]
pub(crate) struct LogBins {
    l0: f64,
    inv_w: f64,
    /// `edges[i]` is the lower edge of bin `i`; `edges[nb]` is +∞.
    edges: Vec<f64>,
}

impl LogBins {
    pub(crate) fn new(lo: f64, hi: f64, nb: usize) -> LogBins {
        let (l0, l1) = (lo.log10(), hi.log10());
        let nb = if l1 > l0 && nb > 0 { nb } else { 1 };
        let w = if l1 > l0 { (l1 - l0) / nb as f64 } else { 1.0 };
        let mut edges: Vec<f64> = (0..nb).map(|i| if i == 0 { lo } else { 10f64.powf(l0 + i as f64 * w) }).collect();
        edges.push(f64::INFINITY);
        LogBins { l0, inv_w: 1.0 / w, edges }
    }

    pub(crate) fn len(&self) -> usize {
        self.edges.len() - 1
    }

    /// Lower edge of bin `i` (`i == len()` gives +∞).
    pub(crate) fn edge(&self, i: usize) -> f64 {
        self.edges[i]
    }

    /// The bin of `x` > 0 (values below the first edge go to bin 0).
    #[inline]
    pub(crate) fn index(&self, x: f64) -> usize {
        let nb = self.len();
        let guess = (fast_log10(x) - self.l0) * self.inv_w;
        let mut b = if guess > 0.0 { (guess as usize).min(nb - 1) } else { 0 };
        if x < self.edges[b] {
            if b > 0 && x >= self.edges[b - 1] {
                b -= 1;
            } else {
                b = self.edges[1..nb].partition_point(|e| *e <= x);
            }
        } else if x >= self.edges[b + 1] {
            if b + 2 <= nb && x < self.edges[b + 2] {
                b += 1;
            } else {
                b = self.edges[1..nb].partition_point(|e| *e <= x);
            }
        }
        b
    }
}

/// Log-spaced bins over a data set's positive values (plus one bin for values ≤ 0), with counts
/// and sums per bin. Two linear passes, no copy of the data. Exact order statistics and top
/// sums then take one more pass that only collects the values of the few bins involved.
pub(crate) struct Dist {
    pub n: usize,
    pub sum: f64,
    max: f64,
    bins: LogBins,
    /// Bin 0 holds values ≤ 0, bin `1 + i` the positive values in log bin `i`.
    pub counts: Vec<u64>,
    pub sums: Vec<f64>,
    clamp: bool,
    /// The bin of every input value (`u16::MAX` for non-finite ones), so later passes need not
    /// recompute it.
    index: Vec<u16>,
}

const BINS: usize = 1024; // bin indices must fit in a u16

impl Dist {
    /// Bins the finite values of `values`; with `clamp_negative`, negatives count as 0. Later
    /// calls taking `values` must be given the same slice.
    pub(crate) fn new(values: &[f64], clamp_negative: bool) -> Dist {
        let (mut n, mut sum, mut max, mut min_pos) = (0usize, 0.0, f64::NEG_INFINITY, f64::INFINITY);
        for &x in values {
            if !x.is_finite() {
                continue;
            }
            let x = if clamp_negative { x.max(0.0) } else { x };
            n += 1;
            sum += x;
            max = max.max(x);
            if x > 0.0 {
                min_pos = min_pos.min(x);
            }
        }
        let bins = if min_pos <= max { LogBins::new(min_pos, max, BINS) } else { LogBins::new(1.0, 1.0, 1) };
        let nb = bins.len();
        let mut d = Dist { n, sum, max, bins, counts: vec![0; nb + 1], sums: vec![0.0; nb + 1], clamp: clamp_negative, index: Vec::with_capacity(values.len()) };
        for &x in values {
            match d.bin(x) {
                Some((b, x)) => {
                    d.counts[b] += 1;
                    d.sums[b] += x;
                    d.index.push(b as u16);
                }
                None => d.index.push(u16::MAX),
            }
        }
        d
    }

    /// The bin of a value (after clamping), or `None` for non-finite values.
    #[inline]
    fn bin(&self, x: f64) -> Option<(usize, f64)> {
        if !x.is_finite() {
            return None;
        }
        let x = if self.clamp { x.max(0.0) } else { x };
        if x <= 0.0 {
            return Some((0, x));
        }
        Some((1 + self.bins.index(x), x))
    }

    /// The positive values merged into about `groups` log-spaced bins: (edges, counts), plus the
    /// number of values ≤ 0 (not in any bin). `None` when there are no positive values.
    pub(crate) fn log_histogram(&self, groups: usize) -> Option<(Vec<f64>, Vec<u64>, u64)> {
        let nb = self.bins.len();
        if self.counts[1..].iter().all(|c| *c == 0) {
            return None;
        }
        let per = nb.div_ceil(groups.max(1)).max(1);
        let mut edges = Vec::new();
        let mut counts = Vec::new();
        for start in (0..nb).step_by(per) {
            edges.push(self.bins.edge(start));
            counts.push(self.counts[1 + start..1 + (start + per).min(nb)].iter().sum());
        }
        let last = self.bins.edge(nb - 1);
        // The top edge: where the last group would end, one geometric step per fine bin.
        let step = if nb > 1 { self.bins.edge(nb - 1) / self.bins.edge(nb - 2) } else { 1.1 };
        let remaining = per - ((nb - 1) % per);
        edges.push((last * step.powi(remaining as i32)).max(self.max));
        Some((edges, counts, self.counts[0]))
    }

    /// For each bin in `wanted`, its values sorted ascending (one pass over `values`).
    fn collect(&self, values: &[f64], wanted: &[usize]) -> Vec<Option<Vec<f64>>> {
        let mut out: Vec<Option<Vec<f64>>> = vec![None; self.counts.len()];
        for &b in wanted {
            out[b] = Some(Vec::with_capacity(self.counts[b] as usize));
        }
        debug_assert_eq!(values.len(), self.index.len());
        for (&x, &b) in values.iter().zip(&self.index) {
            if let Some(Some(v)) = out.get_mut(b as usize) {
                v.push(if self.clamp { x.max(0.0) } else { x });
            }
        }
        for v in out.iter_mut().flatten() {
            v.sort_unstable_by(f64::total_cmp);
        }
        out
    }

    /// The bin holding ascending rank `r` and the rank of that bin's first value.
    fn bin_of_rank(&self, r: usize) -> (usize, usize) {
        let mut before = 0usize;
        for (b, &c) in self.counts.iter().enumerate() {
            if r < before + c as usize {
                return (b, before);
            }
            before += c as usize;
        }
        (self.counts.len() - 1, before - *self.counts.last().unwrap_or(&0) as usize)
    }

    /// Exact quantiles (linear interpolation between closest ranks) of the binned values.
    pub(crate) fn quantiles(&self, values: &[f64], qs: &[f64]) -> Vec<f64> {
        if self.n == 0 {
            return vec![f64::NAN; qs.len()];
        }
        let ranks: Vec<(usize, f64)> = qs
            .iter()
            .map(|q| {
                let pos = q.clamp(0.0, 1.0) * (self.n - 1) as f64;
                (pos.floor() as usize, pos - pos.floor())
            })
            .collect();
        let mut wanted: Vec<usize> = ranks.iter().flat_map(|&(r, _)| [self.bin_of_rank(r).0, self.bin_of_rank((r + 1).min(self.n - 1)).0]).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let got = self.collect(values, &wanted);
        let at = |r: usize| {
            let (b, first) = self.bin_of_rank(r);
            got[b].as_ref().map(|v| v[r - first]).unwrap_or(f64::NAN)
        };
        ranks.iter().map(|&(r, frac)| {
            let a = at(r);
            let b = at((r + 1).min(self.n - 1));
            a + (b - a) * frac
        }).collect()
    }

    /// Exact sums of the `k` largest values, for each `k` in `ks`.
    pub(crate) fn top_sums(&self, values: &[f64], ks: &[usize]) -> Vec<f64> {
        if self.n == 0 {
            return vec![0.0; ks.len()];
        }
        // Rank (ascending) of the smallest value in the top k is n - k.
        let bins: Vec<(usize, usize)> = ks.iter().map(|&k| if k == 0 { (usize::MAX, 0) } else { self.bin_of_rank(self.n - k.min(self.n)) }).collect();
        let mut wanted: Vec<usize> = bins.iter().map(|b| b.0).filter(|b| *b != usize::MAX).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let got = self.collect(values, &wanted);
        ks.iter()
            .zip(&bins)
            .map(|(&k, &(b, first))| {
                if k == 0 {
                    return 0.0;
                }
                let r = self.n - k.min(self.n);
                let above: f64 = self.sums[b + 1..].iter().sum();
                let v = got[b].as_ref().expect("collected");
                above + v[r - first..].iter().sum::<f64>()
            })
            .collect()
    }

    /// The fewest values whose sum reaches `target` (exact).
    pub(crate) fn count_to_reach(&self, values: &[f64], target: f64) -> usize {
        let mut acc = 0.0;
        let mut k = 0usize;
        for b in (0..self.counts.len()).rev() {
            if acc + self.sums[b] >= target && self.counts[b] > 0 {
                let got = self.collect(values, &[b]);
                for x in got[b].as_ref().expect("collected").iter().rev() {
                    if acc >= target {
                        break;
                    }
                    acc += x;
                    k += 1;
                }
                return k;
            }
            acc += self.sums[b];
            k += self.counts[b] as usize;
        }
        k
    }

    /// The Lorenz curve from the top: (share of values, share of the sum) at every bin edge,
    /// values within a bin taken as equal.
    pub(crate) fn curve_from_top(&self) -> Vec<(f64, f64)> {
        let mut pts = vec![(0.0, 0.0)];
        let (mut c, mut s) = (0u64, 0.0);
        for b in (0..self.counts.len()).rev() {
            if self.counts[b] == 0 {
                continue;
            }
            c += self.counts[b];
            s += self.sums[b];
            pts.push((c as f64 / self.n as f64, if self.sum > 0.0 { s / self.sum } else { 0.0 }));
        }
        pts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Vec<f64> {
        let mut x = 987654321u64;
        (0..50_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match i % 50 {
                    0 => f64::NAN,
                    1 => 0.0,
                    2 => -3.0,
                    3 => 10.0,
                    _ => ((x % 1_000_000) as f64 / 1e4).powi(3) / 100.0,
                }
            })
            .collect()
    }

    #[test]
    fn fast_log10_is_close() {
        for x in [1e-300, 1e-5, 0.3, 0.7, 1.0, 1.41, 1.42, 2.0, 3.0, 9.99, 1e10, 1e300] {
            assert!((fast_log10(x) - x.log10()).abs() < 1e-6, "{x}");
        }
    }

    #[test]
    fn log_bins_are_consistent_with_edges() {
        let b = LogBins::new(0.01, 1e4, 40);
        assert_eq!(b.len(), 40);
        for x in [0.001, 0.01, 0.0123, 0.5, 1.0, 99.9, 1e4, 1e6] {
            let i = b.index(x);
            assert!(i == 0 || x >= b.edge(i), "{x}");
            assert!(x < b.edge(i + 1) || i == b.len() - 1, "{x}");
        }
        let one = LogBins::new(3.0, 3.0, 40);
        assert_eq!(one.len(), 1);
        assert_eq!(one.index(3.0), 0);
    }

    #[test]
    fn exact_quantiles_and_top_sums() {
        let v = data();
        for clamp in [false, true] {
            let d = Dist::new(&v, clamp);
            let mut sorted: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).map(|x| if clamp { x.max(0.0) } else { x }).collect();
            sorted.sort_unstable_by(f64::total_cmp);
            let n = sorted.len();
            assert_eq!(d.n, n);
            let qs = [0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0];
            for (q, got) in qs.iter().zip(d.quantiles(&v, &qs)) {
                let pos = q * (n - 1) as f64;
                let (i, f) = (pos.floor() as usize, pos - pos.floor());
                let want = sorted[i] + (sorted[(i + 1).min(n - 1)] - sorted[i]) * f;
                assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "q {q}: {got} vs {want}");
            }
            let ks = [0, 1, n / 100, n / 5, n];
            for (k, got) in ks.iter().zip(d.top_sums(&v, &ks)) {
                let want: f64 = sorted[n - k..].iter().sum();
                assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0), "k {k}: {got} vs {want}");
            }
            if clamp {
                let total: f64 = sorted.iter().sum();
                let k = d.count_to_reach(&v, 0.8 * total);
                let top: f64 = sorted[n - k..].iter().sum();
                let fewer: f64 = sorted[n - k + 1..].iter().sum();
                assert!(top >= 0.8 * total * (1.0 - 1e-12) && fewer < 0.8 * total, "k {k}");
                let curve = d.curve_from_top();
                assert!((curve.last().unwrap().0 - 1.0).abs() < 1e-12 && (curve.last().unwrap().1 - 1.0).abs() < 1e-9);
            }
        }
        let d = Dist::new(&v, false);
        let (edges, counts, nonpositive) = d.log_histogram(32).unwrap();
        assert_eq!(edges.len(), counts.len() + 1);
        assert_eq!(counts.len(), 32);
        let positive = v.iter().filter(|x| x.is_finite() && **x > 0.0).count() as u64;
        assert_eq!(counts.iter().sum::<u64>(), positive);
        assert_eq!(nonpositive as usize, d.n - positive as usize);
        assert!(edges.windows(2).all(|w| w[0] < w[1]));
        let max = v.iter().copied().filter(|x| x.is_finite()).fold(0.0, f64::max);
        assert!(*edges.last().unwrap() >= max && edges[0] > 0.0);
        let e = Dist::new(&[f64::NAN], false);
        assert!(e.log_histogram(10).is_none());
        assert!(e.quantiles(&[], &[0.5])[0].is_nan());
        assert_eq!(e.top_sums(&[], &[3]), vec![0.0]);
        let same = Dist::new(&[2.0; 10], false);
        assert_eq!(same.quantiles(&[2.0; 10], &[0.5]), vec![2.0]);
    }
}
