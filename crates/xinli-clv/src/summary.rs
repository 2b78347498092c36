//! Calibration and holdout summaries from transactions, following the conventions of lifetimes'
//! `summary_data_from_transaction_data` (calendar-day periods, same-day purchases merged), and the
//! distinct-pattern grouping the fitters work on.

use crate::error::{ClvError, Result};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use xinli_core::{TimeUnit, Timestamp, Transaction};

/// One customer's calibration-period summary (frequency / recency / age / monetary value).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerSummary {
    /// x: number of distinct purchase days − 1 (repeat purchases).
    pub frequency: u32,
    /// t_x: last purchase day − first purchase day, in the time unit.
    pub recency: f64,
    /// T: calibration-end day − first purchase day, in the time unit.
    pub age: f64,
    /// Mean per-day spend over the repeat purchase days (0 when frequency is 0).
    pub monetary_value: f64,
    pub first_purchase: Timestamp,
    pub last_purchase: Timestamp,
}

impl CustomerSummary {
    pub fn rft(&self) -> Rft {
        Rft { x: self.frequency, t_x: self.recency, t: self.age }
    }
}

/// The (x, t_x, T) triple the transaction models condition on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rft {
    /// Repeat purchases in the calibration period.
    pub x: u32,
    /// Time of the last purchase since the first.
    pub t_x: f64,
    /// Time from the first purchase to the end of calibration.
    pub t: f64,
}

impl Rft {
    pub fn new(x: u32, t_x: f64, t: f64) -> Self {
        Rft { x, t_x, t }
    }

    /// t_x, T finite, 0 ≤ t_x ≤ T, and t_x = 0 when x = 0.
    pub fn validate(&self) -> Result<()> {
        if !(self.t_x.is_finite() && self.t.is_finite()) {
            return Err(ClvError::InvalidInput(format!("non-finite recency/age in {self:?}")));
        }
        if self.t_x < 0.0 || self.t_x > self.t * (1.0 + 1e-12) + 1e-12 {
            return Err(ClvError::InvalidInput(format!("need 0 ≤ recency ≤ age, got {self:?}")));
        }
        if self.x == 0 && self.t_x != 0.0 {
            return Err(ClvError::InvalidInput(format!("recency must be 0 when frequency is 0, got {self:?}")));
        }
        Ok(())
    }
}

/// Per-customer calibration summaries, indexed like the customer table (`None` for customers whose
/// first purchase is after the calibration end, or who never bought).
#[derive(Clone, Debug)]
pub struct Calibration {
    pub unit: TimeUnit,
    pub calibration_end: Timestamp,
    pub customers: Vec<Option<CustomerSummary>>,
}

impl Calibration {
    /// (customer index, summary) of every customer active in calibration.
    pub fn present(&self) -> impl Iterator<Item = (u32, &CustomerSummary)> {
        self.customers.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i as u32, s)))
    }
    /// The (x, t_x, T) of every customer active in calibration, in customer order.
    pub fn rfts(&self) -> Vec<Rft> {
        self.present().map(|(_, s)| s.rft()).collect()
    }
}

/// A day-level view of one customer's purchases, in time order.
struct Day {
    day: i64,
    amount: f64,
    at: Timestamp,
}

/// Calls `visit(customer, days)` for every customer with transactions, `days` sorted by time. Fast path
/// when the input is already sorted by (customer, time) — as the simulator and most exports produce it;
/// otherwise a counting sort by customer then a per-customer sort.
fn for_each_customer(
    transactions: &[Transaction],
    n_customers: usize,
    mut visit: impl FnMut(u32, &mut dyn Iterator<Item = &Transaction>),
) -> Result<()> {
    for t in transactions {
        if t.customer as usize >= n_customers {
            return Err(ClvError::InvalidInput(format!(
                "transaction for customer {} but only {n_customers} customers",
                t.customer
            )));
        }
        if !t.amount.is_finite() {
            return Err(ClvError::InvalidInput(format!("non-finite amount for customer {}", t.customer)));
        }
    }
    let sorted = transactions.windows(2).all(|w| (w[0].customer, w[0].at) <= (w[1].customer, w[1].at));
    if sorted {
        let mut start = 0;
        while start < transactions.len() {
            let c = transactions[start].customer;
            let mut end = start + 1;
            while end < transactions.len() && transactions[end].customer == c {
                end += 1;
            }
            visit(c, &mut transactions[start..end].iter());
            start = end;
        }
        return Ok(());
    }
    let mut offsets = vec![0usize; n_customers + 1];
    for t in transactions {
        offsets[t.customer as usize + 1] += 1;
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut order = vec![0u32; transactions.len()];
    for (i, t) in transactions.iter().enumerate() {
        let slot = &mut fill[t.customer as usize];
        order[*slot] = i as u32;
        *slot += 1;
    }
    for c in 0..n_customers {
        let slice = &mut order[offsets[c]..offsets[c + 1]];
        if slice.is_empty() {
            continue;
        }
        slice.sort_by_key(|&i| transactions[i as usize].at);
        visit(c as u32, &mut slice.iter().map(|&i| &transactions[i as usize]));
    }
    Ok(())
}

/// Merges same-day purchases (amounts summed) of a time-ordered stream.
fn days_of<'a>(txs: &mut dyn Iterator<Item = &'a Transaction>, out: &mut Vec<Day>) {
    out.clear();
    for t in txs {
        let day = t.at.day_index();
        match out.last_mut() {
            Some(last) if last.day == day => last.amount += t.amount,
            _ => out.push(Day { day, amount: t.amount, at: t.at }),
        }
    }
}

/// Calibration summaries (lifetimes' `summary_data_from_transaction_data` conventions): purchases with
/// `at <= calibration_end` count; work on calendar days, same-day purchases merged (amounts summed);
/// x = distinct purchase days − 1; t_x = last − first day; T = calibration-end day − first day (in `unit`);
/// monetary value = mean per-day spend over the repeat days.
pub fn summarize(
    transactions: &[Transaction],
    n_customers: usize,
    calibration_end: Timestamp,
    unit: TimeUnit,
) -> Result<Calibration> {
    let end_day = calibration_end.day_index();
    let mut customers = vec![None; n_customers];
    let mut days = Vec::new();
    for_each_customer(transactions, n_customers, |c, txs| {
        let mut cal = txs.take_while(|t| t.at <= calibration_end);
        days_of(&mut cal, &mut days);
        let Some(first) = days.first() else { return };
        let last = days.last().expect("non-empty");
        let x = (days.len() - 1) as u32;
        let repeat_spend: f64 = days[1..].iter().map(|d| d.amount).sum();
        customers[c as usize] = Some(CustomerSummary {
            frequency: x,
            recency: unit.from_days(last.day - first.day),
            age: unit.from_days(end_day - first.day),
            monetary_value: if x > 0 { repeat_spend / x as f64 } else { 0.0 },
            first_purchase: first.at,
            last_purchase: last.at,
        });
    })?;
    Ok(Calibration { unit, calibration_end, customers })
}

/// What customers did after the calibration period.
#[derive(Clone, Debug, PartialEq)]
pub struct HoldoutSummary {
    /// Distinct purchase days in (calibration_end, holdout_end], per customer.
    pub purchases: Vec<u32>,
    /// Total spend in the holdout period, per customer.
    pub spend: Vec<f64>,
    /// Holdout length (holdout-end day − calibration-end day) in the time unit.
    pub duration: f64,
}

/// Holdout-period purchases (distinct days) and spend per customer, for transactions with
/// `calibration_end < at <= holdout_end`.
pub fn holdout_summary(
    transactions: &[Transaction],
    n_customers: usize,
    calibration_end: Timestamp,
    holdout_end: Timestamp,
    unit: TimeUnit,
) -> Result<HoldoutSummary> {
    if holdout_end <= calibration_end {
        return Err(ClvError::InvalidInput("holdout end must be after calibration end".into()));
    }
    let mut purchases = vec![0u32; n_customers];
    let mut spend = vec![0.0; n_customers];
    let mut days = Vec::new();
    for_each_customer(transactions, n_customers, |c, txs| {
        let mut hold = txs.filter(|t| t.at > calibration_end && t.at <= holdout_end);
        days_of(&mut hold, &mut days);
        purchases[c as usize] = days.len() as u32;
        spend[c as usize] = days.iter().map(|d| d.amount).sum();
    })?;
    Ok(HoldoutSummary {
        purchases,
        spend,
        duration: unit.from_days(holdout_end.day_index() - calibration_end.day_index()),
    })
}

/// A small, fast multiplicative hasher for the pattern maps (keys are already well-mixed numbers).
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // murmur3's 64-bit finaliser: every input bit affects the low (bucket) and high (tag) bits.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 33;
        h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Customers grouped by distinct (x, t_x, T) with integer weights: fitting cost grows with the number of
/// distinct patterns, not customers. Times are also indexed into a table of distinct values so a
/// likelihood evaluation computes each ln(α + t) once.
#[derive(Clone, Debug)]
pub struct Patterns {
    pub x: Vec<u32>,
    pub t_x: Vec<f64>,
    pub t: Vec<f64>,
    pub weight: Vec<f64>,
    /// Distinct time values (recencies and ages).
    pub(crate) times: Vec<f64>,
    pub(crate) tx_idx: Vec<u32>,
    pub(crate) t_idx: Vec<u32>,
    pub n_customers: f64,
}

/// Indexes distinct times (by bit pattern) in the order they are first seen.
#[derive(Default)]
struct TimeIndex(FastMap<u64, u32>);

impl TimeIndex {
    /// The index of `v` in `times`; a new time is appended.
    fn index(&mut self, v: f64, times: &mut Vec<f64>) -> u32 {
        let next = times.len() as u32;
        let i = *self.0.entry(v.to_bits()).or_insert(next);
        if i == next {
            times.push(v);
        }
        i
    }
}

impl Patterns {
    /// Groups and validates; errors on an empty input or an invalid triple. Patterns come out sorted by
    /// (x, t_x, T) index. Distinct times are indexed with a small hash map, then each customer becomes one
    /// packed u64 key (x, t_x index, T index) and the keys are sorted: cache-friendly for millions of rows.
    pub fn from_rft(customers: &[Rft]) -> Result<Self> {
        if customers.is_empty() {
            return Err(ClvError::Empty);
        }
        let mut times: Vec<f64> = Vec::new();
        let mut tindex = TimeIndex::default();
        let mut keys: Vec<u64> = Vec::with_capacity(customers.len());
        let mut max_x = 0u32;
        for c in customers {
            c.validate()?;
            // Normalise −0.0 so it groups with 0.0; clamp tiny recency overshoot.
            let t_x = c.t_x.min(c.t) + 0.0;
            let a = tindex.index(t_x, &mut times) as u64;
            let b = tindex.index(c.t + 0.0, &mut times) as u64;
            max_x = max_x.max(c.x);
            if times.len() > (1 << 20) || max_x >= (1 << 24) {
                return Self::from_rft_hashed(customers);
            }
            keys.push(((c.x as u64) << 40) | (a << 20) | b);
        }
        keys.sort_unstable();
        let mut p = Patterns {
            x: Vec::new(),
            t_x: Vec::new(),
            t: Vec::new(),
            weight: Vec::new(),
            times,
            tx_idx: Vec::new(),
            t_idx: Vec::new(),
            n_customers: customers.len() as f64,
        };
        let mut i = 0;
        while i < keys.len() {
            let k = keys[i];
            let mut j = i + 1;
            while j < keys.len() && keys[j] == k {
                j += 1;
            }
            let (x, a, b) = ((k >> 40) as u32, ((k >> 20) & 0xF_FFFF) as u32, (k & 0xF_FFFF) as u32);
            p.x.push(x);
            p.t_x.push(p.times[a as usize]);
            p.t.push(p.times[b as usize]);
            p.tx_idx.push(a);
            p.t_idx.push(b);
            p.weight.push((j - i) as f64);
            i = j;
        }
        Ok(p)
    }

    /// Fallback grouping with a hash map (huge x or more than 2²⁰ distinct times).
    fn from_rft_hashed(customers: &[Rft]) -> Result<Self> {
        let mut map: FastMap<(u32, u64, u64), u32> = FastMap::default();
        let mut p = Patterns {
            x: Vec::new(),
            t_x: Vec::new(),
            t: Vec::new(),
            weight: Vec::new(),
            times: Vec::new(),
            tx_idx: Vec::new(),
            t_idx: Vec::new(),
            n_customers: customers.len() as f64,
        };
        for c in customers {
            c.validate()?;
            let t_x = c.t_x.min(c.t) + 0.0;
            let key = (c.x, t_x.to_bits(), (c.t + 0.0).to_bits());
            let next = p.x.len() as u32;
            let idx = *map.entry(key).or_insert(next);
            if idx == next {
                p.x.push(c.x);
                p.t_x.push(t_x);
                p.t.push(c.t + 0.0);
                p.weight.push(0.0);
            }
            p.weight[idx as usize] += 1.0;
        }
        let mut tindex = TimeIndex::default();
        for i in 0..p.x.len() {
            let a = tindex.index(p.t_x[i], &mut p.times);
            let b = tindex.index(p.t[i], &mut p.times);
            p.tx_idx.push(a);
            p.t_idx.push(b);
        }
        Ok(p)
    }

    /// A Horvitz–Thompson subsample for warm starts: every pattern with x = 0 (few, heavy) plus every
    /// `k`-th other pattern with its weight × k, so the subsample's log-likelihood estimates the full one.
    pub(crate) fn thinned(&self, k: usize) -> Patterns {
        let mut p = Patterns {
            x: Vec::new(),
            t_x: Vec::new(),
            t: Vec::new(),
            weight: Vec::new(),
            times: self.times.clone(),
            tx_idx: Vec::new(),
            t_idx: Vec::new(),
            n_customers: 0.0,
        };
        let mut seen = 0usize;
        for i in 0..self.len() {
            let keep = if self.x[i] == 0 {
                Some(1.0)
            } else {
                seen += 1;
                (seen % k == 0).then_some(k as f64)
            };
            if let Some(f) = keep {
                p.x.push(self.x[i]);
                p.t_x.push(self.t_x[i]);
                p.t.push(self.t[i]);
                p.tx_idx.push(self.tx_idx[i]);
                p.t_idx.push(self.t_idx[i]);
                p.weight.push(self.weight[i] * f);
                p.n_customers += self.weight[i] * f;
            }
        }
        p
    }

    pub fn len(&self) -> usize {
        self.x.len()
    }
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
    pub fn max_t(&self) -> f64 {
        self.t.iter().copied().fold(0.0, f64::max)
    }
    /// Weighted mean of x, and of T.
    pub(crate) fn means(&self) -> (f64, f64, f64) {
        let mut sx = 0.0;
        let mut st = 0.0;
        let mut zero = 0.0;
        for i in 0..self.len() {
            sx += self.weight[i] * self.x[i] as f64;
            st += self.weight[i] * self.t[i];
            if self.x[i] == 0 {
                zero += self.weight[i];
            }
        }
        (sx / self.n_customers, st / self.n_customers, zero / self.n_customers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(c: u32, day: &str, amount: f64) -> Transaction {
        Transaction { customer: c, at: Timestamp::parse(day).unwrap(), amount }
    }

    #[test]
    fn same_day_purchases_merge_and_late_customers_are_none() {
        let txs = vec![
            tx(0, "2020-01-01 09:00", 10.0),
            tx(0, "2020-01-01 18:00", 5.0),
            tx(0, "2020-01-08", 20.0),
            tx(0, "2020-01-15", 30.0),
            tx(1, "2020-02-01", 7.0),
            tx(0, "2020-02-10", 99.0),
        ];
        let end = Timestamp::parse("2020-01-29").unwrap().end_of_day();
        let cal = summarize(&txs, 3, end, TimeUnit::Weeks).unwrap();
        let s = cal.customers[0].unwrap();
        assert_eq!(s.frequency, 2);
        assert!((s.recency - 2.0).abs() < 1e-12);
        assert!((s.age - 4.0).abs() < 1e-12);
        assert!((s.monetary_value - 25.0).abs() < 1e-12);
        assert!(cal.customers[1].is_none() && cal.customers[2].is_none());
        let hold = holdout_summary(&txs, 3, end, Timestamp::parse("2020-02-29").unwrap().end_of_day(), TimeUnit::Days).unwrap();
        assert_eq!(hold.purchases, vec![1, 1, 0]);
        assert_eq!(hold.spend, vec![99.0, 7.0, 0.0]);
        assert_eq!(hold.duration, 31.0);
        // Unsorted input gives the same summary.
        let mut rev = txs.clone();
        rev.reverse();
        assert_eq!(summarize(&rev, 3, end, TimeUnit::Weeks).unwrap().customers, cal.customers);
        assert!(summarize(&txs, 1, end, TimeUnit::Weeks).is_err());
    }

    #[test]
    fn patterns_group_identical_triples() {
        let rft = vec![Rft::new(0, 0.0, 5.0), Rft::new(2, 1.0, 5.0), Rft::new(0, 0.0, 5.0)];
        let p = Patterns::from_rft(&rft).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.weight, vec![2.0, 1.0]);
        let h = Patterns::from_rft_hashed(&rft).unwrap();
        assert_eq!(h.weight, vec![2.0, 1.0]);
        assert_eq!(p.times.len(), 3);
        assert!(Patterns::from_rft(&[]).is_err());
        assert!(Patterns::from_rft(&[Rft::new(1, 6.0, 5.0)]).is_err());
        assert!(Patterns::from_rft(&[Rft::new(1, f64::NAN, 5.0)]).is_err());
    }
}
