//! `xinli serve`: the live service over [`xinli_store`].
//!
//! * `/v1/*`: the Segment HTTP Tracking API (write key as the HTTP Basic user), so the Segment
//!   SDKs send here unchanged ([`segment_api`]); a request is answered once its messages are
//!   durable: on SQLite in the ingest log, which the writer applies behind ([`ingest_log`]); on
//!   PostgreSQL in the store (group commit in [`writer`]).
//! * `/api/*`: the JSON query API (customer 360, search, segments, keys, audit, erasure),
//!   documented by `/api/openapi.json`, with the dashboard's aggregates under `/api/dashboard`.
//! * `/` and `/ui/*`: the dashboard's web UI, embedded in the binary ([`dashboard`]).
//! * `/metrics` (Prometheus text) and `/healthz`, without a key.
//! * The batch analysis of the store ([`analysis`]): on demand (`POST /api/analysis/run`) or
//!   every [`ServeConfig::refresh_every`], in the background; its scores, evidence and
//!   recommendations are written back into the store and served in the customer 360.
//!
//! ```no_run
//! use xinli_serve::{spawn, ServeConfig};
//! use xinli_store::{Location, PiiCipher};
//! let server = spawn(ServeConfig::new(Location::parse("shop.db"), PiiCipher::new([7; 32], &[]))).unwrap();
//! println!("listening on http://{}", server.addr);
//! server.stop();
//! ```

pub mod analysis;
mod analysis_api;
mod erasure;
mod api;
pub mod ingest_log;
pub mod auth;
pub mod client;
mod dashboard;
pub mod metrics;
pub mod segment_api;
pub mod writer;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use xinli_store::{ApiKey, Location, PiiCipher, Role, Store, StoreError};

use crate::auth::{KeyCache, Known, RateLimiter};
use crate::ingest_log::IngestLog;
use crate::metrics::Metrics;
use crate::writer::Writer;

/// The OpenAPI 3 document served at `/api/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The paths the server routes (the OpenAPI document must list the same).
pub fn route_paths() -> Vec<&'static str> {
    api::routes().into_iter().map(|(path, _)| path).collect()
}

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub location: Location,
    pub cipher: PiiCipher,
    /// `127.0.0.1:0` picks a free port.
    pub bind: SocketAddr,
    /// Read connections (customer 360, search, key checks).
    pub readers: usize,
    /// Requests per second per key (bursts of twice that).
    pub rate_limit: f64,
    pub request_timeout: Duration,
    /// How long a verified API key is trusted before its revocation is looked up again.
    pub key_recheck: Duration,
    /// Stop on Ctrl-C / SIGTERM as well as on [`RunningServer::stop`].
    pub stop_on_signal: bool,
    /// How the store is analysed (`POST /api/analysis/run`, the refresh schedule).
    pub analysis: analysis::AnalysisSettings,
    /// Run the analysis this often in the background.
    pub refresh_every: Option<Duration>,
    /// SQLite: answer ingestion once it is durable in the ingest log (`<db>-log/`), not once
    /// the writer has committed it ([`ingest_log`]). Ignored on PostgreSQL.
    pub ingest_log: bool,
}

impl ServeConfig {
    pub fn new(location: Location, cipher: PiiCipher) -> ServeConfig {
        ServeConfig {
            location,
            cipher,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            readers: 4,
            rate_limit: 5000.0,
            request_timeout: Duration::from_secs(30),
            key_recheck: auth::RECHECK,
            stop_on_signal: false,
            analysis: analysis::AnalysisSettings::new(std::env::temp_dir().join("xinli-analysis")),
            refresh_every: None,
            ingest_log: true,
        }
    }
}

pub(crate) struct AppState {
    writer: Writer,
    log: Option<IngestLog>,
    readers: Vec<Mutex<Store>>,
    next_reader: AtomicUsize,
    keys: KeyCache,
    verifying: tokio::sync::Mutex<()>,
    limiter: RateLimiter,
    metrics: Arc<Metrics>,
    generated_ids: AtomicU64,
    instance: String,
    backend: &'static str,
    location: Location,
    cipher: PiiCipher,
    analysis: analysis::AnalysisSettings,
    /// A batch analysis is going (one at a time).
    analysis_running: std::sync::atomic::AtomicBool,
    dashboard: dashboard::Cache,
    exact_previews: dashboard::ExactPreviews,
}

/// A JSON error: `{"error": English, "error_zh": Chinese, …details}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    en: String,
    zh: String,
    details: Option<Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, en: impl Into<String>, zh: impl Into<String>) -> ApiError {
        ApiError { status, en: en.into(), zh: zh.into(), details: None }
    }
    pub(crate) fn with(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }
    pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
        // Store errors never hold PII: values are bound parameters, not part of messages.
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("storage unavailable: {e}"), format!("存储不可用：{e}"))
    }
    pub(crate) fn message(&self) -> &str {
        &self.en
    }
    pub(crate) fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found"), format!("未找到：{what}"))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"success": false, "error": self.en, "error_zh": self.zh});
        if let (Some(Value::Object(d)), Value::Object(b)) = (self.details, &mut body) {
            b.extend(d);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        match self.status {
            StatusCode::UNAUTHORIZED => {
                response.headers_mut().insert("www-authenticate", "Basic realm=\"xinli\"".parse().expect("static header"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                response.headers_mut().insert("retry-after", "1".parse().expect("static header"));
            }
            _ => {}
        }
        response
    }
}

impl AppState {
    /// Runs a read on one of the read connections, off the async threads, once the store holds
    /// every message acknowledged before it.
    pub(crate) async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.caught_up().await?;
        self.read_now(f).await
    }

    /// [`AppState::read`] without waiting for acknowledged messages: for what ingestion does
    /// not change (keys, health).
    pub(crate) async fn read_now<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let start = state.next_reader.fetch_add(1, Ordering::Relaxed) % state.readers.len();
            // All busy → wait for the one at the start.
            let mut store = match state.idle_reader(start) {
                Some(guard) => guard,
                None => state.readers[start].lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
            };
            f(&mut store)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
    }

    /// [`AppState::read`] for a read of well under a millisecond (a customer 360, a key's
    /// revocation): on SQLite with a read connection idle it runs at once on this async thread,
    /// sparing the hand-off to the blocking pool and back — two waits for the scheduler, the
    /// 360's latency tail on a busy machine. PostgreSQL reads keep to the blocking pool: they
    /// wait on the network, and the synchronous client cannot run inside the async runtime.
    pub(crate) async fn read_short<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.caught_up().await?;
        self.read_short_now(f).await
    }

    /// [`AppState::read_short`] without waiting for acknowledged messages (a key's revocation).
    async fn read_short_now<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        if self.backend == "sqlite" {
            let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
            if let Some(mut store) = self.idle_reader(start) {
                return f(&mut store).map_err(ApiError::from);
            }
        }
        self.read_now(f).await
    }

    /// Waits until the store holds every message acknowledged before now (with the ingest
    /// log, the writer applies behind the acknowledgements).
    pub(crate) async fn caught_up(&self) -> Result<(), ApiError> {
        match &self.log {
            Some(log) => log.progress.caught_up().await.map_err(ApiError::internal),
            None => Ok(()),
        }
    }

    /// The first idle read connection from `start` on, if any.
    fn idle_reader(&self, start: usize) -> Option<std::sync::MutexGuard<'_, Store>> {
        let n = self.readers.len();
        (0..n).find_map(|k| match self.readers[(start + k) % n].try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        })
    }

    /// Runs a mutation on the writer.
    pub(crate) async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> T + Send + 'static) -> Result<T, ApiError> {
        self.writer.run(f).await.map_err(|_| ApiError::internal("the writer stopped"))
    }

    /// The key of a request, checked for `needed` and the rate limit.
    pub(crate) async fn authorize(self: &Arc<Self>, headers: &HeaderMap, needed: Role) -> Result<ApiKey, ApiError> {
        let header = headers.get("authorization").and_then(|v| v.to_str().ok());
        let Some(presented) = auth::presented_key(header) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "an API key is required (HTTP Basic user, or Bearer)",
                "需要 API 密钥（HTTP Basic 用户名或 Bearer）",
            ));
        };
        let digest = self.keys.digest(&presented);
        let key = match self.keys.lookup(&digest) {
            Known::Valid(k) => Some(k),
            Known::Invalid => None,
            Known::Recheck(k) => {
                // Only revocation can change a verified key: one indexed read, not argon2, and
                // no lock, so the key's other requests go on meanwhile.
                let id = k.id.clone();
                if self.read_short_now(move |s| s.key_active(&id)).await? {
                    self.keys.remember(digest, Some(k.clone()));
                    Some(k)
                } else {
                    self.keys.forget_id(&k.id);
                    None
                }
            }
            Known::Unknown => {
                // One argon2 verification at a time: concurrent first requests of a key wait
                // for the first one's answer, and a flood of wrong keys cannot take every core.
                let _one_at_a_time = self.verifying.lock().await;
                match self.keys.lookup(&digest) {
                    Known::Valid(k) | Known::Recheck(k) => Some(k),
                    Known::Invalid => None,
                    Known::Unknown => {
                        self.metrics.key_verified();
                        let key = self.read_now(move |s| s.verify_key(&presented)).await?;
                        self.keys.remember(digest, key.clone());
                        key
                    }
                }
            }
        };
        let key = key.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown or revoked API key", "API 密钥无效或已吊销"))?;
        if !auth::permits(key.role, needed) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("this needs a {} key; yours is {}", needed.name(), key.role.name()),
                format!("此操作需要 {} 角色的密钥，当前为 {}", needed.name(), key.role.name()),
            ));
        }
        if !self.limiter.allow(&key.id) {
            return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded for this key", "该密钥请求过于频繁"));
        }
        Ok(key)
    }

    pub(crate) fn fresh_message_id(&self) -> String {
        format!("xinli-{}-{}", self.instance, self.generated_ids.fetch_add(1, Ordering::Relaxed))
    }
}

/// Times out slow requests and records metrics by route.
async fn track(State(state): State<Arc<AppState>>, timeout: axum::Extension<Duration>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched".to_string(), |p| p.as_str().to_string());
    let response = match tokio::time::timeout(timeout.0, next.run(request)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "request timed out", "请求超时").into_response(),
    };
    state.metrics.request(&route, response.status().as_u16(), started.elapsed());
    response
}

/// A running server.
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl RunningServer {
    /// Stops accepting, finishes in-flight requests, closes the store.
    pub fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Err(e) = self.join() {
            eprintln!("xinli serve: {e}");
        }
    }

    /// Blocks until the server stops (a signal, with `stop_on_signal`).
    pub fn wait(mut self) -> Result<(), String> {
        self.join()
    }

    fn join(&mut self) -> Result<(), String> {
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| "the server thread panicked".to_string())?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.join();
    }
}

/// Opens the store (migrating it), binds and serves on background threads.
pub fn spawn(config: ServeConfig) -> Result<RunningServer, String> {
    let metrics = Arc::new(Metrics::default());
    let open = |what: &str| Store::open(&config.location, config.cipher.clone()).map_err(|e| format!("{what} {}: {e}", config.location.display()));
    let mut write_store = open("opening")?;
    write_store
        .abandon_running_runs("interrupted: the server stopped during the run / 服务停止，分析中断")
        .and_then(|_| write_store.tune_for_short_statements())
        .map_err(|e| format!("opening {}: {e}", config.location.display()))?;
    let backend = match write_store.backend() {
        xinli_store::sql::Backend::Sqlite => "sqlite",
        xinli_store::sql::Backend::Postgres => "postgresql",
    };
    let open_reader = || {
        let mut reader = open("opening a reader on")?;
        reader.tune_for_short_statements().map_err(|e| format!("opening a reader on {}: {e}", config.location.display()))?;
        Ok::<_, String>(Mutex::new(reader))
    };
    let readers = (0..config.readers.max(1)).map(|_| open_reader()).collect::<Result<Vec<_>, _>>()?;
    let recovered = match &config.location {
        Location::Sqlite(path) if config.ingest_log => Some(ingest_log::recover(&ingest_log::log_dir_for(path), &mut write_store, &config.cipher)?),
        _ => None,
    };
    let progress = recovered.as_ref().map(|r| Arc::clone(&r.progress));
    let (writer, writer_thread) = Writer::start(write_store, Arc::clone(&metrics), progress);
    let (log, log_thread) = match recovered {
        Some(r) => {
            let (log, thread) = IngestLog::start(r, writer.clone(), config.cipher.clone(), Arc::clone(&metrics))?;
            (Some(log), Some(thread))
        }
        None => (None, None),
    };
    let listener = std::net::TcpListener::bind(config.bind).map_err(|e| format!("binding {}: {e}", config.bind))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let state = Arc::new(AppState {
        writer,
        log,
        readers,
        next_reader: AtomicUsize::new(0),
        keys: KeyCache::new(config.key_recheck),
        verifying: tokio::sync::Mutex::new(()),
        limiter: RateLimiter::new(config.rate_limit),
        metrics,
        generated_ids: AtomicU64::new(0),
        instance: format!("{:x}", xinli_store::now_ms()),
        backend,
        location: config.location.clone(),
        cipher: config.cipher.clone(),
        analysis: config.analysis.clone(),
        analysis_running: std::sync::atomic::AtomicBool::new(false),
        dashboard: dashboard::Cache::default(),
        exact_previews: dashboard::ExactPreviews::default(),
    });
    // Dropped after the runtime: the PostgreSQL client blocks on close, which a runtime thread
    // must not do.
    let keep = Arc::clone(&state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let timeout = config.request_timeout;
    let stop_on_signal = config.stop_on_signal;
    let refresh_every = config.refresh_every;
    let thread = std::thread::Builder::new()
        .name("xinli-serve".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
            let result = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
                if let Some(every) = refresh_every {
                    tokio::spawn(analysis_api::schedule(Arc::clone(&state), every));
                }
                tokio::spawn(dashboard::keep_warm(Arc::clone(&state)));
                let app = api::router(Arc::clone(&state))
                    .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), track))
                    .layer(axum::Extension(timeout));
                let stop = async move {
                    if stop_on_signal {
                        tokio::select! {
                            _ = rx => {}
                            _ = tokio::signal::ctrl_c() => {}
                            _ = terminate() => {}
                        }
                    } else {
                        let _ = rx.await;
                    }
                };
                axum::serve(listener, app).with_graceful_shutdown(stop).await.map_err(|e| e.to_string())
            });
            drop(runtime);
            // The log thread ends when its handle (in the state) goes, once the writer has
            // made everything it acknowledged durable; the writer when the last handle goes.
            drop(keep);
            if let Some(t) = log_thread {
                t.join().map_err(|_| "the ingest log thread panicked".to_string())?;
            }
            writer_thread.join().map_err(|_| "the writer thread panicked".to_string())?;
            result
        })
        .map_err(|e| e.to_string())?;
    Ok(RunningServer { addr, shutdown: Some(tx), thread: Some(thread) })
}

#[cfg(unix)]
async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending().await
}
