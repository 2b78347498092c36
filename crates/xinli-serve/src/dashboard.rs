//! The dashboard: the web UI (static files embedded in the binary, served at `/` and `/ui/*`)
//! and the aggregates it draws (`/api/dashboard/*`).
//!
//! Every figure is computed by the database — GROUP BY and bucketing over `customer_scores`
//! (the latest analysis run written back by `xinli analyze --db`), `reviews` and the run's
//! `dashboard` artifact — and lists are paged, so the browser never receives the customer
//! table. The per-page aggregates depend only on the analysis run, so they are computed in the
//! background as soon as a run appears ([`keep_warm`]) and kept in memory until a newer one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use xinli_store::sql::{Backend, Row, Val};
use xinli_store::{Role, SegmentPreview, Store, StoreError};

use crate::api::{int_param, json_body};
use crate::{ApiError, AppState};

type St = State<Arc<AppState>>;

/// The UI files: name, content type, body.
const ASSETS: [(&str, &str, &str); 4] = [
    ("app.js", "text/javascript; charset=utf-8", include_str!("../ui/app.js")),
    ("i18n.js", "text/javascript; charset=utf-8", include_str!("../ui/i18n.js")),
    ("charts.js", "text/javascript; charset=utf-8", include_str!("../ui/charts.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../ui/app.css")),
];
const INDEX_HTML: &str = include_str!("../ui/index.html");

/// Only this server's own files: no script, style, font or image from elsewhere.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/// `/` and `/ui/{file}`: the UI itself, which needs no key (the data behind it does).
pub(crate) fn ui_routes() -> Router<Arc<AppState>> {
    Router::new().route("/", get(index)).route("/ui/{file}", get(asset))
}

/// The `/api/dashboard/*` routes (documented in the OpenAPI file with the rest of `/api`).
pub(crate) fn routes() -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        ("/api/dashboard/me", get(me)),
        ("/api/dashboard/overview", get(|s: St, h: HeaderMap| page(s, h, Page::Overview))),
        ("/api/dashboard/psychology", get(|s: St, h: HeaderMap| page(s, h, Page::Psychology))),
        ("/api/dashboard/value", get(|s: St, h: HeaderMap| page(s, h, Page::Value))),
        ("/api/dashboard/voice", get(|s: St, h: HeaderMap| page(s, h, Page::Voice))),
        ("/api/dashboard/members", get(members)),
        ("/api/dashboard/segments/preview", post(preview)),
    ]
}

fn with_headers(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache"), (header::CONTENT_SECURITY_POLICY, CSP)], body).into_response()
}

async fn index() -> Response {
    with_headers("text/html; charset=utf-8", INDEX_HTML)
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => with_headers(content_type, body),
        None => ApiError::not_found("file").into_response(),
    }
}

async fn me(State(st): St, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let key = st.authorize(&headers, Role::Analyst).await?;
    Ok(Json(json!({"key_id": key.id, "name": key.name, "role": key.role.name()})))
}

/// The pages whose aggregates are cached per analysis run.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Page {
    Overview,
    Psychology,
    Value,
    Voice,
}

/// Aggregates by page, with the run they were computed for; and how many times it was cleared
/// (pages computed before an erasure are not kept after it).
#[derive(Default)]
pub(crate) struct Cache(Mutex<HashMap<Page, (i64, Arc<Value>)>>, AtomicU64);

impl Cache {
    fn get(&self, page: Page, run: i64) -> Option<Arc<Value>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&page).filter(|(r, _)| *r == run).map(|(_, v)| Arc::clone(v))
    }
    fn generation(&self) -> u64 {
        self.1.load(Ordering::SeqCst)
    }
    /// Keeps a page computed from data read during `generation`, unless cleared since.
    fn put(&self, page: Page, run: i64, value: Arc<Value>, generation: u64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() == generation {
            map.insert(page, (run, value));
        }
    }
    /// Forgets every page (an erased customer may be quoted in one).
    pub(crate) fn clear(&self) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        self.1.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }
}

async fn page(State(st): St, headers: HeaderMap, page: Page) -> Result<Response, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let computed = aggregates(&st, page).await?;
    Ok(json_response(&computed))
}

/// A page's aggregates for the latest run: from the cache, else computed (and cached). Before
/// the first run only the live part of the voice page exists, computed on every request.
async fn aggregates(st: &Arc<AppState>, page: Page) -> Result<Arc<Value>, ApiError> {
    let generation = st.dashboard.generation();
    let run = st.read(latest_run).await?;
    let run_id = run.as_ref().and_then(|r| r["run_id"].as_i64());
    if let Some(hit) = run_id.and_then(|id| st.dashboard.get(page, id)) {
        return Ok(hit);
    }
    let computed = st
        .read(move |s| {
            let mut out = match (run_id, page) {
                (None, Page::Voice) => voice(s, None)?,
                (None, _) => Map::new(),
                (Some(id), Page::Overview) => overview(s, id)?,
                (Some(id), Page::Psychology) => psychology(s, id)?,
                (Some(id), Page::Value) => value(s, id)?,
                (Some(id), Page::Voice) => voice(s, Some(id))?,
            };
            out.insert("run".into(), run.unwrap_or(Value::Null));
            Ok(Arc::new(Value::Object(out)))
        })
        .await?;
    if let Some(id) = run_id {
        st.dashboard.put(page, id, Arc::clone(&computed), generation);
    }
    Ok(computed)
}

/// How often the server looks for a newer analysis run to compute the pages for.
const WARM_EVERY: Duration = Duration::from_secs(5);

/// Computes every page's aggregates as soon as a new analysis run appears (written by this
/// server or by `xinli analyze --db` in another process), so the first visitor after a run
/// does not wait for the scans (seconds at a million customers).
pub(crate) async fn keep_warm(st: Arc<AppState>) {
    loop {
        for page in [Page::Overview, Page::Psychology, Page::Value, Page::Voice] {
            if let Err(e) = aggregates(&st, page).await {
                eprintln!("xinli serve: computing the dashboard's {page:?} aggregates: {} (仪表盘预计算失败)", e.en);
            }
        }
        tokio::time::sleep(WARM_EVERY).await;
    }
}

fn json_response(v: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

/// The latest successful analysis run, or None before the first.
fn latest_run(s: &mut Store) -> Result<Option<Value>, StoreError> {
    Ok(s.latest_run()?.map(|r| json!(r)))
}

/// One JSON document of the run (`dashboard`, `summary`, …), or null.
fn artifact(s: &mut Store, run_id: i64, name: &str) -> Result<Value, StoreError> {
    Ok(s.artifact(run_id, name)?.and_then(|body| serde_json::from_str(&body).ok()).unwrap_or(Value::Null))
}

/// `⌊expr⌋` of a non-negative expression as an integer on either backend (PostgreSQL's CAST
/// rounds; SQLite's truncates, which is the floor for x ≥ 0).
fn floor(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => format!("CAST({expr} AS INTEGER)"),
        Backend::Postgres => format!("CAST(FLOOR({expr}) AS BIGINT)"),
    }
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

/// Rows of `(key, count, sum)` as objects named `key_name`, `customers`, `sum_name`.
fn grouped(s: &mut Store, column: &str, key_name: &str) -> Result<Vec<Value>, StoreError> {
    let rows = s.raw_query(&format!("SELECT {column}, COUNT(*) FROM customer_scores GROUP BY {column} ORDER BY 2 DESC, 1"), &[])?;
    Ok(rows.iter().map(|r| json!({key_name: r.opt_text(0), "customers": r.int(1)})).collect())
}

fn overview(s: &mut Store, run_id: i64) -> Result<Map<String, Value>, StoreError> {
    let k = s
        .raw_query(
            "SELECT COUNT(*), SUM(CASE WHEN p_alive >= 0.5 THEN 1 ELSE 0 END), SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN orders >= 1 THEN 1 ELSE 0 END), SUM(total_spend), SUM(clv), SUM(CASE WHEN churn_risk >= 0.5 THEN 1 ELSE 0 END) \
             FROM customer_scores",
            &[],
        )?
        .pop()
        .unwrap_or_default();
    let buyers = k.int(3);
    let kpis = json!({
        "customers": k.int(0), "active": k.int(1),
        "repeat_rate": if buyers > 0 { Value::from(k.int(2) as f64 / buyers as f64) } else { Value::Null },
        "revenue": opt(k.opt_real(4)), "clv": opt(k.opt_real(5)), "churn_risk": k.int(6),
    });
    let personas: Vec<Value> = s
        .raw_query("SELECT persona, COUNT(*), SUM(clv) FROM customer_scores GROUP BY persona ORDER BY 2 DESC, 1", &[])?
        .iter()
        .map(|r| json!({"persona": r.opt_text(0), "customers": r.int(1), "clv": opt(r.opt_real(2))}))
        .collect();
    let rfm: Vec<Value> = s
        .raw_query(
            "SELECT rfm_r, rfm_f, COUNT(*), AVG(total_spend) FROM customer_scores WHERE rfm_r IS NOT NULL AND rfm_f IS NOT NULL GROUP BY rfm_r, rfm_f",
            &[],
        )?
        .iter()
        .map(|r| json!({"r": r.int(0), "f": r.int(1), "customers": r.int(2), "avg_spend": opt(r.opt_real(3))}))
        .collect();
    let report = artifact(s, run_id, "dashboard")?;
    let mut out = Map::new();
    out.insert("kpis".into(), kpis);
    out.insert("personas".into(), personas.into());
    out.insert("rfm".into(), rfm.into());
    out.insert("trends".into(), trends(&report));
    Ok(out)
}

const TRAITS: [&str; 6] = ["price_sensitivity", "info_seeking", "convenience", "trust_concern", "social_influence", "novelty_seeking"];
const TRAIT_BINS: usize = 10;

fn psychology(s: &mut Store, run_id: i64) -> Result<Map<String, Value>, StoreError> {
    // Every trait's histogram in one scan: a SUM per (trait, bin), and the unknowns.
    let mut columns = Vec::new();
    for t in TRAITS {
        for b in 0..TRAIT_BINS {
            let lo = b as f64 / TRAIT_BINS as f64;
            let cond = if b + 1 == TRAIT_BINS { format!("trait_{t} >= {lo}") } else { format!("trait_{t} >= {lo} AND trait_{t} < {}", (b + 1) as f64 / TRAIT_BINS as f64) };
            columns.push(format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"));
        }
        columns.push(format!("SUM(CASE WHEN trait_{t} IS NULL THEN 1 ELSE 0 END)"));
    }
    let row = s.raw_query(&format!("SELECT {} FROM customer_scores", columns.join(", ")), &[])?.pop().unwrap_or_default();
    let traits: Vec<Value> = TRAITS
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let base = i * (TRAIT_BINS + 1);
            let bins: Vec<Value> = (0..TRAIT_BINS)
                .map(|b| json!({"from": b as f64 / TRAIT_BINS as f64, "to": (b + 1) as f64 / TRAIT_BINS as f64, "customers": row.int(base + b)}))
                .collect();
            json!({"trait": t, "bins": bins, "unknown": row.int(base + TRAIT_BINS)})
        })
        .collect();
    // Persona × RFM segment: size, value, value at stake (CLV × churn risk), the most frequent action.
    let mut actions: HashMap<(Option<String>, Option<String>), (i64, Option<String>)> = HashMap::new();
    for r in s.raw_query(
        "SELECT persona, rfm_segment, next_best_action, COUNT(*) FROM customer_scores GROUP BY persona, rfm_segment, next_best_action",
        &[],
    )? {
        let entry = actions.entry((r.opt_text(0), r.opt_text(1))).or_insert((0, None));
        if r.int(3) > entry.0 {
            *entry = (r.int(3), r.opt_text(2));
        }
    }
    let persona_segments: Vec<Value> = s
        .raw_query(
            "SELECT persona, rfm_segment, COUNT(*), SUM(clv), SUM(clv * churn_risk) FROM customer_scores \
             GROUP BY persona, rfm_segment ORDER BY 5 DESC, 3 DESC",
            &[],
        )?
        .iter()
        .map(|r| {
            let action = actions.get(&(r.opt_text(0), r.opt_text(1))).and_then(|(_, a)| a.clone());
            json!({"persona": r.opt_text(0), "rfm_segment": r.opt_text(1), "customers": r.int(2), "clv": opt(r.opt_real(3)),
                   "value_at_stake": opt(r.opt_real(4)), "action": action})
        })
        .collect();
    let barriers: Vec<Value> = grouped(s, "main_barrier", "barrier")?.into_iter().filter(|b| !b["barrier"].is_null()).collect();
    let report = artifact(s, run_id, "dashboard")?;
    let mut out = Map::new();
    out.insert("traits".into(), traits.into());
    out.insert("persona_segments".into(), persona_segments.into());
    out.insert("journey".into(), grouped(s, "journey_stage", "stage")?.into());
    out.insert("barriers".into(), barriers.into());
    out.insert("funnel".into(), funnel(&report));
    out.insert("churn_drivers".into(), churn_drivers(&report));
    Ok(out)
}

/// Bins of the CLV histogram (the last one holds everything above the 99th percentile).
const CLV_BINS: i64 = 20;

fn value(s: &mut Store, run_id: i64) -> Result<Map<String, Value>, StoreError> {
    let backend = s.backend();
    let scored = s.raw_query("SELECT COUNT(clv), MAX(t - recency) FROM customer_scores", &[])?.pop().unwrap_or_default();
    // The 99th percentile through the clv index, so one whale does not squash the histogram.
    let p99 = s
        .raw_query("SELECT clv FROM customer_scores WHERE clv IS NOT NULL ORDER BY clv LIMIT 1 OFFSET $1", &[(scored.int(0) * 99 / 100).into()])?
        .first()
        .and_then(|r| r.opt_real(0))
        .unwrap_or(0.0);
    let width = nice_step(p99 / CLV_BINS as f64);
    let bin = floor(backend, &format!("clv / {width:?}"));
    let clv_histogram: Vec<Value> = s
        .raw_query(
            &format!("SELECT CASE WHEN clv >= $1 THEN $2 ELSE {bin} END AS b, COUNT(*) FROM customer_scores WHERE clv IS NOT NULL GROUP BY 1 ORDER BY 1"),
            &[(width * CLV_BINS as f64).into(), CLV_BINS.into()],
        )?
        .iter()
        .map(|r| json!({"from": r.int(0) as f64 * width, "to": if r.int(0) >= CLV_BINS { Value::Null } else { Value::from((r.int(0) + 1) as f64 * width) }, "customers": r.int(1)}))
        .collect();
    // P(alive) against the time since the last purchase (T − recency, in the run's time unit).
    let gap_width = nice_step(scored.opt_real(1).unwrap_or(0.0) / 20.0);
    let gap = floor(backend, &format!("(t - recency) / {gap_width:?}"));
    let p_alive_by_recency: Vec<Value> = s
        .raw_query(
            &format!("SELECT {gap} AS b, AVG(p_alive), COUNT(*) FROM customer_scores WHERE p_alive IS NOT NULL AND t IS NOT NULL AND recency IS NOT NULL GROUP BY 1 ORDER BY 1"),
            &[],
        )?
        .iter()
        .map(|r| json!({"days": (r.int(0) as f64 + 0.5) * gap_width, "p_alive": opt(r.opt_real(1)), "customers": r.int(2)}))
        .collect();
    let value_tiers: Vec<Value> = s
        .raw_query("SELECT value_tier, COUNT(*), SUM(total_spend) FROM customer_scores WHERE value_tier IS NOT NULL GROUP BY value_tier ORDER BY 3 DESC", &[])?
        .iter()
        .map(|r| json!({"tier": r.opt_text(0), "customers": r.int(1), "revenue": opt(r.opt_real(2))}))
        .collect();
    let report = artifact(s, run_id, "dashboard")?;
    let mut out = Map::new();
    out.insert("clv_histogram".into(), clv_histogram.into());
    out.insert("p_alive_by_recency".into(), p_alive_by_recency.into());
    out.insert("value_tiers".into(), value_tiers.into());
    out.insert("cohorts".into(), cohorts(&report));
    out.insert("pareto".into(), pareto(&report));
    Ok(out)
}

/// 1, 2 or 5 × a power of ten, at least `x` (1 for nothing to bin).
fn nice_step(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|s| *s >= x).unwrap_or(10.0 * p)
}

/// Voice of the customer: ratings from the live `reviews` table (by month), the run's
/// emotions, and its aspect and complaint aggregates; without a run, the live part only.
fn voice(s: &mut Store, run_id: Option<i64>) -> Result<Map<String, Value>, StoreError> {
    // PostgreSQL's AVG of an integer is NUMERIC, which the store's rows do not carry.
    let (month, real) = match s.backend() {
        Backend::Sqlite => ("strftime('%Y-%m', ts / 1000, 'unixepoch')", "REAL"),
        Backend::Postgres => ("to_char(to_timestamp(ts / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')", "DOUBLE PRECISION"),
    };
    let rating_by_month: Vec<Value> = s
        .raw_query(
            &format!(
                "SELECT {month} AS m, COUNT(*), AVG(CAST(rating AS {real})), SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END), SUM(CASE WHEN rating <= 2 THEN 1 ELSE 0 END) \
                 FROM reviews WHERE rating IS NOT NULL GROUP BY 1 ORDER BY 1"
            ),
            &[],
        )?
        .iter()
        .map(|r| {
            let n = r.int(1).max(1) as f64;
            json!({"month": r.text(0), "reviews": r.int(1), "avg_rating": opt(r.opt_real(2)),
                   "positive_share": r.int(3) as f64 / n, "negative_share": r.int(4) as f64 / n})
        })
        .collect();
    let ratings: Vec<Value> = s
        .raw_query("SELECT rating, COUNT(*) FROM reviews WHERE rating IS NOT NULL GROUP BY rating ORDER BY rating", &[])?
        .iter()
        .map(|r| json!({"rating": r.int(0), "reviews": r.int(1)}))
        .collect();
    let mut out = Map::new();
    out.insert("rating_by_month".into(), rating_by_month.into());
    out.insert("ratings".into(), ratings.into());
    let report = match run_id {
        Some(run) => artifact(s, run, "dashboard")?,
        None => Value::Null,
    };
    let emotions: Vec<Value> = match run_id {
        Some(_) => grouped(s, "emotion", "emotion")?.into_iter().filter(|e| !e["emotion"].is_null()).collect(),
        None => Vec::new(),
    };
    out.insert("emotions".into(), emotions.into());
    out.insert("aspects".into(), aspects(&report));
    out.insert("sentiment_by_month".into(), sentiment(&report));
    let complaints = match complaints(&report) {
        Some(c) => c,
        None => low_rated_reviews(s)?,
    };
    out.insert("complaints".into(), complaints.into());
    Ok(out)
}

/// The most recent low-rated reviews (when the run has no complaint queue).
fn low_rated_reviews(s: &mut Store) -> Result<Vec<Value>, StoreError> {
    Ok(s
        .raw_query(
            "SELECT COALESCE(c.user_id, CAST(r.cid AS TEXT)), r.ts, r.rating, r.text FROM reviews r LEFT JOIN customers c ON c.cid = r.cid \
             WHERE r.rating <= 2 ORDER BY r.ts DESC LIMIT 50",
            &[],
        )?
        .iter()
        .map(|r| json!({"customer_id": r.text(0), "date": r.int(1), "rating": r.opt_int(2), "text": r.text(3)}))
        .collect())
}

// ---- the run's `dashboard` artifact (xinli-analyze's `Dashboard`), reshaped for the charts ----

/// Cohorts and months shown in the retention heatmap (the latest cohorts).
const COHORT_ROWS: usize = 12;
const COHORT_MONTHS: usize = 12;

fn trends(report: &Value) -> Value {
    report.get("monthly").cloned().unwrap_or_else(|| json!([]))
}

/// The overall funnel: `[{step: event type, customers}]`.
fn funnel(report: &Value) -> Value {
    let steps = report.pointer("/funnel/by_persona/steps").and_then(Value::as_array).cloned().unwrap_or_default();
    steps.iter().map(|s| json!({"step": s["event_type"], "customers": s["users"]})).collect()
}

/// Churn drivers with their odds ratio (from the log odds ratio's estimate).
fn churn_drivers(report: &Value) -> Value {
    let drivers = report.pointer("/churn_drivers/drivers").and_then(Value::as_array).cloned().unwrap_or_default();
    drivers
        .iter()
        .map(|d| {
            let odds_ratio = d.pointer("/log_odds_ratio/estimate").and_then(Value::as_f64).map(f64::exp);
            json!({"factor": d["factor"], "label_en": d["label_en"], "label_zh": d["label_zh"], "odds_ratio": opt(odds_ratio),
                   "risk_difference": d.pointer("/risk_difference/estimate").cloned().unwrap_or(Value::Null), "exposed": d["exposed"]})
        })
        .collect()
}

/// The latest cohorts' retention by month offset: `{rows: [YYYY-MM], months: [0, 1, …], retention: [[share | null]]}`.
fn cohorts(report: &Value) -> Value {
    let all = report.pointer("/cohorts/cohorts").and_then(Value::as_array).cloned().unwrap_or_default();
    let latest = &all[all.len().saturating_sub(COHORT_ROWS)..];
    let months = latest.iter().filter_map(|c| c["retention"].as_array().map(Vec::len)).max().unwrap_or(0).min(COHORT_MONTHS);
    let retention: Vec<Value> = latest
        .iter()
        .map(|c| (0..months).map(|k| c["retention"].get(k).cloned().unwrap_or(Value::Null)).collect())
        .collect();
    json!({"rows": latest.iter().map(|c| c["month"].clone()).collect::<Vec<_>>(), "months": (0..months).collect::<Vec<_>>(), "retention": retention})
}

/// The Pareto curve, best customers first: share of customers → share of value they hold
/// (the Lorenz curve read from its top end).
fn pareto(report: &Value) -> Value {
    let lorenz = report.pointer("/pareto/lorenz").and_then(Value::as_array).cloned().unwrap_or_default();
    lorenz
        .iter()
        .rev()
        .filter_map(|p| Some(json!({"customers_share": 1.0 - p["customer_share"].as_f64()?, "revenue_share": 1.0 - p["value_share"].as_f64()?})))
        .collect()
}

fn aspects(report: &Value) -> Value {
    report.pointer("/voice/aspects").cloned().unwrap_or_else(|| json!([]))
}

/// Review sentiment (the text model's) by month: `[{month, reviews, positive_share, negative_share}]`.
fn sentiment(report: &Value) -> Value {
    let months = report.pointer("/voice/sentiment_by_month").and_then(Value::as_array).cloned().unwrap_or_default();
    months
        .iter()
        .map(|m| {
            let n = m["reviews"].as_f64().unwrap_or(0.0).max(1.0);
            json!({"month": m["month"], "reviews": m["reviews"], "positive_share": m["positive"].as_f64().unwrap_or(0.0) / n,
                   "negative_share": m["negative"].as_f64().unwrap_or(0.0) / n})
        })
        .collect()
}

fn complaints(report: &Value) -> Option<Vec<Value>> {
    report.pointer("/voice/top_complaints").and_then(Value::as_array).cloned()
}

// ---- members, one customer, segment preview ----

/// Columns of a member row.
const MEMBER_COLUMNS: &str = "customer_id, persona, rfm_segment, clv, churn_risk, total_spend, next_best_action";

fn member(r: &Row) -> Value {
    json!({"customer_id": r.text(0), "persona": r.opt_text(1), "rfm_segment": r.opt_text(2), "clv": opt(r.opt_real(3)),
           "churn_risk": opt(r.opt_real(4)), "total_spend": opt(r.opt_real(5)), "next_best_action": r.opt_text(6)})
}

/// Scored customers matching the filters (persona, rfm_segment, stage, value_tier, r and f),
/// highest CLV first, a page at a time.
async fn members(State(st): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let limit = int_param(&q, "limit", 50, 1, 1000)?;
    let offset = int_param(&q, "offset", 0, 0, i64::MAX)?;
    let mut filters = Vec::new();
    let mut params: Vec<Val> = Vec::new();
    for (param, column) in [("persona", "persona"), ("rfm_segment", "rfm_segment"), ("stage", "journey_stage"), ("value_tier", "value_tier")] {
        if let Some(v) = q.get(param) {
            params.push(v.as_str().into());
            filters.push(format!("{column} = ${}", params.len()));
        }
    }
    for (param, column) in [("r", "rfm_r"), ("f", "rfm_f")] {
        if q.contains_key(param) {
            params.push(int_param(&q, param, 0, 1, 5)?.into());
            filters.push(format!("{column} = ${}", params.len()));
        }
    }
    let filter = if filters.is_empty() { String::new() } else { format!(" WHERE {}", filters.join(" AND ")) };
    let page = params.len();
    let (total, rows) = st
        .read(move |s| {
            let total = s.raw_query(&format!("SELECT COUNT(*) FROM customer_scores{filter}"), &params)?.first().map_or(0, |r| r.int(0));
            let mut paged = params;
            paged.extend([Val::Int(limit), Val::Int(offset)]);
            let sql = format!("SELECT {MEMBER_COLUMNS} FROM customer_scores{filter} ORDER BY clv DESC NULLS LAST, cid LIMIT ${} OFFSET ${}", page + 1, page + 2);
            Ok((total, s.raw_query(&sql, &paged)?))
        })
        .await?;
    Ok(Json(json!({"total": total, "limit": limit, "offset": offset, "members": rows.iter().map(member).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
struct PreviewBody {
    expression: String,
    #[serde(default)]
    limit: Option<usize>,
}

/// Profiles the Rust evaluator looks at for a preview the SQL cannot answer alone (an
/// expression on `journey_stage`): a fraction of a second, where every profile of a large
/// store would take minutes.
const PREVIEW_SAMPLE: usize = 2000;

/// Members an exact count in the background keeps (the largest `limit` of a preview).
const PREVIEW_MAX_LIMIT: usize = 200;

/// How long an exact count answers later previews of the same expression.
const EXACT_FRESH: Duration = Duration::from_secs(600);

/// Exact previews counted in the background by the Rust evaluator, by expression text, one
/// count at a time (a count holds a read connection while it evaluates every candidate).
#[derive(Default)]
pub(crate) struct ExactPreviews(Mutex<HashMap<String, ExactPreview>>);

enum ExactPreview {
    Counting,
    Done { at: std::time::Instant, preview: SegmentPreview },
}

impl ExactPreviews {
    /// The fresh exact preview of `source`, or whether its count is running; starts the count
    /// when none is.
    fn lookup_or_start(&self, st: &Arc<AppState>, source: &str, expr: &xinli_segment::Expression) -> Result<SegmentPreview, bool> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, e| !matches!(e, ExactPreview::Done { at, .. } if at.elapsed() > EXACT_FRESH));
        match map.get(source) {
            Some(ExactPreview::Done { preview, .. }) => return Ok(preview.clone()),
            Some(ExactPreview::Counting) => return Err(true),
            None => {}
        }
        if map.values().any(|e| matches!(e, ExactPreview::Counting)) {
            return Err(false);
        }
        map.insert(source.to_string(), ExactPreview::Counting);
        let (st, source, expr) = (Arc::clone(st), source.to_string(), expr.clone());
        tokio::spawn(async move {
            let counted = st.read(move |s| s.preview_segment(&expr, PREVIEW_MAX_LIMIT, None)).await;
            let mut map = st.exact_previews.0.lock().unwrap_or_else(|p| p.into_inner());
            match counted {
                Ok(preview) => map.insert(source, ExactPreview::Done { at: std::time::Instant::now(), preview }),
                Err(e) => {
                    eprintln!("xinli serve: counting a segment preview exactly: {} (分群预览精确计数失败)", e.message());
                    map.remove(&source)
                }
            };
        });
        Err(true)
    }
}

/// An unsaved segment expression: its size and first members now, or the parse error with
/// its position (200 either way: a half-typed expression is not a failed request). The
/// database answers when the expression compiles to SQL (`method: "sql"`); otherwise the
/// answer may be an estimate from a sample (`exact: false`, `counting`: the exact count runs
/// in the background and a later preview of the same text returns it).
async fn preview(State(st): St, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let b: PreviewBody = json_body(&body)?;
    let limit = b.limit.unwrap_or(20).min(PREVIEW_MAX_LIMIT);
    let expr = match xinli_segment::Expression::compile(&b.expression, Some(&xinli_store::live_schema())) {
        Ok(e) => e,
        Err(e) => {
            return Ok(Json(json!({"error": {
                "message_en": e.message_en(), "message_zh": e.message_zh(), "excerpt": e.excerpt(),
                "line": e.line, "column": e.column, "start": e.span.start, "end": e.span.end,
            }})))
        }
    };
    let sampled_expr = expr.clone();
    let preview = st.read(move |s| s.preview_segment(&sampled_expr, limit, Some(PREVIEW_SAMPLE))).await?;
    if preview.exact {
        return Ok(Json(json!(preview)));
    }
    Ok(Json(match st.exact_previews.lookup_or_start(&st, &b.expression, &expr) {
        Ok(mut exact) => {
            exact.members.truncate(limit);
            json!(exact)
        }
        Err(counting) => {
            let mut v = json!(preview);
            v["counting"] = counting.into();
            v
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_round_up_to_1_2_5() {
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(3.2), 5.0);
        assert_eq!(nice_step(12.0), 20.0);
        assert_eq!(nice_step(0.07), 0.1);
    }

    #[test]
    fn every_asset_the_page_loads_is_embedded() {
        for name in ["app.js", "app.css"] {
            assert!(INDEX_HTML.contains(&format!("/ui/{name}")), "{name}");
        }
        for (name, _, body) in ASSETS {
            assert!(!body.contains("http://") && !body.contains("https://"), "{name} must not reach outside the server");
            for import in body.lines().filter(|l| l.starts_with("import ")) {
                let file = import.rsplit("'./").next().unwrap().trim_end_matches("';");
                assert!(ASSETS.iter().any(|(n, _, _)| *n == file), "{name} imports {file}, which is not embedded");
            }
        }
    }
}
