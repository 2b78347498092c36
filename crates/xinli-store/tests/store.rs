//! One suite, both backends: every test runs on a fresh SQLite file and on a fresh PostgreSQL
//! database (`mod sqlite`, `mod postgres`).

use xinli_core::EventType;
use xinli_store::export::{Part, SurveyAnswer};
use xinli_store::sql::Val;
use xinli_store::testdb::TestDb;
use xinli_store::{
    AnalysisOutput, Consent, Evidence, Recommendation, ScoreInput, Message, MessageKind, OrderInput, OrderLineInput, OrderState, OrderUpdate, Pii, PiiCipher, ReviewInput, Role, SearchQuery, SegmentError,
    Store, Traits,
};

const T0: i64 = 1_714_550_400_000; // 2024-05-01
const MIN: i64 = 60_000;

/// The store as the server's writer uses it (write cache on): the suite checks that cached
/// profiles and identities give the same answers as the tables.
fn open(db: &TestDb) -> Store {
    let mut store = Store::open(&db.location(), PiiCipher::new([3; 32], &[])).expect("opening the test store");
    store.enable_write_cache().expect("the writer's settings");
    store
}

fn track(id: &str, user: Option<&str>, anon: Option<&str>, event: EventType, ts: i64) -> Message {
    Message { name: Some(event.name().into()), event_type: Some(event), ..Message::new(id, MessageKind::Track, user, anon, ts) }
}

fn order(id: &str, user: &str, order_id: &str, amount: f64, state: OrderState, ts: i64) -> Message {
    let lines = if state == OrderState::Completed {
        vec![OrderLineInput { product_id: Some("p1".into()), category: None, quantity: 1.0, unit_price: amount, coupon_code: None, details: Default::default() }]
    } else {
        Vec::new()
    };
    Message {
        name: Some("Order Completed".into()),
        event_type: (state == OrderState::Completed).then_some(EventType::Purchase),
        order: Some(OrderInput { order_id: order_id.into(), state, lines }),
        ..Message::new(id, MessageKind::Track, Some(user), None, ts)
    }
}

fn identify(id: &str, user: &str, anon: Option<&str>, pii: Pii, ts: i64) -> Message {
    Message {
        traits: Some(Traits { pii, consent: Consent { email: Some(true), sms: None, push: Some(false) }, other: None }),
        ..Message::new(id, MessageKind::Identify, Some(user), anon, ts)
    }
}

fn field(store: &mut Store, user: &str, name: &str) -> serde_json::Value {
    let c = store.customer_360(user, true, T0 + 86_400_000, 50).unwrap().unwrap_or_else(|| panic!("{user} not found"));
    serde_json::to_value(&c.profile).unwrap()[name].clone()
}

fn count(store: &mut Store, table: &str) -> i64 {
    store.table_counts().unwrap().into_iter().find(|(t, _)| *t == table).unwrap().1
}

fn migrations_run_once(db: &TestDb) {
    drop(open(db));
    let mut s = open(db);
    let rows = s.raw_query("SELECT version FROM schema_migrations", &[]).unwrap();
    assert_eq!(rows.len(), 9);
    assert!(s.table_counts().unwrap().iter().all(|(_, n)| *n == 0));
}

fn repeated_message_ids_are_stored_once(db: &TestDb) {
    let mut s = open(db);
    let m = track("m1", Some("u1"), None, EventType::ProductView, T0);
    let first = s.ingest(&[m.clone(), m.clone()]).unwrap();
    assert_eq!((first.stored, first.duplicates), (1, 1));
    let again = s.ingest(&[m]).unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 1));
    assert_eq!(count(&mut s, "events"), 1);
    assert_eq!(field(&mut s, "u1", "events"), 1.0);
    // Group commit: the same id in two requests of one transaction counts in the later one.
    let a = [track("g1", Some("u1"), None, EventType::Search, T0 + MIN)];
    let b = [track("g1", Some("u1"), None, EventType::Search, T0 + MIN), track("g2", Some("u1"), None, EventType::Search, T0 + MIN)];
    let (outcomes, _) = s.ingest_groups(&[&a, &b]).unwrap();
    assert_eq!((outcomes[0].stored, outcomes[1].stored, outcomes[1].duplicates), (1, 1, 1));
    assert_eq!(field(&mut s, "u1", "count_search"), 2.0);
}

/// The writer's commits with their WAL syncs deferred: on SQLite a sync is owed, other
/// connections see the events at once, and performing it succeeds; PostgreSQL's commits sync
/// themselves, so none is owed there.
fn deferred_wal_syncs_are_owed_on_sqlite_only(db: &TestDb) {
    let mut writer = open(db);
    writer.enable_write_cache().unwrap();
    let mut reader = open(db);
    let (outcome, owed) = writer.deferring_wal_sync(|s| s.ingest(&[track("w1", Some("uw"), None, EventType::ProductView, T0)]));
    assert_eq!(outcome.unwrap().stored, 1);
    assert_eq!(count(&mut reader, "events"), 1);
    match db.location() {
        xinli_store::Location::Sqlite(_) => owed.expect("a sync owed on SQLite").perform().unwrap(),
        _ => assert!(owed.is_none(), "PostgreSQL's commits sync themselves"),
    }
    // Nothing committed: nothing owed.
    let ((), owed) = writer.deferring_wal_sync(|_| ());
    assert!(owed.is_none());
}

/// Two connections write at once (the server's writer and `xinli import --db` beside it): the
/// second waits for the first's transaction instead of failing with "database is locked", even
/// though its own transaction reads before it writes.
fn concurrent_writers_wait_for_each_other(db: &TestDb) {
    let mut first = open(db);
    let mut second = open(db);
    first.ingest(&[track("c0", Some("uc"), None, EventType::ProductView, T0)]).unwrap();
    let (held_tx, held) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        first
            .transaction(|s| {
                s.raw_query("UPDATE profiles SET stage = stage WHERE cid = (SELECT MIN(cid) FROM profiles)", &[])?;
                held_tx.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(())
            })
            .unwrap();
    });
    held.recv().unwrap();
    let out = second.ingest(&[track("c1", Some("uc"), None, EventType::ProductView, T0 + MIN)]).unwrap();
    assert_eq!(out.stored, 1);
    holder.join().unwrap();
    assert_eq!(count(&mut second, "events"), 2);
}

/// After a bulk load the tables have statistics on PostgreSQL (its planner needs them; this
/// machine's server runs without autovacuum); SQLite is left as it was tuned, without them.
fn bulk_loads_gather_statistics(db: &TestDb) {
    let mut s = open(db);
    s.ingest(&[track("a1", Some("ua"), None, EventType::ProductView, T0)]).unwrap();
    s.gather_statistics().unwrap();
    match db.location() {
        xinli_store::Location::Sqlite(_) => {
            let stat_tables = s.raw_query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'", &[]).unwrap();
            assert_eq!(stat_tables[0].int(0), 0);
        }
        _ => {
            let analyzed = s.raw_query("SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'events' AND last_analyze IS NOT NULL", &[]).unwrap();
            assert_eq!(analyzed[0].int(0), 1);
        }
    }
}

/// Every connection that ingests knows the ids stored through any other (SQLite keeps them in
/// memory, PostgreSQL in its unique index), after a reopen too; an erased message is new again.
fn message_ids_are_known_across_connections_and_erasure(db: &TestDb) {
    let mut first = open(db);
    let mut second = open(db);
    let a = track("x1", Some("ux"), None, EventType::ProductView, T0);
    let b = track("x2", Some("ux"), None, EventType::ProductView, T0 + MIN);
    assert_eq!(first.ingest(std::slice::from_ref(&a)).unwrap().stored, 1);
    // The second connection learns x1 from the table; the first learns x2 from it in turn.
    let out = second.ingest(&[a.clone(), b.clone()]).unwrap();
    assert_eq!((out.stored, out.duplicates), (1, 1));
    let out = first.ingest(&[a.clone(), b.clone()]).unwrap();
    assert_eq!((out.stored, out.duplicates), (0, 2));
    drop((first, second));
    let mut reopened = open(db);
    let out = reopened.ingest(&[a.clone(), b.clone(), track("x3", Some("ux"), None, EventType::Search, T0 + 2 * MIN)]).unwrap();
    assert_eq!((out.stored, out.duplicates), (1, 2));
    assert_eq!(count(&mut reopened, "events"), 3);
    reopened.erase_customer("ux").unwrap().expect("a receipt");
    let out = reopened.ingest(&[a, b]).unwrap();
    assert_eq!((out.stored, out.duplicates), (2, 0));
    assert_eq!(count(&mut reopened, "events"), 2);
}

fn identify_and_alias_merge_histories_without_loss(db: &TestDb) {
    let mut s = open(db);
    let anon: Vec<Message> = (0..3).map(|i| track(&format!("a{i}"), None, Some("anon-1"), EventType::ProductView, T0 + i * MIN)).collect();
    s.ingest(&anon).unwrap();
    s.ingest(&[track("k0", Some("u1"), None, EventType::AddToCart, T0 + 5 * MIN)]).unwrap();
    let out = s.ingest(&[identify("i1", "u1", Some("anon-1"), Pii::default(), T0 + 6 * MIN)]).unwrap();
    assert_eq!(out.merges, 1);
    assert_eq!(field(&mut s, "u1", "events"), 5.0);
    assert_eq!(field(&mut s, "u1", "count_product_view"), 3.0);
    assert_eq!(count(&mut s, "customers"), 1);
    assert_eq!(count(&mut s, "events"), 5);
    // The anonymous id now names the known customer.
    assert_eq!(s.customer_360("anon-1", true, T0, 10).unwrap().unwrap().customer_id, "u1");
    // Later anonymous events of that device join the customer directly.
    s.ingest(&[track("a9", None, Some("anon-1"), EventType::Search, T0 + 7 * MIN)]).unwrap();
    assert_eq!(field(&mut s, "u1", "events"), 6.0);
    // alias: an older user id merges into the new one.
    s.ingest(&[order("o-old", "old-id", "order-old", 40.0, OrderState::Completed, T0)]).unwrap();
    let alias = Message { previous_id: Some("old-id".into()), ..Message::new("al1", MessageKind::Alias, Some("u1"), None, T0 + 8 * MIN) };
    assert_eq!(s.ingest(&[alias]).unwrap().merges, 1);
    assert_eq!(field(&mut s, "u1", "orders"), 1.0);
    assert_eq!(field(&mut s, "u1", "events"), 8.0);
    assert_eq!(count(&mut s, "customers"), 1);
    assert!(s.customer_360("old-id", false, T0, 1).unwrap().is_some());
}

fn orders_update_rfm_and_reversals(db: &TestDb) {
    let mut s = open(db);
    s.ingest(&[
        order("o1", "u1", "A", 30.0, OrderState::Completed, T0),
        order("o2", "u1", "B", 10.0, OrderState::Completed, T0 + 2 * 86_400_000),
        // Same order id again under another messageId: not a second order.
        order("o3", "u1", "B", 10.0, OrderState::Completed, T0 + 2 * 86_400_000),
    ])
    .unwrap();
    assert_eq!(field(&mut s, "u1", "orders"), 2.0);
    assert_eq!(field(&mut s, "u1", "frequency"), 1.0);
    assert_eq!(field(&mut s, "u1", "recency"), 2.0);
    assert_eq!(field(&mut s, "u1", "monetary"), 20.0);
    s.ingest(&[order("o4", "u1", "B", 0.0, OrderState::Returned, T0 + 3 * 86_400_000)]).unwrap();
    assert_eq!(field(&mut s, "u1", "orders"), 1.0);
    assert_eq!(field(&mut s, "u1", "total_spend"), 30.0);
    let c = s.customer_360("u1", false, T0, 10).unwrap().unwrap();
    assert_eq!(c.orders.iter().find(|o| o.order_id == "B").unwrap().status, "returned");
}

fn pii_is_sealed_and_found_by_blind_index(db: &TestDb) {
    let mut s = open(db);
    let pii = Pii { email: Some("ada@example.com".into()), phone: Some("+86 138 0000 0000".into()), name: Some("Ada Lovelace".into()), address: None };
    s.ingest(&[identify("i1", "u1", None, pii.clone(), T0)]).unwrap();
    for table in xinli_store::migrate::TABLES {
        for row in s.raw_query(&format!("SELECT * FROM {table}"), &[]).unwrap() {
            for v in row.0 {
                let text = match v {
                    Val::Text(t) => t,
                    Val::Blob(b) => String::from_utf8_lossy(&b).into_owned(),
                    _ => continue,
                };
                assert!(!text.contains("ada@") && !text.contains("Lovelace") && !text.contains("138 0000"), "clear PII in {table}: {text}");
            }
        }
    }
    let admin = s.customer_360("u1", true, T0, 5).unwrap().unwrap();
    assert_eq!(admin.pii, pii);
    assert_eq!(admin.consent, Consent { email: Some(true), sms: None, push: Some(false) });
    let analyst = s.customer_360("u1", false, T0, 5).unwrap().unwrap();
    assert_eq!(analyst.pii.email.as_deref(), Some("a***"));
    let hits = s.search_customers(&SearchQuery { email: Some(" ADA@example.com".into()), limit: 10, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].customer_id, "u1");
    // The phone's digits are what is indexed: any common way of writing it finds the customer.
    let by_phone = |s: &mut Store, phone: &str| {
        s.search_customers(&SearchQuery { phone: Some(phone.into()), limit: 10, ..Default::default() }).unwrap().into_iter().map(|h| h.customer_id).collect::<Vec<_>>()
    };
    for written in ["13800000000", "+86 138-0000-0000", "0086 (138) 0000 0000"] {
        assert_eq!(by_phone(&mut s, written), ["u1"], "{written}");
    }
    for other in ["13800000001", "0000", ""] {
        assert!(by_phone(&mut s, other).is_empty(), "{other}");
    }
    // Rotation: a store opened with a new key and the old one as previous still reads it.
    drop(s);
    let mut rotated = Store::open(&db.location(), PiiCipher::new([4; 32], &[[3; 32]])).unwrap();
    assert_eq!(rotated.customer_360("u1", true, T0, 5).unwrap().unwrap().pii, pii);
    assert_eq!(rotated.rotate_pii().unwrap(), 1);
    drop(rotated);
    let mut only_new = Store::open(&db.location(), PiiCipher::new([4; 32], &[])).unwrap();
    assert_eq!(only_new.customer_360("u1", true, T0, 5).unwrap().unwrap().pii, pii);
    let hits = only_new.search_customers(&SearchQuery { email: Some("ada@example.com".into()), limit: 10, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1, "the blind index follows the rotation");
    let hits = only_new.search_customers(&SearchQuery { phone: Some("138 0000 0000".into()), limit: 10, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1, "the phone index follows the rotation");
}

fn review(id: &str, user: &str, review_id: &str, text: &str, ts: i64) -> Message {
    Message {
        name: Some("Product Reviewed".into()),
        review: Some(ReviewInput { review_id: review_id.into(), product_id: Some("p1".into()), rating: Some(1), text: text.into(), language: None, extra: None }),
        ..Message::new(id, MessageKind::Track, Some(user), None, ts)
    }
}

/// An analysis run whose documents quote both customers the way the pipeline's do (the
/// dashboard's complaint queue: review id, author, text).
fn analysis_quoting(s: &mut Store, customers: &[&str]) {
    let complaints: Vec<serde_json::Value> = customers
        .iter()
        .map(|c| serde_json::json!({"review_id": format!("{c}-review"), "customer_id": c, "text": format!("{c}: awful"), "severity": 3}))
        .collect();
    let dashboard = serde_json::json!({"as_of": "2024-05-01", "voice": {"top_complaints": complaints, "aspects": [{"aspect": "delivery", "mentions": 2}]}});
    let summary = serde_json::json!({"customers": customers.len(), "largest": {"customer_id": customers[0], "clv": 12.0}});
    let documents = vec![("dashboard".into(), dashboard.to_string()), ("summary".into(), summary.to_string()), ("models".into(), r#"{"bgnbd": {"r": 0.2}}"#.into())];
    s.write_analysis(xinli_store::testdb::documents_run(documents)).unwrap();
}

fn survey(id: &str, user: &str, comment: &str, ts: i64) -> Message {
    let answer = xinli_store::SurveyInput { score: 2, scale: 10, comment: Some(comment.into()), product_id: Some("p1".into()) };
    Message { message_id: id.into(), ..xinli_store::import::survey_message(user, ts, answer) }
}

fn campaign(id: &str, user: &str, ts: i64) -> Message {
    let touch = xinli_store::CampaignInput { campaign_id: "spring".into(), opened: Some(true), ..Default::default() };
    Message { campaign: Some(touch), ..Message::new(id, MessageKind::Track, Some(user), None, ts) }
}

fn order_update(id: &str, user: &str, update: OrderUpdate, ts: i64) -> Message {
    Message { name: Some("Order Delivered".into()), order_update: Some(update), ..Message::new(id, MessageKind::Track, Some(user), None, ts) }
}

/// (payment method, channel, promised, delivered) of every stored line of an order.
fn order_details(s: &mut Store, order_id: &str) -> Vec<(Option<String>, Option<String>, Option<i64>, Option<i64>)> {
    s.raw_query("SELECT payment_method, channel, promised_delivery_at, delivered_at FROM orders WHERE order_id = $1 ORDER BY line", &[order_id.into()])
        .unwrap()
        .iter()
        .map(|r| (r.opt_text(0), r.opt_text(1), r.opt_int(2), r.opt_int(3)))
        .collect()
}

fn order_updates_reach_the_order_before_or_after_it(db: &TestDb) {
    let mut s = open(db);
    let day = 86_400_000;
    let (promised, late) = (T0 + 2 * day, T0 + 5 * day);
    // After the order: its lines change where the update states something, and stay otherwise.
    let mut placed = order("a1", "u1", "o1", 10.0, OrderState::Completed, T0);
    placed.order.as_mut().unwrap().lines[0].details.payment_method = Some("card".into());
    let shipped = OrderUpdate { order_id: "o1".into(), promised_delivery_ms: Some(promised), ..Default::default() };
    s.ingest(&[placed, order_update("a2", "u1", shipped, T0 + MIN)]).unwrap();
    let delivered = order_update("a3", "u1", OrderUpdate { order_id: "o1".into(), delivered_ms: Some(late), ..Default::default() }, late);
    let outcome = s.ingest(&[delivered.clone()]).unwrap();
    assert_eq!(outcome.stored, 1);
    assert_eq!(order_details(&mut s, "o1"), [(Some("card".into()), None, Some(promised), Some(late))]);
    let paid = OrderUpdate { order_id: "o1".into(), payment_method: Some("cod".into()), ..Default::default() };
    s.ingest(&[order_update("a4", "u1", paid, T0 + 2 * MIN)]).unwrap();
    assert_eq!(order_details(&mut s, "o1")[0].0.as_deref(), Some("cod"));
    let again = s.ingest(&[delivered]).unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 1), "a repeated update is a duplicate event");
    assert_eq!(field(&mut s, "u1", "events"), 4.0, "each update is an event, counted once");

    // Before the order (another call): kept, then applied oldest first when the order arrives —
    // a later update's field wins, and an update's field wins over the order's own.
    let early = OrderUpdate { order_id: "o2".into(), payment_method: Some("cod".into()), delivered_ms: Some(late - day), ..Default::default() };
    let later = OrderUpdate { order_id: "o2".into(), channel: Some("app".into()), delivered_ms: Some(late), ..Default::default() };
    s.ingest(&[order_update("b2", "u2", later, T0 + 2 * MIN), order_update("b1", "u2", early, T0 + MIN)]).unwrap();
    assert_eq!(count(&mut s, "order_updates"), 2);
    assert!(order_details(&mut s, "o2").is_empty());
    let mut o2 = order("b3", "u2", "o2", 8.0, OrderState::Completed, T0);
    o2.order.as_mut().unwrap().lines[0].details.payment_method = Some("card".into());
    s.ingest(&[o2]).unwrap();
    assert_eq!(order_details(&mut s, "o2"), [(Some("cod".into()), Some("app".into()), None, Some(late))]);
    assert_eq!(count(&mut s, "order_updates"), 0, "applied updates leave the waiting table");

    // Before the order in the same call.
    let third = OrderUpdate { order_id: "o3".into(), delivered_ms: Some(late), ..Default::default() };
    s.ingest(&[order_update("c1", "u3", third, T0), order("c2", "u3", "o3", 5.0, OrderState::Completed, T0)]).unwrap();
    assert_eq!(order_details(&mut s, "o3"), [(None, None, None, Some(late))]);
    assert_eq!(count(&mut s, "order_updates"), 0);

    // A waiting update follows its sender into the customer an identify merges it with.
    s.ingest(&[track("d1", Some("u4"), None, EventType::Login, T0)]).unwrap();
    let fourth = OrderUpdate { order_id: "o4".into(), channel: Some("app".into()), ..Default::default() };
    let mut from_device = order_update("d2", "u4", fourth, T0 + MIN);
    (from_device.user_id, from_device.anonymous_id) = (None, Some("dev-4".into()));
    s.ingest(&[from_device, identify("d3", "u4", Some("dev-4"), Pii::default(), T0 + 2 * MIN)]).unwrap();
    let owner = |s: &mut Store, sql: &str| s.raw_query(sql, &[]).unwrap()[0].int(0);
    assert_eq!(owner(&mut s, "SELECT cid FROM order_updates"), owner(&mut s, "SELECT cid FROM identities WHERE value = 'u4'"));
    s.erase_customer("u4").unwrap().unwrap();
    assert_eq!(count(&mut s, "order_updates"), 0, "erased with its customer");

    // The analysis sees the late delivery.
    let mut delivered_at = Vec::new();
    s.export_shop(100, |part| {
        if let Part::Shop(shop) = part {
            delivered_at.extend(shop.orders.iter().map(|o| (o.order_id.as_str().to_string(), o.delivered_at.map(|t| t.unix_seconds() * 1000))));
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(delivered_at, [("o1".into(), Some(late)), ("o2".into(), Some(late)), ("o3".into(), Some(late))]);
}

fn erasure_leaves_nothing(db: &TestDb) {
    let mut s = open(db);
    let pii = Pii { email: Some("gone@example.com".into()), ..Pii::default() };
    s.ingest(&[
        track("e1", None, Some("erase-anon"), EventType::ProductView, T0),
        identify("e2", "erase-me", Some("erase-anon"), pii, T0 + MIN),
        order("e3", "erase-me", "erase-order", 12.0, OrderState::Completed, T0 + 2 * MIN),
        review("e4", "erase-me", "erase-me-review", "erase-me: awful", T0 + 3 * MIN),
        survey("e5", "erase-me", "erase-me: never again", T0 + 4 * MIN),
        campaign("e6", "erase-me", T0 + 5 * MIN),
        order_update("e7", "erase-me", OrderUpdate { order_id: "erase-order-to-come".into(), delivered_ms: Some(T0), ..Default::default() }, T0 + 6 * MIN),
        track("k1", Some("keep-me"), None, EventType::Search, T0),
        survey("k3", "keep-me", "fine", T0 + 4 * MIN),
        review("k2", "keep-me", "keep-me-review", "keep-me: awful", T0 + MIN),
    ])
    .unwrap();
    s.create_segment("buyers", "orders >= 1", "").unwrap();
    // Two runs: documents of older runs are kept, so they are scrubbed too.
    analysis_quoting(&mut s, &["erase-me", "keep-me"]);
    analysis_quoting(&mut s, &["keep-me", "erase-me"]);
    let running = s.begin_run("a run going while the customer is erased", None).unwrap();
    let receipt = s.erase_customer("erase-me").unwrap().expect("a receipt");
    // That run exported the customer before the erasure: its results are refused.
    let mut late = xinli_store::testdb::documents_run(vec![("summary".into(), r#"{"largest": {"customer_id": "erase-me"}}"#.into())]);
    late.run_id = Some(running);
    let refused = s.write_analysis(late).unwrap_err().to_string();
    assert!(refused.contains("erased while analysis run"), "{refused}");
    s.fail_run(running, &refused).unwrap();
    let erased = |table: &str| receipt.rows.iter().find(|(t, _)| t == table).unwrap().1;
    assert_eq!((erased("events"), erased("surveys"), erased("campaign_touches"), erased("order_updates")), (7, 1, 1, 1));
    assert_eq!((count(&mut s, "surveys"), count(&mut s, "campaign_touches")), (1, 0), "keep-me's answer stays");
    assert_eq!(receipt.documents_scrubbed, 3, "both runs' dashboards, the first run's summary");
    assert!(s.erase_customer("erase-me").unwrap().is_none());
    for table in xinli_store::migrate::TABLES {
        for row in s.raw_query(&format!("SELECT * FROM {table}"), &[]).unwrap() {
            let text = format!("{:?}", row.0);
            assert!(!text.contains("erase-"), "{table} still holds {text}");
        }
    }
    assert!(s.customer_360("erase-me", true, T0, 5).unwrap().is_none());
    assert!(s.customer_360("erase-anon", true, T0, 5).unwrap().is_none());
    assert!(s.customer_360("keep-me", true, T0, 5).unwrap().is_some());
    // The other customer's complaint and the aggregates stay.
    let run = s.latest_run().unwrap().unwrap().run_id;
    let dashboard: serde_json::Value = serde_json::from_str(&s.artifact(run, "dashboard").unwrap().unwrap()).unwrap();
    assert_eq!(dashboard["voice"]["top_complaints"], serde_json::json!([{"review_id": "keep-me-review", "customer_id": "keep-me", "text": "keep-me: awful", "severity": 3}]));
    assert_eq!(dashboard["voice"]["aspects"][0]["mentions"], 2);
    if let Some(dir) = db.dir() {
        drop(s);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for needle in [&b"erase-me"[..], b"erase-anon", b"erase-order"] {
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} still holds {:?}", path.display(), String::from_utf8_lossy(needle));
            }
        }
    }
}

/// A shop with every canonical kind and column the import keeps, written with the contract's
/// own parser so it is what `xinli import` hands the store.
fn whole_shop() -> xinli_core::Shop {
    let dir = std::env::temp_dir().join(format!("xinli-store-whole-shop-{}-{}", std::process::id(), T0 % 997));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = [
        ("customers.csv", "customer_id,signup_at,gender,birth_date,city,region,acquisition_channel,consent_email,email,vip\n\
                           c1,2024-01-02T03:04:05Z,女,1990-05-06,Hangzhou,Zhejiang,search,true,c1@example.com,gold\n"),
        ("products.csv", "product_id,category,list_price,launched_at,brand,avg_rating,description\np1,tea,12.5,2024-03-01,Leaf,4.5,green tea\np2,,,,,,\n"),
        ("orders.csv", "order_id,customer_id,ordered_at,product_id,category,quantity,unit_price,list_price,coupon_code,payment_method,channel,status,promised_delivery_at,delivered_at,price_known\n\
                        o1,c1,2024-05-01 10:00:00,p1,tea,2,10,12.5,SAVE,COD,App,completed,2024-05-03,2024-05-06 12:00:00,true\n\
                        o1,c1,2024-05-01 10:00:00,p2,,1,3,,,COD,App,completed,,,\n\
                        o2,c1,2024-05-08,p1,tea,1,12.5,,,card,web,returned,,,\n"),
        ("events.csv", "ts,customer_id,anonymous_id,session_id,type,product_id,category,query,value,properties,device\n\
                        2024-05-01 09:58:00,c1,,s1,search,,,green tea,,,ios\n\
                        2024-05-01 09:59:00,,a9,s9,page_view,,,,,\"{\"\"page\"\": \"\"home\"\"}\",\n"),
        ("reviews.csv", "review_id,customer_id,product_id,ts,rating,text,language,title\nr1,c1,p1,2024-05-07,2,物流太慢,zh,差评\nr2,,p2,2024-05-09,5,很好喝,zh,\n"),
        ("campaigns.csv", "campaign_id,customer_id,ts,channel,variant,opened,clicked,converted,revenue\nk1,c1,2024-04-30,Email,b,true,false,false,0\n"),
    ];
    for (name, body) in files {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let imported = xinli_ingest::import_dir(&dir, &xinli_ingest::ImportOptions { strict: true, ..Default::default() }).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    imported.shop
}

fn whole_shop_round_trips(db: &TestDb) {
    let mut s = open(db);
    let shop = whole_shop();
    assert_eq!(s.put_products(&shop.products).unwrap(), 2);
    let answer = xinli_store::SurveyInput { score: 9, scale: 10, comment: Some("快".into()), product_id: Some("p1".into()) };
    let mut messages = xinli_store::import::messages_from_shop(&shop);
    messages.push(xinli_store::import::survey_message("c1", T0, answer.clone()));
    s.ingest(&messages).unwrap();
    assert_eq!(s.put_anonymous_reviews(&shop.reviews).unwrap(), 1, "r2 has no customer");
    let again = s.ingest(&messages).unwrap();
    assert_eq!(again.stored, 0, "importing twice stores once");
    assert_eq!(s.put_anonymous_reviews(&shop.reviews).unwrap(), 0, "anonymous reviews too");
    assert_eq!(s.put_products(&shop.products).unwrap(), 2, "products are replaced, not repeated");

    let (mut back, mut surveys) = (xinli_core::Shop::default(), Vec::new());
    let exported = s
        .export_shop(2, |part| {
            match part {
                Part::Shop(p) => {
                    back.customers.extend(p.customers);
                    back.products.extend(p.products);
                    back.orders.extend(p.orders);
                    back.events.extend(p.events);
                    back.reviews.extend(p.reviews);
                    back.campaigns.extend(p.campaigns);
                }
                Part::Surveys(answers) => surveys.extend(answers),
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(exported.skipped.total(), 0);
    assert_eq!((exported.products, exported.orders, exported.events, exported.reviews, exported.surveys, exported.campaigns), (2, 3, 2, 2, 1, 1));
    // PII stays sealed in the store: everything else comes back as it was read.
    let customer = xinli_core::Customer { email: None, ..shop.customers[0].clone() };
    assert_eq!(back.customers, [customer]);
    assert_eq!(back.customers[0].extra, [("vip".to_string(), "gold".to_string())]);
    assert_eq!(back.products, shop.products);
    let mut orders = back.orders.clone();
    orders.sort_by(|a, b| (&a.order_id, &a.product_id).cmp(&(&b.order_id, &b.product_id)));
    assert_eq!(orders, shop.orders);
    assert_eq!(orders[0].payment_method.as_deref(), Some("cod"));
    assert_eq!(back.events, shop.events);
    assert_eq!(back.events[0].extra, [("device".to_string(), "ios".to_string())], "an events file's extra column round-trips");
    assert_eq!(back.reviews, shop.reviews);
    assert_eq!(back.reviews[1].customer_id, None, "an anonymous review stays anonymous");
    assert_eq!(back.reviews[0].extra, [("title".to_string(), "差评".to_string())]);
    assert_eq!(back.campaigns, shop.campaigns);
    let customer_id = xinli_core::CustomerId::parse("c1").unwrap();
    let expected = SurveyAnswer {
        customer_id,
        ts: xinli_core::Timestamp::from_unix_seconds(T0 / 1000),
        score: 9,
        scale: 10,
        comment: answer.comment,
        product_id: Some(xinli_core::ProductId::parse("p1").unwrap()),
    };
    assert_eq!(surveys, [expected]);
}

fn export_counts_what_it_leaves_out(db: &TestDb) {
    let mut s = open(db);
    s.ingest(&[
        track("x1", Some("fine"), None, EventType::ProductView, T0),
        track("x2", Some("bell\u{7}id"), None, EventType::ProductView, T0),
        order("x3", "bell\u{7}id", "bad-customer-order", 5.0, OrderState::Completed, T0 + MIN),
        review("x4", "fine", "fine-review", "ok", T0 + MIN),
    ])
    .unwrap();
    // An event type this version does not know (written by a newer one, or by hand).
    let cid = s.raw_query("SELECT cid FROM identities WHERE value = 'fine'", &[]).unwrap()[0].int(0);
    s.raw_query(
        "INSERT INTO events (message_id, cid, kind, name, event_type, ts, received_at) VALUES ('x5', $1, 'track', 'Teleported', 'teleport', $2, $2)",
        &[cid.into(), T0.into()],
    )
    .unwrap();
    let mut events = 0;
    let exported = s.export_shop(100, |part| {
        if let Part::Shop(shop) = part {
            events += shop.events.len();
        }
        Ok(())
    })
    .unwrap();
    assert_eq!((exported.events, events), (1, 1), "fine's view");
    let skipped = exported.skipped;
    assert_eq!((skipped.customers, skipped.orders, skipped.events, skipped.reviews), (1, 1, 3, 0), "{skipped:?}");
    assert_eq!(skipped.total(), 5);
}

fn segments_follow_profiles_with_history(db: &TestDb) {
    let mut s = open(db);
    s.ingest(&[order("o1", "u1", "A", 30.0, OrderState::Completed, T0), order("o2", "u2", "B", 5.0, OrderState::Completed, T0)]).unwrap();
    let seg = s.create_segment("big spenders", "total_spend >= 25", "spent at least 25").unwrap();
    assert_eq!(seg.size, 1);
    let t_created = xinli_store::now_ms();
    let out = s.ingest(&[order("o3", "u2", "C", 25.0, OrderState::Completed, T0 + MIN)]).unwrap();
    assert_eq!(out.membership_changes, 1);
    let members: Vec<String> = s.segment_members(seg.id, 10, 0).unwrap().into_iter().map(|(c, _)| c).collect();
    assert_eq!(members.len(), 2);
    assert!(members.contains(&"u1".to_string()) && members.contains(&"u2".to_string()));
    s.ingest(&[order("o4", "u1", "A", 0.0, OrderState::Cancelled, T0 + 2 * MIN)]).unwrap();
    let changes = s.segment_changes(seg.id, 0, 100).unwrap();
    assert_eq!(changes.iter().filter(|(c, ch, _)| c == "u1" && *ch == "left").count(), 1);
    let sizes = s.segment_sizes(seg.id, t_created - 1, xinli_store::now_ms(), 2).unwrap();
    assert_eq!(sizes.last().unwrap().size, 1);
    let updated = s.update_segment(seg.id, None, Some("orders >= 1"), None).unwrap();
    assert_eq!(updated.size, 1, "u1's only order was cancelled");
    match s.create_segment("bad", "total_spend >", "") {
        Err(SegmentError::Invalid { en, zh }) => {
            assert!(en.contains("column"), "{en}");
            assert!(zh.contains('列'), "{zh}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(matches!(s.create_segment("big spenders", "orders > 0", ""), Err(SegmentError::NameTaken(_))));
    assert!(matches!(s.create_segment("typo", "total_spnd > 1", ""), Err(SegmentError::Invalid { .. })));
    assert!(s.delete_segment(seg.id).unwrap());
    assert!(s.segments().unwrap().is_empty());
    assert_eq!(count(&mut s, "segment_members"), 0);
}

fn journey_stage_is_live(db: &TestDb) {
    let mut s = open(db);
    let now = xinli_store::now_ms();
    s.ingest(&[
        track("j1", Some("u1"), None, EventType::Search, now - 3 * MIN),
        track("j2", Some("u1"), None, EventType::ProductView, now - 2 * MIN),
    ])
    .unwrap();
    let stage = |s: &mut Store| s.customer_360("u1", false, xinli_store::now_ms(), 1).unwrap().unwrap().profile["journey_stage"].clone();
    assert_eq!(serde_json::to_value(stage(&mut s)).unwrap(), "information_search");
    s.ingest(&[track("j3", Some("u1"), None, EventType::CheckoutStart, now - MIN)]).unwrap();
    assert_eq!(serde_json::to_value(stage(&mut s)).unwrap(), "purchase");
    let hits = s.search_customers(&SearchQuery { journey_stage: Some("purchase".into()), limit: 5, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1);
}

fn keys_are_hashed_checked_and_revoked(db: &TestDb) {
    let mut s = open(db);
    let k = s.create_key(Role::Analyst, "dashboard").unwrap();
    assert!(k.key.starts_with("xk_"));
    let stored = s.raw_query("SELECT hash FROM api_keys", &[]).unwrap();
    let hash = match &stored[0].0[0] {
        Val::Text(h) => h.clone(),
        other => panic!("{other:?}"),
    };
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&k.key[16..]));
    assert_eq!(s.verify_key(&k.key).unwrap().unwrap().role, Role::Analyst);
    let mut wrong = k.key.clone();
    wrong.push('x');
    assert!(s.verify_key(&wrong).unwrap().is_none());
    assert!(s.verify_key("xk_' OR '1'='1_x").unwrap().is_none());
    assert_eq!(s.list_keys().unwrap().len(), 1);
    assert!(s.revoke_key(&k.id).unwrap());
    assert!(!s.revoke_key(&k.id).unwrap());
    assert!(s.verify_key(&k.key).unwrap().is_none());
    s.audit(&k.id, "revoke_key", &k.id, "").unwrap();
    assert_eq!(s.audit_log(5).unwrap()[0].2, "revoke_key");
}

fn injection_shaped_strings_are_plain_data(db: &TestDb) {
    let mut s = open(db);
    let evil = "x'); DROP TABLE events; --";
    s.ingest(&[track("'; DELETE FROM customers; --", Some(evil), None, EventType::Search, T0)]).unwrap();
    assert_eq!(count(&mut s, "events"), 1);
    assert_eq!(s.customer_360(evil, false, T0, 5).unwrap().unwrap().customer_id, evil);
    let hits = s.search_customers(&SearchQuery { id_prefix: Some("x'); DROP".into()), limit: 5, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1);
    let none = s.search_customers(&SearchQuery { id_prefix: Some("%".into()), limit: 5, ..Default::default() }).unwrap();
    assert!(none.is_empty(), "% is a literal prefix, not a wildcard");
}


/// One run's outputs for `customers` = (user id, persona, churn risk, clv).
fn run_output<'a>(s: &mut Store, customers: &'a [(&'a str, &'a str, f64, f64)], run: Option<i64>) -> AnalysisOutput<'a> {
    let cid = |s: &mut Store, id: &str| {
        s.raw_query("SELECT cid FROM identities WHERE kind = 'user' AND value = $1", &[id.into()]).unwrap()[0].int(0)
    };
    let cids: Vec<i64> = customers.iter().map(|c| cid(s, c.0)).collect();
    let scores = customers.iter().zip(cids.clone()).map(|(&(id, persona, churn, clv), cid)| {
        let row = serde_json::json!({"customer_id": id, "persona": persona, "churn_risk": churn, "clv": clv, "rfm_r": 4, "T": 30.5,
            "confidence_convenience": 0.25, "next_best_action": "win_back"});
        Ok(ScoreInput { cid, customer_id: id.to_string(), row: row.as_object().unwrap().clone() })
    });
    let evidence = cids.clone().into_iter().map(|cid| {
        Ok((cid, Evidence {
            trait_: "price_sensitivity".into(), signal: "coupon_order_share".into(), value: Some(0.5), shop_median: Some(0.1),
            observations: Some(4.0), percentile: Some(0.9), text_en: "half the orders used a coupon".into(), text_zh: "一半订单用了优惠券".into(),
        }))
    });
    let recommendations = cids.into_iter().flat_map(|cid| {
        (1..=3).map(move |rank| Ok((cid, Recommendation {
            rank, product_id: format!("p{rank}"), score: Some(1.0 / rank as f64), reason_en: "bought together".into(), reason_zh: "常一起购买".into(),
        })))
    });
    AnalysisOutput {
        run_id: run,
        source: "test".into(),
        as_of: Some("2024-05-01".into()),
        scores: Box::new(scores),
        evidence: Box::new(evidence),
        recommendations: Box::new(recommendations),
        artifacts: vec![("summary".into(), r#"{"customers": 2}"#.into()), ("dashboard".into(), "{}".into())],
    }
}

fn analysis_is_written_back_replaced_and_segmented(db: &TestDb) {
    let mut s = open(db);
    s.ingest(&[
        order("o1", "u1", "A", 30.0, OrderState::Completed, T0),
        order("o2", "u2", "B", 5.0, OrderState::Completed, T0),
        order("o3", "u3", "C", 8.0, OrderState::Completed, T0),
    ])
    .unwrap();
    let seg = s.create_segment("price at risk", "persona = \"price_sensitive\" and churn_risk > 0.5", "").unwrap();
    assert_eq!(seg.size, 0, "no model outputs before an analysis");
    assert!(s.latest_run().unwrap().is_none());
    let first = [("u1", "price_sensitive", 0.8, 10.0), ("u2", "price_sensitive", 0.2, 50.0), ("u3", "balanced", 0.9, 5.0)];
    let output = run_output(&mut s, &first, None);
    let run1 = s.write_analysis(output).unwrap();
    let members: Vec<String> = s.segment_members(seg.id, 10, 0).unwrap().into_iter().map(|(c, _)| c).collect();
    assert_eq!(members, ["u1"]);
    let c = s.customer_360("u1", false, T0, 5).unwrap().unwrap();
    let scores = serde_json::to_value(c.scores.as_ref().unwrap()).unwrap();
    assert_eq!(scores["run_id"], run1);
    assert_eq!(scores["persona"], "price_sensitive");
    assert_eq!(scores["churn_risk"], 0.8);
    assert_eq!(scores["rfm_r"], 4);
    assert_eq!(scores["t"], 30.5);
    assert_eq!(scores["clv"], 10.0);
    assert_eq!(scores["data"]["confidence_convenience"], 0.25);
    assert_eq!(c.evidence.len(), 1);
    assert_eq!(c.evidence[0].text_zh, "一半订单用了优惠券");
    assert_eq!(c.recommendations.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(s.customer_recommendations("u1", 2).unwrap().unwrap().len(), 2);
    assert!(s.customer_recommendations("nobody", 2).unwrap().is_none());
    // A later live event re-evaluates the customer with the scores behind the live profile.
    s.ingest(&[track("t1", Some("u1"), None, EventType::Search, T0 + MIN)]).unwrap();
    assert_eq!(s.segment(seg.id).unwrap().unwrap().size, 1, "a live event keeps the model-based membership");

    // The second run replaces every per-customer row; memberships follow with history.
    let second = [("u1", "balanced", 0.8, 10.0), ("u2", "price_sensitive", 0.7, 50.0), ("u3", "price_sensitive", 0.9, 5.0)];
    let run2 = s.begin_run("test again", None).unwrap();
    assert_eq!(s.analysis_runs(5).unwrap()[0].status, "running");
    let output = run_output(&mut s, &second, Some(run2));
    assert_eq!(s.write_analysis(output).unwrap(), run2);
    assert_eq!(count(&mut s, "customer_scores"), 3);
    assert_eq!(count(&mut s, "customer_evidence"), 3);
    assert_eq!(count(&mut s, "customer_recommendations"), 9);
    let mut members: Vec<String> = s.segment_members(seg.id, 10, 0).unwrap().into_iter().map(|(c, _)| c).collect();
    members.sort();
    assert_eq!(members, ["u2", "u3"]);
    let changes = s.segment_changes(seg.id, 0, 100).unwrap();
    assert!(changes.iter().any(|(c, ch, _)| c == "u1" && *ch == "left"));
    let latest = s.latest_run().unwrap().unwrap();
    assert_eq!((latest.run_id, latest.status.as_str(), latest.customers, latest.as_of.as_deref()), (run2, "ok", Some(3), Some("2024-05-01")));
    assert_eq!(s.artifact(run2, "summary").unwrap().as_deref(), Some(r#"{"customers": 2}"#));
    assert_eq!(s.artifact_names(run1).unwrap(), ["dashboard", "summary"]);
    assert!(s.artifact(run2, "nothing").unwrap().is_none());

    // A failing run (its rows break off with an error) leaves the previous scores in place.
    let run3 = s.begin_run("broken", None).unwrap();
    let mut broken = run_output(&mut s, &first, Some(run3));
    broken.scores = Box::new(broken.scores.chain(std::iter::once(Err("customers.csv, line 9: bad row".to_string()))));
    let err = s.write_analysis(broken).unwrap_err();
    assert!(err.to_string().contains("line 9"), "{err}");
    s.fail_run(run3, &err.to_string()).unwrap();
    let runs = s.analysis_runs(5).unwrap();
    assert_eq!((runs[0].run_id, runs[0].status.as_str()), (run3, "failed"));
    assert!(runs[0].error.as_deref().unwrap().contains("line 9"));
    assert_eq!(s.latest_run().unwrap().unwrap().run_id, run2);
    let c = s.customer_360("u1", false, T0, 5).unwrap().unwrap();
    assert_eq!(serde_json::to_value(c.scores.unwrap()).unwrap()["persona"], "balanced");
    assert_eq!(count(&mut s, "customer_scores"), 3);

    // A run left running (a server stopped during it) is marked failed at the next start.
    let stale = s.begin_run("interrupted", None).unwrap();
    assert_eq!(s.abandon_running_runs("interrupted").unwrap(), 1);
    assert_eq!(s.analysis_run(stale).unwrap().unwrap().status, "failed");

    // Erasure takes the analysis rows too.
    s.erase_customer("u2").unwrap().unwrap();
    assert_eq!(count(&mut s, "customer_scores"), 2);
    assert_eq!(count(&mut s, "customer_recommendations"), 6);
}

/// Real Taobao behaviour (the first users of the shared head file) as Segment-style messages:
/// each user's first events come from an anonymous device that an identify then merges, buys
/// are orders (every ninth reversed later), and every seventh message is sent twice.
fn taobao_messages(rows: usize) -> Vec<Message> {
    let path = "/work/shared/data/taobao_user_behavior/UserBehavior_head_first43users.csv";
    let text = std::fs::read_to_string(path).expect("the shared Taobao head file");
    let mut out = Vec::new();
    let mut identified = std::collections::HashSet::new();
    for (n, line) in text.lines().take(rows).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let (user, item, behaviour, ts) = (f[0], f[1], f[3], f[4].parse::<i64>().unwrap() * 1000);
        let event = match behaviour {
            "pv" => EventType::ProductView,
            "cart" => EventType::AddToCart,
            "fav" => EventType::Wishlist,
            _ => EventType::Purchase,
        };
        let id = format!("tb{n}");
        let anon = format!("device-{user}");
        let m = if event == EventType::Purchase {
            let lines = vec![OrderLineInput { product_id: Some(item.into()), category: None, quantity: 1.0, unit_price: 9.5, coupon_code: None, details: Default::default() }];
            Message {
                name: Some("Order Completed".into()),
                event_type: Some(EventType::Purchase),
                order: Some(OrderInput { order_id: format!("order-{n}"), state: OrderState::Completed, lines }),
                ..Message::new(&id, MessageKind::Track, Some(user), None, ts)
            }
        } else if identified.contains(user) {
            track(&id, Some(user), None, event, ts)
        } else {
            track(&id, None, Some(&anon), event, ts)
        };
        if n % 9 == 4 && !identified.contains(user) {
            out.push(identify(&format!("id{n}"), user, Some(&anon), Pii::default(), ts + 1));
            identified.insert(user);
        }
        if n % 7 == 0 {
            out.push(m.clone());
        }
        out.push(m);
        if event == EventType::Purchase && n % 9 == 0 {
            out.push(order(&format!("rv{n}"), user, &format!("order-{n}"), 0.0, OrderState::Cancelled, ts + 2));
        }
    }
    out
}

/// Everything a customer's 360 says that does not depend on when it was written.
fn comparable(s: &mut Store, user: &str) -> serde_json::Value {
    let c = s.customer_360(user, true, T0, 100).unwrap().unwrap_or_else(|| panic!("{user} not found"));
    let segments: Vec<i64> = c.segments.iter().map(|(id, _, _)| *id).collect();
    let events: Vec<&str> = c.recent_events.iter().map(|e| e.message_id.as_str()).collect();
    serde_json::json!({"profile": c.profile, "first": c.first_seen, "last": c.last_seen, "segments": segments,
                       "events": events, "orders": c.orders.iter().map(|o| (&o.order_id, &o.status)).collect::<Vec<_>>(),
                       "identities": c.identities})
}

fn batched_ingest_matches_one_by_one(db: &TestDb) {
    let other = match db {
        TestDb::Sqlite { .. } => TestDb::sqlite(),
        TestDb::Postgres { .. } => TestDb::postgres().unwrap(),
    };
    let messages = taobao_messages(900);
    let (mut batched, mut single) = (open(db), open(&other));
    for s in [&mut batched, &mut single] {
        s.create_segment("browsers", "count_product_view >= 20", "").unwrap();
        s.create_segment("buyers", "orders >= 1 and count_wishlist < 3", "").unwrap();
    }
    // Requests of uneven sizes, several per transaction, larger than one statement's rows.
    let requests: Vec<&[Message]> = messages.chunks(137).collect();
    let mut stored = 0;
    for commit in requests.chunks(3) {
        stored += batched.ingest_groups(commit).unwrap().0.iter().map(|o| o.stored).sum::<u64>();
    }
    let single_stored: u64 = messages.iter().map(|m| single.ingest(std::slice::from_ref(m)).unwrap().stored).sum();
    assert_eq!(stored, single_stored);
    assert!(stored < messages.len() as u64, "the repeated messages were stored once");
    // Membership *history* may differ (one message at a time passes through states a batch
    // never shows); current memberships are compared per customer below.
    let counts = |s: &mut Store| s.table_counts().unwrap().into_iter().filter(|(t, _)| *t != "segment_members").collect::<Vec<_>>();
    assert_eq!(counts(&mut batched), counts(&mut single));
    let users: std::collections::BTreeSet<&str> = messages.iter().filter_map(|m| m.user_id.as_deref()).collect();
    assert!(users.len() > 5);
    for user in users {
        assert_eq!(comparable(&mut batched, user), comparable(&mut single, user), "customer {user}");
    }
    // A fresh connection (no write cache) reads the same profiles back from the tables.
    let mut reader = Store::open(&db.location(), PiiCipher::new([3; 32], &[])).unwrap();
    assert_eq!(comparable(&mut reader, "1"), comparable(&mut batched, "1"));
}

/// The 360 is one statement on PostgreSQL (its lists aggregated to JSON) and nine on SQLite:
/// the same answer, to the last digit, for every customer of a Taobao sample with orders,
/// reviews, properties, PII, segments and an analysis.
#[test]
fn customer_360_is_the_same_on_both_backends() {
    let (lite, pg) = (TestDb::sqlite(), TestDb::postgres().expect("PostgreSQL at 127.0.0.1:5432 (user postgres)"));
    let mut messages = taobao_messages(600);
    let users: Vec<String> = messages.iter().filter_map(|m| m.user_id.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let (first, second) = (users[0].as_str(), users[1].as_str());
    // Amounts whose sums need every digit (0.1 + 0.2), text and properties that need escaping.
    let mut awkward = order("aw1", first, "awkward", 0.1, OrderState::Completed, T0);
    awkward.order.as_mut().unwrap().lines.push(OrderLineInput { product_id: Some("p2".into()), category: None, quantity: 3.0, unit_price: 0.2, coupon_code: None, details: Default::default() });
    messages.extend([
        awkward,
        review("rv1", first, "r1", "好用, \"quoted\"\n\\ {}", T0 + MIN),
        Message { properties: Some(r#"{"q": "a \"b\" 搜索", "n": 1e-7, "big": 12345678901234567890}"#.into()), ..track("pr1", Some(second), None, EventType::Search, T0) },
        identify("id1", second, Some("device-x"), Pii { email: Some("a@b.cn".into()), ..Default::default() }, T0),
    ]);
    let mut stores = [open(&lite), open(&pg)];
    for s in &mut stores {
        s.create_segment("browsers", "count_product_view >= 20", "").unwrap();
        s.create_segment("buyers", "orders >= 1", "").unwrap();
        for commit in messages.chunks(97) {
            s.ingest(commit).unwrap();
        }
        let scored: Vec<(&str, &str, f64, f64)> = users.iter().take(5).map(|u| (u.as_str(), "balanced", 1.0 / 3.0, 0.1 + 0.2)).collect();
        let output = run_output(s, &scored, None);
        s.write_analysis(output).unwrap();
    }
    for user in users.iter().map(String::as_str).chain(["device-x", "nobody"]) {
        let [a, b] = stores.each_mut().map(|s| {
            let mut c = s.customer_360(user, true, T0, 100).unwrap();
            // Entered when the writer committed (the clock), not at an event's time.
            c.iter_mut().flat_map(|c| c.segments.iter_mut()).for_each(|(_, _, entered)| *entered = 0);
            serde_json::to_string(&c).unwrap()
        });
        assert_eq!(a, b, "customer {user}");
    }
    let full = stores[1].customer_360(first, true, T0, 100).unwrap().unwrap();
    assert!(!full.orders.is_empty() && !full.reviews.is_empty() && !full.segments.is_empty() && !full.recent_events.is_empty());
    assert!(full.scores.is_some() && !full.evidence.is_empty() && !full.recommendations.is_empty());
    assert!(full.orders.iter().any(|o| o.amount == 0.1 + 3.0 * 0.2));
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&xinli_store::testdb::TestDb::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                let db = xinli_store::testdb::TestDb::postgres()
                    .expect("PostgreSQL at 127.0.0.1:5432 (user postgres) is needed: scripts/test.sh starts it");
                super::$name(&db)
            } )*
        }
    };
}

both_backends!(
    migrations_run_once,
    repeated_message_ids_are_stored_once,
    deferred_wal_syncs_are_owed_on_sqlite_only,
    concurrent_writers_wait_for_each_other,
    bulk_loads_gather_statistics,
    message_ids_are_known_across_connections_and_erasure,
    identify_and_alias_merge_histories_without_loss,
    orders_update_rfm_and_reversals,
    pii_is_sealed_and_found_by_blind_index,
    erasure_leaves_nothing,
    order_updates_reach_the_order_before_or_after_it,
    whole_shop_round_trips,
    export_counts_what_it_leaves_out,
    segments_follow_profiles_with_history,
    journey_stage_is_live,
    keys_are_hashed_checked_and_revoked,
    injection_shaped_strings_are_plain_data,
    analysis_is_written_back_replaced_and_segmented,
    batched_ingest_matches_one_by_one,
);
