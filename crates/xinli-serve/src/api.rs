//! The routes: `/v1/*` ingestion, `/api/*` queries and administration (the analysis routes in
//! [`crate::analysis_api`]), `/metrics`, `/healthz`.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put, MethodRouter};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use xinli_store::{now_ms, Consent, MessageKind, Role, SearchQuery, SegmentError};

use crate::analysis_api;
use crate::segment_api::{self, Rejection, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES};
use crate::{ApiError, AppState};

type St = State<Arc<AppState>>;

/// Every route with its handlers; the OpenAPI document lists the same paths (tested).
pub(crate) fn routes() -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        ("/healthz", get(healthz)),
        ("/metrics", get(metrics)),
        ("/api/openapi.json", get(openapi)),
        ("/v1/track", post(|s: St, h: HeaderMap, b: Body| ingest(s, h, b, Some(MessageKind::Track)))),
        ("/v1/identify", post(|s: St, h: HeaderMap, b: Body| ingest(s, h, b, Some(MessageKind::Identify)))),
        ("/v1/page", post(|s: St, h: HeaderMap, b: Body| ingest(s, h, b, Some(MessageKind::Page)))),
        ("/v1/screen", post(|s: St, h: HeaderMap, b: Body| ingest(s, h, b, Some(MessageKind::Screen)))),
        ("/v1/alias", post(|s: St, h: HeaderMap, b: Body| ingest(s, h, b, Some(MessageKind::Alias)))),
        ("/v1/group", post(|s: St, h: HeaderMap, b: Body| ingest(s, h, b, Some(MessageKind::Group)))),
        ("/v1/batch", post(|s: St, h: HeaderMap, b: Body| ingest(s, h, b, None))),
        ("/api/customers", get(search_customers)),
        ("/api/customers/{id}", get(customer_360).delete(erase_customer)),
        ("/api/customers/{id}/consent", put(set_consent)),
        ("/api/customers/{id}/recommendations", get(analysis_api::recommendations)),
        ("/api/analysis/runs", get(analysis_api::runs)),
        ("/api/analysis/run", post(analysis_api::trigger)),
        ("/api/analysis/artifacts/{name}", get(analysis_api::artifact)),
        ("/api/segments", get(list_segments).post(create_segment)),
        ("/api/segments/{id}", get(get_segment).put(update_segment).delete(delete_segment)),
        ("/api/segments/{id}/members", get(segment_members)),
        ("/api/segments/{id}/sizes", get(segment_sizes)),
        ("/api/segments/{id}/changes", get(segment_changes)),
        ("/api/keys", get(list_keys).post(create_key)),
        ("/api/keys/{id}", axum::routing::delete(revoke_key)),
        ("/api/audit", get(audit_log)),
    ]
    .into_iter()
    .chain(crate::dashboard::routes())
    .collect()
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    routes()
        .into_iter()
        .fold(crate::dashboard::ui_routes(), |r, (path, handler)| r.route(path, handler))
        .fallback(|| async { ApiError::not_found("route").into_response() })
        .with_state(state)
}

async fn healthz(State(st): St) -> Response {
    // A writer that gave up on logged messages needs a restart (which replays them).
    if let Some(why) = st.log.as_ref().and_then(|log| log.progress.failure()) {
        return ApiError::internal(why).into_response();
    }
    match st.read_now(|s| s.key_active("")).await {
        Ok(_) => Json(json!({"status": "ok", "backend": st.backend})).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn metrics(State(st): St) -> Response {
    ([("content-type", "text/plain; version=0.0.4")], st.metrics.render()).into_response()
}

async fn openapi() -> Response {
    ([("content-type", "application/json")], crate::OPENAPI).into_response()
}

/// The body, at most `limit` bytes after gzip inflation (Content-Encoding: gzip).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body may be at most {} KB", limit / 1024),
            format!("请求体最多 {} KB", limit / 1024),
        )
    };
    let declared = headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| too_large())?;
    let gzip = headers.get("content-encoding").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(bytes);
    }
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("bad gzip body: {e}"), format!("gzip 请求体无效：{e}")))?;
    if inflated.len() > limit {
        return Err(too_large());
    }
    Ok(inflated.into())
}

fn rejected(r: Rejection) -> ApiError {
    let status = if r.too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
    ApiError::new(status, r.en, r.zh).with(json!({"index": r.index, "field": r.field}))
}

async fn ingest(State(st): St, headers: HeaderMap, body: Body, kind: Option<MessageKind>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Write).await?;
    let limit = if kind.is_none() { MAX_BATCH_BYTES } else { MAX_MESSAGE_BYTES };
    let bytes = read_body(&headers, body, limit).await?;
    let now = now_ms();
    let messages = match kind {
        None => segment_api::parse_batch(&bytes, now, || st.fresh_message_id()).map_err(rejected)?,
        Some(kind) => {
            let v: Value = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}"), format!("JSON 无效：{e}")))?;
            vec![segment_api::parse_message(v, Some(kind), now, || st.fresh_message_id()).map_err(rejected)?]
        }
    };
    let outcome = match &st.log {
        Some(log) => log.append(messages).await,
        None => st.writer.ingest(messages).await.map_err(|_| ApiError::internal("the writer stopped"))?,
    }
    .map_err(ApiError::internal)?;
    Ok(Json(json!({"success": true, "stored": outcome.stored, "duplicates": outcome.duplicates})))
}

pub(crate) fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}"), format!("JSON 请求体无效：{e}")))
}

pub(crate) fn int_param(q: &HashMap<String, String>, name: &str, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("{name} must be a whole number from {min} to {max}"),
                format!("{name} 必须是 {min} 到 {max} 之间的整数"),
            )),
        },
    }
}

fn segment_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("segment"))
}

fn segment_error(e: SegmentError) -> ApiError {
    match e {
        SegmentError::Invalid { en, zh } => ApiError::new(StatusCode::BAD_REQUEST, en, zh),
        SegmentError::NameTaken(n) => ApiError::new(StatusCode::CONFLICT, format!("a segment named {n:?} exists"), format!("已有名为 {n:?} 的分群")),
        SegmentError::NotFound => ApiError::not_found("segment"),
        SegmentError::Store(e) => e.into(),
    }
}

async fn search_customers(State(st): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let query = SearchQuery {
        id_prefix: q.get("q").cloned(),
        email: q.get("email").cloned(),
        phone: q.get("phone").cloned(),
        journey_stage: q.get("stage").cloned(),
        min_orders: q.get("min_orders").map(|_| int_param(&q, "min_orders", 0, 0, i64::MAX)).transpose()?,
        limit: int_param(&q, "limit", 50, 1, 1000)?,
        offset: int_param(&q, "offset", 0, 0, i64::MAX)?,
    };
    let hits = st.read(move |s| s.search_customers(&query)).await?;
    Ok(Json(json!({"customers": hits})))
}

async fn customer_360(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<xinli_store::Customer360>, ApiError> {
    let key = st.authorize(&headers, Role::Analyst).await?;
    let recent = int_param(&q, "recent", 20, 0, 500)?;
    let reveal = key.role == Role::Admin;
    // Serialised straight into the response body (no JSON tree in between).
    st.read_short(move |s| s.customer_360(&id, reveal, now_ms(), recent)).await?.map(Json).ok_or_else(|| ApiError::not_found("customer"))
}

async fn erase_customer(State(st): St, headers: HeaderMap, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let key = st.authorize(&headers, Role::Admin).await?;
    // Every run's files (the server's and those of `xinli analyze --db --out DIR`) are
    // scrubbed on the writer too: no run's write-back (also on the writer) can interleave.
    let analysis_dir = st.analysis.config.out_dir.clone();
    // The ingest log may hold the customer's events: the writer applies them first, and the
    // segments that held them go once the erasure is committed.
    let logged = match &st.log {
        Some(log) => Some(log.settle_for_erasure().await.map_err(ApiError::internal)?),
        None => None,
    };
    let receipt = st
        .write(move |s| {
            let receipt = s.erase_customer_and(&id, |traces, runs| Ok(crate::erasure::scrub_run_files(&analysis_dir, runs, traces)?))?;
            if let Some(r) = &receipt {
                s.audit(&key.id, "erase_customer", &r.subject_digest, &r.receipt_id)?;
            }
            Ok::<_, xinli_store::StoreError>(receipt)
        })
        .await??;
    if let (Some(log), Some(through), Some(_)) = (&st.log, logged, &receipt) {
        // The erasure's commit synced the WAL behind every record through `through`.
        log.forget_through(through).map_err(ApiError::internal)?;
    }
    st.dashboard.clear();
    match receipt {
        Some(r) => Ok(Json(json!({"success": true, "receipt": r}))),
        None => Err(ApiError::not_found("customer")),
    }
}

async fn set_consent(State(st): St, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let key = st.authorize(&headers, Role::Admin).await?;
    let consent: Consent = json_body(&body)?;
    let done = st
        .write(move |s| {
            let done = s.set_consent(&id, consent)?;
            if done {
                s.audit(&key.id, "set_consent", &xinli_store::crypto::digest_hex(&id), &serde_json::to_string(&consent).unwrap_or_default())?;
            }
            Ok::<_, xinli_store::StoreError>(done)
        })
        .await??;
    if done {
        Ok(Json(json!({"success": true, "consent": consent})))
    } else {
        Err(ApiError::not_found("customer"))
    }
}

#[derive(Deserialize)]
struct SegmentBody {
    name: Option<String>,
    expression: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

async fn list_segments(State(st): St, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let segments = st.read(|s| s.segments()).await?;
    Ok(Json(json!({"segments": segments})))
}

async fn create_segment(State(st): St, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let key = st.authorize(&headers, Role::Admin).await?;
    let b: SegmentBody = json_body(&body)?;
    let (Some(name), Some(expression)) = (b.name, b.expression) else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "name and expression are required", "需要 name 和 expression"));
    };
    let description = b.description.unwrap_or_default();
    let created = st
        .write(move |s| {
            let def = s.create_segment(&name, &expression, &description)?;
            s.audit(&key.id, "create_segment", &def.id.to_string(), &def.expression)?;
            Ok::<_, SegmentError>(def)
        })
        .await?
        .map_err(segment_error)?;
    Ok((StatusCode::CREATED, Json(json!(created))).into_response())
}

async fn get_segment(State(st): St, headers: HeaderMap, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let id = segment_id(&id)?;
    st.read(move |s| s.segment(id)).await?.map(|d| Json(json!(d))).ok_or_else(|| ApiError::not_found("segment"))
}

async fn update_segment(State(st): St, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let key = st.authorize(&headers, Role::Admin).await?;
    let id = segment_id(&id)?;
    let b: SegmentBody = json_body(&body)?;
    let updated = st
        .write(move |s| {
            let def = s.update_segment(id, b.name.as_deref(), b.expression.as_deref(), b.description.as_deref())?;
            s.audit(&key.id, "update_segment", &id.to_string(), &def.expression)?;
            Ok::<_, SegmentError>(def)
        })
        .await?
        .map_err(segment_error)?;
    Ok(Json(json!(updated)))
}

async fn delete_segment(State(st): St, headers: HeaderMap, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let key = st.authorize(&headers, Role::Admin).await?;
    let id = segment_id(&id)?;
    let deleted = st
        .write(move |s| {
            let deleted = s.delete_segment(id)?;
            if deleted {
                s.audit(&key.id, "delete_segment", &id.to_string(), "")?;
            }
            Ok::<_, xinli_store::StoreError>(deleted)
        })
        .await??;
    if deleted {
        Ok(Json(json!({"success": true})))
    } else {
        Err(ApiError::not_found("segment"))
    }
}

async fn segment_members(State(st): St, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let id = segment_id(&id)?;
    let limit = int_param(&q, "limit", 100, 1, 10_000)?;
    let offset = int_param(&q, "offset", 0, 0, i64::MAX)?;
    let members = st.read(move |s| Ok((s.segment(id)?, s.segment_members(id, limit, offset)?))).await?;
    let (Some(def), members) = members else { return Err(ApiError::not_found("segment")) };
    let members: Vec<Value> = members.into_iter().map(|(c, at)| json!({"customer_id": c, "entered_at": at})).collect();
    Ok(Json(json!({"segment": def, "members": members})))
}

async fn segment_sizes(State(st): St, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let id = segment_id(&id)?;
    let now = now_ms();
    let to = int_param(&q, "to", now, 0, i64::MAX)?;
    let from = int_param(&q, "from", to - 30 * 86_400_000, 0, to)?;
    let points = int_param(&q, "points", 31, 1, 1000)? as usize;
    let sizes = st.read(move |s| Ok((s.segment(id)?, s.segment_sizes(id, from, to, points)?))).await?;
    let (Some(def), sizes) = sizes else { return Err(ApiError::not_found("segment")) };
    Ok(Json(json!({"segment": def, "sizes": sizes})))
}

async fn segment_changes(State(st): St, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Analyst).await?;
    let id = segment_id(&id)?;
    let since = int_param(&q, "since", 0, 0, i64::MAX)?;
    let limit = int_param(&q, "limit", 1000, 1, 100_000)?;
    let changes = st.read(move |s| s.segment_changes(id, since, limit)).await?;
    let changes: Vec<Value> = changes.into_iter().map(|(c, change, at)| json!({"customer_id": c, "change": change, "at": at})).collect();
    Ok(Json(json!({"changes": changes})))
}

#[derive(Deserialize)]
struct KeyBody {
    role: String,
    #[serde(default)]
    name: String,
}

async fn list_keys(State(st): St, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Admin).await?;
    let keys = st.read(|s| s.list_keys()).await?;
    Ok(Json(json!({"keys": keys})))
}

async fn create_key(State(st): St, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let admin = st.authorize(&headers, Role::Admin).await?;
    let b: KeyBody = json_body(&body)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "role must be write, analyst or admin", "role 必须是 write、analyst 或 admin"))?;
    let created = st
        .write(move |s| {
            let k = s.create_key(role, &b.name)?;
            s.audit(&admin.id, "create_key", &k.id, role.name())?;
            Ok::<_, xinli_store::StoreError>(k)
        })
        .await??;
    Ok((StatusCode::CREATED, Json(json!(created))).into_response())
}

async fn revoke_key(State(st): St, headers: HeaderMap, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let admin = st.authorize(&headers, Role::Admin).await?;
    let target = id.clone();
    let revoked = st
        .write(move |s| {
            let revoked = s.revoke_key(&target)?;
            if revoked {
                s.audit(&admin.id, "revoke_key", &target, "")?;
            }
            Ok::<_, xinli_store::StoreError>(revoked)
        })
        .await??;
    st.keys.forget_id(&id);
    if revoked {
        Ok(Json(json!({"success": true})))
    } else {
        Err(ApiError::not_found("active key"))
    }
}

async fn audit_log(State(st): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    st.authorize(&headers, Role::Admin).await?;
    let limit = int_param(&q, "limit", 100, 1, 10_000)?;
    let entries = st.read(move |s| s.audit_log(limit)).await?;
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|(at, key_id, action, target, detail)| json!({"at": at, "key_id": key_id, "action": action, "target": target, "detail": detail}))
        .collect();
    Ok(Json(json!({"entries": entries})))
}
