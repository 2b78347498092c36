//! The funnel engine against an independent SQL computation in real SQLite, on the real Taobao
//! UserBehavior excerpts (`shared/data/taobao_user_behavior`).
//!
//! Rust side: the events come from `xinli_ingest::import_preset(Preset::Taobao, …)`.
//! SQL side: the same CSV read line by line into a table `ev(user, b, ts)` with the raw
//! behaviour codes (`pv`, `cart`, `fav`, `buy`), and the funnel written as self-joins: for every
//! distinct step-1 occurrence (user, t1), t2 = the earliest step-2 event strictly after t1 and
//! at most t1 + window, t3 = the earliest step-3 event strictly after t2 and at most
//! t1 + window, …; a user's level is the maximum over their step-1 occurrences (taking the
//! earliest next step is optimal for a fixed start). This is the rule the Rust engine states
//! (any step-1 occurrence, strict order, inclusive window) computed a different way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use xinli_core::{EventType, Subject};
use xinli_journey::{funnel, funnel_users};

/// `shared/` beside the repository (CI's layout), else `/work/shared`.
fn data_dir() -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/taobao_user_behavior");
    if beside.exists() {
        beside
    } else {
        PathBuf::from("/work/shared/data/taobao_user_behavior")
    }
}

fn code(t: EventType) -> &'static str {
    match t {
        EventType::ProductView => "pv",
        EventType::AddToCart => "cart",
        EventType::Wishlist => "fav",
        EventType::Purchase => "buy",
        other => panic!("no Taobao code for {other:?}"),
    }
}

fn load_sqlite(path: &Path) -> Connection {
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch("CREATE TABLE ev (user TEXT NOT NULL, b TEXT NOT NULL, ts INTEGER NOT NULL);").unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    {
        let tx = db.unchecked_transaction().unwrap();
        {
            let mut ins = tx.prepare("INSERT INTO ev (user, b, ts) VALUES (?1, ?2, ?3)").unwrap();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let f: Vec<&str> = line.trim().split(',').collect();
                assert_eq!(f.len(), 5, "{line}");
                ins.execute(rusqlite::params![f[0], f[3], f[4].parse::<i64>().unwrap()]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    db.execute_batch("CREATE INDEX ev_ubt ON ev (user, b, ts);").unwrap();
    db
}

/// The funnel in SQL: (user → furthest step reached, 1-based) for every user who did step 1.
fn sql_levels(db: &Connection, steps: &[&str], window: i64) -> HashMap<String, usize> {
    let n = steps.len();
    let mut sql = format!("WITH r1 AS (SELECT DISTINCT user, ts AS t1 FROM ev WHERE b = '{}')", steps[0]);
    for k in 2..=n {
        let prev_cols: Vec<String> = (1..k).map(|j| format!("r.t{j}")).collect();
        sql += &format!(
            ",\n r{k} AS (SELECT r.user, {cols}, MIN(e.ts) AS t{k} FROM r{p} r LEFT JOIN ev e \
             ON e.user = r.user AND e.b = '{b}' AND r.t{p} IS NOT NULL AND e.ts > r.t{p} AND e.ts <= r.t1 + {w} \
             GROUP BY r.user, {cols})",
            cols = prev_cols.join(", "),
            p = k - 1,
            b = steps[k - 1],
            w = window,
        );
    }
    let level: String = (2..=n).rev().map(|k| format!("WHEN t{k} IS NOT NULL THEN {k} ")).collect();
    sql += &format!(
        "\nSELECT user, MAX(CASE {level}ELSE 1 END) AS level FROM r{n} GROUP BY user"
    );
    let mut stmt = db.prepare(&sql).unwrap();
    let rows = stmt
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as usize)))
        .unwrap();
    rows.map(|r| r.unwrap()).collect()
}

fn check(file: &str, funnels: &[(&[EventType], i64)]) {
    let path = data_dir().join(file);
    assert!(path.exists(), "missing {}", path.display());
    let outcome = xinli_ingest::import_preset(xinli_ingest::Preset::Taobao, &[&path], &Default::default()).unwrap();
    assert_eq!(outcome.summary.quarantined(), 0);
    let events = &outcome.shop.events;
    let db = load_sqlite(&path);
    let rows: i64 = db.query_row("SELECT COUNT(*) FROM ev", [], |r| r.get(0)).unwrap();
    assert_eq!(rows as usize, events.len());
    for &(steps, window) in funnels {
        let started = std::time::Instant::now();
        // Breakdown by user-id parity: the groups must add up to the totals.
        let report = funnel(events, steps, window, |s, _| match s {
            Subject::Customer(id) => Some(if id.as_str().bytes().last().unwrap() % 2 == 0 { "even" } else { "odd" }.to_string()),
            Subject::Anonymous(_) => None,
        });
        let rust_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = std::time::Instant::now();
        let codes: Vec<&str> = steps.iter().map(|&t| code(t)).collect();
        let sql = sql_levels(&db, &codes, window);
        let sql_ms = started.elapsed().as_secs_f64() * 1e3;
        let mut sql_counts = vec![0u64; steps.len()];
        for &level in sql.values() {
            for c in sql_counts.iter_mut().take(level) {
                *c += 1;
            }
        }
        let rust_counts: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
        let names: Vec<&str> = steps.iter().map(|t| t.name()).collect();
        println!(
            "{file}: {} within {window}s — Rust {rust_counts:?} ({rust_ms:.0} ms), SQL {sql_counts:?} ({sql_ms:.0} ms); conversion from first {:?}",
            names.join(" → "),
            report.steps.iter().map(|s| format!("{:.4}", s.conversion_from_first)).collect::<Vec<_>>()
        );
        assert_eq!(rust_counts, sql_counts, "{file} {names:?} {window}");
        // Per user, too.
        let users = funnel_users(events, steps, window);
        assert_eq!(users.len(), sql.len());
        for u in &users {
            let Subject::Customer(id) = &u.subject else { panic!("Taobao users are customers") };
            assert_eq!(Some(&u.reached), sql.get(id.as_str()), "user {id}");
        }
        // Breakdown groups add up.
        for (k, total) in rust_counts.iter().enumerate() {
            let sum: u64 = report.breakdown.iter().map(|g| g.steps[k].users).sum();
            assert_eq!(sum, *total);
        }
        assert_eq!(report.users_without_key, 0);
    }
}

const PV: EventType = EventType::ProductView;
const CART: EventType = EventType::AddToCart;
const FAV: EventType = EventType::Wishlist;
const BUY: EventType = EventType::Purchase;

#[test]
fn taobao_slice_funnels_match_sqlite() {
    check(
        "UserBehavior_20171126_0100-0310_slice.csv",
        &[
            (&[PV, CART, BUY], 3600),
            (&[PV, BUY], 3600),
            (&[PV, CART, BUY], 600),
            (&[PV, FAV, CART, BUY], 7200),
            (&[PV, PV, CART], 1800),
        ],
    );
}

#[test]
fn taobao_head_funnels_match_sqlite() {
    check(
        "UserBehavior_head_first43users.csv",
        &[
            (&[PV, CART, BUY], 7 * 86_400),
            (&[PV, CART, BUY], 3600),
            (&[PV, BUY], 86_400),
            (&[CART, BUY], 0),
            (&[PV, PV, PV, BUY], 86_400),
        ],
    );
}
