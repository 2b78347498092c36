//! The live store behind `xinli serve`: one interface ([`Store`]) over two real backends —
//! SQLite (an embedded file, WAL, the default) and PostgreSQL (`postgres://…`) — sharing every
//! statement through a thin SQL layer ([`sql`]).
//!
//! * **Migrations** ([`migrate`]): versioned, applied at open, one schema text rendered per backend.
//! * **Ingestion** ([`Store::ingest`]): typed [`Message`]s in one transaction (the caller groups
//!   concurrent requests into one call: group commit); a repeated `messageId` is stored once;
//!   identify/alias merge anonymous and known histories (identity resolution) without losing
//!   events; each message updates the customer's [`Profile`] incrementally and re-evaluates
//!   segment membership for that customer, recording entries and exits with timestamps.
//! * **Privacy**: email, phone, name and address are sealed with AES-256-GCM ([`crypto`]) before
//!   they reach a table, and found by a keyed blind index; [`Store::erase_customer`] removes a
//!   customer's PII, events, orders, reviews, survey answers, campaign touches, identities,
//!   profile and memberships and returns a receipt.
//! * **The whole shop** ([`import`], [`export`]): every canonical kind and column the analysis
//!   reads (products, order line details, extra columns, surveys, campaigns) goes in with
//!   `xinli import --db` and comes back out for `xinli analyze --db`.
//! * **API keys** ([`keys`]): roles write / analyst / admin, argon2id hashes, an audit log.
//! * **Analysis write-back** ([`analysis`]): each batch run recorded, the latest successful
//!   run's scores, evidence and recommendations per customer (segments read the scores), and
//!   its JSON documents.
//!
//! ```no_run
//! use xinli_store::{Location, Store, PiiCipher, Message, MessageKind};
//! let mut store = Store::open(&Location::parse("shop.db"), PiiCipher::new([7; 32], &[])).unwrap();
//! let m = Message { name: Some("Product Viewed".into()), ..Message::new("m1", MessageKind::Track, Some("u1"), None, 1_700_000_000_000) };
//! store.ingest(&[m]).unwrap();
//! ```

pub mod analysis;
pub mod crypto;
pub mod erase;
pub mod export;
mod generations;
pub mod import;
mod ingest;
pub mod keys;
pub mod migrate;
mod model;
mod profile;
mod query;
mod segment_sql;
mod segments;
pub mod sql;
mod sqlite_statements;
mod stored_ids;
pub mod testdb;
mod wal_vfs;

use std::path::PathBuf;

/// The WAL sync that commits made inside [`Store::deferring_wal_sync`] owe.
#[derive(Clone, Debug)]
pub struct WalSync(std::sync::Arc<std::fs::File>);

impl WalSync {
    /// Makes those commits durable (`fdatasync` of the WAL file: it covers the file's data,
    /// whichever descriptor wrote it, so one sync serves every commit made before it).
    pub fn perform(&self) -> std::io::Result<()> {
        self.0.sync_data()
    }
}

pub use analysis::{AnalysisOutput, AnalysisRun, CustomerScores, Evidence, Recommendation, ScoreInput};
pub use crypto::PiiCipher;
pub use erase::ErasureReceipt;
pub use keys::{ApiKey, NewKey, Role};
pub use model::{
    extra_from_json, extra_json, CampaignInput, Consent, IngestOutcome, LineDetails, Message, MessageKind, OrderInput, OrderLineInput,
    OrderState, OrderUpdate, Pii, ReviewInput, SurveyInput, Traits,
};
pub use profile::{live_schema, Activity, Field, Profile, ProfileRecord};
pub use query::{CustomerSummary, Customer360, EventView, OrderView, ReviewView, SearchQuery};
pub use segments::{PreviewMethod, SegmentDef, SegmentError, SegmentPreview, SizePoint};
pub use stored_ids::MessageIds;
use generations::Generations;
use sql::{Backend, Conn, PgConn, SqliteConn};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("PII encryption: {0}")]
    Crypto(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The write path's maps and sets, keyed by ids: foldhash (seeded per process) instead of std's
/// SipHash, which was ~5 % of the writer's instructions (callgrind).
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else a SQLite file path.
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            Location::Sqlite(PathBuf::from(text))
        }
    }

    /// For messages: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(s), Some(at)) if at > s => {
                    let creds = &url[s + 3..at];
                    let user = creds.split(':').next().unwrap_or("");
                    format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
                }
                _ => url.clone(),
            },
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// One connection to the store with its PII cipher and compiled segments. A server keeps one
/// for writing (all mutations, serialised) and a few for reading.
pub struct Store {
    conn: Box<dyn Conn>,
    cipher: PiiCipher,
    segments: Vec<segments::LiveSegment>,
    cache: Option<WriteCache>,
    /// The writer's WAL checkpoints, on a thread of their own (SQLite).
    checkpointer: Option<sql::Checkpointer>,
    /// The stored message ids (SQLite, from this connection's first ingestion on).
    stored_ids: Option<stored_ids::StoredIds>,
}

/// The writer's SQLite page cache (see [`Store::enable_write_cache`]): 8 MB of pages, but a
/// transaction may hold up to 16,384 changed pages (64 MB, the old cache) before it spills any
/// to the WAL early, so a large group commit writes each page once, at its commit.
const WRITER_PAGE_CACHE: &str = "PRAGMA cache_size = -8192; PRAGMA cache_spill = 16384";

/// Entries per generation of each map of the write cache (see [`generations`]): a profile stays
/// cached while it is written at least once per this many others; an identity, which is only
/// read once cached, is looked up again after at most two generations.
const CACHE_GENERATION: usize = 50_000;

/// Profiles and identities as last committed, kept by the one connection that writes (so
/// nothing else can change them behind its back): an event then costs no profile read or JSON
/// parse. Cleared on rollback and erasure; never used by read connections.
pub(crate) struct WriteCache {
    profiles: Generations<i64, Profile>,
    users: Generations<String, i64>,
    anonymous: Generations<String, i64>,
    /// An empty map with room, lent to each ingest call for the profiles it touches.
    pub(crate) profile_room: FastMap<i64, Profile>,
}

impl WriteCache {
    /// Room for both generations from the start: growing the maps as a new server meets its
    /// customers rehashed every profile again at each doubling (~6 % of the writer's first
    /// second, perf). The memory is touched only as entries arrive.
    fn sized() -> WriteCache {
        WriteCache {
            profiles: Generations::new(CACHE_GENERATION),
            users: Generations::new(CACHE_GENERATION),
            anonymous: Generations::new(CACHE_GENERATION),
            profile_room: FastMap::default(),
        }
    }

    /// A cache for one call (an import, a test): the same bounds, no room reserved up front.
    fn for_one_call() -> WriteCache {
        WriteCache {
            profiles: Generations::growing(CACHE_GENERATION),
            users: Generations::growing(CACHE_GENERATION),
            anonymous: Generations::growing(CACHE_GENERATION),
            profile_room: FastMap::default(),
        }
    }

    /// Forgets every entry, keeping the room.
    fn clear(&mut self) {
        self.profiles.clear();
        self.users.clear();
        self.anonymous.clear();
    }

    fn map(&mut self, kind: &str) -> &mut Generations<String, i64> {
        if kind == "user" {
            &mut self.users
        } else {
            &mut self.anonymous
        }
    }

    pub(crate) fn identity(&self, kind: &str, value: &str) -> Option<i64> {
        let map = if kind == "user" { &self.users } else { &self.anonymous };
        map.get(value).copied()
    }

    pub(crate) fn remember_identity(&mut self, kind: &str, value: &str, cid: i64) {
        self.map(kind).insert(value.to_string(), cid);
    }

    pub(crate) fn remember_profile(&mut self, cid: i64, profile: Profile) {
        self.profiles.insert(cid, profile);
    }

    /// A customer merged away: its profile goes, its ids now name another customer.
    pub(crate) fn forget_customer(&mut self, cid: i64) {
        self.profiles.remove(&cid);
        self.users.retain(|_, c| *c != cid);
        self.anonymous.retain(|_, c| *c != cid);
    }
}

impl Store {
    /// Connects, applies pending migrations and loads the segments.
    pub fn open(location: &Location, cipher: PiiCipher) -> Result<Store, StoreError> {
        let conn: Box<dyn Conn> = match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                Box::new(SqliteConn::open(path)?)
            }
            Location::Postgres(url) => Box::new(PgConn::connect(url)?),
        };
        let mut store = Store { conn, cipher, segments: Vec::new(), cache: None, checkpointer: None, stored_ids: None };
        migrate::apply(store.conn.as_mut())?;
        store.reload_segments()?;
        Ok(store)
    }

    /// Keeps committed profiles and identities in memory. Only for the single connection that
    /// performs every write (the server's writer).
    ///
    /// On SQLite it also gives the writer a smaller page cache (8 MB) than the readers' 64 MB:
    /// when a B-tree split reorders its new pages, SQLite parks one at the page after the
    /// 1 GB "pending byte" (`balance_nonroot`), and the commit then drops cached pages beyond the
    /// file's end by scanning every cached page (`pcache1TruncateUnsafe`: 6 % of the writer's
    /// time at 64 MB, perf). The pages the writer misses are in the OS cache; paced ingest at
    /// 50,000 events/s had the lower p99 in 5 of 6 alternating runs.
    pub fn enable_write_cache(&mut self) -> Result<(), StoreError> {
        self.cache = Some(WriteCache::sized());
        if self.conn.backend() == Backend::Sqlite {
            self.conn.batch(WRITER_PAGE_CACHE)?;
        }
        Ok(())
    }

    /// Checkpoints the SQLite WAL on a background thread instead of inside the commits of this
    /// connection (the server's writer), which then acknowledge sooner; the WAL stays bounded.
    pub fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        self.checkpointer = self.conn.checkpoint_in_background()?;
        Ok(())
    }

    /// Runs `f` with this connection's SQLite commits written to the WAL but not synced: the
    /// returned [`WalSync`], when there is one, is owed before anything `f` committed may be
    /// acknowledged as durable. The server's writer hands it to a thread of its own and goes
    /// on to its next transaction meanwhile, instead of waiting for each fsync.
    ///
    /// Readers may see those commits before they are durable. A crash of the process loses
    /// none of them (their frames are in the OS's cache); a crash of the machine may lose
    /// commits whose sync had not been performed — never an acknowledged one. Checkpoints and
    /// a new WAL generation's header still sync at once (see `wal_vfs`). On PostgreSQL, whose
    /// commits sync themselves, it only runs `f`.
    pub fn deferring_wal_sync<T>(&mut self, f: impl FnOnce(&mut Store) -> T) -> (T, Option<WalSync>) {
        match self.conn.wal_for_sync() {
            Some(wal) => {
                let (out, owed) = wal_vfs::deferring_syncs(|| f(self));
                (out, owed.then_some(WalSync(wal)))
            }
            None => (f(self), None),
        }
    }

    /// Gathers table statistics after a bulk load (`xinli import --db`). PostgreSQL plans from
    /// them, and autovacuum gathers them only after a delay, or never where it is off: after
    /// 100,000 events the customer 360 saturated a 2-core server without them and answered
    /// with a p99 of ~19 ms with them (docs/serve.md). No-op on SQLite, whose statements were
    /// tuned without its optional statistics.
    pub fn gather_statistics(&mut self) -> Result<(), StoreError> {
        match self.conn.backend() {
            Backend::Postgres => self.conn.batch("ANALYZE"),
            Backend::Sqlite => Ok(()),
        }
    }

    /// For the server's connections, whose statements are index probes and small reads and
    /// writes. On PostgreSQL: no JIT — compiling (100–400 ms per execution) starts at a plan
    /// cost that a table without statistics yet reaches easily (110 ms of compiling for the
    /// 3 ms of a commit's segment-membership probes); and generic plans for the prepared
    /// statements — with `LIMIT $n` the plan cache kept planning the customer 360 afresh on
    /// every execution (1.1 ms of planning for 0.5 ms of execution). No-op on SQLite.
    pub fn tune_for_short_statements(&mut self) -> Result<(), StoreError> {
        match self.conn.backend() {
            Backend::Postgres => self.conn.batch("SET jit = off; SET plan_cache_mode = force_generic_plan"),
            Backend::Sqlite => Ok(()),
        }
    }

    pub(crate) fn clear_cache(&mut self) {
        if let Some(c) = self.cache.as_mut() {
            c.clear();
        }
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    pub fn cipher(&self) -> &PiiCipher {
        &self.cipher
    }

    /// Runs `f` in one transaction: committed when it returns Ok, rolled back otherwise.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.conn.batch(self.conn.begin_write())?;
        match f(self).and_then(|v| self.conn.batch("COMMIT").map(|_| v)) {
            Ok(v) => {
                if let Some(c) = &self.checkpointer {
                    c.committed();
                }
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = self.conn.batch("ROLLBACK");
                self.clear_cache();
                if let Err(reload) = self.reload_segments() {
                    return Err(StoreError::Corrupt(format!("{e}; reloading segments after rollback: {reload}")));
                }
                Err(e)
            }
        }
    }

    /// Rows per table (tests, metrics).
    pub fn table_counts(&mut self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        migrate::TABLES
            .iter()
            .map(|t| {
                let n = self.conn.query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])?.map_or(0, |r| r.int(0));
                Ok((*t, n))
            })
            .collect()
    }

    /// Direct SQL for tests that must look into every table (erasure checks).
    pub fn raw_query(&mut self, sql: &str, params: &[sql::Val]) -> Result<Vec<sql::Row>, StoreError> {
        self.conn.query(sql, params)
    }
}
