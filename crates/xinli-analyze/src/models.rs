//! Model fits and per-customer scores: the transaction models (with selection), spend, CLV,
//! RFM, value tiers and churn risk.

use crate::config::{AnalyzeConfig, ModelChoice};
use crate::output::{date_string, round6, CustomerRow};
use crate::{AnalyzeError, Purchases};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use xinli_clv::{
    customer_lifetime_value, fit_model, holdout_summary, select_model, summarize, Calibration, CandidateScore,
    ClvOptions, FitOptions, GammaGamma, Holdout, ModelKind, Patterns, TransactionModel,
};
use xinli_core::{Shop, Timestamp};
use xinli_value::{ChurnConfig, ChurnOutcome, RfmTable, ValueTier};

/// `selected_model` when no transaction model could be fitted.
pub const NO_MODEL: &str = "none";

/// Key of a transaction model in `models.json` and the value of `selected_model`.
pub fn model_key(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::BgNbd => "bgnbd",
        ModelKind::MbgNbd => "mbgnbd",
        ModelKind::ParetoNbd => "pareto_nbd",
    }
}

/// One model fitted on the whole calibration period, or why it could not be.
pub struct Fit {
    pub kind: ModelKind,
    pub model: Result<Box<dyn TransactionModel>, String>,
}

/// `--model auto`'s check: models fitted on the calibration period up to `split` predict the
/// rest of it, so the choice never looks at the user's holdout.
pub struct InternalHoldout {
    pub split: Timestamp,
    pub candidates: Vec<CandidateScore>,
}

/// Per-customer model outputs, indexed like the customer table.
#[derive(Debug, Clone, Copy)]
pub struct CustomerScores {
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Median wait to the next purchase given alive, in days after calibration end.
    pub next_order_wait_days: f64,
    /// Expected spend per purchase (Gamma-Gamma), when a spend model exists.
    pub expected_spend: Option<f64>,
    pub clv: Option<f64>,
    /// P(no purchase within the churn horizon) from the transaction model.
    pub btyd_churn_risk: f64,
}

/// Everything the transaction and spend models produced.
pub struct Analysis {
    pub calibration: Calibration,
    pub fits: Vec<Fit>,
    /// The model behind the scores; none when no transaction model could be fitted (e.g. a shop
    /// without repeat purchases): the model columns then stay empty and the rest of the analysis
    /// goes on.
    pub selected: Option<ModelKind>,
    pub selection_reason: String,
    pub internal_holdout: Option<InternalHoldout>,
    pub spend: Result<GammaGamma, String>,
    pub scores: Vec<Option<CustomerScores>>,
    pub churn_horizon_days: i64,
}

impl Analysis {
    pub fn selected_model(&self) -> Option<&dyn TransactionModel> {
        let selected = self.selected?;
        self.fits.iter().find(|f| f.kind == selected).and_then(|f| f.model.as_ref().ok()).map(|m| m.as_ref())
    }

    /// The selected model's key in `models.json`, or `none`.
    pub fn selected_key(&self) -> &'static str {
        self.selected.map_or(NO_MODEL, model_key)
    }
}

/// The churn horizon in days: the flag, else the holdout's length, else 90 days.
pub fn churn_horizon_days(purchases: &Purchases, config: &AnalyzeConfig) -> i64 {
    config.churn_horizon_days.unwrap_or_else(|| match purchases.holdout_end {
        Some(h) => h.day_index() - purchases.calibration_end.day_index(),
        None => 90,
    })
}

/// Fits the transaction models on the calibration period, selects one, fits spend, and scores
/// every calibration customer.
pub fn analyse(purchases: &Purchases, config: &AnalyzeConfig) -> Result<Analysis, AnalyzeError> {
    let n = purchases.customer_ids.len();
    let calibration = summarize(&purchases.transactions, n, purchases.calibration_end, config.time_unit)?;
    let patterns = Patterns::from_rft(&calibration.rfts())?;
    let options = FitOptions { penalizer: config.penalizer, ..FitOptions::default() };
    // BG/NBD is always fitted: models.json always reports it, as the reference model.
    let kinds: Vec<ModelKind> = match config.model {
        ModelChoice::Auto => ModelKind::ALL.to_vec(),
        ModelChoice::Forced(ModelKind::BgNbd) => vec![ModelKind::BgNbd],
        ModelChoice::Forced(kind) => vec![ModelKind::BgNbd, kind],
    };
    // The internal-holdout fits (auto only) are independent of the full-period fits: run them
    // on the other core.
    let (fits, early) = std::thread::scope(|scope| {
        let early = (config.model == ModelChoice::Auto)
            .then(|| scope.spawn(|| internal_selection(purchases, &calibration, config.time_unit, &options)));
        let fits: Vec<Fit> = kinds
            .iter()
            .map(|&kind| Fit { kind, model: fit_model(kind, &patterns, &options).map_err(|e| e.to_string()) })
            .collect();
        (fits, early.and_then(|h| h.join().expect("internal selection does not panic")))
    });
    let (selected, selection_reason, internal_holdout) = select(&fits, early, config)?;
    let churn_horizon_days = churn_horizon_days(purchases, config);
    let (spend, scores) = match selected {
        Some(selected) => score(&calibration, &fits, selected, config, churn_horizon_days)?,
        None => (Err("not fitted: no transaction model to combine it with".to_string()), vec![None; calibration.customers.len()]),
    };
    Ok(Analysis { calibration, fits, selected, selection_reason, internal_holdout, spend, scores, churn_horizon_days })
}

type Selected = (Option<ModelKind>, String, Option<InternalHoldout>);

/// `--model auto`'s check, when the history allows one: models fitted on the calibration period
/// up to the split predict the rest of it (the last quarter of the calibration span, at most a
/// year, when 60 days come before it).
fn internal_selection(
    purchases: &Purchases,
    calibration: &Calibration,
    unit: xinli_core::TimeUnit,
    options: &FitOptions,
) -> Option<(Timestamp, xinli_clv::Selection)> {
    let split = internal_split(purchases, calibration)?;
    let n = purchases.customer_ids.len();
    let early = summarize(&purchases.transactions, n, split, unit).ok()?;
    let later = holdout_summary(&purchases.transactions, n, split, purchases.calibration_end, unit).ok()?;
    let actual: Vec<u32> = early.present().map(|(c, _)| later.purchases[c as usize]).collect();
    let holdout = Holdout { purchases: &actual, duration: later.duration };
    select_model(&early.rfts(), Some(holdout), options).ok().map(|selection| (split, selection))
}

/// A forced model must have fitted. Auto: the internal holdout's choice, else the best AIC;
/// either way among the models that fitted on the whole calibration period.
fn select(fits: &[Fit], early: Option<(Timestamp, xinli_clv::Selection)>, config: &AnalyzeConfig) -> Result<Selected, AnalyzeError> {
    let fitted = |kind: ModelKind| fits.iter().any(|f| f.kind == kind && f.model.is_ok());
    if let ModelChoice::Forced(kind) = config.model {
        return match fits.iter().find(|f| f.kind == kind).map(|f| &f.model) {
            Some(Ok(_)) => Ok((Some(kind), format!("{} chosen with --model", kind.name()), None)),
            Some(Err(e)) => Err(AnalyzeError::Config(format!("{} could not be fitted: {e}", kind.name()))),
            None => unreachable!("a forced model is always fitted"),
        };
    }
    if let Some((split, selection)) = early {
        if fitted(selection.kind) {
            let reason = format!(
                "{} (checked on the calibration data after {}, predicted by models fitted before it)",
                selection.reason,
                date_string(split)
            );
            return Ok((Some(selection.kind), reason, Some(InternalHoldout { split, candidates: selection.candidates })));
        }
    }
    let best = fits
        .iter()
        .filter_map(|f| f.model.as_ref().ok().map(|m| (f.kind, m)))
        .min_by(|a, b| (!a.1.report().converged, a.1.report().aic).partial_cmp(&(!b.1.report().converged, b.1.report().aic)).expect("finite AIC"));
    match best {
        Some((kind, model)) => Ok((
            Some(kind),
            format!("{} has the best AIC ({:.1}) among the converged fits; too little history for a holdout check", kind.name(), model.report().aic),
            None,
        )),
        None => Ok((
            None,
            format!(
                "no transaction model could be fitted ({}); P(alive), expected purchases, the next order date and CLV are left empty",
                fits.iter().filter_map(|f| f.model.as_ref().err()).cloned().collect::<Vec<_>>().join("; ")
            ),
            None,
        )),
    }
}

fn internal_split(purchases: &Purchases, calibration: &Calibration) -> Option<Timestamp> {
    let first = calibration.present().map(|(_, s)| s.first_purchase).min()?;
    let span = purchases.calibration_end.day_index() - first.day_index();
    let holdout_days = (span / 4).min(365);
    (span - holdout_days >= 60 && holdout_days >= 14).then(|| purchases.calibration_end.add_days(-holdout_days).end_of_day())
}

/// Scores every calibration customer with the selected model; fits spend (Gamma-Gamma) and CLV.
fn score(
    calibration: &Calibration,
    fits: &[Fit],
    selected: ModelKind,
    config: &AnalyzeConfig,
    churn_horizon_days: i64,
) -> Result<(Result<GammaGamma, String>, Vec<Option<CustomerScores>>), AnalyzeError> {
    let unit = config.time_unit;
    let model = fits.iter().find(|f| f.kind == selected).and_then(|f| f.model.as_ref().ok()).expect("selected model fitted");
    let (customers, summaries): (Vec<u32>, Vec<&xinli_clv::CustomerSummary>) = calibration.present().unzip();
    let rfts: Vec<xinli_clv::Rft> = summaries.iter().map(|s| s.rft()).collect();
    let frequency: Vec<u32> = summaries.iter().map(|s| s.frequency).collect();
    let monetary: Vec<f64> = summaries.iter().map(|s| s.monetary_value).collect();
    let options = FitOptions { penalizer: config.penalizer, ..FitOptions::default() };
    let spend = GammaGamma::fit(&frequency, &monetary, &options).map_err(|e| e.to_string());
    let expected_spend = match &spend {
        Ok(gg) => gg.conditional_expected_average_spend(&frequency, &monetary).ok(),
        Err(_) => None,
    };
    let horizon = unit.from_days(config.horizon_days);
    let clv = match &expected_spend {
        Some(spend) => Some(customer_lifetime_value(
            model.as_ref(),
            &rfts,
            spend,
            &ClvOptions { horizon, unit, annual_discount_rate: config.discount_rate },
        )?),
        None => None,
    };
    let p_alive = model.p_alive(&rfts)?;
    let expected = model.conditional_expected_purchases(&rfts, horizon)?;
    let wait = model.expected_next_purchase_wait(&rfts)?;
    let churn = model.prob_no_purchase_within(&rfts, unit.from_days(churn_horizon_days))?;
    let mut scores = vec![None; calibration.customers.len()];
    for (i, &customer) in customers.iter().enumerate() {
        scores[customer as usize] = Some(CustomerScores {
            p_alive: p_alive[i],
            expected_purchases: expected[i],
            next_order_wait_days: wait[i] * unit.days(),
            expected_spend: expected_spend.as_ref().map(|s| s[i]),
            clv: clv.as_ref().map(|c| c[i]),
            btyd_churn_risk: churn[i],
        });
    }
    Ok((spend, scores))
}

/// RFM, value tiers, cohorts, concentration and churn risk, all as of the calibration end.
pub struct ValueScores {
    pub rfm: RfmTable,
    pub tiers: Vec<Option<ValueTier>>,
    pub cohorts: xinli_value::CohortTable,
    pub concentration: xinli_value::Concentration,
    pub churn: ChurnOutcome,
    /// Final churn risk per customer: the back-tested model where it could be trained, the
    /// transaction model's P(no purchase within the horizon) otherwise.
    pub churn_risk: Vec<Option<f64>>,
    pub churn_source: &'static str,
}

/// Names of the transaction-model features the churn model gets beside its own.
const BTYD_FEATURES: [&str; 2] = ["btyd_p_alive", "btyd_log_expected_purchases"];

pub fn value_and_churn(purchases: &Purchases, analysis: &Analysis, config: &AnalyzeConfig) -> ValueScores {
    let transactions = &purchases.transactions;
    let end = purchases.calibration_end;
    let n = purchases.customer_ids.len();
    let rfm = xinli_value::rfm(transactions, end);
    let mut tiers = vec![None; n];
    for (customer, tier) in xinli_value::value_tiers(transactions, end) {
        tiers[customer as usize] = Some(tier);
    }
    let churn_config = ChurnConfig { horizon_days: analysis.churn_horizon_days, ..ChurnConfig::default() };
    // The transaction model's population parameters (fitted at the calibration end) applied to
    // each back-test cutoff's own summary: per-customer features from data up to the cutoff.
    let model = analysis.selected_model();
    let unit = config.time_unit;
    let horizon = unit.from_days(analysis.churn_horizon_days);
    let btyd_features = |cutoff: Timestamp| -> Vec<Vec<f64>> {
        let mut rows = vec![vec![f64::NAN; BTYD_FEATURES.len()]; n];
        let Some(model) = model else { return rows };
        let Ok(at_cutoff) = summarize(transactions, n, cutoff, unit) else { return rows };
        let rfts = at_cutoff.rfts();
        // Vectorised calls: the models reuse their work across customers sharing a pattern.
        if let (Ok(p_alive), Ok(expected)) = (model.p_alive(&rfts), model.conditional_expected_purchases(&rfts, horizon)) {
            for (i, (customer, _)) in at_cutoff.present().enumerate() {
                rows[customer as usize] = vec![p_alive[i], expected[i].ln_1p()];
            }
        }
        rows
    };
    let names: Vec<String> = BTYD_FEATURES.iter().map(|s| s.to_string()).collect();
    let churn = xinli_value::churn::predict_churn_with(transactions, end, &churn_config, &names, btyd_features);
    let mut churn_risk: Vec<Option<f64>> = vec![None; n];
    let churn_source = if churn.scores.is_empty() && model.is_none() {
        "none (no transaction model and not enough history to back-test a churn model)"
    } else if churn.scores.is_empty() {
        for (customer, scores) in analysis.scores.iter().enumerate() {
            churn_risk[customer] = scores.map(|s| s.btyd_churn_risk);
        }
        "transaction model (not enough history to back-test a churn model)"
    } else {
        for s in &churn.scores {
            churn_risk[s.customer as usize] = Some(s.churn_risk);
        }
        "back-tested churn model"
    };
    ValueScores {
        rfm,
        tiers,
        cohorts: xinli_value::cohorts(transactions, end),
        concentration: xinli_value::concentration(transactions, end),
        churn,
        churn_risk,
        churn_source,
    }
}

/// One `customers.csv` row per customer: everyone who bought, and everyone in the customers
/// file (their model columns are empty when they had no purchase by the calibration end).
pub fn customer_rows(
    shop: &Shop,
    purchases: &Purchases,
    analysis: &Analysis,
    value: &ValueScores,
    traits: &xinli_psych::TraitTable,
    journeys: &[xinli_journey::CustomerJourney],
) -> Vec<CustomerRow> {
    let rfm_by_customer: HashMap<u32, &xinli_value::RfmCustomer> =
        value.rfm.customers.iter().map(|c| (c.customer, c)).collect();
    let mut rows: Vec<CustomerRow> = purchases
        .customer_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let summary = analysis.calibration.customers[i];
            let scores = analysis.scores[i];
            let rfm = rfm_by_customer.get(&(i as u32));
            CustomerRow {
                customer_id: id.to_string(),
                first_purchase: summary.map(|s| date_string(s.first_purchase)),
                last_purchase: summary.map(|s| date_string(s.last_purchase)),
                frequency: summary.map(|s| s.frequency),
                recency: summary.map(|s| round6(s.recency)),
                t: summary.map(|s| round6(s.age)),
                monetary: summary.map(|s| round6(s.monetary_value)),
                rfm_r: rfm.map(|r| r.r_score),
                rfm_f: rfm.map(|r| r.f_score),
                rfm_m: rfm.map(|r| r.m_score),
                rfm_segment: rfm.map(|r| r.segment.name().to_string()),
                p_alive: scores.map(|s| round6(s.p_alive)),
                expected_purchases: scores.map(|s| round6(s.expected_purchases)),
                expected_next_order: scores.and_then(|s| next_order_date(purchases.calibration_end, s.next_order_wait_days)),
                clv: scores.and_then(|s| s.clv).map(round6),
                churn_risk: value.churn_risk[i].map(round6),
                value_tier: value.tiers[i].map(|t| t.name().to_string()),
                orders: rfm.map(|r| r.frequency),
                total_spend: rfm.map(|r| round6(r.monetary)),
                ..CustomerRow::without_purchases(id.as_str())
            }
        })
        .collect();
    let known: std::collections::HashSet<&str> = purchases.customer_ids.iter().map(|c| c.as_str()).collect();
    let mut without_purchases: Vec<&str> = shop
        .customers
        .iter()
        .map(|c| c.customer_id.as_str())
        .chain(traits.customers.iter().map(|t| t.customer_id.as_str()))
        .filter(|id| !known.contains(id))
        .collect();
    without_purchases.sort_unstable();
    without_purchases.dedup();
    rows.extend(without_purchases.into_iter().map(CustomerRow::without_purchases));
    let by_id: HashMap<&str, &xinli_psych::CustomerTraits> =
        traits.customers.iter().map(|t| (t.customer_id.as_str(), t)).collect();
    let stages: HashMap<&str, &'static str> =
        journeys.iter().filter(|j| !j.anonymous).map(|j| (j.customer_id.as_str(), j.stage.name())).collect();
    for row in &mut rows {
        if let Some(t) = by_id.get(row.customer_id.as_str()) {
            row.set_traits(t);
        }
        row.journey_stage = stages.get(row.customer_id.as_str()).map(|s| s.to_string());
    }
    rows
}

/// The calibration end plus the median wait; none when the wait is beyond any useful date.
fn next_order_date(calibration_end: Timestamp, wait_days: f64) -> Option<String> {
    (wait_days.is_finite() && wait_days < 36_500.0)
        .then(|| date_string(calibration_end.add_days(wait_days.ceil() as i64)))
}

/// `models.json`.
pub fn models_json(analysis: &Analysis, value: &ValueScores, traits: &xinli_psych::TraitTable, config: &AnalyzeConfig) -> Value {
    let mut root = Map::new();
    for fit in &analysis.fits {
        let entry = match &fit.model {
            Ok(model) => model_entry(model.params(), model.report()),
            Err(e) => json!({ "error": e, "converged": false }),
        };
        root.insert(model_key(fit.kind).to_string(), entry);
    }
    let spend = match &analysis.spend {
        Ok(gg) => model_entry(gg.params(), &gg.report),
        Err(e) => json!({ "error": e, "converged": false }),
    };
    root.insert("gamma_gamma".into(), spend);
    root.insert("selected_model".into(), json!(analysis.selected_key()));
    root.insert("selection_reason".into(), json!(analysis.selection_reason));
    if let Some(h) = &analysis.internal_holdout {
        let candidates: Vec<Value> = h
            .candidates
            .iter()
            .map(|c| {
                json!({
                    "model": model_key(c.kind), "log_likelihood": finite_or_null(c.log_likelihood), "aic": finite_or_null(c.aic),
                    "converged": c.converged, "boundary": c.boundary, "holdout_mae": c.holdout_mae,
                    "holdout_total_error": c.holdout_total_error, "error": c.error,
                })
            })
            .collect();
        root.insert("selection_holdout".into(), json!({ "split": date_string(h.split), "candidates": candidates }));
    }
    root.insert("time_unit".into(), json!(config.time_unit.name()));
    root.insert("calibration_end".into(), json!(date_string(analysis.calibration.calibration_end)));
    root.insert("horizon_days".into(), json!(config.horizon_days));
    root.insert("discount_rate_annual".into(), json!(config.discount_rate));
    root.insert("traits".into(), json!({ "coverage": traits.coverage }));
    root.insert("churn".into(), json!({
        "source": value.churn_source,
        "horizon_days": analysis.churn_horizon_days,
        "report": value.churn.report,
    }));
    Value::Object(root)
}

fn model_entry(params: Vec<(&'static str, f64)>, report: &xinli_clv::FitReport) -> Value {
    let mut entry = Map::new();
    for (name, value) in &params {
        entry.insert(name.to_string(), json!(value));
    }
    entry.insert("log_likelihood".into(), finite_or_null(report.log_likelihood));
    entry.insert("n_customers".into(), json!(report.n_customers.round() as u64));
    entry.insert("converged".into(), json!(report.converged));
    entry.insert("boundary".into(), json!(report.boundary));
    entry.insert("aic".into(), finite_or_null(report.aic));
    entry.insert("iterations".into(), json!(report.iterations));
    entry.insert("gradient_norm".into(), finite_or_null(report.grad_norm));
    entry.insert("penalizer".into(), json!(report.penalizer));
    entry.insert("n_patterns".into(), json!(report.n_patterns));
    entry.insert("method".into(), json!(report.method));
    entry.insert("fit_seconds".into(), json!(report.seconds));
    if let Some(se) = &report.std_errors {
        let named = params.iter().zip(se).map(|((n, _), s)| (n.to_string(), finite_or_null(*s)));
        entry.insert("std_errors".into(), Value::Object(named.collect()));
    }
    Value::Object(entry)
}

/// JSON has no NaN: a number that is not finite is written as null.
fn finite_or_null(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}
