//! RFM: recency, frequency, monetary value, quintile scores and named segments.
//!
//! # Measures
//! For every customer with at least one purchase on or before the analysis date (day level,
//! inclusive):
//!
//! | measure | definition |
//! | --- | --- |
//! | `recency_days` (R) | analysis day − day of the last purchase (0 = bought on the analysis day) |
//! | `frequency` (F) | number of purchase occasions = transactions (orders) on or before the analysis date |
//! | `monetary` (M) | **total** spend over those orders (`mean_order_value` is reported too) |
//!
//! M is the total, not the mean: total spend is what the business loses when the customer
//! goes, and it is the convention of most RFM tools; the mean order value is reported beside
//! it for callers who want it.
//!
//! # Scores (1–5)
//! Each measure is scored by **rank-based quintiles with average ranks**, over the customers
//! of this table:
//!
//! 1. sort customers by the measure ascending (for R, by `-recency_days`, so that the most
//!    recent customers rank highest and R = 5 means "bought most recently");
//! 2. give every tie group the average of the 1-based ranks it spans, `r̄`;
//! 3. the mid-rank percentile is `p = (r̄ − ½) / n` (in (0, 1));
//! 4. score = `⌊5·p⌋ + 1` (so 1..=5).
//!
//! Tied values therefore always share one score, and a score can be empty. Example: when 60 %
//! of customers bought once (F = 1), their tie group spans ranks 1..0.6n, its percentile is
//! ≈ 0.30, and **all one-time buyers get F score 2**; nobody gets F score 1, and the remaining
//! 40 % spread over scores 4–5 (their percentiles are ≥ 0.6) — with fewer distinct frequencies
//! than quintiles some scores stay empty. This is why the "New" segment below tests the raw
//! frequency (one order), not the F score.
//!
//! # Segments
//! Every customer lands in exactly one segment: the rules are checked top to bottom and the
//! first that matches wins (the table is exhaustive: the last two rules cover every remaining
//! R ≤ 2 customer).
//!
//! | # | segment | rule (R, F, M are scores; `orders` is the raw frequency) | meaning |
//! | --- | --- | --- | --- |
//! | 1 | Champions | R ≥ 4 and F ≥ 4 | bought recently, buy often |
//! | 2 | Loyal | R ≥ 3 and F ≥ 4 | buy often, fairly recent |
//! | 3 | New | R ≥ 4 and orders = 1 | first purchase recently |
//! | 4 | Potential loyalist | R ≥ 3 (and F ≤ 3) | recent, a few orders (or an older single order with R = 3) |
//! | 5 | Can't lose | R ≤ 2 and F ≥ 4 and M ≥ 4 | used to buy often and spend a lot, gone quiet |
//! | 6 | At risk | R ≤ 2 and F ≥ 3 | bought fairly often, gone quiet |
//! | 7 | Hibernating | R = 2 (and F ≤ 2) | few orders, not for a while |
//! | 8 | Lost | R = 1 (and F ≤ 2) | few orders, longest ago |

use crate::history::{midrank_percentiles, Histories};
use serde::Serialize;
use xinli_core::{Timestamp, Transaction};

/// A named RFM segment; see the [module docs](self) for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Champions,
    Loyal,
    New,
    PotentialLoyalist,
    CantLose,
    AtRisk,
    Hibernating,
    Lost,
}

impl Segment {
    /// Every segment, in rule order.
    pub const ALL: [Segment; 8] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::New,
        Segment::PotentialLoyalist,
        Segment::CantLose,
        Segment::AtRisk,
        Segment::Hibernating,
        Segment::Lost,
    ];

    /// The segment of a customer with these scores (1..=5) and raw order count; exhaustive.
    pub fn classify(r: u8, f: u8, m: u8, orders: u32) -> Segment {
        if r >= 4 && f >= 4 {
            Segment::Champions
        } else if r >= 3 && f >= 4 {
            Segment::Loyal
        } else if r >= 4 && orders == 1 {
            Segment::New
        } else if r >= 3 {
            Segment::PotentialLoyalist
        } else if f >= 4 && m >= 4 {
            Segment::CantLose
        } else if f >= 3 {
            Segment::AtRisk
        } else if r == 2 {
            Segment::Hibernating
        } else {
            Segment::Lost
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Segment::Champions => "Champions",
            Segment::Loyal => "Loyal",
            Segment::New => "New",
            Segment::PotentialLoyalist => "Potential loyalist",
            Segment::CantLose => "Can't lose",
            Segment::AtRisk => "At risk",
            Segment::Hibernating => "Hibernating",
            Segment::Lost => "Lost",
        }
    }
}

/// One customer's RFM measures, scores and segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmCustomer {
    pub customer: u32,
    pub recency_days: i64,
    /// Orders on or before the analysis date.
    pub frequency: u32,
    /// Total spend.
    pub monetary: f64,
    pub mean_order_value: f64,
    pub r_score: u8,
    pub f_score: u8,
    pub m_score: u8,
    pub segment: Segment,
}

/// RFM for every customer with a purchase on or before the analysis date, by customer index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmTable {
    pub analysis_date: Timestamp,
    pub customers: Vec<RfmCustomer>,
    /// Customers per segment, in [`Segment::ALL`] order (always 8 entries, zeros included).
    pub segment_counts: Vec<(Segment, usize)>,
}

/// Quintile score from a mid-rank percentile.
fn score(p: f64) -> u8 {
    ((5.0 * p).floor() as i64 + 1).clamp(1, 5) as u8
}

/// RFM measures, scores and segments at `analysis_date` (inclusive, day level).
pub fn rfm(transactions: &[Transaction], analysis_date: Timestamp) -> RfmTable {
    let day = analysis_date.day_index();
    let h = Histories::build(transactions, day);
    let mut customers: Vec<RfmCustomer> = h
        .active()
        .map(|c| {
            let (days, amounts) = h.customer(c);
            let total: f64 = amounts.iter().sum();
            RfmCustomer {
                customer: c as u32,
                recency_days: day - days[days.len() - 1],
                frequency: days.len() as u32,
                monetary: total,
                mean_order_value: total / days.len() as f64,
                r_score: 0,
                f_score: 0,
                m_score: 0,
                segment: Segment::Lost,
            }
        })
        .collect();
    let r = midrank_percentiles(&customers.iter().map(|c| -(c.recency_days as f64)).collect::<Vec<_>>());
    let f = midrank_percentiles(&customers.iter().map(|c| c.frequency as f64).collect::<Vec<_>>());
    let m = midrank_percentiles(&customers.iter().map(|c| c.monetary).collect::<Vec<_>>());
    let mut counts = [0usize; 8];
    for (i, c) in customers.iter_mut().enumerate() {
        c.r_score = score(r[i]);
        c.f_score = score(f[i]);
        c.m_score = score(m[i]);
        c.segment = Segment::classify(c.r_score, c.f_score, c.m_score, c.frequency);
        counts[c.segment as usize] += 1;
    }
    RfmTable {
        analysis_date,
        customers,
        segment_counts: Segment::ALL.iter().map(|&s| (s, counts[s as usize])).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(c: u32, day: &str, amount: f64) -> Transaction {
        Transaction { customer: c, at: Timestamp::parse(day).unwrap(), amount }
    }

    #[test]
    fn every_score_combination_has_exactly_one_segment() {
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    for orders in [1, 2, 10] {
                        let s = Segment::classify(r, f, m, orders);
                        assert!(Segment::ALL.contains(&s));
                    }
                }
            }
        }
        assert_eq!(Segment::classify(5, 5, 1, 9), Segment::Champions);
        assert_eq!(Segment::classify(3, 4, 1, 9), Segment::Loyal);
        assert_eq!(Segment::classify(5, 2, 1, 1), Segment::New);
        assert_eq!(Segment::classify(4, 3, 1, 3), Segment::PotentialLoyalist);
        assert_eq!(Segment::classify(2, 5, 5, 9), Segment::CantLose);
        assert_eq!(Segment::classify(1, 4, 2, 9), Segment::AtRisk);
        assert_eq!(Segment::classify(2, 2, 5, 2), Segment::Hibernating);
        assert_eq!(Segment::classify(1, 1, 1, 1), Segment::Lost);
    }

    #[test]
    fn measures_scores_and_ties() {
        let at = Timestamp::parse("2020-01-31").unwrap().end_of_day();
        let t = vec![
            tx(0, "2020-01-31 10:00:00", 10.0),
            tx(0, "2020-01-20", 20.0),
            tx(1, "2020-01-01", 5.0),
            tx(2, "2020-01-30", 7.0),
            tx(3, "2020-01-30", 7.0),
            tx(4, "2020-03-01", 100.0), // after the analysis date: ignored
        ];
        let table = rfm(&t, at);
        assert_eq!(table.customers.len(), 4);
        let c0 = &table.customers[0];
        assert_eq!((c0.recency_days, c0.frequency, c0.monetary), (0, 2, 30.0));
        assert_eq!(c0.mean_order_value, 15.0);
        assert_eq!(c0.r_score, 5);
        // Customers 2 and 3 tie on every measure → same scores.
        let (c2, c3) = (&table.customers[2], &table.customers[3]);
        assert_eq!((c2.r_score, c2.f_score, c2.m_score), (c3.r_score, c3.f_score, c3.m_score));
        // F: three one-time buyers share mid-rank 2 → p = 1.5/4 → score 2; the repeat buyer 5.
        assert_eq!(c2.f_score, 2);
        assert_eq!(c0.f_score, 5);
        assert_eq!(table.customers[1].r_score, 1);
        let total: usize = table.segment_counts.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 4);
    }

    #[test]
    fn empty_input() {
        let table = rfm(&[], Timestamp::parse("2020-01-01").unwrap());
        assert!(table.customers.is_empty());
        assert_eq!(table.segment_counts.len(), 8);
    }
}
