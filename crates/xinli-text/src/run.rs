//! `xinli reviews INPUT --out DIR`: import the reviews (a canonical shop directory or one reviews
//! file), score them, write the files and the report.

use crate::error::TextError;
use crate::output;
use crate::satisfaction::{survey_files, Surveys};
use crate::voice::{score_shop, Voice};
use crate::SentimentModel;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use xinli_core::CustomerId;
use xinli_ingest::{ImportOptions, Kind};
use xinli_report::Text;

/// What to read and where to write.
#[derive(Clone, Debug)]
pub struct ReviewsConfig {
    /// A canonical shop directory, or one reviews file (csv/tsv/jsonl, optionally gzip).
    pub input: PathBuf,
    pub out: PathBuf,
    /// A `customers.csv` written by `xinli analyze`: its `clv` column orders the complaint queue.
    pub customers: Option<PathBuf>,
    /// Surveys files (besides `surveys*.csv[.gz]` found in a shop directory).
    pub surveys: Vec<PathBuf>,
    pub import: ImportOptions,
    /// The report's language on opening (both are in the page).
    pub lang: xinli_report::Lang,
}

/// Counts of a run, written to `reviews_summary.json`.
#[derive(Debug, serde::Serialize)]
pub struct ReviewsSummary {
    pub reviews: usize,
    pub by_language: HashMap<String, usize>,
    pub negative: usize,
    pub complaints: usize,
    pub aspect_mentions: usize,
    pub survey_rows_read: usize,
    pub survey_answers: usize,
    pub quarantined: usize,
    pub files: Vec<String>,
    pub seconds_scoring: f64,
    pub import: xinli_ingest::ImportSummary,
}

/// Reads `customer_id` and `clv` of a `customers.csv` (rows with an empty clv are skipped).
pub fn read_clv(path: &Path) -> Result<HashMap<CustomerId, f64>, TextError> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| TextError::csv(path, e))?;
    let h = rdr.headers().map_err(|e| TextError::csv(path, e))?.clone();
    let find = |n: &str| {
        h.iter().position(|c| c.trim() == n).ok_or_else(|| TextError::MissingColumn { path: path.display().to_string(), column: n.into(), found: h.iter().collect::<Vec<_>>().join(", ") })
    };
    let (id, clv) = (find("customer_id")?, find("clv")?);
    let mut out = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| TextError::csv(path, e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let raw = rec.get(clv).unwrap_or("").trim();
        if raw.is_empty() {
            continue;
        }
        let bad = |column: &str, value: &str, reason: &str| TextError::BadValue { path: path.display().to_string(), line, column: column.into(), value: value.into(), reason: reason.into() };
        let v: f64 = raw.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| bad("clv", raw, "not a number"))?;
        let c = CustomerId::parse(rec.get(id).unwrap_or("")).map_err(|e| bad("customer_id", rec.get(id).unwrap_or(""), &e.to_string()))?;
        out.insert(c, v);
    }
    Ok(out)
}

/// Runs the whole command; returns the summary (also written to `reviews_summary.json`).
pub fn run(config: &ReviewsConfig, model: &SentimentModel) -> Result<ReviewsSummary, TextError> {
    let is_dir = config.input.is_dir();
    let outcome = if is_dir { xinli_ingest::import_dir(&config.input, &config.import)? } else { xinli_ingest::import_file(&config.input, Kind::Reviews, &config.import)? };
    let mut surveys = Surveys::default();
    let mut survey_paths = if is_dir { survey_files(&config.input)? } else { Vec::new() };
    survey_paths.extend(config.surveys.iter().cloned());
    for p in &survey_paths {
        surveys.read(p)?;
    }
    let clv = match &config.customers {
        Some(p) => read_clv(p)?,
        None => HashMap::new(),
    };
    // Build the segmenter first so the rate measures scoring, not the dictionary load.
    crate::tokenize::jieba();
    let started = std::time::Instant::now();
    let scored = score_shop(&outcome.shop, model);
    let seconds_scoring = started.elapsed().as_secs_f64();
    let voice = Voice::build(scored, std::mem::take(&mut surveys), clv);
    let out = &config.out;
    std::fs::create_dir_all(out).map_err(|e| TextError::io(out, e))?;
    let mut files = Vec::new();
    let mut file = |name: &str| {
        files.push(name.to_string());
        out.join(name)
    };
    output::write_reviews_scored(&voice, &file("reviews_scored.csv"))?;
    output::write_mentions(&voice, &file("aspect_mentions.csv"))?;
    output::write_aspects(&voice, &file("aspects.csv"))?;
    output::write_complaints(&voice, &file("complaints.csv"))?;
    output::write_satisfaction(&voice, &file("satisfaction.csv"))?;
    let mut quarantine = outcome.quarantine.clone();
    quarantine.extend(voice.surveys.quarantine.iter().cloned());
    let qpath = file("quarantine.csv");
    xinli_ingest::write_quarantine_csv(&quarantine, &qpath)?;
    let report = xinli_report::Report::new(Text::new("顾客之声", "Voice of the customer")).section(crate::report::section(&voice));
    let html = file("report.html");
    std::fs::write(&html, xinli_report::render(&report, config.lang)).map_err(|e| TextError::io(&html, e))?;
    let mut by_language = HashMap::new();
    for r in &voice.reviews {
        *by_language.entry(r.scored.language.map_or("none", |l| l.code()).to_string()).or_insert(0) += 1;
    }
    files.push("reviews_summary.json".into());
    let summary = ReviewsSummary {
        reviews: voice.reviews.len(),
        by_language,
        negative: voice.reviews.iter().filter(|r| r.scored.sentiment == crate::Sentiment::Negative).count(),
        complaints: voice.complaint_queue.len(),
        aspect_mentions: voice.reviews.iter().map(|r| r.scored.mentions.len()).sum(),
        survey_rows_read: voice.surveys.rows_read,
        survey_answers: voice.surveys.answers.len(),
        quarantined: quarantine.len(),
        files,
        seconds_scoring,
        import: outcome.summary,
    };
    let path = out.join("reviews_summary.json");
    let json = serde_json::to_string_pretty(&summary).expect("summary serialises");
    std::fs::write(&path, json).map_err(|e| TextError::io(&path, e))?;
    Ok(summary)
}

