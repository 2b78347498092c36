//! The analysis pipeline behind `xinli analyze` and `xinli demo`.
//!
//! [`run`] takes an [`AnalyzeConfig`] and writes `customers.csv`, `models.json`,
//! `validation.json` (with a holdout), `summary.json`, `quarantine.csv` and `report.html` into
//! the output directory, and `dashboard.json` ([`dashboard`]): the shop-level aggregates a live
//! dashboard reads. Steps, in order: import → transactions → calibration summary → model
//! fits ([`models`]) → per-customer value and churn scores → holdout validation
//! ([`validation`]) → files and report ([`output`], [`report`]).

pub mod config;
pub mod dashboard;
pub mod events;
pub mod models;
pub mod output;
pub mod progress;
pub mod report;
mod report_journey;
mod report_price;
pub mod strategy;
pub mod validation;
pub mod voice;

pub use config::{AnalyzeConfig, ModelChoice, Source};
pub use progress::{Progress, Silent};

use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use xinli_core::{CustomerId, Shop, Timestamp, Transaction};
use xinli_ingest::{ImportOutcome, ImportSummary};

/// Why an analysis could not finish.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The input could not be read (names the file, and line where it applies).
    #[error(transparent)]
    Import(#[from] xinli_ingest::ImportError),
    #[error("{0}")]
    Config(String),
    #[error("no completed purchases on or before the calibration end {0}: nothing to analyse")]
    NoPurchases(String),
    #[error("model fit failed: {0}")]
    Model(#[from] xinli_clv::ClvError),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    /// A surveys file could not be read (names the file, and line where it applies).
    #[error(transparent)]
    Surveys(#[from] xinli_text::TextError),
}

/// What an analysis produced, for the caller to print.
#[derive(Debug)]
pub struct AnalyzeOutcome {
    pub out_dir: PathBuf,
    pub report_path: PathBuf,
    pub customers: usize,
    pub transactions: usize,
    pub selected_model: String,
    pub quarantined: u64,
    pub validation: Option<validation::Validation>,
    pub timings: Vec<(String, Duration)>,
    /// `YYYY-MM-DD`: the calibration end the scores are as of.
    pub as_of: String,
}

/// Wall time of each step, in order, for `summary.json` and the report.
#[derive(Default)]
pub struct Timings(Vec<(String, Duration)>);

impl Timings {
    fn time<T>(&mut self, step: &str, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let value = f();
        self.0.push((step.to_string(), started.elapsed()));
        value
    }
}

/// Reads the shop named by `source`.
pub fn import(source: &Source, options: &xinli_ingest::ImportOptions) -> Result<ImportOutcome, AnalyzeError> {
    Ok(match source {
        Source::Directory(dir) => xinli_ingest::import_dir(dir, options)?,
        Source::File(path, kind) => xinli_ingest::import_file(path, *kind, options)?,
        Source::Preset(preset, paths) => xinli_ingest::import_preset(*preset, paths, options)?,
        Source::Mapping { mapping, files } => xinli_ingest::import_with_mapping(mapping, files, options)?,
    })
}

/// The shop's purchases as transactions, and the dates the analysis is "as of".
pub struct Purchases {
    pub customer_ids: Vec<CustomerId>,
    pub transactions: Vec<Transaction>,
    /// End of the calibration day (inclusive).
    pub calibration_end: Timestamp,
    pub holdout_end: Option<Timestamp>,
}

impl Purchases {
    pub fn from_shop(shop: &Shop, config: &AnalyzeConfig) -> Result<Purchases, AnalyzeError> {
        let (customer_ids, mut transactions) = shop.transactions();
        transactions.sort_by_key(|t| (t.customer, t.at));
        let last = transactions.iter().map(|t| t.at).max();
        let calibration_end = match (config.calibration_end, config.holdout_end, last) {
            (Some(end), _, _) => end.end_of_day(),
            (None, Some(_), _) => {
                return Err(AnalyzeError::Config("--holdout-end needs --calibration-end".into()))
            }
            (None, None, Some(last)) => last.end_of_day(),
            (None, None, None) => return Err(AnalyzeError::NoPurchases("(no purchases at all)".into())),
        };
        let holdout_end = config.holdout_end.map(Timestamp::end_of_day);
        if let Some(h) = holdout_end {
            if h <= calibration_end {
                return Err(AnalyzeError::Config(format!(
                    "--holdout-end {} must be after --calibration-end {}",
                    output::date_string(h),
                    output::date_string(calibration_end)
                )));
            }
        }
        if !transactions.iter().any(|t| t.at <= calibration_end) {
            return Err(AnalyzeError::NoPurchases(output::date_string(calibration_end)));
        }
        Ok(Purchases { customer_ids, transactions, calibration_end, holdout_end })
    }
}

/// `summary.json`.
#[derive(Serialize)]
struct RunSummary<'a> {
    xinli_version: &'static str,
    import: &'a ImportSummary,
    customers: usize,
    customers_in_calibration: usize,
    transactions: usize,
    calibration_end: String,
    holdout_end: Option<String>,
    time_unit: &'static str,
    surveys: SurveyCounts,
    timings_seconds: Vec<(String, f64)>,
}

/// The surveys files read (rows read = answers + quarantined).
#[derive(Serialize)]
struct SurveyCounts {
    files: Vec<String>,
    rows_read: usize,
    answers: usize,
    quarantined: usize,
}

/// Runs the whole analysis and writes every output file.
pub fn run(config: &AnalyzeConfig, progress: &dyn Progress) -> Result<AnalyzeOutcome, AnalyzeError> {
    let write_err = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source: std::io::Error| AnalyzeError::Write { path, source }
    };
    let mut timings = Timings::default();
    std::fs::create_dir_all(&config.out_dir).map_err(write_err(&config.out_dir))?;

    let playbook = strategy::load_playbook(config)?;
    progress.step("import");
    let folds = events::EventFolds::new(config);
    let mut import_options = config.import.clone();
    import_options.event_sink = Some(folds.clone());
    let imported = timings.time("import", || import(&config.source, &import_options))?;
    drop(import_options);
    progress.finish_step();
    let surveys = voice::read_surveys(&config.source)?;
    let quarantine_path = config.out_dir.join("quarantine.csv");
    let quarantine: Vec<_> = imported.quarantine.iter().chain(&surveys.quarantine).cloned().collect();
    xinli_ingest::write_quarantine_csv(&quarantine, &quarantine_path)?;
    let survey_counts = SurveyCounts { files: surveys.files.clone(), rows_read: surveys.rows_read, answers: surveys.answers.len(), quarantined: surveys.quarantine.len() };

    progress.step("orders");
    let from_events = timings.time("events", || events::EventFolds::take(folds, &imported.shop))?;
    let purchases = from_events.purchases;
    progress.step("models");
    let analysis = timings.time("models", || models::analyse(&purchases, config))?;
    progress.step("churn");
    let value = timings.time("value and churn", || models::value_and_churn(&purchases, &analysis, config));
    let traits = from_events.traits;
    let validation = match purchases.holdout_end {
        Some(holdout_end) if analysis.selected.is_some() => {
            progress.step("validation");
            Some(timings.time("validation", || validation::validate(&purchases, &analysis, &value, holdout_end, config))?)
        }
        _ => None,
    };
    progress.finish_step();

    progress.step("write");
    let journeys = from_events.journeys;
    let mut rows = models::customer_rows(&imported.shop, &purchases, &analysis, &value, &traits, &journeys);
    let voice = timings.time("reviews", || voice::customer_voice(&imported.shop, surveys, &rows));
    let strategy = timings.time("strategy", || {
        let as_of = purchases.calibration_end;
        strategy::apply(&imported.shop, from_events.signals, as_of, analysis.churn_horizon_days, &traits, &playbook, &mut rows, voice.as_ref(), config)
    });
    let elasticity = timings.time("elasticity", || xinli_price::estimate(&imported.shop, &xinli_price::ElasticityConfig::default()));
    let elasticity_path = config.out_dir.join("elasticity.json");
    output::write_json(&elasticity_path, &elasticity).map_err(write_err(&elasticity_path))?;
    let strategy_path = config.out_dir.join("strategy.json");
    output::write_json(&strategy_path, &strategy).map_err(write_err(&strategy_path))?;
    if let Some(v) = &voice {
        voice::fill_rows(&mut rows, v);
        let path = config.out_dir.join("voice.csv");
        voice::write_csv(&path, v).map_err(write_err(&path))?;
    }
    let evidence_path = config.out_dir.join("evidence.csv");
    timings
        .time("write evidence.csv", || output::write_evidence_csv(&evidence_path, &traits))
        .map_err(write_err(&evidence_path))?;
    let customers_path = config.out_dir.join("customers.csv");
    timings
        .time("write customers.csv", || output::write_customers_csv(&customers_path, &rows))
        .map_err(write_err(&customers_path))?;
    let models_path = config.out_dir.join("models.json");
    output::write_json(&models_path, &models::models_json(&analysis, &value, &traits, config))
        .map_err(write_err(&models_path))?;
    if let Some(v) = &validation {
        let path = config.out_dir.join("validation.json");
        output::write_json(&path, v).map_err(write_err(&path))?;
    }
    let funnel = report_journey::funnel_reports(&from_events.funnel, &traits, &imported.shop.orders);
    let report_path = config.out_dir.join("report.html");
    let so_far = timings.0.clone();
    let html = timings.time("report", || {
        let strategy = strategy::report_sections(&strategy, &playbook, &config.currency);
        let psychology = report::Psychology { traits: &traits, journeys: &journeys, funnel: funnel.as_ref(), elasticity: &elasticity, strategy, voice: voice.as_ref().map(|v| xinli_text::report::section(&v.voice)) };
        report::render(config, &imported, &purchases, &analysis, &value, &psychology, validation.as_ref(), &so_far)
    });
    std::fs::write(&report_path, html).map_err(write_err(&report_path))?;
    let dashboard_path = config.out_dir.join("dashboard.json");
    let dashboard = dashboard::build(&purchases, &value, funnel, strategy.churn_drivers.clone(), voice.as_ref());
    output::write_json(&dashboard_path, &dashboard).map_err(write_err(&dashboard_path))?;

    let summary_path = config.out_dir.join("summary.json");
    let summary = RunSummary {
        xinli_version: env!("CARGO_PKG_VERSION"),
        import: &imported.summary,
        customers: rows.len(),
        customers_in_calibration: analysis.calibration.present().count(),
        transactions: purchases.transactions.len(),
        calibration_end: output::date_string(purchases.calibration_end),
        holdout_end: purchases.holdout_end.map(output::date_string),
        time_unit: config.time_unit.name(),
        surveys: survey_counts,
        timings_seconds: timings.0.iter().map(|(s, d)| (s.clone(), d.as_secs_f64())).collect(),
    };
    output::write_json(&summary_path, &summary).map_err(write_err(&summary_path))?;
    progress.finish_step();

    Ok(AnalyzeOutcome {
        out_dir: config.out_dir.clone(),
        report_path,
        customers: rows.len(),
        transactions: purchases.transactions.len(),
        selected_model: analysis.selected.map_or(models::NO_MODEL, |k| k.name()).to_string(),
        quarantined: imported.summary.files.iter().map(|f| f.quarantined).sum(),
        validation,
        timings: timings.0,
        as_of: output::date_string(purchases.calibration_end),
    })
}
