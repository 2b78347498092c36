//! The batch analysis written back into the store (migration 0002): each run recorded in
//! `analysis_runs` (running → ok | failed), the latest successful run's per-customer scores,
//! evidence and recommendations, and its JSON documents (`analysis_artifacts`).
//!
//! A write-back is one transaction: the previous run's per-customer rows are replaced, the run
//! is marked ok and every segment is re-evaluated, so memberships (with their entry and exit
//! history) follow the new scores. A failed run changes nothing but its own status.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::sql::{Row, Val};
use crate::{now_ms, Store, StoreError};

/// `analysis_runs.status` values.
pub const RUNNING: &str = "running";
pub const OK: &str = "ok";
pub const FAILED: &str = "failed";

/// One analysis run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalysisRun {
    pub run_id: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// The date the analysis is "as of" (its calibration end).
    pub as_of: Option<String>,
    /// What was analysed (the store's location, without password) and who asked.
    pub source: String,
    pub customers: Option<i64>,
    pub status: String,
    /// Why a failed run failed.
    pub error: Option<String>,
}

/// How a score column is read out of the `customers.csv` row.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Text,
    Int,
    Real,
}

/// `customer_scores`' typed columns and the `customers.csv` column each comes from.
pub(crate) const SCORE_COLUMNS: [(&str, &str, Kind); 30] = [
    ("persona", "persona", Kind::Text),
    ("rfm_segment", "rfm_segment", Kind::Text),
    ("rfm_r", "rfm_r", Kind::Int),
    ("rfm_f", "rfm_f", Kind::Int),
    ("rfm_m", "rfm_m", Kind::Int),
    ("value_tier", "value_tier", Kind::Text),
    ("journey_stage", "journey_stage", Kind::Text),
    ("clv", "clv", Kind::Real),
    ("p_alive", "p_alive", Kind::Real),
    ("churn_risk", "churn_risk", Kind::Real),
    ("expected_purchases", "expected_purchases", Kind::Real),
    ("recency", "recency", Kind::Real),
    ("frequency", "frequency", Kind::Int),
    ("t", "T", Kind::Real),
    ("orders", "orders", Kind::Int),
    ("total_spend", "total_spend", Kind::Real),
    ("first_purchase", "first_purchase", Kind::Text),
    ("last_purchase", "last_purchase", Kind::Text),
    ("trait_price_sensitivity", "trait_price_sensitivity", Kind::Real),
    ("trait_info_seeking", "trait_info_seeking", Kind::Real),
    ("trait_convenience", "trait_convenience", Kind::Real),
    ("trait_trust_concern", "trait_trust_concern", Kind::Real),
    ("trait_social_influence", "trait_social_influence", Kind::Real),
    ("trait_novelty_seeking", "trait_novelty_seeking", Kind::Real),
    ("next_best_action", "next_best_action", Kind::Text),
    ("nba_reason", "nba_reason", Kind::Text),
    ("main_barrier", "main_barrier", Kind::Text),
    ("barrier_evidence", "barrier_evidence", Kind::Text),
    ("emotion", "emotion", Kind::Text),
    ("satisfaction", "satisfaction", Kind::Real),
];

fn cell(row: &Map<String, Json>, name: &str, kind: Kind) -> Val {
    match (row.get(name), kind) {
        (None | Some(Json::Null), _) => Val::Null,
        (Some(Json::Number(n)), Kind::Int) => n.as_i64().map_or_else(|| n.as_f64().map_or(Val::Null, |x| Val::Int(x.round() as i64)), Val::Int),
        (Some(Json::Number(n)), Kind::Real) => n.as_f64().map_or(Val::Null, Val::Real),
        (Some(Json::String(s)), Kind::Text) => Val::Text(s.clone()),
        (Some(Json::String(s)), _) => s.trim().parse::<f64>().map_or(Val::Null, |x| match kind {
            Kind::Int => Val::Int(x.round() as i64),
            _ => Val::Real(x),
        }),
        (Some(other), _) => Val::Text(other.to_string()),
    }
}

/// One customer's row of the run: the full `customers.csv` row as a JSON object.
#[derive(Clone, Debug)]
pub struct ScoreInput {
    pub cid: i64,
    pub customer_id: String,
    pub row: Map<String, Json>,
}

/// One line of `evidence.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    #[serde(rename = "trait")]
    pub trait_: String,
    pub signal: String,
    pub value: Option<f64>,
    pub shop_median: Option<f64>,
    pub observations: Option<f64>,
    pub percentile: Option<f64>,
    pub text_en: String,
    pub text_zh: String,
}

/// One recommended product with its reasons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub rank: i64,
    pub product_id: String,
    pub score: Option<f64>,
    pub reason_en: String,
    pub reason_zh: String,
}

/// A per-customer row of the run, from a source that may fail (a file, with its line).
pub type Rows<'a, T> = Box<dyn Iterator<Item = Result<(i64, T), String>> + 'a>;

/// What one analysis run writes back, streamed: nothing per customer is held in memory.
pub struct AnalysisOutput<'a> {
    /// The run begun by [`Store::begin_run`]; `None` records one now.
    pub run_id: Option<i64>,
    pub source: String,
    pub as_of: Option<String>,
    pub scores: Box<dyn Iterator<Item = Result<ScoreInput, String>> + 'a>,
    pub evidence: Rows<'a, Evidence>,
    pub recommendations: Rows<'a, Recommendation>,
    /// (name, JSON document).
    pub artifacts: Vec<(String, String)>,
}

/// A customer's scores as the customer 360 shows them: the typed columns of the latest
/// successful run, and `data`, the full `customers.csv` row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerScores {
    pub run_id: i64,
    #[serde(flatten)]
    pub columns: Map<String, Json>,
}

/// The `customer_scores s` columns [`scores_at`] reads, in its order.
pub(crate) fn score_columns() -> &'static str {
    static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| {
        let mut columns = vec!["s.run_id".to_string(), "s.customer_id".into(), "s.data".into()];
        columns.extend(SCORE_COLUMNS.iter().map(|(c, _, _)| format!("s.{c}")));
        columns.join(", ")
    })
}

/// A customer's scores from the latest successful run, read from a row whose columns from
/// `start` on are [`score_columns`] (all null: the customer has none).
pub(crate) fn scores_at(cid: i64, r: &Row, start: usize) -> Result<Option<CustomerScores>, StoreError> {
    let Some(run_id) = r.opt_int(start) else { return Ok(None) };
    let mut map = Map::new();
    map.insert("customer_id".into(), Json::String(r.text(start + 1)));
    for (i, (column, _, kind)) in SCORE_COLUMNS.iter().enumerate() {
        let at = start + i + 3;
        let json = match kind {
            Kind::Int => r.opt_int(at).map_or(Json::Null, Json::from),
            Kind::Real => r.opt_real(at).map_or(Json::Null, Json::from),
            Kind::Text => r.opt_text(at).map_or(Json::Null, Json::String),
        };
        map.insert((*column).to_string(), json);
    }
    let data = serde_json::from_str(&r.text(start + 2)).map_err(|e| StoreError::Corrupt(format!("customer_scores.data of customer {cid}: {e}")))?;
    map.insert("data".into(), data);
    Ok(Some(CustomerScores { run_id, columns: map }))
}

fn run_of(r: &Row) -> AnalysisRun {
    AnalysisRun {
        run_id: r.int(0),
        started_at: r.int(1),
        finished_at: r.opt_int(2),
        as_of: r.opt_text(3),
        source: r.text(4),
        customers: r.opt_int(5),
        status: r.text(6),
        error: r.opt_text(7),
    }
}

const RUN_COLUMNS: &str = "run_id, started_at, finished_at, as_of, source, customers, status, error";

/// Rows per multi-row INSERT: well under both backends' parameter limits, few round trips.
const PARAMETERS_PER_STATEMENT: usize = 4000;

fn sql_error(e: String) -> StoreError {
    StoreError::Config(e)
}

impl Store {
    /// Records a run as running; its id names the run until [`Store::write_analysis`] or
    /// [`Store::fail_run`] finishes it. `out_dir` is where the run writes its files (absolute):
    /// erasure scrubs them there ([`Store::run_output_dirs`]).
    pub fn begin_run(&mut self, source: &str, out_dir: Option<&Path>) -> Result<i64, StoreError> {
        let out_dir = match out_dir {
            Some(dir) => Some(dir.to_str().ok_or_else(|| StoreError::Config(format!("the output directory {} is not UTF-8", dir.display())))?),
            None => None,
        };
        let row = self.conn.query_one(
            "INSERT INTO analysis_runs (started_at, source, status, out_dir) VALUES ($1, $2, $3, $4) RETURNING run_id",
            &[now_ms().into(), source.into(), RUNNING.into(), out_dir.into()],
        )?;
        row.map(|r| r.int(0)).ok_or_else(|| StoreError::Corrupt("no run id returned".into()))
    }

    /// The output directories of every recorded run (whatever its status: a failed run may
    /// have written files too), each once.
    pub fn run_output_dirs(&mut self) -> Result<Vec<PathBuf>, StoreError> {
        let rows = self.conn.query("SELECT DISTINCT out_dir FROM analysis_runs WHERE out_dir IS NOT NULL ORDER BY out_dir", &[])?;
        Ok(rows.iter().map(|r| PathBuf::from(r.text(0))).collect())
    }

    /// Marks a run failed with its error; the previous run's scores stay.
    pub fn fail_run(&mut self, run_id: i64, error: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "UPDATE analysis_runs SET status = $2, finished_at = $3, error = $4 WHERE run_id = $1",
            &[run_id.into(), FAILED.into(), now_ms().into(), error.into()],
        )?;
        Ok(())
    }

    /// Marks runs still `running` as failed with `reason` (a server starting: no run of its own
    /// can be going); returns how many. A run finishing later still records its outcome.
    pub fn abandon_running_runs(&mut self, reason: &str) -> Result<u64, StoreError> {
        self.conn.exec(
            "UPDATE analysis_runs SET status = $1, finished_at = $2, error = $3 WHERE status = $4",
            &[FAILED.into(), now_ms().into(), reason.into(), RUNNING.into()],
        )
    }

    /// Writes a run's outputs in one transaction, replacing the previous run's per-customer
    /// rows, and re-evaluates every segment. Returns the run id. On error nothing changes (a
    /// begun run stays `running` for the caller to [`Store::fail_run`]).
    pub fn write_analysis(&mut self, output: AnalysisOutput<'_>) -> Result<i64, StoreError> {
        let AnalysisOutput { run_id, source, as_of, scores, evidence, recommendations, artifacts } = output;
        self.transaction(move |s| {
            let run_id = match run_id {
                Some(id) => {
                    s.refuse_if_erased_during(id)?;
                    id
                }
                None => s.begin_run(&source, None)?,
            };
            for table in ["customer_scores", "customer_evidence", "customer_recommendations"] {
                s.conn.exec(&format!("DELETE FROM {table}"), &[])?;
            }
            let mut columns = vec!["cid", "run_id", "customer_id"];
            columns.extend(SCORE_COLUMNS.iter().map(|(c, _, _)| *c));
            columns.push("data");
            let score_rows = scores.map(|r| {
                let r = r.map_err(sql_error)?;
                let mut vals = vec![Val::Int(r.cid), Val::Int(run_id), Val::Text(r.customer_id)];
                vals.extend(SCORE_COLUMNS.iter().map(|(_, name, kind)| cell(&r.row, name, *kind)));
                vals.push(Val::Text(Json::Object(r.row).to_string()));
                Ok(vals)
            });
            let customers = s.insert_many("customer_scores", &columns, score_rows)?;
            let evidence_rows = evidence.map(|r| {
                let (cid, e) = r.map_err(sql_error)?;
                Ok(vec![
                    cid.into(),
                    e.trait_.into(),
                    e.signal.into(),
                    e.value.into(),
                    e.shop_median.into(),
                    e.observations.into(),
                    e.percentile.into(),
                    e.text_en.into(),
                    e.text_zh.into(),
                ])
            });
            s.insert_many(
                "customer_evidence",
                &["cid", "trait", "signal", "value", "shop_median", "observations", "percentile", "text_en", "text_zh"],
                evidence_rows,
            )?;
            let recommendation_rows = recommendations.map(|r| {
                let (cid, r) = r.map_err(sql_error)?;
                Ok(vec![cid.into(), r.rank.into(), r.product_id.into(), r.score.into(), r.reason_en.into(), r.reason_zh.into()])
            });
            s.insert_many(
                "customer_recommendations",
                &["cid", "rank", "product_id", "score", "reason_en", "reason_zh"],
                recommendation_rows,
            )?;
            for (name, body) in &artifacts {
                s.conn.exec(
                    "INSERT INTO analysis_artifacts (run_id, name, body) VALUES ($1, $2, $3)",
                    &[run_id.into(), name.as_str().into(), body.as_str().into()],
                )?;
            }
            let now = now_ms();
            s.conn.exec(
                "UPDATE analysis_runs SET status = $2, finished_at = $3, as_of = $4, customers = $5, error = NULL WHERE run_id = $1",
                &[run_id.into(), OK.into(), now.into(), as_of.into(), (customers as i64).into()],
            )?;
            s.reevaluate_all(now)?;
            Ok(run_id)
        })
    }

    /// A customer erased while the run was going is still in its exported files: writing the
    /// run back would bring its scores and its mentions in the documents back. The run fails
    /// instead (the previous, scrubbed results stay); the next run starts from the store as it is.
    fn refuse_if_erased_during(&mut self, run_id: i64) -> Result<(), StoreError> {
        let erased = self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM erasures e JOIN analysis_runs r ON e.at >= r.started_at WHERE r.run_id = $1",
                &[run_id.into()],
            )?
            .map_or(0, |r| r.int(0));
        if erased > 0 {
            return Err(StoreError::Config(format!(
                "{erased} customer(s) were erased while analysis run {run_id} was going; its results would bring them back: run the analysis again / 分析进行期间有客户被删除，结果不予写入，请重新运行分析"
            )));
        }
        Ok(())
    }

    /// Removes a customer's per-customer analysis rows (merged away).
    pub(crate) fn forget_analysis(&mut self, cid: i64) -> Result<(), StoreError> {
        for table in ["customer_scores", "customer_evidence", "customer_recommendations"] {
            self.conn.exec(&format!("DELETE FROM {table} WHERE cid = $1"), &[cid.into()])?;
        }
        Ok(())
    }

    /// Inserts rows with multi-row statements; returns how many.
    fn insert_many(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: impl Iterator<Item = Result<Vec<Val>, StoreError>>,
    ) -> Result<u64, StoreError> {
        let per_statement = (PARAMETERS_PER_STATEMENT / columns.len()).max(1);
        let statement = |n: usize| {
            let tuples: Vec<String> = (0..n)
                .map(|i| {
                    let slots: Vec<String> = (1..=columns.len()).map(|c| format!("${}", i * columns.len() + c)).collect();
                    format!("({})", slots.join(", "))
                })
                .collect();
            format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), tuples.join(", "))
        };
        let full = statement(per_statement);
        let mut params: Vec<Val> = Vec::with_capacity(per_statement * columns.len());
        let mut pending = 0;
        let mut total = 0;
        for row in rows {
            params.extend(row?);
            pending += 1;
            if pending == per_statement {
                total += self.conn.exec(&full, &params)?;
                params.clear();
                pending = 0;
            }
        }
        if pending > 0 {
            total += self.conn.exec(&statement(pending), &params)?;
        }
        Ok(total)
    }

    /// The latest runs, newest first.
    pub fn analysis_runs(&mut self, limit: i64) -> Result<Vec<AnalysisRun>, StoreError> {
        let rows = self.conn.query(&format!("SELECT {RUN_COLUMNS} FROM analysis_runs ORDER BY run_id DESC LIMIT $1"), &[limit.into()])?;
        Ok(rows.iter().map(run_of).collect())
    }

    pub fn analysis_run(&mut self, run_id: i64) -> Result<Option<AnalysisRun>, StoreError> {
        Ok(self.conn.query_one(&format!("SELECT {RUN_COLUMNS} FROM analysis_runs WHERE run_id = $1"), &[run_id.into()])?.map(|r| run_of(&r)))
    }

    /// The latest successful run: the one whose scores the store holds.
    pub fn latest_run(&mut self) -> Result<Option<AnalysisRun>, StoreError> {
        let row = self.conn.query_one(
            &format!("SELECT {RUN_COLUMNS} FROM analysis_runs WHERE status = $1 ORDER BY run_id DESC LIMIT 1"),
            &[OK.into()],
        )?;
        Ok(row.map(|r| run_of(&r)))
    }

    /// A JSON document of a run (`summary`, `models`, `validation`, `strategy`, `elasticity`,
    /// `dashboard`).
    pub fn artifact(&mut self, run_id: i64, name: &str) -> Result<Option<String>, StoreError> {
        let row = self.conn.query_one("SELECT body FROM analysis_artifacts WHERE run_id = $1 AND name = $2", &[run_id.into(), name.into()])?;
        Ok(row.map(|r| r.text(0)))
    }

    /// The names of a run's documents.
    pub fn artifact_names(&mut self, run_id: i64) -> Result<Vec<String>, StoreError> {
        let rows = self.conn.query("SELECT name FROM analysis_artifacts WHERE run_id = $1 ORDER BY name", &[run_id.into()])?;
        Ok(rows.iter().map(|r| r.text(0)).collect())
    }

    /// The `customers.csv` row of the customer's latest scores (what segments read).
    pub(crate) fn score_row(&mut self, cid: i64) -> Result<Option<Map<String, Json>>, StoreError> {
        match self.conn.query_one("SELECT data FROM customer_scores WHERE cid = $1", &[cid.into()])? {
            Some(r) => match serde_json::from_str(&r.text(0)) {
                Ok(Json::Object(m)) => Ok(Some(m)),
                _ => Err(StoreError::Corrupt(format!("customer_scores.data of customer {cid} is not a JSON object"))),
            },
            None => Ok(None),
        }
    }

    pub(crate) fn recommendations_of(&mut self, cid: i64, limit: i64) -> Result<Vec<Recommendation>, StoreError> {
        Ok(recommendations(&self.conn.query(RECOMMENDATIONS_SQL, &[cid.into(), limit.into()])?))
    }

    /// The recommendations of the customer an external id names (`None`: no such customer).
    pub fn customer_recommendations(&mut self, external: &str, limit: i64) -> Result<Option<Vec<Recommendation>>, StoreError> {
        match self.find_customer(external)? {
            Some(cid) => self.recommendations_of(cid, limit).map(Some),
            None => Ok(None),
        }
    }
}

/// The evidence rows of customer `$1`.
pub(crate) const EVIDENCE_SQL: &str = "SELECT trait, signal, value, shop_median, observations, percentile, text_en, text_zh \
     FROM customer_evidence WHERE cid = $1 ORDER BY trait, signal";

pub(crate) fn evidence(rows: &[Row]) -> Vec<Evidence> {
    rows.iter()
        .map(|r| Evidence {
            trait_: r.text(0),
            signal: r.text(1),
            value: r.opt_real(2),
            shop_median: r.opt_real(3),
            observations: r.opt_real(4),
            percentile: r.opt_real(5),
            text_en: r.text(6),
            text_zh: r.text(7),
        })
        .collect()
}

/// The first `$2` recommendations of customer `$1`.
pub(crate) const RECOMMENDATIONS_SQL: &str =
    "SELECT rank, product_id, score, reason_en, reason_zh FROM customer_recommendations WHERE cid = $1 ORDER BY rank LIMIT $2";

pub(crate) fn recommendations(rows: &[Row]) -> Vec<Recommendation> {
    rows.iter()
        .map(|r| Recommendation { rank: r.int(0), product_id: r.text(1), score: r.opt_real(2), reason_en: r.text(3), reason_zh: r.text(4) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_the_column_kind() {
        let row: Map<String, Json> = serde_json::from_str(r#"{"rfm_r": 5, "clv": 12.5, "persona": "balanced", "frequency": "3", "T": null}"#).unwrap();
        assert_eq!(cell(&row, "rfm_r", Kind::Int), Val::Int(5));
        assert_eq!(cell(&row, "clv", Kind::Real), Val::Real(12.5));
        assert_eq!(cell(&row, "persona", Kind::Text), Val::Text("balanced".into()));
        assert_eq!(cell(&row, "frequency", Kind::Int), Val::Int(3));
        assert_eq!(cell(&row, "T", Kind::Real), Val::Null);
        assert_eq!(cell(&row, "absent", Kind::Text), Val::Null);
    }
}
