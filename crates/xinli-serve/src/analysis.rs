//! The batch analysis of a live store (`xinli analyze --db`, `xinli serve --refresh-every`,
//! `POST /api/analysis/run`): the store is exported as a canonical shop into a temporary
//! directory (in parts: it is never held in memory), the normal pipeline runs on it and writes
//! every file to the output directory as `xinli analyze` does, the recommender lists the top
//! products for every customer, and the files are streamed back into the store in one
//! transaction ([`xinli_store::Store::write_analysis`]).
//!
//! Two halves, so a server can keep writes on its single writer: [`prepare`] (export, pipeline,
//! recommendations — long, on its own connection) and [`write_back`] (one transaction).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use xinli_analyze::output::CustomerRow;
use xinli_analyze::{AnalyzeConfig, Source};
use xinli_store::export::{Exported, Part, SurveyAnswer};
use xinli_store::{AnalysisOutput, Evidence, Recommendation, ScoreInput, Store};

/// Records per exported part file.
const EXPORT_PART: usize = 50_000;

/// The JSON documents of a run stored beside the scores (`<name>.json` in the output).
pub const ARTIFACTS: [&str; 6] = ["summary", "models", "validation", "strategy", "elasticity", "dashboard"];

/// How the store is analysed.
#[derive(Clone, Debug)]
pub struct AnalysisSettings {
    /// The pipeline's settings; `source` is replaced by the exported shop and `out_dir` is
    /// where every output file goes.
    pub config: AnalyzeConfig,
    /// Recommendations kept per customer.
    pub top_n: usize,
}

impl AnalysisSettings {
    pub fn new(out_dir: PathBuf) -> AnalysisSettings {
        AnalysisSettings { config: AnalyzeConfig::new(Source::Directory(PathBuf::new()), out_dir), top_n: 10 }
    }
}

/// A finished export and pipeline run, ready to be written back.
pub struct Prepared {
    pub run_id: i64,
    pub out_dir: PathBuf,
    pub source: String,
    pub as_of: String,
    pub exported: Exported,
    pub export_seconds: f64,
    pub analyze_seconds: f64,
    pub recommend_seconds: f64,
}

/// What a whole run did (printed by `xinli analyze --db`).
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub run_id: i64,
    pub customers: u64,
    pub products: u64,
    pub orders: u64,
    pub events: u64,
    pub reviews: u64,
    pub surveys: u64,
    pub campaigns: u64,
    /// Stored records the export could not write as canonical records (not analysed).
    pub skipped: xinli_store::export::Skipped,
    pub as_of: String,
    pub export_seconds: f64,
    pub analyze_seconds: f64,
    pub recommend_seconds: f64,
    pub write_back_seconds: f64,
}

impl RunReport {
    /// The report of a prepared run written back in `write_back_seconds`.
    pub fn new(p: &Prepared, write_back_seconds: f64) -> RunReport {
        RunReport {
            run_id: p.run_id,
            customers: p.exported.customers.len() as u64,
            products: p.exported.products,
            orders: p.exported.orders,
            events: p.exported.events,
            reviews: p.exported.reviews,
            surveys: p.exported.surveys,
            campaigns: p.exported.campaigns,
            skipped: p.exported.skipped,
            as_of: p.as_of.clone(),
            export_seconds: p.export_seconds,
            analyze_seconds: p.analyze_seconds,
            recommend_seconds: p.recommend_seconds,
            write_back_seconds,
        }
    }
}

/// "; left out …" naming the stored records an export skipped, or nothing when none was.
pub fn skipped_note(skipped: &xinli_store::export::Skipped) -> String {
    if skipped.total() == 0 {
        return String::new();
    }
    format!(
        "; left out as unreadable (不可读，未分析): {} customers, {} products, {} order lines, {} events, {} reviews, {} survey answers, \
         {} campaign touches",
        skipped.customers, skipped.products, skipped.orders, skipped.events, skipped.reviews, skipped.surveys, skipped.campaigns
    )
}

/// A directory removed when dropped (also when the run fails half way).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `settings.config.out_dir`, created, as an absolute path: the store records it with the run
/// ([`Store::begin_run`]) so erasure scrubs the run's files wherever they are.
pub fn output_dir(settings: &AnalysisSettings) -> Result<PathBuf, String> {
    let dir = &settings.config.out_dir;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Exports the store, runs the pipeline and the recommender into `settings.config.out_dir`.
pub fn prepare(store: &mut Store, settings: &AnalysisSettings, run_id: i64, source: &str) -> Result<Prepared, String> {
    let out_dir = output_dir(settings)?;
    let shop_dir = TempDir(out_dir.join(format!(".store-export-{run_id}")));
    let _ = std::fs::remove_dir_all(&shop_dir.0);

    let started = Instant::now();
    let mut part = 0usize;
    let exported = store
        .export_shop(EXPORT_PART, |records| {
            part += 1;
            let suffix = format!("-{part:05}");
            match records {
                Part::Shop(shop) => xinli_ingest::write_canonical_part(&shop, &shop_dir.0, &suffix).map(|_| ()),
                Part::Surveys(answers) => write_surveys(&answers, &shop_dir.0.join(format!("surveys{suffix}.csv"))),
            }
            .map_err(|e| e.to_string())
        })
        .map_err(|e| format!("exporting the store: {e}"))?;
    if exported.customers.is_empty() {
        return Err("the store holds no customers: nothing to analyse (load a shop with `xinli import --db` or send events first)".into());
    }
    let export_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut config = settings.config.clone();
    config.source = Source::Directory(shop_dir.0.clone());
    let outcome = xinli_analyze::run(&config, &xinli_analyze::Silent).map_err(|e| format!("analysis: {e}"))?;
    let analyze_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let shop = xinli_analyze::import(&config.source, &xinli_ingest::ImportOptions::default()).map_err(|e| format!("reading the exported shop: {e}"))?;
    let options = xinli_recommend::RecommendOptions {
        top_n: settings.top_n,
        profiles: xinli_recommend::read_profiles(&out_dir.join("customers.csv")).map_err(|e| e.to_string())?,
        ..xinli_recommend::RecommendOptions::default()
    };
    xinli_recommend::write_recommendations(&shop.shop, &options, &out_dir).map_err(|e| format!("recommendations: {e}"))?;
    let recommend_seconds = started.elapsed().as_secs_f64();
    Ok(Prepared { run_id, out_dir, source: source.to_string(), as_of: outcome.as_of, exported, export_seconds, analyze_seconds, recommend_seconds })
}

/// Survey answers as a canonical `surveys` file (data contract v1, read by `xinli-text`).
fn write_surveys(answers: &[SurveyAnswer], path: &Path) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["customer_id", "ts", "score", "scale", "comment", "product_id"])?;
    for a in answers {
        let product = a.product_id.as_ref().map_or("", |p| p.as_str());
        w.write_record([a.customer_id.as_str(), &a.ts.to_string(), &a.score.to_string(), &a.scale.to_string(), a.comment.as_deref().unwrap_or(""), product])?;
    }
    w.flush()
}

fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Rows of a CSV file the run wrote, by header name, each with its line for errors.
fn csv_rows(path: &Path) -> Result<impl Iterator<Item = Result<(u64, csv::StringRecord), String>>, String> {
    let shown = path.display().to_string();
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{shown}: {e}"))?;
    reader.headers().map_err(|e| format!("{shown}: {e}"))?;
    Ok(reader.into_records().map(move |r| {
        let r = r.map_err(|e| format!("{shown}: {e}"))?;
        Ok((r.position().map_or(0, |p| p.line()), r))
    }))
}

/// Writes the prepared run's files into the store (one transaction).
pub fn write_back(store: &mut Store, p: &Prepared) -> Result<i64, String> {
    let labels = &p.exported.customers;
    let cid = |path: &Path, line: Option<u64>, id: &str| {
        let at = line.map_or(String::new(), |l| format!(", line {l}"));
        labels.get(id).copied().ok_or_else(|| format!("{}{at}: customer {id:?} is not in the store", path.display()))
    };
    let customers_path = p.out_dir.join("customers.csv");
    let shown = customers_path.display().to_string();
    let scores = csv::Reader::from_path(&customers_path).map_err(|e| format!("{shown}: {e}"))?.into_deserialize::<CustomerRow>().map(|r| {
        let row = r.map_err(|e| format!("{shown}: {e}"))?;
        let map = match serde_json::to_value(&row) {
            Ok(Value::Object(map)) => map,
            _ => return Err(format!("{shown}: the row of {:?} does not serialise to an object", row.customer_id)),
        };
        Ok(ScoreInput { cid: cid(&customers_path, None, &row.customer_id)?, customer_id: row.customer_id, row: map })
    });
    let evidence_path = p.out_dir.join("evidence.csv");
    let evidence = csv_rows(&evidence_path)?.map(|r| {
        let (line, r) = r?;
        let cell = |i: usize| r.get(i).unwrap_or("");
        Ok((
            cid(&evidence_path, Some(line), cell(0))?,
            Evidence {
                trait_: cell(1).to_string(),
                signal: cell(2).to_string(),
                value: number(cell(3)),
                shop_median: number(cell(4)),
                observations: number(cell(5)),
                percentile: number(cell(6)),
                text_en: cell(7).to_string(),
                text_zh: cell(8).to_string(),
            },
        ))
    });
    let recommendations_path = p.out_dir.join("recommendations.csv");
    let recommendations = csv_rows(&recommendations_path)?.map(|r| {
        let (line, r) = r?;
        let cell = |i: usize| r.get(i).unwrap_or("");
        let rank = cell(1).parse::<i64>().map_err(|_| format!("{}, line {line}, column rank: {:?} is not a number", recommendations_path.display(), cell(1)))?;
        Ok((
            cid(&recommendations_path, Some(line), cell(0))?,
            Recommendation { rank, product_id: cell(2).to_string(), score: number(cell(5)), reason_en: cell(7).to_string(), reason_zh: cell(8).to_string() },
        ))
    });
    let mut artifacts = Vec::new();
    for name in ARTIFACTS {
        let path = p.out_dir.join(format!("{name}.json"));
        match std::fs::read_to_string(&path) {
            Ok(body) => artifacts.push((name.to_string(), body)),
            // validation.json exists only with a holdout.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    let output = AnalysisOutput {
        run_id: Some(p.run_id),
        source: p.source.clone(),
        as_of: Some(p.as_of.clone()),
        scores: Box::new(scores),
        evidence: Box::new(evidence),
        recommendations: Box::new(recommendations),
        artifacts,
    };
    store.write_analysis(output).map_err(|e| format!("writing the analysis back: {e}"))
}

/// A whole run on one connection (`xinli analyze --db`): recorded as running, then ok, or
/// failed with its error (the previous run's scores stay).
pub fn analyze_store(store: &mut Store, settings: &AnalysisSettings, source: &str) -> Result<RunReport, String> {
    let out_dir = output_dir(settings)?;
    let run_id = store.begin_run(source, Some(&out_dir)).map_err(|e| format!("recording the run: {e}"))?;
    let result = prepare(store, settings, run_id, source).and_then(|p| {
        let started = Instant::now();
        write_back(store, &p)?;
        Ok(RunReport::new(&p, started.elapsed().as_secs_f64()))
    });
    if let Err(e) = &result {
        store.fail_run(run_id, e).map_err(|f| format!("{e}; recording the failure: {f}"))?;
    }
    result
}
