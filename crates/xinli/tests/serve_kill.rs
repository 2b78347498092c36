//! `xinli serve` killed with SIGKILL in the middle of a load, then restarted: every event the
//! server acknowledged is stored, none twice, and the profiles agree with the events. Resending
//! everything afterwards (what SDKs do after errors) completes the set without duplicates.
//! On SQLite and on PostgreSQL.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use xinli_serve::client::Client;
use xinli_store::testdb::TestDb;
use xinli_store::{PiiCipher, Role, Store};

const PII_KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const THREADS: usize = 4;
const BATCHES: usize = 60;
const PER_BATCH: usize = 100;

fn start(db: &str, dir: &std::path::Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinli"))
        .args(["serve", "--db", db, "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("XINLI_PII_KEY", PII_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawning xinli serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    let url = first.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or_else(|| panic!("no URL in {first:?}"));
    // Keep reading stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url.parse().unwrap())
}

fn batch(t: usize, b: usize) -> serde_json::Value {
    let items: Vec<_> = (0..PER_BATCH)
        .map(|i| json!({"type": "track", "userId": format!("k{}", (t * 31 + b * 7 + i) % 200), "event": "Product Viewed",
                         "messageId": format!("kill-{t}-{b}-{i}"), "properties": {"product_id": format!("p{i}")}}))
        .collect();
    json!({"batch": items})
}

fn killed_mid_load_keeps_every_acknowledged_event(db: TestDb) {
    let location = db.location();
    let url = match &location {
        xinli_store::Location::Sqlite(p) => p.display().to_string(),
        xinli_store::Location::Postgres(u) => u.clone(),
    };
    let dir = std::env::temp_dir().join(format!("xinli-kill-{}-{}", std::process::id(), url.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let cipher = || PiiCipher::new(xinli_store::crypto::parse_key(PII_KEY).unwrap(), &[]);
    let mut keys = Store::open(&location, cipher()).unwrap();
    let key = keys.create_key(Role::Write, "load").unwrap().key;
    let analyst = keys.create_key(Role::Analyst, "check").unwrap().key;
    drop(keys);

    let (mut server, addr) = start(&url, &dir);
    let acked = Arc::new(Mutex::new(Vec::<(usize, usize)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let loaders: Vec<_> = (0..THREADS)
        .map(|t| {
            let (acked, stop, key) = (Arc::clone(&acked), Arc::clone(&stop), key.clone());
            std::thread::spawn(move || {
                let mut c = Client::new(addr).with_key(&key);
                for b in 0..BATCHES {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    match c.post_json("/v1/batch", &batch(t, b)) {
                        Ok(r) if r.status == 200 => acked.lock().unwrap().push((t, b)),
                        _ => return,
                    }
                }
            })
        })
        .collect();
    // Kill once a good part of the load is acknowledged, while requests are in flight.
    let started = Instant::now();
    while acked.lock().unwrap().len() < THREADS * BATCHES / 4 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for l in loaders {
        l.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty() && acked.len() < THREADS * BATCHES, "the kill must land mid-load ({} acknowledged)", acked.len());

    let (mut server, addr) = start(&url, &dir);
    let mut store = Store::open(&location, cipher()).unwrap();
    let stored: std::collections::HashSet<String> =
        store.raw_query("SELECT message_id FROM events", &[]).unwrap().iter().map(|r| r.text(0)).collect();
    for (t, b) in &acked {
        for i in 0..PER_BATCH {
            assert!(stored.contains(&format!("kill-{t}-{b}-{i}")), "acknowledged event kill-{t}-{b}-{i} lost");
        }
    }
    let profile_events = |store: &mut Store| -> i64 {
        store
            .raw_query("SELECT data FROM profiles", &[])
            .unwrap()
            .iter()
            .map(|r| serde_json::from_str::<serde_json::Value>(&r.text(0)).unwrap()["events"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(profile_events(&mut store), stored.len() as i64, "profiles committed with their events");

    // The clients resend everything: the set completes, nothing twice.
    let mut c = Client::new(addr).with_key(&key);
    for t in 0..THREADS {
        for b in 0..BATCHES {
            let r = c.post_json("/v1/batch", &batch(t, b)).unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
        }
    }
    // An API read returns once the store holds everything acknowledged before it (on SQLite
    // the writer applies behind the ingest log's answers); this connection then sees it all.
    assert_eq!(Client::new(addr).with_key(&analyst).get("/api/segments").unwrap().status, 200);
    let total = store.raw_query("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM events", &[]).unwrap();
    assert_eq!((total[0].int(0), total[0].int(1)), ((THREADS * BATCHES * PER_BATCH) as i64, (THREADS * BATCHES * PER_BATCH) as i64));
    assert_eq!(profile_events(&mut store), (THREADS * BATCHES * PER_BATCH) as i64);
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sqlite() {
    killed_mid_load_keeps_every_acknowledged_event(TestDb::sqlite());
}

#[test]
fn postgres() {
    killed_mid_load_keeps_every_acknowledged_event(
        TestDb::postgres().expect("PostgreSQL at 127.0.0.1:5432 (user postgres) is needed: scripts/test.sh starts it"),
    );
}
