//! The files `xinli analyze` writes: their columns are a public contract that users' scripts read.

use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use xinli_core::Timestamp;

/// One row of `customers.csv`. Column names and order are the contract of data contract v1;
/// later stages append columns, never rename or reorder these.
#[derive(Debug, Clone, Serialize)]
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
        }
    }
}
