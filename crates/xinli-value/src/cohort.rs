//! Monthly acquisition cohorts, retention by months since first purchase, and repeat rate.
//!
//! A customer's cohort is the calendar month (UTC) of their first purchase. For a cohort
//! month `m₀` and offset `k ≥ 0`, `active[k]` counts the cohort's customers with at least one
//! purchase in calendar month `m₀ + k`, and `retention[k] = active[k] / size`. Offset 0 is
//! always 1.0 (everyone bought in their first month). Offsets run up to the analysis date's
//! month, which is usually partial: its retention counts only purchases up to the analysis
//! date.
//!
//! The repeat rate is the share of customers with at least two purchase occasions (orders)
//! on or before the analysis date.

use crate::history::{civil_from_days, Histories};
use serde::Serialize;
use xinli_core::{Timestamp, Transaction};

/// One acquisition cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    /// `YYYY-MM` of the first purchase.
    pub month: String,
    pub size: usize,
    /// Customers buying in month offset k (index k), `active[0] == size`.
    pub active: Vec<usize>,
    /// `active[k] / size`; `retention[0] == 1.0`.
    pub retention: Vec<f64>,
}

/// Cohorts in month order, with the shop's repeat rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortTable {
    pub cohorts: Vec<Cohort>,
    pub customers: usize,
    /// Customers with ≥ 2 orders.
    pub repeat_customers: usize,
    /// `repeat_customers / customers` (0 when there are no customers).
    pub repeat_rate: f64,
}

fn month_index(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    y * 12 + (m as i64 - 1)
}

/// Monthly cohorts at `analysis_date` (inclusive, day level).
pub fn cohorts(transactions: &[Transaction], analysis_date: Timestamp) -> CohortTable {
    let last_day = analysis_date.day_index();
    let h = Histories::build(transactions, last_day);
    let last_month = month_index(last_day);
    let mut customers = 0usize;
    let mut repeat = 0usize;
    // Only months that have customers are materialised.
    let mut by_month: std::collections::BTreeMap<i64, (usize, Vec<usize>)> = Default::default();
    let mut months: Vec<i64> = Vec::new();
    for c in h.active() {
        let (days, _) = h.customer(c);
        customers += 1;
        repeat += (days.len() >= 2) as usize;
        let first = month_index(days[0]);
        let entry = by_month
            .entry(first)
            .or_insert_with(|| (0, vec![0; (last_month - first + 1).max(1) as usize]));
        entry.0 += 1;
        months.clear();
        months.extend(days.iter().map(|&d| month_index(d) - first));
        months.dedup(); // days are sorted, so equal months are adjacent
        for &k in &months {
            if let Some(slot) = entry.1.get_mut(k as usize) {
                *slot += 1;
            }
        }
    }
    let cohorts = by_month
        .into_iter()
        .map(|(m, (size, active))| Cohort {
            month: format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1),
            size,
            retention: active.iter().map(|&a| a as f64 / size as f64).collect(),
            active,
        })
        .collect();
    CohortTable {
        cohorts,
        customers,
        repeat_customers: repeat,
        repeat_rate: if customers > 0 { repeat as f64 / customers as f64 } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(c: u32, day: &str) -> Transaction {
        Transaction { customer: c, at: Timestamp::parse(day).unwrap(), amount: 1.0 }
    }

    #[test]
    fn hand_built_cohorts() {
        let t = vec![
            tx(0, "2020-01-05"),
            tx(0, "2020-01-20"),
            tx(0, "2020-03-02"),
            tx(1, "2020-01-31"),
            tx(2, "2020-02-01"),
            tx(2, "2020-02-10"),
            tx(1, "2020-04-01"), // after the analysis date
        ];
        let table = cohorts(&t, Timestamp::parse("2020-03-15").unwrap());
        assert_eq!(table.cohorts.len(), 2);
        let jan = &table.cohorts[0];
        assert_eq!((jan.month.as_str(), jan.size), ("2020-01", 2));
        assert_eq!(jan.active, vec![2, 0, 1]);
        assert_eq!(jan.retention, vec![1.0, 0.0, 0.5]);
        let feb = &table.cohorts[1];
        assert_eq!(feb.active, vec![1, 0]);
        assert_eq!((table.customers, table.repeat_customers), (3, 2));
        assert!((table.repeat_rate - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn empty() {
        let table = cohorts(&[], Timestamp::parse("2020-03-15").unwrap());
        assert!(table.cohorts.is_empty());
        assert_eq!(table.repeat_rate, 0.0);
    }
}
