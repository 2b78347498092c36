//! The batch analysis inside the server: `POST /api/analysis/run` and the `--refresh-every`
//! schedule start a run in the background (one at a time; ingestion and reads go on), the
//! long half ([`crate::analysis::prepare`]) on its own connection, the write-back on the
//! writer. `GET /api/analysis/runs`, `/api/analysis/artifacts/{name}` and
//! `/api/customers/{id}/recommendations` read what runs wrote.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use xinli_store::{Role, Store};

use crate::analysis::{self, RunReport};
use crate::api::int_param;
use crate::{ApiError, AppState};

type St = State<Arc<AppState>>;

/// Starts a run in the background and returns its id; a run already going is a conflict.
pub(crate) async fn start_run(st: &Arc<AppState>, source: String) -> Result<i64, ApiError> {
    let out_dir = analysis::output_dir(&st.analysis).map_err(ApiError::internal)?;
    if st.analysis_running.swap(true, Ordering::SeqCst) {
        return Err(ApiError::new(StatusCode::CONFLICT, "an analysis run is already going", "已有分析正在运行"));
    }
    let begun = {
        let source = source.clone();
        st.write(move |s| s.begin_run(&source, Some(&out_dir))).await
    };
    let run_id = match begun {
        Ok(Ok(id)) => id,
        Ok(Err(e)) => {
            st.analysis_running.store(false, Ordering::SeqCst);
            return Err(e.into());
        }
        Err(e) => {
            st.analysis_running.store(false, Ordering::SeqCst);
            return Err(e);
        }
    };
    let state = Arc::clone(st);
    tokio::spawn(async move {
        match run(&state, run_id, source).await {
            Ok(r) => eprintln!(
                "xinli serve: analysis run {run_id} ok — {} customers as of {}; export {:.1} s, analysis {:.1} s, recommendations {:.1} s, write-back {:.1} s{}",
                r.customers,
                r.as_of,
                r.export_seconds,
                r.analyze_seconds,
                r.recommend_seconds,
                r.write_back_seconds,
                analysis::skipped_note(&r.skipped)
            ),
            Err(e) => {
                eprintln!("xinli serve: analysis run {run_id} failed: {e} (分析失败；上一次的结果保留)");
                let recorded = state.write(move |s| s.fail_run(run_id, &e)).await;
                if !matches!(recorded, Ok(Ok(()))) {
                    eprintln!("xinli serve: could not record the failure of analysis run {run_id}");
                }
            }
        }
        state.analysis_running.store(false, Ordering::SeqCst);
    });
    Ok(run_id)
}

async fn run(st: &Arc<AppState>, run_id: i64, source: String) -> Result<RunReport, String> {
    // The run reads every event acknowledged before it started, as any API read does.
    st.caught_up().await.map_err(|e| e.message().to_string())?;
    let (location, cipher, settings) = (st.location.clone(), st.cipher.clone(), st.analysis.clone());
    let prepared = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&location, cipher).map_err(|e| format!("opening the store for the analysis: {e}"))?;
        analysis::prepare(&mut store, &settings, run_id, &source)
    })
    .await
    .map_err(|e| format!("the analysis stopped: {e}"))??;
    let started = Instant::now();
    let (written, prepared) = st
        .write(move |s| (analysis::write_back(s, &prepared), prepared))
        .await
        .map_err(|_| "the writer stopped".to_string())?;
    written?;
    Ok(RunReport::new(&prepared, started.elapsed().as_secs_f64()))
}

/// Runs the analysis every `every` until the server stops (a run still going is skipped).
pub(crate) async fn schedule(st: Arc<AppState>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match start_run(&st, "scheduled refresh (xinli serve --refresh-every)".into()).await {
            Ok(id) => eprintln!("xinli serve: scheduled analysis run {id} started"),
            Err(e) => eprintln!("xinli serve: scheduled analysis not started: {}", e.message()),
        }
    }
}

pub(crate) async fn trigger(State(st): St, headers: HeaderMap) -> Result<Response, ApiError> {
    let key = st.authorize(&headers, Role::Admin).await?;
    let run_id = start_run(&st, format!("POST /api/analysis/run by key {}", key.id)).await?;
    st.write(move |s| s.audit(&key.id, "run_analysis", &run_id.to_string(), "")).await??;
    Ok((StatusCode::ACCEPTED, Json(json!({"success": true, "run_id": run_id, "status": xinli_store::analysis::RUNNING}))).into_response())
}

pub(crate) async fn runs(State(st): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let limit = int_param(&q, "limit", 20, 1, 1000)?;
    let runs = st.read(move |s| s.analysis_runs(limit)).await?;
    Ok(Json(json!({"runs": runs, "running": st.analysis_running.load(Ordering::SeqCst)})))
}

pub(crate) async fn artifact(State(st): St, headers: HeaderMap, Path(name): Path<String>) -> Result<Response, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let found = st
        .read(move |s| {
            let Some(run) = s.latest_run()? else { return Ok(None) };
            Ok(s.artifact(run.run_id, &name)?.map(|body| (run.run_id, name, body)))
        })
        .await?;
    let Some((run_id, name, body)) = found else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no such document of the latest successful analysis (one of: {})", analysis::ARTIFACTS.join(", ")),
            format!("最近一次成功的分析没有这个文档（可选：{}）", analysis::ARTIFACTS.join("、")),
        ));
    };
    // The stored document is JSON already (written by the run): embedded as is, not parsed again.
    let name = serde_json::to_string(&name).map_err(ApiError::internal)?;
    let response = format!("{{\"run_id\":{run_id},\"name\":{name},\"document\":{body}}}");
    Ok(([("content-type", "application/json")], response).into_response())
}

pub(crate) async fn recommendations(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let limit = int_param(&q, "limit", 10, 1, 100)?;
    let lookup = id.clone();
    match st.read(move |s| s.customer_recommendations(&lookup, limit)).await? {
        Some(list) => Ok(Json(json!({"customer_id": id, "recommendations": list}))),
        None => Err(ApiError::not_found("customer")),
    }
}
