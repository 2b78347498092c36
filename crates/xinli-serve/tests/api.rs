//! The HTTP API against a real server and a real database, on SQLite and on PostgreSQL.

mod common;

use std::collections::BTreeSet;

use common::Harness;
use serde_json::{json, Value};
use xinli_serve::client::Response;

fn ok(r: std::io::Result<Response>) -> Value {
    let r = r.expect("request");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn status(r: std::io::Result<Response>) -> u16 {
    r.expect("request").status
}

/// Every string of a JSON document, object keys included.
fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(fields) => fields.iter().flat_map(|(k, v)| std::iter::once(k.as_str()).chain(strings(v))).collect(),
        _ => Vec::new(),
    }
}

fn segment_tracking_api(h: Harness) {
    let mut sdk = h.sdk(&h.write);
    // Anonymous browsing, then sign-up: identify merges the two histories.
    for (i, event) in ["Product Viewed", "Product Added", "Checkout Started"].iter().enumerate() {
        let body = json!({"anonymousId": "dev-1", "event": event, "messageId": format!("t{i}"),
            "properties": {"product_id": "p1", "price": 9.5}, "timestamp": "2024-05-01T10:00:00Z"});
        assert_eq!(ok(sdk.post_json("/v1/track", &body))["stored"], 1);
    }
    let identify = json!({"userId": "u1", "anonymousId": "dev-1", "messageId": "i1",
        "traits": {"email": "u1@example.com", "name": "Ada", "plan": "pro", "consent_email": true}});
    ok(sdk.post_json("/v1/identify", &identify));
    ok(sdk.post_json("/v1/page", &json!({"userId": "u1", "name": "Home", "messageId": "pg1"})));
    ok(sdk.post_json("/v1/screen", &json!({"userId": "u1", "name": "Catalog", "messageId": "sc1"})));
    ok(sdk.post_json("/v1/group", &json!({"userId": "u1", "groupId": "g1", "messageId": "gr1", "traits": {"industry": "retail"}})));
    let batch = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "Order Completed", "messageId": "b1",
         "properties": {"order_id": "o1", "products": [{"product_id": "p1", "price": 9.5, "quantity": 2}]}},
        {"type": "track", "userId": "u1", "event": "Products Searched", "messageId": "b2", "properties": {"query": "tea"}},
        {"type": "track", "userId": "u1", "event": "Products Searched", "messageId": "b2", "properties": {"query": "tea"}},
        {"type": "alias", "userId": "u1", "previousId": "old-u1", "messageId": "b3"}
    ]});
    let r = ok(sdk.post_json("/v1/batch", &batch));
    assert_eq!((r["stored"].as_u64(), r["duplicates"].as_u64()), (Some(3), Some(1)));
    // A retried batch is stored once.
    let r = ok(sdk.post_json("/v1/batch", &batch));
    assert_eq!((r["stored"].as_u64(), r["duplicates"].as_u64()), (Some(0), Some(4)));

    let c = ok(h.api(&h.admin).get("/api/customers/u1"));
    assert_eq!(c["customer_id"], "u1");
    assert_eq!(c["profile"]["events"], 10.0);
    assert_eq!(c["profile"]["count_product_view"], 1.0);
    assert_eq!(c["profile"]["count_purchase"], 1.0);
    assert_eq!(c["profile"]["orders"], 1.0);
    assert_eq!(c["profile"]["total_spend"], 19.0);
    assert_eq!(c["pii"]["email"], "u1@example.com");
    assert_eq!(c["consent"]["email"], true);
    assert_eq!(c["traits"]["plan"], "pro");
    assert_eq!(c["traits"]["industry"], "retail");
    let ids: BTreeSet<String> = c["identities"].as_array().unwrap().iter().map(|p| p[1].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, BTreeSet::from(["dev-1".to_string(), "old-u1".to_string(), "u1".to_string()]));
    // The anonymous id and the aliased id lead to the same customer.
    assert_eq!(ok(h.api(&h.analyst).get("/api/customers/dev-1"))["customer_id"], "u1");
    let masked = ok(h.api(&h.analyst).get("/api/customers/u1"));
    assert_eq!(masked["pii"]["email"], "u***");
    assert_eq!(h.count("events"), 10);
    assert_eq!(h.count("customers"), 1);
    // gzip bodies (the SDKs' option) are read too.
    let body = json!({"batch": [{"type": "track", "userId": "u2", "event": "Product Viewed", "messageId": "z1"}]}).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, body.as_bytes()).unwrap();
    let r = sdk.request("POST", "/v1/batch", &[("content-type", "application/json"), ("content-encoding", "gzip")], &gz.finish().unwrap());
    assert_eq!(ok(r)["stored"], 1);
}

/// "Order Updated", "Order Shipped", "Order Delivered" and "Payment Info Entered" with an
/// `order_id` set the stored order's details, before or after the order arrives; each is also
/// an event, counted once.
fn later_events_update_the_order(h: Harness) {
    let mut sdk = h.sdk(&h.write);
    let track = |id: &str, event: &str, ts: &str, props: Value| json!({"type": "track", "userId": "u1", "event": event, "messageId": id, "timestamp": ts, "properties": props});
    let order = |id: &str, order_id: &str| track(id, "Order Completed", "2024-05-01T10:00:00Z", json!({"order_id": order_id, "payment_method": "card",
        "products": [{"product_id": "p1", "price": 10}, {"product_id": "p2", "price": 5}]}));
    let batch = json!({"batch": [
        order("m1", "o1"),
        track("m2", "Payment Info Entered", "2024-05-01T10:01:00Z", json!({"order_id": "o1", "payment_method": "COD"})),
        track("m3", "Order Shipped", "2024-05-02T08:00:00Z", json!({"order_id": "o1", "promised_delivery_at": "2024-05-03T00:00:00Z"})),
        // Before its order: kept until the order arrives.
        track("m4", "Order Delivered", "2024-05-09T12:00:00Z", json!({"order_id": "o2"})),
    ]});
    assert_eq!(ok(sdk.post_json("/v1/batch", &batch))["stored"], 4);
    ok(sdk.post_json("/v1/track", &track("m5", "Order Delivered", "2024-05-06T12:00:00Z", json!({"order_id": "o1"}))));
    ok(sdk.post_json("/v1/track", &track("m6", "Order Updated", "2024-05-06T13:00:00Z", json!({"order_id": "o1", "channel": "App"}))));
    assert_eq!(ok(sdk.post_json("/v1/track", &track("m5", "Order Delivered", "2024-05-06T12:00:00Z", json!({"order_id": "o1"}))))["duplicates"], 1);
    assert_eq!(h.count("order_updates"), 1, "o2's delivery waits for o2");
    ok(sdk.post_json("/v1/track", &order("m7", "o2")));
    assert_eq!(h.count("order_updates"), 0);
    let lines = h.store().raw_query(
        "SELECT order_id, payment_method, channel, promised_delivery_at, delivered_at FROM orders ORDER BY order_id, line", &[]).unwrap();
    let lines: Vec<_> = lines.iter().map(|r| (r.text(0), r.opt_text(1), r.opt_text(2), r.opt_int(3), r.opt_int(4))).collect();
    let (promised, delivered, delivered_o2) = (Some(1_714_694_400_000), Some(1_714_996_800_000), Some(1_715_256_000_000));
    let o1 = ("o1".to_string(), Some("cod".to_string()), Some("app".to_string()), promised, delivered);
    let o2 = ("o2".to_string(), Some("card".to_string()), None, None, delivered_o2);
    assert_eq!(lines, [o1.clone(), o1, o2.clone(), o2]);
    assert_eq!(h.count("events"), 7, "every update is an event too, counted once");
    assert_eq!(ok(h.api(&h.analyst).get("/api/customers/u1"))["profile"]["orders"], 2.0);
    let missing = sdk.post_json("/v1/track", &track("m8", "Order Shipped", "2024-05-02T08:00:00Z", json!({}))).unwrap();
    assert_eq!(missing.status, 400, "{}", missing.text());
}

fn hostile_requests_are_refused_and_store_nothing(h: Harness) {
    let body = json!({"userId": "u1", "event": "Product Viewed", "messageId": "h1"});
    let mut anonymous = xinli_serve::client::Client::new(h.addr());
    assert_eq!(status(anonymous.post_json("/v1/track", &body)), 401);
    let wrong = format!("{}x", h.write);
    assert_eq!(status(h.sdk(&wrong).post_json("/v1/track", &body)), 401);
    assert_eq!(status(h.sdk("xk_' OR '1'='1_--").post_json("/v1/track", &body)), 401);
    assert_eq!(status(h.sdk(&h.analyst).post_json("/v1/track", &body)), 403, "analysts do not ingest");
    assert_eq!(status(h.api(&h.write).get("/api/customers/u1")), 403, "write keys do not read");
    assert_eq!(status(h.api(&h.analyst).request("DELETE", "/api/customers/u1", &[], b"")), 403);
    assert_eq!(status(h.api(&h.analyst).post_json("/api/segments", &json!({"name": "x", "expression": "orders > 1"}))), 403);
    assert_eq!(status(h.api(&h.analyst).get("/api/keys")), 403);

    let mut sdk = h.sdk(&h.write);
    let big_event = json!({"userId": "u1", "event": "Product Viewed", "messageId": "h2", "properties": {"blob": "x".repeat(33 * 1024)}});
    let r = sdk.post_json("/v1/track", &big_event).unwrap();
    assert_eq!(r.status, 413);
    assert!(r.json()["error"].as_str().unwrap().contains("32 KB"));
    let items: Vec<Value> = (0..30)
        .map(|i| json!({"type": "track", "userId": "u1", "event": "Product Viewed", "messageId": format!("big{i}"), "properties": {"blob": "y".repeat(20_000)}}))
        .collect();
    assert_eq!(status(sdk.post_json("/v1/batch", &json!({"batch": items}))), 413, "over 500 KB");
    let in_batch = json!({"batch": [{"type": "track", "userId": "u1", "event": "a", "messageId": "ok1"},
                                    {"type": "track", "userId": "u1", "event": "b", "messageId": "big", "properties": {"blob": "z".repeat(33 * 1024)}}]});
    let r = sdk.post_json("/v1/batch", &in_batch).unwrap();
    assert_eq!((r.status, r.json()["index"].as_u64()), (413, Some(1)));
    for (path, raw) in [
        ("/v1/track", &b"{not json"[..]),
        ("/v1/batch", b"{\"batch\": 5}"),
        ("/v1/batch", b"[1,2,3]"),
        ("/v1/track", b"{\"event\": \"x\"}"),
        ("/v1/track", b"{\"userId\": \"u1\"}"),
        ("/v1/track", b"{\"userId\": \"u1\", \"event\": \"x\", \"timestamp\": \"last tuesday\"}"),
        ("/v1/track", b"{\"userId\": {\"$ne\": 1}, \"event\": \"x\"}"),
        ("/v1/alias", b"{\"userId\": \"u1\"}"),
        ("/v1/track", b"{\"userId\": \"u1\", \"event\": \"Order Completed\", \"properties\": {\"order_id\": \"o\", \"products\": [{\"price\": \"NaN\"}]}}"),
        ("/v1/track", b"{\"userId\": \"u1\", \"event\": \"x\", \"properties\": \"not an object\"}"),
        ("/v1/track", b"{\"userId\": \"\\u0000\", \"event\": \"x\"}"),
    ] {
        let r = sdk.request("POST", path, &[("content-type", "application/json")], raw).unwrap();
        assert_eq!(r.status, 400, "{path} {}: {}", String::from_utf8_lossy(raw), r.text());
        let err = r.json();
        assert!(err["error"].is_string() && err["error_zh"].is_string(), "{err}");
    }
    assert_eq!(h.count("events"), 0, "nothing stored by refused requests");
    assert_eq!(h.count("customers"), 0);
    // SQL-shaped ids are data: stored verbatim, tables intact.
    let evil = "1'; DROP TABLE events; --";
    ok(sdk.post_json("/v1/track", &json!({"userId": evil, "event": "Robert'); DROP TABLE customers;--", "messageId": "' OR 1=1 --"})));
    let path = format!("/api/customers/{}", "1%27%3B%20DROP%20TABLE%20events%3B%20--");
    assert_eq!(ok(h.api(&h.admin).get(&path))["customer_id"], evil);
    assert_eq!(ok(h.api(&h.admin).get("/api/customers?q=1%27%3B"))["customers"].as_array().unwrap().len(), 1);
    assert_eq!(status(h.api(&h.admin).get("/api/customers?limit=abc")), 400);
    assert_eq!(status(h.api(&h.admin).get("/api/segments/1%20OR%201=1")), 404);
    assert_eq!(status(h.api(&h.admin).get("/nowhere")), 404);
    assert_eq!(h.count("events"), 1);
    assert_eq!(ok(xinli_serve::client::Client::new(h.addr()).get("/healthz"))["status"], "ok");
}

fn query_api_segments_erasure_and_audit(h: Harness) {
    let mut sdk = h.sdk(&h.write);
    let mut admin = h.api(&h.admin);
    let order = |user: &str, id: &str, price: f64| {
        json!({"type": "track", "userId": user, "event": "Order Completed", "messageId": format!("m-{id}"),
               "properties": {"order_id": id, "revenue": price}})
    };
    ok(sdk.post_json("/v1/batch", &json!({"batch": [order("a", "1", 50.0), order("b", "2", 5.0),
        {"type": "identify", "userId": "a", "messageId": "ia", "traits": {"email": "a@example.com", "phone": "+1 555 0100"}}]})));
    let created = admin.post_json("/api/segments", &json!({"name": "vip", "expression": "total_spend >= 20", "description": "big"})).unwrap();
    assert_eq!(created.status, 201, "{}", created.text());
    let seg = created.json();
    let id = seg["id"].as_i64().unwrap();
    assert_eq!(seg["size"], 1);
    let bad = admin.post_json("/api/segments", &json!({"name": "bad", "expression": "total_spend >"})).unwrap();
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error_zh"].as_str().unwrap().contains('列'));
    assert_eq!(status(admin.post_json("/api/segments", &json!({"name": "vip", "expression": "orders > 0"}))), 409);
    ok(sdk.post_json("/v1/batch", &json!({"batch": [order("b", "3", 30.0)]})));
    let members = ok(admin.get(&format!("/api/segments/{id}/members")));
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    let changes = ok(admin.get(&format!("/api/segments/{id}/changes?since=0")));
    assert_eq!(changes["changes"].as_array().unwrap().len(), 2);
    let sizes = ok(admin.get(&format!("/api/segments/{id}/sizes?points=3")));
    assert_eq!(sizes["sizes"].as_array().unwrap().last().unwrap()["size"], 2);
    let updated = admin.request("PUT", &format!("/api/segments/{id}"), &[], json!({"expression": "total_spend >= 40"}).to_string().as_bytes()).unwrap();
    assert_eq!(updated.json()["size"], 1);
    assert_eq!(ok(h.api(&h.analyst).get("/api/segments"))["segments"].as_array().unwrap().len(), 1);
    let hits = ok(h.api(&h.analyst).get("/api/customers?email=A@example.com"));
    assert_eq!(hits["customers"][0]["customer_id"], "a");
    let hits = ok(h.api(&h.analyst).get("/api/customers?phone=1-555-0100"));
    assert_eq!(hits["customers"][0]["customer_id"], "a");
    let hits = ok(h.api(&h.analyst).get("/api/customers?min_orders=2"));
    assert_eq!(hits["customers"][0]["customer_id"], "b");
    let consent = admin.request("PUT", "/api/customers/a/consent", &[], br#"{"email": false, "sms": true}"#).unwrap();
    assert_eq!(consent.status, 200, "{}", consent.text());
    assert_eq!(ok(admin.get("/api/customers/a"))["consent"], json!({"email": false, "sms": true, "push": null}));

    // An analysis run (written by `xinli analyze --db` in another process) whose dashboard
    // quotes a complaint of each customer; the dashboard serves and caches it.
    let complaints = json!([{"review_id": "r-a", "customer_id": "a", "text": "too slow"}, {"review_id": "r-b", "customer_id": "b", "text": "meh"}]);
    let mut store = h.store();
    let documents = vec![("dashboard".to_string(), json!({"voice": {"top_complaints": complaints}}).to_string())];
    store.write_analysis(xinli_store::testdb::documents_run(documents)).unwrap();
    assert_eq!(ok(admin.get("/api/dashboard/voice"))["complaints"], complaints);

    // The ingest log (SQLite) holds the customer's records, sealed, until the erasure.
    let log_records = || -> u64 {
        let xinli_store::Location::Sqlite(path) = h.db.location() else { return 0 };
        let dir = xinli_serve::ingest_log::log_dir_for(&path);
        let segments = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "log"));
        // A segment without records is its 16-byte header.
        segments.map(|p| std::fs::metadata(p).unwrap().len().saturating_sub(16)).sum()
    };
    let logged_before = log_records();
    // Erasure: a receipt, then nothing of the customer anywhere, stored documents included.
    let erased = admin.request("DELETE", "/api/customers/a", &[], b"").unwrap();
    assert_eq!(erased.status, 200, "{}", erased.text());
    let receipt = &erased.json()["receipt"];
    assert!(receipt["receipt_id"].as_str().unwrap().starts_with("erasure-"));
    assert_eq!(receipt["documents_scrubbed"], 1);
    assert_eq!(status(admin.get("/api/customers/a")), 404);
    assert_eq!(status(admin.request("DELETE", "/api/customers/a", &[], b"")), 404);
    assert_eq!(ok(admin.get("/api/dashboard/voice"))["complaints"], json!([complaints[1]]), "the cached page is dropped");
    for table in xinli_store::migrate::TABLES {
        for row in store.raw_query(&format!("SELECT * FROM {table}"), &[]).unwrap() {
            let text = format!("{:?}", row.0);
            assert!(!text.contains("\"a\"") && !text.contains("m-1") && !text.contains("a@example") && !text.contains("too slow"), "{table}: {text}");
            for cell in &row.0 {
                let xinli_store::sql::Val::Text(t) = cell else { continue };
                let Ok(doc) = serde_json::from_str::<Value>(t) else { continue };
                assert!(!strings(&doc).into_iter().any(|s| s == "a" || s == "r-a"), "{table}: a JSON document still names the customer: {doc}");
            }
        }
    }
    if let xinli_store::Location::Sqlite(_) = h.db.location() {
        assert!(logged_before > 0, "the log held the batches");
        assert_eq!(log_records(), 0, "no ingest log segment keeps a record from before the erasure");
    }
    let audit = ok(admin.get("/api/audit"));
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["erase_customer", "set_consent", "update_segment", "create_segment"]);
    assert!(!audit.to_string().contains("a@example"), "no PII in the audit log");

    // Keys over the API: create, use, revoke.
    let created = admin.post_json("/api/keys", &json!({"role": "analyst", "name": "temp"})).unwrap();
    assert_eq!(created.status, 201);
    let key = created.json()["key"].as_str().unwrap().to_string();
    let key_id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(status(h.api(&key).get("/api/segments")), 200);
    ok(admin.request("DELETE", &format!("/api/keys/{key_id}"), &[], b""));
    assert_eq!(status(h.api(&key).get("/api/segments")), 401);
    assert_eq!(status(admin.request("DELETE", &format!("/api/segments/{id}"), &[], b"")), 200);
    let metrics = xinli_serve::client::Client::new(h.addr()).get("/metrics").unwrap().text();
    assert!(metrics.contains("xinli_messages_stored_total 4"), "{metrics}");
    assert!(metrics.contains("xinli_http_requests_total{route=\"/v1/batch\",status=\"200\"}"));
    // On SQLite every ingest answer came from the ingest log, and the writer's commits behind
    // it were synced off the writer thread.
    let counter = |name: &str| metrics.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<u64>().ok()).unwrap();
    let (synced_groups, logged) = (counter("xinli_wal_sync_groups_total"), counter("xinli_ingest_log_requests_total"));
    match h.db.location() {
        xinli_store::Location::Sqlite(_) => assert!(synced_groups >= 1 && logged == 2, "{metrics}"),
        _ => assert_eq!((synced_groups, logged), (0, 0), "PostgreSQL's commits sync themselves"),
    }
}

fn openapi_documents_every_route(h: Harness) {
    let doc = ok(xinli_serve::client::Client::new(h.addr()).get("/api/openapi.json"));
    assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let served: BTreeSet<String> = xinli_serve::route_paths().into_iter().map(String::from).collect();
    assert_eq!(documented, served);
    // Each documented operation exists: without a key it answers 401 (or 200 when public).
    let mut anonymous = xinli_serve::client::Client::new(h.addr());
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let concrete = path.replace("{id}", "1");
            let r = anonymous.request(&method.to_uppercase(), &concrete, &[], b"{}").unwrap();
            let public = op["x-xinli-role"] == "none";
            assert_eq!(r.status, if public { 200 } else { 401 }, "{method} {path}");
        }
    }
}

fn rate_limits_per_key(h: Harness) {
    let mut c = h.api(&h.analyst);
    let statuses: Vec<u16> = (0..20).map(|_| status(c.get("/api/segments"))).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(statuses[0], 200);
    let r = c.get("/api/segments").unwrap();
    if r.status == 429 {
        assert!(r.json()["error_zh"].is_string());
    }
    // Another key has its own bucket.
    assert_eq!(status(h.api(&h.admin).get("/api/segments")), 200);
}

/// With the re-check due on every request: argon2 runs once per presented key, and a key
/// revoked in another process (`xinli keys revoke`) is refused at its next request.
fn keys_pay_argon2_once_and_follow_revocation(h: Harness) {
    let verifications = || {
        let text = xinli_serve::client::Client::new(h.addr()).get("/metrics").unwrap().text();
        text.lines().find_map(|l| l.strip_prefix("xinli_api_key_verifications_total ")?.parse::<u64>().ok()).unwrap()
    };
    let mut analyst = h.api(&h.analyst);
    for _ in 0..5 {
        assert_eq!(status(analyst.get("/api/segments")), 200);
    }
    assert_eq!(verifications(), 1, "only the first presentation pays argon2");
    let id = h.analyst.split('_').nth(1).unwrap();
    assert!(h.store().revoke_key(id).unwrap());
    assert_eq!(status(analyst.get("/api/segments")), 401, "revoked in another process");
    assert_eq!(status(analyst.get("/api/segments")), 401);
    assert_eq!(status(h.api(&h.admin).get("/api/segments")), 200, "other keys are unaffected");
}

fn concurrent_batches_are_group_committed_exactly_once(h: Harness) {
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let mut sdk = h.sdk(&h.write);
            std::thread::spawn(move || {
                for b in 0..20 {
                    let batch: Vec<Value> = (0..50)
                        .map(|i| json!({"type": "track", "userId": format!("c{}", (t * 7 + i) % 40), "event": "Product Viewed",
                                        "messageId": format!("{t}-{b}-{i}"), "properties": {"product_id": "p"}}))
                        .collect();
                    let body = json!({"batch": batch});
                    assert_eq!(ok(sdk.post_json("/v1/batch", &body))["stored"], 50);
                    // A client retry after a lost answer: all duplicates.
                    if b % 5 == 0 {
                        assert_eq!(ok(sdk.post_json("/v1/batch", &body))["duplicates"], 50);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(h.count("events"), 6 * 20 * 50);
    let mut store = h.store();
    let total: i64 = store.raw_query("SELECT data FROM profiles", &[]).unwrap().iter()
        .map(|r| serde_json::from_str::<Value>(&r.text(0)).unwrap()["events"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 6000, "profiles count every event once");
    // A stop waits for the writer, then leaves the ingest log empty: nothing to replay.
    let mut h = h;
    h.stop();
    if let xinli_store::Location::Sqlite(path) = h.db.location() {
        let left: Vec<_> = std::fs::read_dir(xinli_serve::ingest_log::log_dir_for(&path)).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["lock"], "segments left after a clean stop");
    }
}

macro_rules! both_backends {
    ($($name:ident $(with $tweak:expr)?),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() {
                let h = crate::common::start(crate::common::sqlite(), |_c| { $( ($tweak)(_c) )? });
                super::$name(h)
            } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                let h = crate::common::start(crate::common::postgres(), |_c| { $( ($tweak)(_c) )? });
                super::$name(h)
            } )*
        }
    };
}

both_backends!(
    segment_tracking_api,
    later_events_update_the_order,
    hostile_requests_are_refused_and_store_nothing,
    query_api_segments_erasure_and_audit,
    openapi_documents_every_route,
    rate_limits_per_key with |c: &mut xinli_serve::ServeConfig| c.rate_limit = 1.0,
    keys_pay_argon2_once_and_follow_revocation with |c: &mut xinli_serve::ServeConfig| c.key_recheck = std::time::Duration::ZERO,
    concurrent_batches_are_group_committed_exactly_once,
);
