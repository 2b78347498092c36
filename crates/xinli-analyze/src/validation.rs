//! Holdout validation: how well the calibration-period models predicted what customers did next.

use crate::config::AnalyzeConfig;
use crate::models::{Analysis, ValueScores};
use crate::output::{date_string, round6};
use crate::{AnalyzeError, Purchases};
use serde::Serialize;
use xinli_clv::holdout_summary;
use xinli_core::Timestamp;
use xinli_value::metrics::{auc, mae};

/// `validation.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub calibration_end: String,
    pub holdout_end: String,
    pub time_unit: &'static str,
    /// Holdout length in the time unit.
    pub holdout_duration: f64,
    /// Customers with a purchase on or before the calibration end (the ones predicted).
    pub customers: usize,
    /// Of which bought again in the holdout.
    pub bought_again: usize,
    pub selected_model: &'static str,
    /// Repeat purchases (distinct purchase days) in the holdout, summed over customers.
    pub predicted_total: f64,
    pub actual_total: f64,
    pub total_relative_error: f64,
    pub mae_per_customer: f64,
    /// AUC for "bought again in the holdout" of each score (higher = better; 0.5 = chance).
    pub auc_p_alive: Option<f64>,
    pub auc_expected_purchases: Option<f64>,
    /// Of −churn_risk (the final churn score: back-tested model or transaction-model fallback).
    pub auc_churn_risk: Option<f64>,
    pub churn_source: &'static str,
    /// Mean predicted and actual holdout purchases by calibration frequency.
    pub by_frequency: Vec<FrequencyBucket>,
    /// The same figures for every fitted transaction model.
    pub models: Vec<ModelValidation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrequencyBucket {
    /// "0", "1", …, "7+".
    pub frequency: String,
    pub customers: usize,
    pub predicted_mean: f64,
    pub actual_mean: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelValidation {
    pub model: &'static str,
    pub predicted_total: f64,
    pub mae_per_customer: f64,
    pub auc_p_alive: Option<f64>,
    pub auc_expected_purchases: Option<f64>,
}

const TOP_BUCKET: u32 = 7;

pub fn validate(
    purchases: &Purchases,
    analysis: &Analysis,
    value: &ValueScores,
    holdout_end: Timestamp,
    config: &AnalyzeConfig,
) -> Result<Validation, AnalyzeError> {
    let n = purchases.customer_ids.len();
    let holdout = holdout_summary(&purchases.transactions, n, purchases.calibration_end, holdout_end, config.time_unit)?;
    let present: Vec<(u32, xinli_clv::CustomerSummary)> =
        analysis.calibration.present().map(|(c, s)| (c, *s)).collect();
    let actual: Vec<f64> = present.iter().map(|(c, _)| f64::from(holdout.purchases[*c as usize])).collect();
    let bought: Vec<bool> = actual.iter().map(|&a| a > 0.0).collect();

    let mut models = Vec::new();
    for fit in &analysis.fits {
        let Ok(model) = &fit.model else { continue };
        let mut predicted = Vec::with_capacity(present.len());
        let mut alive = Vec::with_capacity(present.len());
        for (_, s) in &present {
            predicted.push(model.conditional_expected_purchases_one(s.rft(), holdout.duration)?);
            alive.push(model.p_alive_one(s.rft())?);
        }
        models.push((fit.kind, predicted, alive));
    }
    let (_, predicted, p_alive) = models
        .iter()
        .find(|(kind, _, _)| Some(*kind) == analysis.selected)
        .expect("the selected model was fitted");
    let risk: Vec<Option<f64>> = present.iter().map(|(c, _)| value.churn_risk[*c as usize]).collect();
    let auc_churn_risk = if risk.iter().all(Option::is_some) {
        let retention: Vec<f64> = risk.iter().map(|r| -r.unwrap_or(0.0)).collect();
        auc(&retention, &bought)
    } else {
        None
    };
    let predicted_total: f64 = predicted.iter().sum();
    let actual_total: f64 = actual.iter().sum();

    let mut by_frequency = Vec::new();
    for bucket in 0..=TOP_BUCKET {
        let members: Vec<usize> = (0..present.len())
            .filter(|&i| present[i].1.frequency.min(TOP_BUCKET) == bucket)
            .collect();
        if members.is_empty() {
            continue;
        }
        let mean = |values: &[f64]| members.iter().map(|&i| values[i]).sum::<f64>() / members.len() as f64;
        by_frequency.push(FrequencyBucket {
            frequency: if bucket == TOP_BUCKET { format!("{TOP_BUCKET}+") } else { bucket.to_string() },
            customers: members.len(),
            predicted_mean: round6(mean(predicted)),
            actual_mean: round6(mean(&actual)),
        });
    }

    Ok(Validation {
        calibration_end: date_string(purchases.calibration_end),
        holdout_end: date_string(holdout_end),
        time_unit: config.time_unit.name(),
        holdout_duration: holdout.duration,
        customers: present.len(),
        bought_again: bought.iter().filter(|&&b| b).count(),
        selected_model: analysis.selected_key(),
        predicted_total: round6(predicted_total),
        actual_total,
        total_relative_error: round6(if actual_total > 0.0 { (predicted_total - actual_total) / actual_total } else { 0.0 }),
        mae_per_customer: round6(mae(predicted, &actual).unwrap_or(0.0)),
        auc_p_alive: auc(p_alive, &bought).map(round6),
        auc_expected_purchases: auc(predicted, &bought).map(round6),
        auc_churn_risk: auc_churn_risk.map(round6),
        churn_source: value.churn_source,
        by_frequency,
        models: models
            .iter()
            .map(|(kind, predicted, alive)| ModelValidation {
                model: crate::models::model_key(*kind),
                predicted_total: round6(predicted.iter().sum()),
                mae_per_customer: round6(mae(predicted, &actual).unwrap_or(0.0)),
                auc_p_alive: auc(alive, &bought).map(round6),
                auc_expected_purchases: auc(predicted, &bought).map(round6),
            })
            .collect(),
    })
}
