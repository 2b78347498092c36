//! The files `xinli analyze` writes: their columns are a public contract that users' scripts read.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use xinli_core::Timestamp;

/// One row of `customers.csv`. Column names and order are the contract of data contract v1;
/// later stages append columns, never rename or reorder these.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerRow {
    pub customer_id: String,
    pub first_purchase: Option<String>,
    pub last_purchase: Option<String>,
    /// Repeat purchase days in the calibration period (x).
    pub frequency: Option<u32>,
    /// Time from first to last purchase, in the chosen unit (t_x).
    pub recency: Option<f64>,
    /// Time from first purchase to calibration end, in the chosen unit.
    #[serde(rename = "T")]
    pub t: Option<f64>,
    /// Mean spend per repeat purchase day.
    pub monetary: Option<f64>,
    pub rfm_r: Option<u8>,
    pub rfm_f: Option<u8>,
    pub rfm_m: Option<u8>,
    pub rfm_segment: Option<String>,
    pub p_alive: Option<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Option<f64>,
    pub expected_next_order: Option<String>,
    pub clv: Option<f64>,
    pub churn_risk: Option<f64>,
    pub value_tier: Option<String>,
    pub orders: Option<u32>,
    pub total_spend: Option<f64>,
    pub trait_price_sensitivity: Option<f64>,
    pub trait_info_seeking: Option<f64>,
    pub trait_convenience: Option<f64>,
    pub trait_trust_concern: Option<f64>,
    pub trait_social_influence: Option<f64>,
    pub trait_novelty_seeking: Option<f64>,
    pub confidence_price_sensitivity: Option<f64>,
    pub confidence_info_seeking: Option<f64>,
    pub confidence_convenience: Option<f64>,
    pub confidence_trust_concern: Option<f64>,
    pub confidence_social_influence: Option<f64>,
    pub confidence_novelty_seeking: Option<f64>,
    pub persona: Option<String>,
    /// Browsing sessions seen in the events.
    pub sessions: Option<u32>,
    /// Decision-journey stage at the calibration end (rules in docs/journey.md).
    pub journey_stage: Option<String>,
    /// The playbook's action for the customer, and its one-line reason in the report language
    /// (docs/strategy.md).
    pub next_best_action: Option<String>,
    pub nba_reason: Option<String>,
    /// For a stalled customer: quality, price, trust, logistics, service or range (empty when
    /// none exceeds the shop's rate), and the evidence (also given when none does).
    pub main_barrier: Option<String>,
    pub barrier_evidence: Option<String>,
    /// From the customer's reviews (xinli-text): anger, disappointment, worry, joy or neutral.
    pub emotion: Option<String>,
    /// Mean of the customer's star ratings ((r−1)/4) and review P(positive), 0–1.
    pub satisfaction: Option<f64>,
    /// `nba_reason` and `barrier_evidence` in each language, whatever the report language.
    pub nba_reason_zh: Option<String>,
    pub nba_reason_en: Option<String>,
    pub barrier_evidence_zh: Option<String>,
    pub barrier_evidence_en: Option<String>,
}

impl CustomerRow {
    /// Fills the psychology columns from a customer's trait scores (scores in `Trait::ALL` order).
    pub fn set_traits(&mut self, traits: &xinli_psych::CustomerTraits) {
        let score = |i: usize| traits.traits[i].score.map(round6);
        let confidence = |i: usize| Some(round6(traits.traits[i].confidence));
        self.trait_price_sensitivity = score(0);
        self.trait_info_seeking = score(1);
        self.trait_convenience = score(2);
        self.trait_trust_concern = score(3);
        self.trait_social_influence = score(4);
        self.trait_novelty_seeking = score(5);
        self.confidence_price_sensitivity = confidence(0);
        self.confidence_info_seeking = confidence(1);
        self.confidence_convenience = confidence(2);
        self.confidence_trust_concern = confidence(3);
        self.confidence_social_influence = confidence(4);
        self.confidence_novelty_seeking = confidence(5);
        self.persona = Some(traits.persona.name().to_string());
        self.sessions = Some(traits.sessions);
    }
}

/// `evidence.csv`: every signal behind every trait score, so a person can check each one.
pub fn write_evidence_csv(path: &Path, table: &xinli_psych::TraitTable) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(path)?));
    writer.write_record(["customer_id", "trait", "signal", "value", "shop_median", "observations", "percentile", "text_en", "text_zh"])?;
    for (i, customer) in table.customers.iter().enumerate() {
        for t in xinli_psych::Trait::ALL {
            for e in &table.evidence(i, t) {
                writer.write_record([
                    customer.customer_id.as_str(),
                    t.name(),
                    e.signal,
                    &round6(e.value).to_string(),
                    &round6(e.shop_median).to_string(),
                    &round6(e.observations).to_string(),
                    &round6(e.percentile).to_string(),
                    &e.text_en(),
                    &e.text_zh(),
                ])?;
            }
        }
    }
    writer.flush()
}

pub fn date_string(ts: Timestamp) -> String {
    ts.date().format("%Y-%m-%d").to_string()
}

/// Rounds for output: enough digits for any use, no float noise in the files.
pub fn round6(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e6).round() / 1e6
    } else {
        x
    }
}

pub fn write_customers_csv(path: &Path, rows: &[CustomerRow]) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(path)?));
    for row in rows {
        writer.serialize(row).map_err(std::io::Error::other)?;
    }
    writer.flush()
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

impl CustomerRow {
    /// A known customer with no purchase by the calibration end: every value column empty.
    pub fn without_purchases(customer_id: &str) -> CustomerRow {
        CustomerRow {
            customer_id: customer_id.to_string(),
            first_purchase: None,
            last_purchase: None,
            frequency: None,
            recency: None,
            t: None,
            monetary: None,
            rfm_r: None,
            rfm_f: None,
            rfm_m: None,
            rfm_segment: None,
            p_alive: None,
            expected_purchases: None,
            expected_next_order: None,
            clv: None,
            churn_risk: None,
            value_tier: None,
            orders: None,
            total_spend: None,
            trait_price_sensitivity: None,
            trait_info_seeking: None,
            trait_convenience: None,
            trait_trust_concern: None,
            trait_social_influence: None,
            trait_novelty_seeking: None,
            confidence_price_sensitivity: None,
            confidence_info_seeking: None,
            confidence_convenience: None,
            confidence_trust_concern: None,
            confidence_social_influence: None,
            confidence_novelty_seeking: None,
            persona: None,
            sessions: None,
            journey_stage: None,
            next_best_action: None,
            nba_reason: None,
            main_barrier: None,
            barrier_evidence: None,
            emotion: None,
            satisfaction: None,
            nba_reason_zh: None,
            nba_reason_en: None,
            barrier_evidence_zh: None,
            barrier_evidence_en: None,
        }
    }
}
