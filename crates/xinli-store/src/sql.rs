//! The thin SQL layer both backends share: one value type, one row type, and a [`Conn`] that
//! runs a statement written once with `$1, $2, …` placeholders (PostgreSQL's spelling; SQLite
//! gets them rewritten to `?1, ?2, …`). Every store operation above this module is written once.
//!
//! Column types are kept to the common subset: BIGINT (integers and booleans as 0/1), DOUBLE
//! PRECISION / REAL, TEXT and BYTEA / BLOB.

use std::collections::HashMap;

use crate::StoreError;

/// A parameter or a cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Val {
    fn from(x: i64) -> Val {
        Val::Int(x)
    }
}
impl From<f64> for Val {
    fn from(x: f64) -> Val {
        Val::Real(x)
    }
}
impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}
impl From<Vec<u8>> for Val {
    fn from(b: Vec<u8>) -> Val {
        Val::Blob(b)
    }
}
impl From<bool> for Val {
    fn from(b: bool) -> Val {
        Val::Int(b as i64)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(x: Option<T>) -> Val {
        x.map_or(Val::Null, Into::into)
    }
}

/// One result row.
#[derive(Clone, Debug, Default)]
pub struct Row(pub Vec<Val>);

impl Row {
    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }
    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Val::Int(x)) => Some(*x),
            Some(Val::Real(x)) => Some(*x as i64),
            _ => None,
        }
    }
    pub fn opt_real(&self, i: usize) -> Option<f64> {
        match self.0.get(i) {
            Some(Val::Real(x)) => Some(*x),
            Some(Val::Int(x)) => Some(*x as f64),
            _ => None,
        }
    }
    pub fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.0.get(i) {
            Some(Val::Text(s)) => Some(s.clone()),
            _ => None,
        }
    }
    pub fn opt_blob(&self, i: usize) -> Option<Vec<u8>> {
        match self.0.get(i) {
            Some(Val::Blob(b)) => Some(b.clone()),
            _ => None,
        }
    }
    pub fn opt_bool(&self, i: usize) -> Option<bool> {
        self.opt_int(i).map(|x| x != 0)
    }
}

/// What [`Conn::query_row_with_lists`] reads: the row, and each list's rows.
pub type RowWithLists = (Row, Vec<Vec<Row>>);

/// Which database a connection talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection of either backend.
pub trait Conn: Send {
    fn backend(&self) -> Backend;
    /// Runs one statement; returns the rows it changed.
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    /// Runs one statement and returns its rows.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError>;
    /// Runs several statements without parameters (migrations, BEGIN/COMMIT).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;

    /// Moves this connection's WAL checkpoints onto a thread of its own (SQLite); None where
    /// the server checkpoints by itself (PostgreSQL).
    fn checkpoint_in_background(&mut self) -> Result<Option<Checkpointer>, StoreError> {
        Ok(None)
    }

    /// This database's WAL file, opened to sync commits that deferred their syncs
    /// ([`crate::Store::deferring_wal_sync`]); None where commits sync themselves (PostgreSQL,
    /// an in-memory database, a WAL file that cannot be opened).
    fn wal_for_sync(&mut self) -> Option<std::sync::Arc<std::fs::File>> {
        None
    }

    /// How a write transaction starts. SQLite: `BEGIN IMMEDIATE`, which takes the write lock at
    /// once, waiting for it as the busy timeout allows; a plain `BEGIN` takes it at the first
    /// write, and if another connection (a checkpoint, `xinli import --db` beside the server)
    /// holds it after this transaction has read, SQLite fails at once with "database is locked"
    /// rather than wait, since waiting inside a read transaction could deadlock.
    fn begin_write(&self) -> &'static str {
        "BEGIN"
    }

    /// How an `INSERT` starts whose failure fails the caller's whole transaction (the
    /// writer's multi-row statements). SQLite: `INSERT OR FAIL`, which keeps no statement
    /// journal — a copy of every page the statement changes, kept to undo that statement alone
    /// (~7 % of the writer's time, perf) — useless when the caller rolls everything back.
    fn insert_undone_with_transaction(&self) -> &'static str {
        "INSERT"
    }

    fn query_one(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs `sql` over many rows in few statements: `{rows}` in `sql` becomes one chunk's
    /// placeholder groups `($1, …), (…)` of `width` values each (`VALUES {rows}`, or
    /// `IN ({rows})` with width 1), and `values` holds the rows one after another. Returns the
    /// rows the statements changed.
    fn exec_rows(&mut self, sql: &str, width: usize, values: &[Val]) -> Result<u64, StoreError> {
        let mut changed = 0;
        for (statement, chunk) in chunked(sql, width, values) {
            changed += self.exec(&statement, chunk)?;
        }
        Ok(changed)
    }

    /// A row and the lists that belong to it: runs `main` (at most one row, whose first column
    /// is the key the lists read by) with `params`, and each list statement with `$1` bound to
    /// that key and `$2`, … to its own values. Returns the row and each list's rows (`None`:
    /// `main` found no row). This runs the statements one by one; SQLite runs them inside one
    /// read transaction, PostgreSQL as one statement.
    fn query_row_with_lists(&mut self, main: &str, params: &[Val], lists: &[(&str, &[Val])]) -> Result<Option<RowWithLists>, StoreError> {
        row_with_lists_one_by_one(self, main, params, lists)
    }

    /// [`Conn::exec_rows`] for a query (`IN ({rows})`, `RETURNING`): every chunk's rows.
    fn query_rows(&mut self, sql: &str, width: usize, values: &[Val]) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::new();
        for (statement, chunk) in chunked(sql, width, values) {
            rows.extend(self.query(&statement, chunk)?);
        }
        Ok(rows)
    }
}

/// [`Conn::query_row_with_lists`] as one statement after another.
fn row_with_lists_one_by_one<C: Conn + ?Sized>(conn: &mut C, main: &str, params: &[Val], lists: &[(&str, &[Val])]) -> Result<Option<RowWithLists>, StoreError> {
    let Some(row) = conn.query_one(main, params)? else { return Ok(None) };
    let key = row.0.first().cloned().unwrap_or(Val::Null);
    let mut read = Vec::with_capacity(lists.len());
    for (sql, own) in lists {
        let bound: Vec<Val> = std::iter::once(key.clone()).chain(own.iter().cloned()).collect();
        read.push(conn.query(sql, &bound)?);
    }
    Ok(Some((row, read)))
}

/// Rows per statement of [`Conn::exec_rows`], largest first: any number of rows takes few
/// statements, and only these few statement texts are ever prepared (and cached).
const CHUNK_ROWS: [usize; 5] = [256, 64, 16, 4, 1];

thread_local! {
    /// Statement texts rendered by [`chunked`], by template and rows: rendering thousands of
    /// placeholders cost more than binding the values (callgrind). Few: templates are constants.
    static RENDERED: std::cell::RefCell<HashMap<(String, usize), std::rc::Rc<str>>> = Default::default();
}

/// The statements (text, values) that cover `values` in chunks of [`CHUNK_ROWS`] rows.
fn chunked<'v>(sql: &str, width: usize, values: &'v [Val]) -> Vec<(std::rc::Rc<str>, &'v [Val])> {
    assert!(width > 0 && values.len() % width == 0, "{} values are not rows of {width}", values.len());
    let mut out = Vec::new();
    let mut rest = values;
    while !rest.is_empty() {
        let rows = CHUNK_ROWS.into_iter().find(|n| n * width <= rest.len()).expect("1 row always fits");
        let (chunk, tail) = rest.split_at(rows * width);
        let text = RENDERED.with_borrow_mut(|cache| {
            std::rc::Rc::clone(
                cache.entry((sql.to_string(), rows)).or_insert_with(|| sql.replace("{rows}", &placeholder_rows(rows, width)).into()),
            )
        });
        out.push((text, chunk));
        rest = tail;
    }
    out
}

/// `($1, $2), ($3, $4)` for 2 rows of width 2.
fn placeholder_rows(rows: usize, width: usize) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(rows * width * 6);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            let sep = if c == 0 { "" } else { ", " };
            write!(s, "{sep}${}", r * width + c + 1).expect("writing to a String");
        }
        s.push(')');
    }
    s
}

/// `$1` → `?1`: SQLite reads `$1` as a *named* parameter numbered by first appearance, which
/// would silently misbind a statement that mentions `$2` before `$1`.
pub(crate) fn sqlite_placeholders(sql: &str) -> String {
    map_placeholders(sql, |n| format!("?{n}"))
}

pub struct SqliteConn {
    /// Declared first: statements are finalised before their connection closes.
    statements: crate::sqlite_statements::Statements,
    conn: rusqlite::Connection,
    /// The WAL file, once [`Conn::wal_for_sync`] opened it.
    wal: Option<std::sync::Arc<std::fs::File>>,
}

impl SqliteConn {
    /// Opens (creating) a database file in WAL mode. `synchronous = FULL` makes every commit
    /// durable before the writer acknowledges it (and is what the WAL-gathering VFS relies on);
    /// `secure_delete` overwrites erased rows; `temp_store = MEMORY` keeps statement journals
    /// in memory (on disk they cost a write call per page a statement changed).
    pub fn open(path: &std::path::Path) -> Result<SqliteConn, StoreError> {
        let conn = open_sqlite(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;
             PRAGMA secure_delete = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
        )?;
        // The query planner stability guarantee: without it, SQLite re-prepares a cached
        // statement whenever a parameter it planned with (any `LIMIT $n`, a `LIKE $n`) is
        // bound again, i.e. on every run — 60 % of a customer 360's instructions (callgrind).
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        Ok(SqliteConn { statements: Default::default(), conn, wal: None })
    }

    /// The database file's path; None for an in-memory database (SQLite reports it as "").
    fn file_path(&self) -> Option<&str> {
        self.conn.path().filter(|p| !p.is_empty())
    }
}

/// A connection to a database file through [`crate::wal_vfs`], which writes each WAL commit in
/// 64 KiB pieces at its sync instead of two system calls per page.
fn open_sqlite(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    crate::wal_vfs::register().map_err(|rc| StoreError::Config(format!("registering the SQLite VFS {}: error {rc}", crate::wal_vfs::NAME)))?;
    Ok(rusqlite::Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), crate::wal_vfs::NAME)?)
}

/// WAL pages the writer lets pile up before it checkpoints on its own: the bound on the WAL
/// (64 MB of 4 KB pages) should the background checkpoints fall behind or fail.
const WAL_BOUND_PAGES: u32 = 16_384;

/// The least time between two background checkpoints: each copies the pages the commits since
/// the last one changed, so a page changed by several commits is written to the database once.
const CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// WAL checkpoints on a connection and thread of their own, so the committing writer does not
/// copy WAL pages into the database file and fsync it on its acknowledgement path (SQLite's
/// auto-checkpoint runs inside the commit that crosses its threshold). PASSIVE: a checkpoint
/// never waits for, nor blocks, the writer or a reader. Stops when dropped.
pub struct Checkpointer {
    wake: std::sync::Arc<(std::sync::Mutex<CheckpointState>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct CheckpointState {
    committed: bool,
    stop: bool,
}

impl Checkpointer {
    fn start(path: &std::path::Path) -> Result<Checkpointer, StoreError> {
        let conn = open_sqlite(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        let wake = std::sync::Arc::new((std::sync::Mutex::new(CheckpointState::default()), std::sync::Condvar::new()));
        let shared = std::sync::Arc::clone(&wake);
        let thread = std::thread::Builder::new().name("xinli-checkpoint".into()).spawn(move || {
            let (state, signal) = &*shared;
            loop {
                {
                    let mut s = signal.wait_while(state.lock().expect("checkpoint state"), |s| !s.committed && !s.stop).expect("checkpoint state");
                    if s.stop {
                        return;
                    }
                    s.committed = false;
                }
                // A failure (a busy lock, a full disk) leaves the pages in the WAL, where they
                // are durable; the next checkpoint, or the writer at WAL_BOUND_PAGES, copies them.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                let s = signal.wait_timeout_while(state.lock().expect("checkpoint state"), CHECKPOINT_PAUSE, |s| !s.stop).expect("checkpoint state");
                if s.0.stop {
                    return;
                }
            }
        })?;
        Ok(Checkpointer { wake, thread: Some(thread) })
    }

    /// Tells the checkpointer that a transaction committed (it then has pages to copy).
    pub fn committed(&self) {
        let (state, signal) = &*self.wake;
        state.lock().expect("checkpoint state").committed = true;
        signal.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (state, signal) = &*self.wake;
        state.lock().expect("checkpoint state").stop = true;
        signal.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Conn for SqliteConn {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn insert_undone_with_transaction(&self) -> &'static str {
        "INSERT OR FAIL"
    }

    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        // SAFETY: the handle is this connection's, used only through `&mut self`.
        unsafe { self.statements.run(self.conn.handle(), sql, params, |_| {}) }
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::new();
        // SAFETY: as in `exec`.
        unsafe { self.statements.run(self.conn.handle(), sql, params, |row| rows.push(row))? };
        Ok(rows)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// The statements one by one inside one read transaction (unless the caller is in one):
    /// one snapshot for the row and its lists, and the WAL's read lock taken and released
    /// once instead of once per statement — `unixShmLock` and the statements' transaction
    /// ends were ~15 % of a customer 360's CPU (perf, 2,000 requests/s).
    fn query_row_with_lists(&mut self, main: &str, params: &[Val], lists: &[(&str, &[Val])]) -> Result<Option<RowWithLists>, StoreError> {
        if !self.conn.is_autocommit() {
            return row_with_lists_one_by_one(self, main, params, lists);
        }
        self.exec("BEGIN", &[])?;
        let read = row_with_lists_one_by_one(self, main, params, lists);
        // Ends the read transaction whether or not a statement failed.
        let end = self.exec("COMMIT", &[]);
        let read = read?;
        end?;
        Ok(read)
    }

    fn begin_write(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    fn wal_for_sync(&mut self) -> Option<std::sync::Arc<std::fs::File>> {
        if self.wal.is_none() {
            let path = self.file_path()?;
            // Opened for writing (never written): a sync through a read-only descriptor is not
            // defined everywhere. The WAL exists: migrations have written through it.
            self.wal = std::fs::OpenOptions::new().write(true).open(format!("{path}-wal")).ok().map(std::sync::Arc::new);
        }
        self.wal.clone()
    }

    fn checkpoint_in_background(&mut self) -> Result<Option<Checkpointer>, StoreError> {
        let Some(path) = self.file_path().map(std::path::PathBuf::from) else { return Ok(None) };
        let checkpointer = Checkpointer::start(&path)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", WAL_BOUND_PAGES)?;
        Ok(Some(checkpointer))
    }
}

pub struct PgConn {
    client: postgres::Client,
    prepared: HashMap<String, postgres::Statement>,
    /// [`Conn::query_row_with_lists`] statements by their parts (joined by NUL).
    composed: HashMap<String, std::sync::Arc<str>>,
}

/// `sql` with each placeholder `$n` replaced by `to(n)`.
fn map_placeholders(sql: &str, to: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        match rest[at + 1..at + 1 + digits].parse::<usize>() {
            Ok(n) => out.push_str(&to(n)),
            Err(_) => out.push('$'),
        }
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    out
}

/// One statement for [`Conn::query_row_with_lists`]: the main row's columns, then one column
/// per list, its rows as a JSON array of objects (column names ignored, their order kept).
/// A list's `$1` becomes the main row's first column; its own values follow the values of
/// `main` and of the lists before it.
fn row_with_lists_statement(main: &str, main_params: usize, lists: &[(&str, &[Val])]) -> String {
    let mut sql = String::from("SELECT main_row.*");
    let mut before = main_params;
    for (list, own) in lists {
        let list = map_placeholders(list, |n| if n == 1 { "main_row.list_key".into() } else { format!("${}", before + n - 1) });
        sql.push_str(&format!(", (SELECT CAST(json_agg(l) AS TEXT) FROM ({list}) l)"));
        before += own.len();
    }
    sql.push_str(&format!(" FROM ({main}) AS main_row (list_key)"));
    sql
}

impl PgConn {
    pub fn connect(url: &str) -> Result<PgConn, StoreError> {
        let client = postgres::Client::connect(url, postgres::NoTls)?;
        Ok(PgConn { client, prepared: HashMap::new(), composed: HashMap::new() })
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl postgres::types::ToSql for Val {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            Val::Null => Ok(postgres::types::IsNull::Yes),
            Val::Int(x) if *ty == Type::INT4 => i32::try_from(*x)?.to_sql(ty, out),
            Val::Int(x) if *ty == Type::FLOAT8 => (*x as f64).to_sql(ty, out),
            Val::Int(x) if *ty == Type::BOOL => (*x != 0).to_sql(ty, out),
            // A `VALUES` list's parameters are TEXT on PostgreSQL.
            Val::Int(x) if *ty == Type::TEXT => x.to_string().to_sql(ty, out),
            Val::Int(x) => x.to_sql(ty, out),
            Val::Real(x) => x.to_sql(ty, out),
            Val::Text(s) => s.to_sql(ty, out),
            Val::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn pg_cell(row: &postgres::Row, i: usize) -> Result<Val, StoreError> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    Ok(if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map_or(Val::Null, Val::Int)
    } else if ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?.map_or(Val::Null, |x| Val::Int(x as i64))
    } else if ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i)?.map_or(Val::Null, Val::Real)
    } else if ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?.map_or(Val::Null, |b| Val::Int(b as i64))
    } else if ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?.map_or(Val::Null, Val::Blob)
    } else {
        row.try_get::<_, Option<String>>(i)?.map_or(Val::Null, Val::Text)
    })
}

impl Conn for PgConn {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        Ok(self.client.execute(&stmt, &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.client
            .query(&stmt, &refs)?
            .iter()
            .map(|r| (0..r.len()).map(|i| pg_cell(r, i)).collect::<Result<Vec<_>, _>>().map(Row))
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.batch_execute(sql)?)
    }

    /// One statement, one round trip (a 360 read nine statements, nine round trips: each a
    /// wait for both processes to be scheduled, the latency tail on a busy machine).
    fn query_row_with_lists(&mut self, main: &str, params: &[Val], lists: &[(&str, &[Val])]) -> Result<Option<RowWithLists>, StoreError> {
        let key: String = std::iter::once(main).chain(lists.iter().map(|(l, _)| *l)).collect::<Vec<_>>().join("\0");
        let sql = match self.composed.get(&key) {
            Some(sql) => std::sync::Arc::clone(sql),
            None => {
                let sql: std::sync::Arc<str> = row_with_lists_statement(main, params.len(), lists).into();
                self.composed.insert(key, std::sync::Arc::clone(&sql));
                sql
            }
        };
        let values: Vec<Val> = params.iter().chain(lists.iter().flat_map(|(_, own)| own.iter())).cloned().collect();
        let Some(Row(mut cells)) = self.query_one(&sql, &values)? else { return Ok(None) };
        let read = cells.split_off(cells.len() - lists.len()).into_iter().map(json_rows).collect::<Result<_, _>>()?;
        Ok(Some((Row(cells), read)))
    }
}

/// The rows of a list that [`row_with_lists_statement`] aggregated (NULL: none).
fn json_rows(cell: Val) -> Result<Vec<Row>, StoreError> {
    let Val::Text(json) = cell else { return Ok(Vec::new()) };
    let rows: Vec<JsonRow> = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("a list aggregated to JSON: {e}")))?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A row aggregated to a JSON object: its values in column order (the names, possibly
/// repeated, are ignored). Numbers are read from their text, exactly (serde_json's default
/// float parsing may be one unit in the last place off).
struct JsonRow(Row);

impl<'de> serde::Deserialize<'de> for JsonRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<JsonRow, D::Error> {
        struct Cells;
        impl<'de> serde::de::Visitor<'de> for Cells {
            type Value = JsonRow;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a row as a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JsonRow, A::Error> {
                let mut cells = Vec::new();
                while let Some((_, raw)) = map.next_entry::<serde::de::IgnoredAny, &serde_json::value::RawValue>()? {
                    cells.push(json_cell(raw.get()).map_err(serde::de::Error::custom)?);
                }
                Ok(JsonRow(Row(cells)))
            }
        }
        d.deserialize_map(Cells)
    }
}

/// A JSON scalar as a cell: what the column's own type would have given, but for a float
/// with an integral value (`20`), which becomes an integer (the row accessors convert).
fn json_cell(raw: &str) -> Result<Val, String> {
    Ok(match raw {
        "null" => Val::Null,
        "true" => Val::Int(1),
        "false" => Val::Int(0),
        _ if raw.starts_with('"') => Val::Text(serde_json::from_str(raw).map_err(|e| e.to_string())?),
        _ if raw.starts_with(['[', '{']) => Val::Text(raw.to_string()),
        _ => match raw.parse::<i64>() {
            Ok(x) => Val::Int(x),
            Err(_) => Val::Real(raw.parse::<f64>().map_err(|e| format!("{raw}: {e}"))?),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite reads a row and its lists inside one read transaction of its own, which ends
    /// even when a statement fails; inside the caller's transaction it joins that one.
    #[test]
    fn a_row_with_lists_is_one_read_transaction_that_always_ends() {
        let db = crate::testdb::TestDb::sqlite();
        let crate::Location::Sqlite(path) = db.location() else { unreachable!("a SQLite test database") };
        let mut conn = SqliteConn::open(&path).unwrap();
        conn.batch("CREATE TABLE t (k INTEGER, v TEXT); INSERT INTO t VALUES (1, 'a'), (1, 'b')").unwrap();
        let (row, lists) = conn.query_row_with_lists("SELECT 1", &[], &[("SELECT v FROM t WHERE k = $1 ORDER BY v", &[])]).unwrap().unwrap();
        assert_eq!((row.int(0), lists[0].iter().map(|r| r.text(0)).collect::<Vec<_>>()), (1, vec!["a".to_string(), "b".to_string()]));
        assert!(conn.conn.is_autocommit());
        assert!(conn.query_row_with_lists("SELECT 1", &[], &[("SELECT missing FROM t", &[])]).is_err());
        assert!(conn.conn.is_autocommit(), "a failed list ends the read transaction too");
        conn.batch("BEGIN").unwrap();
        conn.exec("INSERT INTO t VALUES (2, 'c')", &[]).unwrap();
        let (_, lists) = conn.query_row_with_lists("SELECT 2", &[], &[("SELECT v FROM t WHERE k = $1", &[])]).unwrap().unwrap();
        assert_eq!(lists[0].len(), 1, "the caller's uncommitted row is seen");
        assert!(!conn.conn.is_autocommit(), "the caller's transaction goes on");
        conn.batch("ROLLBACK").unwrap();
    }

    #[test]
    fn rows_are_chunked_into_few_statement_shapes() {
        let values: Vec<Val> = (0..2 * 86).map(Val::Int).collect();
        let statements = chunked("INSERT INTO t (a, b) VALUES {rows}", 2, &values);
        let rows: Vec<usize> = statements.iter().map(|(_, v)| v.len() / 2).collect();
        assert_eq!(rows, [64, 16, 4, 1, 1]);
        assert_eq!(&*statements[3].0, "INSERT INTO t (a, b) VALUES ($1, $2)");
        assert_eq!(placeholder_rows(2, 2), "($1, $2), ($3, $4)");
        assert!(statements.iter().flat_map(|(_, v)| v.iter()).eq(values.iter()), "every value once, in order");
    }

    #[test]
    fn lists_join_their_row_in_one_statement() {
        let statement = row_with_lists_statement(
            "SELECT c.cid FROM c WHERE c.name = $1",
            1,
            &[("SELECT a FROM x WHERE cid = $1 LIMIT $2", &[Val::Int(5)]), ("SELECT b FROM y WHERE cid = $1 AND k = $2", &[Val::Int(7)])],
        );
        assert_eq!(
            statement,
            "SELECT main_row.*, (SELECT CAST(json_agg(l) AS TEXT) FROM (SELECT a FROM x WHERE cid = main_row.list_key LIMIT $2) l), \
             (SELECT CAST(json_agg(l) AS TEXT) FROM (SELECT b FROM y WHERE cid = main_row.list_key AND k = $3) l) \
             FROM (SELECT c.cid FROM c WHERE c.name = $1) AS main_row (list_key)"
        );
    }

    #[test]
    fn aggregated_rows_keep_column_order_and_every_digit() {
        let rows = json_rows(Val::Text(r#"[{"min": 3, "min": "a\"b", "x": 0.30000000000000004, "y": null, "z": 1e-7}]"#.into())).unwrap();
        assert_eq!(rows[0].0, [Val::Int(3), Val::Text("a\"b".into()), Val::Real(0.1 + 0.2), Val::Null, Val::Real(1e-7)]);
        assert!(json_rows(Val::Null).unwrap().is_empty(), "no rows: NULL");
    }

    #[test]
    fn placeholders_are_numbered_for_sqlite() {
        assert_eq!(sqlite_placeholders("SELECT $2, $1, '$x' WHERE a = $10"), "SELECT ?2, ?1, '$x' WHERE a = ?10");
    }
}
