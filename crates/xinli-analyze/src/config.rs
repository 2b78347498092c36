//! What `xinli analyze` is asked to do, parsed and checked before any work starts.

use std::path::PathBuf;
use xinli_clv::ModelKind;
use xinli_core::{TimeUnit, Timestamp};
use xinli_ingest::{ImportOptions, Kind, Preset};
use xinli_report::Lang;

/// Where the shop's data comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A directory in the canonical format (orders.csv, customers.csv, …).
    Directory(PathBuf),
    /// One canonical file whose kind is known (e.g. `orders.csv.gz`).
    File(PathBuf, Kind),
    /// Exports read with a preset.
    Preset(Preset, Vec<PathBuf>),
    /// Any CSV described by a TOML mapping file.
    Mapping { mapping: PathBuf, files: Vec<PathBuf> },
}

/// Which transaction model predicts purchases: one forced by name, or `Auto` (fit BG/NBD,
/// MBG/NBD and Pareto/NBD; choose by likelihood and holdout fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelChoice {
    Auto,
    Forced(ModelKind),
}

impl std::str::FromStr for ModelChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("auto") {
            Ok(ModelChoice::Auto)
        } else {
            s.parse().map(ModelChoice::Forced)
        }
    }
}

/// Everything `analyze` needs, already typed.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    pub source: Source,
    pub out_dir: PathBuf,
    pub import: ImportOptions,
    pub time_unit: TimeUnit,
    /// Inclusive (the whole day counts). Default: the day of the last transaction.
    pub calibration_end: Option<Timestamp>,
    /// Inclusive. When given, the period after calibration end is held out for validation.
    pub holdout_end: Option<Timestamp>,
    /// Horizon of expected purchases and CLV, in days. Default 365.
    pub horizon_days: i64,
    /// Horizon of churn risk ("no purchase within H days"). Default: the holdout length when
    /// there is a holdout, else 90.
    pub churn_horizon_days: Option<i64>,
    /// Annual discount rate for CLV (0.1 = 10 % a year).
    pub discount_rate: f64,
    pub model: ModelChoice,
    /// L2 penalty on the transaction models' parameters (0 = plain maximum likelihood).
    pub penalizer: f64,
    pub lang: Lang,
    /// Currency symbol shown in the report.
    pub currency: String,
    /// Shown as the report's title.
    pub shop_name: Option<String>,
    /// A strategy playbook replacing the built-in one (docs/strategy.md).
    pub playbook: Option<PathBuf>,
}

impl AnalyzeConfig {
    pub fn new(source: Source, out_dir: PathBuf) -> Self {
        AnalyzeConfig {
            source,
            out_dir,
            import: ImportOptions::default(),
            time_unit: TimeUnit::Days,
            calibration_end: None,
            holdout_end: None,
            horizon_days: 365,
            churn_horizon_days: None,
            discount_rate: 0.1,
            model: ModelChoice::Auto,
            penalizer: 0.0,
            lang: Lang::En,
            currency: String::new(),
            shop_name: None,
            playbook: None,
        }
    }
}
