//! A real server on 127.0.0.1:0 over a fresh database, with one key of each role.
#![allow(dead_code)] // each test file uses part of the harness

use base64::Engine;
use xinli_serve::client::Client;
use xinli_serve::{spawn, RunningServer, ServeConfig};
use xinli_store::testdb::TestDb;
use xinli_store::{PiiCipher, Role, Store};

pub const PII_KEY: [u8; 32] = [5; 32];

pub struct Harness {
    pub server: Option<RunningServer>,
    pub write: String,
    pub analyst: String,
    pub admin: String,
    pub db: TestDb,
}

pub fn start(db: TestDb, tweak: impl FnOnce(&mut ServeConfig)) -> Harness {
    let mut store = Store::open(&db.location(), PiiCipher::new(PII_KEY, &[])).expect("opening the test store");
    let write = store.create_key(Role::Write, "sdk").unwrap().key;
    let analyst = store.create_key(Role::Analyst, "analyst").unwrap().key;
    let admin = store.create_key(Role::Admin, "admin").unwrap().key;
    drop(store);
    let mut config = ServeConfig::new(db.location(), PiiCipher::new(PII_KEY, &[]));
    tweak(&mut config);
    let server = spawn(config).expect("starting the server");
    Harness { server: Some(server), write, analyst, admin, db }
}

pub fn sqlite() -> TestDb {
    TestDb::sqlite()
}

pub fn postgres() -> TestDb {
    TestDb::postgres().expect("PostgreSQL at 127.0.0.1:5432 (user postgres) is needed: scripts/test.sh starts it")
}

impl Harness {
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").addr
    }

    /// A client sending `key` the way Segment SDKs do: HTTP Basic, key as user, no password.
    pub fn sdk(&self, key: &str) -> Client {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
        Client::new(self.addr()).with_authorization(Some(format!("Basic {basic}")))
    }

    pub fn api(&self, key: &str) -> Client {
        Client::new(self.addr()).with_key(key)
    }

    /// A separate connection for checking what was stored. An API read first: it returns only
    /// once the store holds every event acknowledged before it (on SQLite the writer applies
    /// behind the ingest log's acknowledgements); a bare connection could look too early.
    pub fn store(&self) -> Store {
        if let Some(server) = &self.server {
            let answer = Client::new(server.addr).with_key(&self.analyst).get("/api/segments").expect("an API read");
            assert_eq!(answer.status, 200, "{}", answer.text());
        }
        Store::open(&self.db.location(), PiiCipher::new(PII_KEY, &[])).unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.store().table_counts().unwrap().into_iter().find(|(t, _)| *t == table).unwrap().1
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop();
    }
}
