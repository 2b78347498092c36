//! Fresh databases for tests and benchmarks: a SQLite file in a new temporary directory, or a
//! new PostgreSQL database (created on the server at `XINLI_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), both removed on drop.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Location, StoreError};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The admin URL of the PostgreSQL server tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("XINLI_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// An analysis run (as of 2024-05-01) that brings only JSON documents, no per-customer rows.
pub fn documents_run(artifacts: Vec<(String, String)>) -> crate::AnalysisOutput<'static> {
    crate::AnalysisOutput {
        run_id: None,
        source: "test".into(),
        as_of: Some("2024-05-01".into()),
        scores: Box::new(std::iter::empty()),
        evidence: Box::new(std::iter::empty()),
        recommendations: Box::new(std::iter::empty()),
        artifacts,
    }
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

pub enum TestDb {
    Sqlite { dir: PathBuf },
    Postgres { admin: String, name: String },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("xinli_store"));
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        TestDb::Sqlite { dir }
    }

    /// A new, empty PostgreSQL database.
    pub fn postgres() -> Result<TestDb, StoreError> {
        let admin = postgres_admin_url();
        let name = unique("xinli_test");
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)?;
        client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        Ok(TestDb::Postgres { admin, name })
    }

    pub fn location(&self) -> Location {
        match self {
            TestDb::Sqlite { dir } => Location::Sqlite(dir.join("xinli.db")),
            TestDb::Postgres { admin, name } => {
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Location::Postgres(format!("{base}/{name}"))
            }
        }
    }

    /// The SQLite database's directory (its file and WAL live here).
    pub fn dir(&self) -> Option<&std::path::Path> {
        match self {
            TestDb::Sqlite { dir } => Some(dir),
            TestDb::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { admin, name } => {
                if let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls) {
                    let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}
