//! The command line of the live service: `xinli import --db` loads the shipped CDNOW sample
//! into a store (twice: stored once), and `xinli keys` creates, lists and revokes keys.

use std::process::Command;

use xinli_store::testdb::TestDb;
use xinli_store::{PiiCipher, Store};

const PII_KEY: &str = "0202020202020202020202020202020202020202020202020202020202020202";

fn xinli(args: &[&str], dir: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinli")).args(args).arg("--data-dir").arg(dir).env("XINLI_PII_KEY", PII_KEY).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn import_db_loads_the_cdnow_sample_once() {
    let db = TestDb::sqlite();
    let dir = db.dir().unwrap().to_path_buf();
    let path = dir.join("xinli.db").display().to_string();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow_sample/CDNOW_sample.txt");
    let out_dir = dir.join("canonical").display().to_string();
    let args = ["import", sample, "--preset", "cdnow", "--out", &out_dir, "--db", &path];
    let (ok, stdout, stderr) = xinli(&args, &dir);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("stored 9276 + already stored 0"), "{stdout}");
    let (ok, stdout, _) = xinli(&args, &dir);
    assert!(ok);
    assert!(stdout.contains("stored 0 + already stored 9276"), "re-import stores nothing: {stdout}");
    let mut store = Store::open(&db.location(), PiiCipher::new(xinli_store::crypto::parse_key(PII_KEY).unwrap(), &[])).unwrap();
    let counts: std::collections::HashMap<_, _> = store.table_counts().unwrap().into_iter().collect();
    assert_eq!(counts["customers"], 2357);
    assert_eq!(counts["orders"], 6919);
    let orders: i64 = store
        .raw_query("SELECT data FROM profiles", &[])
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.text(0)).unwrap()["orders"].as_i64().unwrap())
        .sum();
    assert_eq!(orders, 6919, "every order counted once in the profiles");
}

#[test]
fn keys_create_list_revoke() {
    let db = TestDb::sqlite();
    let dir = db.dir().unwrap().to_path_buf();
    let (ok, key, _) = xinli(&["keys", "create", "--role", "analyst", "--name", "dash"], &dir);
    assert!(ok);
    let key = key.trim();
    assert!(key.starts_with("xk_"));
    let id = key.split('_').nth(1).unwrap();
    let (_, list, _) = xinli(&["keys", "list"], &dir);
    assert!(list.contains(id) && list.contains("analyst") && !list.contains(key), "{list}");
    let (ok, _, _) = xinli(&["keys", "revoke", id], &dir);
    assert!(ok);
    let (ok, _, stderr) = xinli(&["keys", "revoke", id], &dir);
    assert!(!ok && stderr.contains("no active key"), "{stderr}");
    let (ok, _, stderr) = xinli(&["keys", "create", "--role", "root"], &dir);
    assert!(!ok && stderr.contains("--role"), "{stderr}");
}
