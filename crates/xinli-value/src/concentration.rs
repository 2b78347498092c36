//! Value concentration: Lorenz curve, Pareto (80/20) shares, Gini coefficient and value tiers.
//!
//! A customer's value is their total spend on or before the analysis date (negative totals,
//! e.g. from refunds booked as transactions, count as 0). The Lorenz curve `L(x)` is the share
//! of total value held by the lowest-value share `x` of customers, linear between the points
//! `(i/n, cumulative value of the i lowest / total)`. From it:
//!
//! - `top20_share` = `1 − L(0.8)`: share of value from the top 20 % of customers;
//! - `customer_share_for_80` = `1 − L⁻¹(0.2)`: the smallest share of (top) customers that
//!   together make 80 % of value;
//! - `gini` = `2·Σᵢ i·xᵢ / (n·Σx) − (n+1)/n` over values sorted ascending (0 = everyone equal,
//!   → 1 = one customer holds everything).
//!
//! With no customers or zero total value every share and the Gini are 0.
//!
//! # Value tiers (80/20)
//! | tier | customers |
//! | --- | --- |
//! | High | top 20 % by value |
//! | Mid | next 30 % (top 20–50 %) |
//! | Low | the remaining 50 % |
//!
//! Position is the mid-rank share from the top, `(r̄ − ½)/n` where `r̄` is the average
//! descending rank of the customer's tie group, so tied customers always share a tier: High
//! when it is < 0.2, Mid when < 0.5, else Low. Large tie groups (e.g. many equal small
//! spends) can make a tier larger or smaller than its nominal share.

use crate::history::{midrank_percentiles, Histories};
use serde::Serialize;
use xinli_core::{Timestamp, Transaction};

/// A point of the Lorenz curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LorenzPoint {
    /// Share of customers, lowest value first.
    pub customer_share: f64,
    /// Share of total value those customers hold.
    pub value_share: f64,
}

/// A customer's 80/20 value tier; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueTier {
    High,
    Mid,
    Low,
}

impl ValueTier {
    pub const ALL: [ValueTier; 3] = [ValueTier::High, ValueTier::Mid, ValueTier::Low];
    pub fn name(self) -> &'static str {
        match self {
            ValueTier::High => "high",
            ValueTier::Mid => "mid",
            ValueTier::Low => "low",
        }
    }
}

/// Customers and value share of one tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierSummary {
    pub tier: ValueTier,
    pub customers: usize,
    pub value_share: f64,
}

/// Value concentration of a shop's customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    pub customers: usize,
    pub total_value: f64,
    pub top20_share: f64,
    pub customer_share_for_80: f64,
    pub gini: f64,
    /// 101 points at customer shares 0, 0.01, …, 1 (empty when there are no customers).
    pub lorenz: Vec<LorenzPoint>,
    /// `(customer, tier)` for every customer, by customer index (per customer: not serialised,
    /// `customers.csv` carries it).
    #[serde(skip)]
    pub tiers: Vec<(u32, ValueTier)>,
    /// High, Mid, Low.
    #[serde(rename = "tiers")]
    pub tier_summary: Vec<TierSummary>,
}

/// Concentration of total spend per customer at `analysis_date` (inclusive, day level).
pub fn concentration(transactions: &[Transaction], analysis_date: Timestamp) -> Concentration {
    let h = Histories::build(transactions, analysis_date.day_index());
    let (ids, values): (Vec<u32>, Vec<f64>) = h
        .active()
        .map(|c| (c as u32, h.customer(c).1.iter().sum::<f64>()))
        .unzip();
    concentration_of(&ids, &values)
}

/// Concentration of arbitrary per-customer `values` (`ids[i]` is the customer of `values[i]`).
/// Negative and non-finite values count as 0.
pub fn concentration_of(ids: &[u32], values: &[f64]) -> Concentration {
    let values: Vec<f64> = values.iter().map(|&v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
    let n = values.len();
    let mut sorted = values.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let total: f64 = sorted.iter().sum();
    // cum[i] = share of value held by the i lowest customers.
    let mut cum = Vec::with_capacity(n + 1);
    cum.push(0.0);
    let mut acc = 0.0;
    let mut weighted = 0.0;
    for (i, v) in sorted.iter().enumerate() {
        acc += v;
        weighted += (i + 1) as f64 * v;
        cum.push(if total > 0.0 { acc / total } else { 0.0 });
    }
    if total > 0.0 {
        *cum.last_mut().unwrap() = 1.0;
    }
    let lorenz_at = |x: f64| -> f64 {
        let pos = x.clamp(0.0, 1.0) * n as f64;
        let i = (pos.floor() as usize).min(n.saturating_sub(1));
        let frac = pos - i as f64;
        cum[i] + (cum[(i + 1).min(n)] - cum[i]) * frac
    };
    let (top20_share, customer_share_for_80, gini, lorenz) = if n == 0 {
        (0.0, 0.0, 0.0, Vec::new())
    } else {
        let lorenz = (0..=100)
            .map(|k| {
                let x = k as f64 / 100.0;
                LorenzPoint { customer_share: x, value_share: if total > 0.0 { lorenz_at(x) } else { 0.0 } }
            })
            .collect();
        if total > 0.0 {
            // L⁻¹(0.2): the first segment reaching 0.2, linear inside it.
            let i = cum.partition_point(|&c| c < 0.2).max(1);
            let (lo, hi) = (cum[i - 1], cum[i]);
            let x = (i - 1) as f64 + if hi > lo { (0.2 - lo) / (hi - lo) } else { 1.0 };
            let gini = (2.0 * weighted / (n as f64 * total) - (n as f64 + 1.0) / n as f64).clamp(0.0, 1.0);
            (1.0 - lorenz_at(0.8), (1.0 - x / n as f64).clamp(0.0, 1.0), gini, lorenz)
        } else {
            (0.0, 0.0, 0.0, lorenz)
        }
    };
    let tier_of = value_tiers_of(&values);
    let mut summary: Vec<TierSummary> =
        ValueTier::ALL.iter().map(|&tier| TierSummary { tier, customers: 0, value_share: 0.0 }).collect();
    for (t, v) in tier_of.iter().zip(&values) {
        let s = &mut summary[*t as usize];
        s.customers += 1;
        if total > 0.0 {
            s.value_share += v / total;
        }
    }
    Concentration {
        customers: n,
        total_value: total,
        top20_share,
        customer_share_for_80,
        gini,
        lorenz,
        tiers: ids.iter().copied().zip(tier_of).collect(),
        tier_summary: summary,
    }
}

/// The 80/20 tier of each value (see the [module docs](self)); ties share a tier.
pub fn value_tiers_of(values: &[f64]) -> Vec<ValueTier> {
    midrank_percentiles(values)
        .into_iter()
        .map(|p| {
            let from_top = 1.0 - p;
            if from_top < 0.2 {
                ValueTier::High
            } else if from_top < 0.5 {
                ValueTier::Mid
            } else {
                ValueTier::Low
            }
        })
        .collect()
}

/// `(customer, tier)` by total spend at `analysis_date`.
pub fn value_tiers(transactions: &[Transaction], analysis_date: Timestamp) -> Vec<(u32, ValueTier)> {
    concentration(transactions, analysis_date).tiers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_have_no_concentration() {
        let c = concentration_of(&[0, 1, 2, 3, 4], &[10.0; 5]);
        assert!((c.top20_share - 0.2).abs() < 1e-12);
        assert!((c.customer_share_for_80 - 0.8).abs() < 1e-12);
        assert!(c.gini.abs() < 1e-12);
        assert_eq!(c.lorenz.len(), 101);
        // All tied → all in one tier (mid-rank 0.5 from the top → Low).
        assert!(c.tiers.iter().all(|(_, t)| *t == ValueTier::Low));
    }

    #[test]
    fn one_customer_holds_everything() {
        let mut v = vec![0.0; 9];
        v.push(100.0);
        let ids: Vec<u32> = (0..10).collect();
        let c = concentration_of(&ids, &v);
        assert!((c.top20_share - 1.0).abs() < 1e-12);
        assert!((c.customer_share_for_80 - 0.08).abs() < 1e-12);
        assert!((c.gini - 0.9).abs() < 1e-12); // (n-1)/n for n = 10
        assert_eq!(c.tiers[9].1, ValueTier::High);
    }

    #[test]
    fn hand_computed_shares() {
        // Values 1, 2, 3, 4, 10 (total 20): top 20 % = the 10 → 0.5.
        let c = concentration_of(&[0, 1, 2, 3, 4], &[1.0, 2.0, 3.0, 4.0, 10.0]);
        assert!((c.top20_share - 0.5).abs() < 1e-12);
        // Gini = 2(1+4+9+16+50)/(5·20) − 6/5 = 1.6 − 1.2 = 0.4.
        assert!((c.gini - 0.4).abs() < 1e-12);
        // 80 % = 16: top customer 10, plus 4 (14), plus 2/3 of the 3 → 2 + 2/3 customers of 5.
        assert!((c.customer_share_for_80 - (2.0 + 2.0 / 3.0) / 5.0).abs() < 1e-12);
        let tiers: Vec<ValueTier> = c.tiers.iter().map(|t| t.1).collect();
        assert_eq!(tiers, vec![ValueTier::Low, ValueTier::Low, ValueTier::Low, ValueTier::Mid, ValueTier::High]);
    }

    #[test]
    fn empty_and_zero() {
        let c = concentration_of(&[], &[]);
        assert_eq!((c.customers, c.top20_share, c.gini), (0, 0.0, 0.0));
        let c = concentration_of(&[0, 1], &[0.0, f64::NAN]);
        assert_eq!((c.top20_share, c.gini, c.customer_share_for_80), (0.0, 0.0, 0.0));
        assert!(c.lorenz.iter().all(|p| p.value_share == 0.0));
    }
}
