//! `dashboard.json`: the shop-level aggregates the report is drawn from that are not per
//! customer and cost a full analysis to recompute — funnel, churn drivers, cohort retention,
//! the Pareto curve, monthly trends and the voice of the customer. `xinli analyze --db` stores
//! it beside the scores so a dashboard reads it instead of re-running the pipeline.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use xinli_journey::FunnelReport;
use xinli_value::{CohortTable, Concentration};

use crate::models::ValueScores;
use crate::voice::ShopVoice;
use crate::Purchases;

/// Complaints listed in `voice.top_complaints`.
const TOP_COMPLAINTS: usize = 50;

#[derive(Debug, Serialize)]
pub struct Dashboard {
    /// `YYYY-MM-DD`: the calibration end everything is as of.
    pub as_of: String,
    /// The purchase funnel, broken down by persona and by first-order channel (`None`: no
    /// product views in the data).
    pub funnel: Option<Funnel>,
    /// Churn drivers by back-test (`strategy.json` holds the same).
    pub churn_drivers: Option<xinli_strategy::ChurnDrivers>,
    pub cohorts: CohortTable,
    /// Value concentration: the Lorenz curve (101 points), the 80/20 figures and the value tiers.
    pub pareto: Concentration,
    pub monthly: Vec<Month>,
    /// `None` when the shop has no reviews.
    pub voice: Option<VoiceAggregates>,
}

#[derive(Debug, Serialize)]
pub struct Funnel {
    /// `steps` are the overall funnel; `breakdown` groups by persona.
    pub by_persona: FunnelReport,
    pub by_channel: FunnelReport,
}

/// One calendar month of purchases up to the calibration end.
#[derive(Debug, PartialEq, Serialize)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Customers whose first purchase fell in the month.
    pub new_customers: u64,
    /// Customers who had bought by the end of the month.
    pub customers: u64,
    /// Customers who bought in the month.
    pub active: u64,
    pub purchases: u64,
    pub revenue: f64,
    /// Share of the month's buyers who had bought in an earlier month.
    pub repeat_rate: f64,
}

#[derive(Debug, Serialize)]
pub struct VoiceAggregates {
    pub sentiment_by_month: Vec<MonthSentiment>,
    pub aspects: Vec<AspectShare>,
    pub satisfaction_by_month: Vec<MonthSatisfaction>,
    /// Most urgent first (severity, then customer value, then the most recent).
    pub top_complaints: Vec<Complaint>,
}

#[derive(Debug, Default, Serialize)]
pub struct MonthSentiment {
    pub month: String,
    pub reviews: u64,
    pub positive: u64,
    pub negative: u64,
    pub neutral: u64,
}

#[derive(Debug, Serialize)]
pub struct AspectShare {
    pub aspect: &'static str,
    pub mentions: u64,
    pub positive: u64,
    pub negative: u64,
    pub share_negative: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct MonthSatisfaction {
    pub month: String,
    pub csat: Option<f64>,
    pub csat_answers: u64,
    pub nps: Option<f64>,
    pub nps_answers: u64,
}

#[derive(Debug, Serialize)]
pub struct Complaint {
    pub review_id: String,
    pub customer_id: Option<String>,
    pub product_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub severity: Option<u8>,
    pub text: String,
}

/// Purchases per calendar month up to the calibration end.
pub fn monthly_trends(purchases: &Purchases) -> Vec<Month> {
    let month_of = |t: xinli_core::Timestamp| t.date().format("%Y-%m").to_string();
    let mut first_month: Vec<Option<String>> = vec![None; purchases.customer_ids.len()];
    let mut months: BTreeMap<String, (HashSet<u32>, u64, f64)> = BTreeMap::new();
    // Transactions are sorted by (customer, time): a customer's first one is its first month.
    for t in purchases.transactions.iter().filter(|t| t.at <= purchases.calibration_end) {
        let month = month_of(t.at);
        first_month[t.customer as usize].get_or_insert_with(|| month.clone());
        let m = months.entry(month).or_default();
        m.0.insert(t.customer);
        m.1 += 1;
        m.2 += t.amount;
    }
    let mut new_by_month: BTreeMap<&str, u64> = BTreeMap::new();
    for m in first_month.iter().flatten() {
        *new_by_month.entry(m).or_default() += 1;
    }
    let mut customers = 0;
    months
        .iter()
        .map(|(month, (buyers, n, revenue))| {
            let new_customers = new_by_month.get(month.as_str()).copied().unwrap_or(0);
            customers += new_customers;
            let returning = buyers.iter().filter(|c| first_month[**c as usize].as_deref() != Some(month.as_str())).count();
            Month {
                month: month.clone(),
                new_customers,
                customers,
                active: buyers.len() as u64,
                purchases: *n,
                revenue: crate::output::round6(*revenue),
                repeat_rate: returning as f64 / buyers.len().max(1) as f64,
            }
        })
        .collect()
}

fn voice_aggregates(v: &ShopVoice) -> VoiceAggregates {
    let voice = &v.voice;
    let mut by_month: BTreeMap<String, MonthSentiment> = BTreeMap::new();
    for r in &voice.reviews {
        let month = r.month();
        let m = by_month.entry(month.clone()).or_insert_with(|| MonthSentiment { month, ..MonthSentiment::default() });
        m.reviews += 1;
        match r.scored.sentiment {
            xinli_text::Sentiment::Positive => m.positive += 1,
            xinli_text::Sentiment::Negative => m.negative += 1,
            xinli_text::Sentiment::Neutral => m.neutral += 1,
        }
    }
    VoiceAggregates {
        sentiment_by_month: by_month.into_values().collect(),
        aspects: voice
            .shop_aspects()
            .into_iter()
            .map(|(a, c)| AspectShare { aspect: a.code(), mentions: c.mentions, positive: c.positive, negative: c.negative, share_negative: c.share_negative() })
            .collect(),
        satisfaction_by_month: voice
            .monthly()
            .into_iter()
            .map(|(month, s)| MonthSatisfaction { month: month.to_string(), csat: s.csat(), csat_answers: s.csat_answers, nps: s.nps(), nps_answers: s.nps_answers })
            .collect(),
        top_complaints: voice
            .complaint_queue
            .iter()
            .take(TOP_COMPLAINTS)
            .map(|&i| {
                let r = &voice.reviews[i];
                Complaint {
                    review_id: r.review.review_id.as_str().to_string(),
                    customer_id: r.review.customer_id.as_ref().map(|c| c.as_str().to_string()),
                    product_id: r.review.product_id.as_ref().map(|p| p.as_str().to_string()),
                    date: crate::output::date_string(r.review.ts),
                    severity: r.scored.severity,
                    text: r.review.text.clone(),
                }
            })
            .collect(),
    }
}

/// The dashboard from what the pipeline computed.
pub fn build(
    purchases: &Purchases,
    value: &ValueScores,
    funnel: Option<(FunnelReport, FunnelReport)>,
    churn_drivers: Option<xinli_strategy::ChurnDrivers>,
    voice: Option<&ShopVoice>,
) -> Dashboard {
    Dashboard {
        as_of: crate::output::date_string(purchases.calibration_end),
        funnel: funnel.map(|(by_persona, by_channel)| Funnel { by_persona, by_channel }),
        churn_drivers,
        cohorts: value.cohorts.clone(),
        pareto: value.concentration.clone(),
        monthly: monthly_trends(purchases),
        voice: voice.map(voice_aggregates),
    }
}
