//! A real Segment client nobody here wrote — PyPI's `segment-analytics-python`, installed into
//! target/segment-venv by scripts/setup-segment-client.sh — sends 10,000 mixed messages
//! (e-commerce tracks, orders, identifies, pages, screens, aliases); each is stored exactly once
//! and counted exactly once in the profiles. On SQLite and on PostgreSQL.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const MESSAGES: usize = 10_000;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let out = Command::new("bash").arg(workspace().join("scripts/setup-segment-client.sh")).output().expect("running setup-segment-client.sh");
    assert!(out.status.success(), "setup-segment-client.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn real_segment_client_messages_arrive_exactly_once(h: common::Harness) {
    let ids_file = h.db.location().display().to_string().replace(['/', ':', '@'], "_");
    let ids_path = std::env::temp_dir().join(format!("segment-ids-{ids_file}.txt"));
    let out = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/segment_client.py"))
        .arg(format!("http://{}", h.addr()))
        .arg(&h.write)
        .arg(MESSAGES.to_string())
        .arg(&ids_path)
        .output()
        .expect("running the Segment client");
    assert!(out.status.success(), "the Segment client failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    let sent: Vec<String> = std::fs::read_to_string(&ids_path).unwrap().lines().map(str::to_string).collect();
    let _ = std::fs::remove_file(&ids_path);
    assert_eq!(sent.len(), MESSAGES);
    let sent_set: BTreeSet<&str> = sent.iter().map(String::as_str).collect();
    assert_eq!(sent_set.len(), MESSAGES, "the client generated unique messageIds");

    let mut store = h.store();
    let stored: Vec<String> = store.raw_query("SELECT message_id FROM events", &[]).unwrap().iter().map(|r| r.text(0)).collect();
    let stored_set: BTreeSet<&str> = stored.iter().map(String::as_str).collect();
    assert_eq!(stored.len(), MESSAGES, "every message stored once");
    assert_eq!(stored_set, sent_set);
    let profile_events: i64 = store
        .raw_query("SELECT data FROM profiles", &[])
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.text(0)).unwrap()["events"].as_i64().unwrap())
        .sum();
    assert_eq!(profile_events, MESSAGES as i64, "every message counted once in the profiles");
    let orders = store.raw_query("SELECT COUNT(DISTINCT order_id) FROM orders", &[]).unwrap()[0].int(0);
    let purchases = store.raw_query("SELECT COUNT(*) FROM events WHERE event_type = 'purchase'", &[]).unwrap()[0].int(0);
    assert_eq!(orders, purchases, "each Order Completed is one order");
    assert!(orders > 500, "{orders}");
    // Emails arrived through identify but are sealed: no clear email in any events row.
    let leaked = store.raw_query("SELECT COUNT(*) FROM events WHERE properties LIKE '%@example.com%' OR context LIKE '%@example.com%'", &[]).unwrap();
    assert_eq!(leaked[0].int(0), 0);
}

#[test]
fn sqlite() {
    real_segment_client_messages_arrive_exactly_once(common::start(common::sqlite(), |_| {}));
}

#[test]
fn postgres() {
    real_segment_client_messages_arrive_exactly_once(common::start(common::postgres(), |_| {}));
}
