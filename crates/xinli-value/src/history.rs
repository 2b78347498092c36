//! Per-customer purchase histories in one compact, time-sorted layout (CSR): the shared first
//! step of every analysis here. Building is O(n) plus a sort inside each customer's slice.

use xinli_core::Transaction;

/// Transactions grouped by customer, each customer's sorted by time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Histories {
    /// `start[c]..start[c + 1]` is customer `c`'s slice of `day` / `amount`.
    start: Vec<usize>,
    /// Day index (days since 1970-01-01, UTC) of each purchase.
    pub day: Vec<i64>,
    /// Amount of each purchase (non-finite read as 0).
    pub amount: Vec<f64>,
}

impl Histories {
    /// Groups the transactions whose day is `<= last_day`.
    pub fn build(transactions: &[Transaction], last_day: i64) -> Self {
        let keep = |t: &&Transaction| t.at.day_index() <= last_day;
        let n_customers = transactions
            .iter()
            .filter(keep)
            .map(|t| t.customer as usize + 1)
            .max()
            .unwrap_or(0);
        let mut start = vec![0usize; n_customers + 1];
        for t in transactions.iter().filter(keep) {
            start[t.customer as usize + 1] += 1;
        }
        for c in 0..n_customers {
            start[c + 1] += start[c];
        }
        let total = start[n_customers];
        let mut fill = start.clone();
        let mut seconds = vec![0i64; total];
        let mut amount = vec![0f64; total];
        for t in transactions.iter().filter(keep) {
            let slot = &mut fill[t.customer as usize];
            seconds[*slot] = t.at.unix_seconds();
            amount[*slot] = if t.amount.is_finite() { t.amount } else { 0.0 };
            *slot += 1;
        }
        let mut pairs: Vec<(i64, f64)> = Vec::new();
        for c in 0..n_customers {
            let range = start[c]..start[c + 1];
            let s = &seconds[range.clone()];
            if s.windows(2).all(|w| w[0] <= w[1]) {
                continue;
            }
            pairs.clear();
            pairs.extend(s.iter().copied().zip(amount[range.clone()].iter().copied()));
            pairs.sort_by_key(|p| p.0);
            for (i, (sec, amt)) in pairs.iter().enumerate() {
                seconds[range.start + i] = *sec;
                amount[range.start + i] = *amt;
            }
        }
        let day = seconds.into_iter().map(|s| s.div_euclid(86_400)).collect();
        Histories { start, day, amount }
    }

    /// One past the largest customer index seen.
    pub fn n_customers(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// Customer `c`'s purchase days and amounts, time-sorted (empty when none).
    pub fn customer(&self, c: usize) -> (&[i64], &[f64]) {
        let range = self.start[c]..self.start[c + 1];
        (&self.day[range.clone()], &self.amount[range])
    }

    /// Customers with at least one purchase.
    pub fn active(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.n_customers()).filter(|&c| self.start[c + 1] > self.start[c])
    }
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Mid-rank percentile of each value among `values` (ascending): `(rank_avg - 0.5) / n` where
/// `rank_avg` is the 1-based average rank of the value's tie group, so tied values share one
/// percentile in (0, 1). NaN sorts lowest.
pub(crate) fn midrank_percentiles(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut idx: Vec<u32> = (0..n as u32).collect();
    let key = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
    idx.sort_unstable_by(|&a, &b| key(values[a as usize]).total_cmp(&key(values[b as usize])));
    let mut out = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let v = key(values[idx[i] as usize]);
        let mut j = i + 1;
        while j < n && key(values[idx[j] as usize]) == v {
            j += 1;
        }
        // Ranks i+1 ..= j, average (i + 1 + j) / 2.
        let p = ((i + 1 + j) as f64 / 2.0 - 0.5) / n as f64;
        for &k in &idx[i..j] {
            out[k as usize] = p;
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinli_core::Timestamp;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        let d = Timestamp::parse("2011-12-09").unwrap().day_index();
        assert_eq!(civil_from_days(d), (2011, 12, 9));
        let d = Timestamp::parse("2000-02-29").unwrap().day_index();
        assert_eq!(civil_from_days(d), (2000, 2, 29));
    }

    #[test]
    fn histories_sort_and_filter() {
        let t = |c: u32, s: &str, a: f64| Transaction { customer: c, at: Timestamp::parse(s).unwrap(), amount: a };
        let tx = vec![t(2, "2020-01-05", 1.0), t(2, "2020-01-01", 2.0), t(0, "2020-02-01", 3.0)];
        let h = Histories::build(&tx, Timestamp::parse("2020-01-31").unwrap().day_index());
        assert_eq!(h.n_customers(), 3);
        assert_eq!(h.active().collect::<Vec<_>>(), vec![2]);
        assert_eq!(h.customer(2).1, &[2.0, 1.0]);
        assert!(Histories::build(&[], 0).active().next().is_none());
    }

    #[test]
    fn midranks_share_ties() {
        let p = midrank_percentiles(&[1.0, 1.0, 1.0, 2.0]);
        // Ranks 1..3 average 2 → (2 − ½)/4; rank 4 → 3.5/4.
        assert_eq!(p, vec![0.375, 0.375, 0.375, 0.875]);
    }
}
